package applets

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/twinbox-dev/twinbox/wasm/sim/vfs"
)

// test and [ follow busybox's test.c: POSIX's special cases for up to four
// arguments, then a recursive-descent parser of -o, -a, ! and parentheses.

type testOpType int

const (
	tOperand testOpType = iota
	tUnop
	tBinop
	tNot
	tAnd
	tOr
	tLParen
	tRParen
	tEOI
)

var testUnops = "-r -w -x -e -f -d -c -b -p -u -g -k -s -t -z -n -h -L -O -G -S"
var testBinops = "= == != < > -eq -ne -ge -gt -le -lt -nt -ot -ef"

func testOp(s *string) testOpType {
	if s == nil {
		return tEOI
	}
	switch *s {
	case "!":
		return tNot
	case "-a":
		return tAnd
	case "-o":
		return tOr
	case "(":
		return tLParen
	case ")":
		return tRParen
	}
	for _, u := range strings.Fields(testUnops) {
		if u == *s {
			return tUnop
		}
	}
	for _, b := range strings.Fields(testBinops) {
		if b == *s {
			return tBinop
		}
	}
	return tOperand
}

// errTestSyntax ends evaluation with status 2 after the message.
var errTestSyntax = errors.New("test syntax error")

type tester struct {
	c    *cmd
	args []string
	i    int
}

func (t *tester) at(i int) *string {
	if i >= 0 && i < len(t.args) {
		return &t.args[i]
	}
	return nil
}

func (t *tester) syntax(op *string, msg string) {
	if op != nil && *op != "" {
		t.c.errorf("%s: %s", *op, msg)
	} else {
		t.c.errorf("%s", msg)
	}
	panic(errTestSyntax)
}

func testMain(c *cmd) (status int) {
	args := c.args[1:]
	if baseName(c.args[0]) == "[" {
		if len(args) == 0 || args[len(args)-1] != "]" {
			c.errorf("missing ]")
			return 2
		}
		args = args[:len(args)-1]
	}
	defer func() {
		if r := recover(); r != nil {
			if r != errTestSyntax {
				panic(r)
			}
			status = 2
		}
	}()
	t := &tester{c: c, args: args}
	negate := false
	// POSIX's special cases.
	for {
		a := t.args[t.i:]
		if len(a) == 0 {
			return boolStatus(false != negate)
		}
		if len(a) == 1 {
			return boolStatus((a[0] != "") != negate)
		}
		if len(a) == 3 {
			if testOp(&a[1]) == tBinop {
				return boolStatus(t.binop(t.i) != negate)
			}
		} else if len(a) == 4 && a[0] == "(" && a[3] == ")" {
			t.args = t.args[:t.i+3]
			t.i++
			continue
		}
		if a[0] == "!" {
			t.i++
			negate = !negate
			continue
		}
		break
	}
	res := t.oexpr(testOp(t.at(t.i)))
	if t.at(t.i) != nil && t.at(t.i+1) != nil {
		c.errorf("%s: unknown operand", *t.at(t.i + 1))
		return 2
	}
	return boolStatus(res != negate)
}

func boolStatus(b bool) int {
	if b {
		return 0
	}
	return 1
}

func (t *tester) oexpr(n testOpType) bool {
	res := t.aexpr(n)
	t.i++
	if testOp(t.at(t.i)) == tOr {
		t.i++
		return t.oexpr(testOp(t.at(t.i))) || res
	}
	t.i--
	return res
}

func (t *tester) aexpr(n testOpType) bool {
	res := t.nexpr(n)
	t.i++
	if testOp(t.at(t.i)) == tAnd {
		t.i++
		return t.aexpr(testOp(t.at(t.i))) && res
	}
	t.i--
	return res
}

func (t *tester) nexpr(n testOpType) bool {
	if n == tNot {
		t.i++
		n = testOp(t.at(t.i))
		if n == tEOI {
			t.i--
			return true
		}
		return !t.nexpr(n)
	}
	return t.primary(n)
}

func (t *tester) primary(n testOpType) bool {
	if n == tEOI {
		t.syntax(nil, "argument expected")
	}
	if n == tLParen {
		t.i++
		res := t.oexpr(testOp(t.at(t.i)))
		t.i++
		if testOp(t.at(t.i)) != tRParen {
			t.syntax(nil, "closing paren expected")
		}
		return res
	}
	if next := t.at(t.i + 1); next != nil {
		if t.at(t.i+2) != nil && testOp(next) == tBinop {
			return t.binop(t.i)
		}
	}
	arg0 := *t.at(t.i)
	if n == tUnop {
		if t.at(t.i+1) == nil {
			return arg0 != ""
		}
		t.i++
		operand := *t.at(t.i)
		switch arg0 {
		case "-z":
			return operand == ""
		case "-n":
			return operand != ""
		case "-t":
			fd := t.getn(operand)
			_, ok := t.c.p.Terminal(int(fd))
			return ok
		}
		return t.filstat(operand, arg0)
	}
	if next := t.at(t.i + 1); next != nil && testOp(next) == tBinop {
		return t.binop(t.i)
	}
	return arg0 != ""
}

// getn reads an integer operand as strtoll with base 10.
func (t *tester) getn(s string) int64 {
	trimmed := strings.TrimLeft(s, " \t\n\r\v\f")
	end := len(trimmed)
	for end > 0 && strings.IndexByte(" \t\n\r\v\f", trimmed[end-1]) >= 0 {
		end--
	}
	num := trimmed[:end]
	digits := strings.TrimLeft(num, "+-")
	if len(num)-len(digits) > 1 || digits == "" || strings.Trim(digits, "0123456789") != "" {
		t.syntax(&s, "bad number")
	}
	v, err := strconv.ParseInt(strings.TrimPrefix(num, "+"), 10, 64)
	if err != nil {
		t.syntax(&s, "out of range")
	}
	return v
}

func (t *tester) binop(i int) bool {
	opnd1 := t.args[i]
	op := t.args[i+1]
	t.i = i + 2
	if t.at(t.i) == nil {
		t.syntax(&t.args[i+1], "argument expected")
	}
	opnd2 := t.args[t.i]
	switch op {
	case "-eq", "-ne", "-ge", "-gt", "-le", "-lt":
		a, b := t.getn(opnd1), t.getn(opnd2)
		switch op {
		case "-eq":
			return a == b
		case "-ne":
			return a != b
		case "-ge":
			return a >= b
		case "-gt":
			return a > b
		case "-le":
			return a <= b
		}
		return a < b
	case "=", "==":
		return opnd1 == opnd2
	case "!=":
		return opnd1 != opnd2
	case "<":
		return opnd1 < opnd2
	case ">":
		return opnd1 > opnd2
	}
	f1, err1 := t.c.stat(opnd1)
	f2, err2 := t.c.stat(opnd2)
	if err1 != nil || err2 != nil {
		return false
	}
	switch op {
	case "-nt":
		return f1.ModTime().Unix() > f2.ModTime().Unix()
	case "-ot":
		return f1.ModTime().Unix() < f2.ModTime().Unix()
	}
	s1, s2 := vfs.StatOf(f1), vfs.StatOf(f2)
	return s1.Dev == s2.Dev && s1.Ino == s2.Ino
}

func (t *tester) filstat(name, op string) bool {
	if op == "-h" || op == "-L" {
		fi, err := t.c.lstat(name)
		return err == nil && fi.Mode()&fs.ModeSymlink != 0
	}
	fi, err := t.c.stat(name)
	if err != nil {
		return false
	}
	m := fi.Mode()
	switch op {
	case "-e":
		return true
	case "-f":
		return m.IsRegular()
	case "-d":
		return m.IsDir()
	case "-c":
		return m&fs.ModeCharDevice != 0
	case "-b":
		return m&fs.ModeDevice != 0 && m&fs.ModeCharDevice == 0
	case "-p":
		return m&fs.ModeNamedPipe != 0
	case "-S":
		return m&fs.ModeSocket != 0
	case "-u":
		return m&fs.ModeSetuid != 0
	case "-g":
		return m&fs.ModeSetgid != 0
	case "-k":
		return m&fs.ModeSticky != 0
	case "-s":
		return fi.Size() > 0
	case "-O":
		return vfs.StatOf(fi).UID == t.c.p.Cred().UID
	case "-G":
		return vfs.StatOf(fi).GID == t.c.p.Cred().GID
	case "-r":
		return t.c.canAccess(fi, 4)
	case "-w":
		return t.c.canAccess(fi, 2)
	case "-x":
		return t.c.canAccess(fi, 1)
	}
	return true
}

// canAccess is test's eaccess: root reads and writes anything and
// executes what has an execute bit; others go by owner, group, other.
func (c *cmd) canAccess(fi fs.FileInfo, mode fs.FileMode) bool {
	cred := c.p.Cred()
	perm := fi.Mode().Perm()
	if cred.UID == 0 {
		if mode != 1 {
			return true
		}
		if perm&0o111 != 0 {
			return true
		}
	}
	st := vfs.StatOf(fi)
	switch {
	case st.UID == cred.UID:
		mode <<= 6
	case st.GID == cred.GID || containsInt(cred.Groups, st.GID):
		mode <<= 3
	}
	return perm&mode != 0
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
