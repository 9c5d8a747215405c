package applets

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ddSuffixes are the multipliers busybox's dd accepts after a number.
var ddSuffixes = []struct {
	s string
	n int64
}{
	{"kB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"c", 1}, {"w", 2}, {"b", 512}, {"k", 1 << 10}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30},
}

func ddNumber(v string) (int64, bool) {
	mult := int64(1)
	for _, s := range ddSuffixes {
		if strings.HasSuffix(v, s.s) && len(v) > len(s.s) {
			v, mult = strings.TrimSuffix(v, s.s), s.n
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n * mult, true
}

// ddMain is busybox's dd: copy if= (standard input) to of= (standard
// output) in blocks of bs (ibs/obs), count blocks at most, after skipping
// skip input blocks and seeking seek output blocks; it reports the full
// and partial blocks read and written on standard error, as Debian's
// busybox does (without the bytes and speed line).
func ddMain(c *cmd) int {
	ibs, obs := int64(512), int64(512)
	count, skip, seek := int64(-1), int64(0), int64(0)
	in, out := "", ""
	notrunc, quiet := false, false
	for _, a := range c.args[1:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return c.usageError()
		}
		switch k {
		case "if":
			in = v
		case "of":
			out = v
		case "conv":
			for _, cv := range strings.Split(v, ",") {
				switch cv {
				case "notrunc":
					notrunc = true
				case "noerror", "sync", "fsync", "fdatasync", "swab":
				default:
					c.errorf("invalid conv '%s'", cv)
					return 1
				}
			}
		case "status":
			quiet = v == "none"
		default:
			n, ok := ddNumber(v)
			if !ok {
				c.errorf("invalid number '%s'", v)
				return 1
			}
			switch k {
			case "bs":
				ibs, obs = n, n
			case "ibs":
				ibs = n
			case "obs":
				obs = n
			case "count":
				count = n
			case "skip":
				skip = n
			case "seek":
				seek = n
			default:
				return c.usageError()
			}
		}
	}
	if ibs == 0 || obs == 0 {
		c.errorf("invalid number '0'")
		return 1
	}
	var r io.Reader = c.stdin()
	if in != "" {
		f, err := c.open(in)
		if err != nil {
			c.errorf("can't open '%s': %s", in, Strerror(err))
			return 1
		}
		defer f.Close()
		r = f
		if skip > 0 {
			f.Seek(skip*ibs, io.SeekStart)
		}
	}
	var w io.Writer = c.out
	outName := "standard output"
	if out != "" {
		flag := os.O_WRONLY | os.O_CREATE
		if !notrunc && seek == 0 {
			flag |= os.O_TRUNC
		}
		f, err := c.openFile(out, flag, 0o666)
		if err != nil {
			c.errorf("can't open '%s': %s", out, Strerror(err))
			return 1
		}
		defer f.Close()
		if seek > 0 {
			f.Seek(seek*obs, io.SeekStart)
		}
		w, outName = f, out
	}
	var inFull, inPart, outFull, outPart int64
	status := 0
	buf := make([]byte, ibs)
	var pending []byte
	flush := func(all bool) bool {
		for int64(len(pending)) >= obs || (all && len(pending) > 0) {
			n := min(int64(len(pending)), obs)
			if _, err := w.Write(pending[:n]); err != nil {
				c.errorf("error writing '%s': %s", outName, Strerror(err))
				return false
			}
			if n == obs {
				outFull++
			} else {
				outPart++
			}
			pending = pending[n:]
		}
		return true
	}
	for count < 0 || inFull+inPart < count {
		if c.killed() {
			return 1
		}
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if int64(n) == ibs {
				inFull++
			} else {
				inPart++
			}
			pending = append(pending, buf[:n]...)
			if !flush(false) {
				status = 1
				break
			}
		}
		if err != nil {
			if err != io.EOF && err != io.ErrUnexpectedEOF {
				c.errorf("error reading '%s': %s", in, Strerror(err))
				status = 1
			}
			break
		}
	}
	if status == 0 && !flush(true) {
		status = 1
	}
	if err := c.out.Flush(); err != nil && status == 0 {
		status = c.writeFailed(err)
	}
	if !quiet {
		fmt.Fprintf(c.p.Stderr(), "%d+%d records in\n%d+%d records out\n", inFull, inPart, outFull, outPart)
	}
	return status
}
