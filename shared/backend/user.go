package backend

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ExecUser is who a container process runs as.
type ExecUser struct {
	UID, GID int
	Groups   []int // supplementary groups
	Home     string
}

// ResolveUser resolves a user spec as runc does ("", "name", "uid",
// "name:group", "uid:gid", "name:gid", ...) against the container's
// /etc/passwd and /etc/group (either may be nil when the file is missing).
// An empty spec is root. A numeric uid or gid need not exist in the files.
// Errors: InvalidParameter with runc's text, e.g.
// "unable to find user nobody2: no matching entries in passwd file".
func ResolveUser(spec string, passwd, group io.Reader) (ExecUser, error) {
	u := ExecUser{Home: "/"}
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	users := parseColonFile(passwd, 7)
	groups := parseColonFile(group, 4)

	if userPart == "" {
		userPart = "0"
	}
	found := false
	uid, numeric := atoiNonNeg(userPart)
	for _, f := range users {
		id, _ := strconv.Atoi(f[2])
		if (numeric && id == uid) || (!numeric && f[0] == userPart) {
			u.UID = id
			u.GID, _ = strconv.Atoi(f[3])
			u.Home = f[5]
			found = true
			break
		}
	}
	if !found {
		if !numeric {
			return ExecUser{}, Errorf(InvalidParameter, "unable to find user %s: no matching entries in passwd file", userPart)
		}
		u.UID = uid
	}

	name := userPart
	if found {
		for _, f := range users {
			if id, _ := strconv.Atoi(f[2]); id == u.UID {
				name = f[0]
				break
			}
		}
	}
	if hasGroup {
		gid, numericG := atoiNonNeg(groupPart)
		foundG := false
		for _, f := range groups {
			id, _ := strconv.Atoi(f[2])
			if (numericG && id == gid) || (!numericG && f[0] == groupPart) {
				u.GID = id
				foundG = true
				break
			}
		}
		if !foundG {
			if !numericG {
				return ExecUser{}, Errorf(InvalidParameter, "unable to find group %s: no matching entries in group file", groupPart)
			}
			u.GID = gid
		}
	} else {
		// Supplementary groups are the groups that list the user as a member.
		for _, f := range groups {
			for _, m := range strings.Split(f[3], ",") {
				if m != "" && m == name {
					if id, err := strconv.Atoi(f[2]); err == nil && id != u.GID {
						u.Groups = append(u.Groups, id)
					}
				}
			}
		}
	}
	return u, nil
}

func atoiNonNeg(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// parseColonFile reads /etc/passwd- or /etc/group-style lines with at least
// n fields, skipping comments and malformed lines.
func parseColonFile(r io.Reader, n int) [][]string {
	if r == nil {
		return nil
	}
	var out [][]string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) < n {
			f = append(f, make([]string, n-len(f))...)
		}
		if _, err := strconv.Atoi(f[2]); err != nil {
			continue
		}
		out = append(out, f)
	}
	return out
}

// String formats the user as "uid:gid" for messages.
func (u ExecUser) String() string { return fmt.Sprintf("%d:%d", u.UID, u.GID) }
