package engine

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// newID returns a random 64-hex ID whose 12-character short form is not all
// digits (dockerd avoids those: they would make a numeric host name).
func (e *Engine) newID() string {
	b := make([]byte, 32)
	for {
		if _, err := io.ReadFull(e.rand, b); err != nil {
			panic(fmt.Sprintf("engine: read random: %v", err))
		}
		id := hex.EncodeToString(b)
		if _, err := strconv.ParseInt(id[:12], 10, 64); err == nil {
			continue
		}
		return id
	}
}

// randIntn returns a uniform random int in [0, n).
func (e *Engine) randIntn(n int) int {
	var b [8]byte
	if _, err := io.ReadFull(e.rand, b[:]); err != nil {
		panic(fmt.Sprintf("engine: read random: %v", err))
	}
	return int(binary.LittleEndian.Uint64(b[:]) % uint64(n))
}

// randomName returns a generated container name as dockerd makes them:
// adjective_surname, with a random digit appended on retries.
func (e *Engine) randomName(retry int) string {
	for {
		name := nameLeft[e.randIntn(len(nameLeft))] + "_" + nameRight[e.randIntn(len(nameRight))]
		if name == "boring_wozniak" { // Steve Wozniak is not boring
			continue
		}
		if retry > 0 {
			name += strconv.Itoa(e.randIntn(10))
		}
		return name
	}
}

// shortID is the 12-character form of an ID ("sha256:" stripped).
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

const validNameChars = `[a-zA-Z0-9][a-zA-Z0-9_.-]`

var validName = regexp.MustCompile(`^` + validNameChars + `+$`)

// validateName checks a container name given by the user and returns it with
// its leading slash.
func validateName(name string) (string, error) {
	if !validName.MatchString(strings.TrimPrefix(name, "/")) {
		return "", backend.Errorf(backend.InvalidParameter, "Invalid container name (%s), only %s are allowed", name, validNameChars)
	}
	if name[0] != '/' {
		name = "/" + name
	}
	return name, nil
}

var hexPrefix = regexp.MustCompile(`^[0-9a-f]+$`)

// IsGeneratedName reports whether name (without its slash) has the form of a
// generated container name, adjective_surname with an optional digit.
func IsGeneratedName(name string) bool {
	left, right, ok := strings.Cut(name, "_")
	if !ok {
		return false
	}
	if n := len(right); n > 0 && right[n-1] >= '0' && right[n-1] <= '9' {
		right = right[:n-1]
	}
	return slices.Contains(nameLeft[:], left) && slices.Contains(nameRight[:], right)
}
