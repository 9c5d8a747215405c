package dockerfile

// Parsing follows dockerd 20.10's builder (builder/dockerfile and its
// vendored buildkit v0.8, Apache License 2.0): buildkit's current parser
// and instructions package read the file, and what they do differently
// from the version dockerd 20.10 vendored is put back here, so that errors
// and step texts are the classic builder's.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	// Stages are the FROM sections, in order.
	Stages []instructions.Stage
	// MetaArgs are the ARG instructions before the first FROM.
	MetaArgs []instructions.ArgCommand
	// EscapeToken is the escape character (the "# escape=" directive).
	EscapeToken rune
	// Warnings is what dockerd 20.10 prints on the build's error stream
	// before the first step ("[WARNING]: Empty continuation line found
	// in:..."), "" for nothing.
	Warnings string
}

// heredocGuard stands for "<<" while buildkit's parser reads a Dockerfile:
// dockerd 20.10's parser knew no heredocs, so "RUN <<EOF" is a RUN of
// "<<EOF" and the lines after it are instructions of their own.
const heredocGuard = "\uE000\uE001"

// Parse reads a Dockerfile (named name in the build context) as dockerd
// 20.10's classic builder does. Errors carry dockerd's texts and the code
// InvalidParameter: "the Dockerfile (Dockerfile) cannot be empty",
// "failed to parse Dockerfile: file with no instructions", "dockerfile
// parse error line 2: unknown instruction: BOGUS", "no build stage in
// current context".
func Parse(r io.Reader, name string) (*Dockerfile, error) {
	br := bufio.NewReader(r)
	if _, err := br.Peek(1); err != nil {
		if err == io.EOF {
			return nil, backend.Errorf(backend.InvalidParameter, "the Dockerfile (%s) cannot be empty", name)
		}
		return nil, fmt.Errorf("unexpected error reading Dockerfile: %w", err)
	}
	text, err := io.ReadAll(br)
	if err != nil {
		return nil, fmt.Errorf("unexpected error reading Dockerfile: %w", err)
	}
	guarded := strings.Contains(string(text), "<<")
	if guarded {
		text = []byte(strings.ReplaceAll(string(text), "<<", heredocGuard))
	}
	res, err := parser.Parse(strings.NewReader(string(text)))
	if err != nil {
		return nil, backend.Errorf(backend.InvalidParameter, "failed to parse %s: %s", name, unguard(err.Error()))
	}
	if guarded {
		unguardNode(res.AST)
	}
	df := &Dockerfile{EscapeToken: res.EscapeToken, Warnings: warnings(res.Warnings)}
	for _, n := range res.AST.Children {
		cmd, err := ParseInstruction(n)
		if err != nil {
			return nil, backend.Errorf(backend.InvalidParameter, "dockerfile parse error line %d: %s", n.StartLine, err)
		}
		if len(df.Stages) == 0 {
			if a, ok := cmd.(*instructions.ArgCommand); ok {
				df.MetaArgs = append(df.MetaArgs, *a)
				continue
			}
		}
		switch c := cmd.(type) {
		case *instructions.Stage:
			df.Stages = append(df.Stages, *c)
		case instructions.Command:
			if len(df.Stages) == 0 {
				return nil, backend.Errorf(backend.InvalidParameter, "no build stage in current context")
			}
			df.Stages[len(df.Stages)-1].AddCommand(c)
		default:
			return nil, backend.Errorf(backend.InvalidParameter, "%T is not a command type", cmd)
		}
	}
	return df, nil
}

func unguard(s string) string { return strings.ReplaceAll(s, heredocGuard, "<<") }

// unguardNode puts "<<" back everywhere in the tree.
func unguardNode(n *parser.Node) {
	for ; n != nil; n = n.Next {
		n.Value = unguard(n.Value)
		n.Original = unguard(n.Original)
		for i, f := range n.Flags {
			n.Flags[i] = unguard(f)
		}
		for _, c := range n.Children {
			unguardNode(c)
		}
	}
}

// warnings renders the parser's warnings as dockerd 20.10's parser did.
func warnings(ws []parser.Warning) string {
	if len(ws) == 0 {
		return ""
	}
	var lines []string
	for _, w := range ws {
		line := strings.TrimPrefix(w.Short, "Empty continuation line found in: ")
		lines = append(lines, "[WARNING]: Empty continuation line found in:\n    "+unguard(line))
	}
	lines = append(lines, "[WARNING]: Empty continuation lines will become errors in a future release.")
	return strings.Join(lines, "\n") + "\n"
}

// ParseInstruction turns one node of the syntax tree into an instruction
// (a *instructions.Stage for FROM, else an instructions.Command) as dockerd
// 20.10 does: it knows only the flags 20.10 knew, and its errors have
// 20.10's texts ("unknown instruction: BOGUS", "Unknown flag: link").
// ONBUILD triggers are parsed with it too.
func ParseInstruction(n *parser.Node) (any, error) {
	if err := checkFlags(n); err != nil {
		return nil, err
	}
	v, err := instructions.ParseInstruction(n)
	if err != nil {
		var unknown *instructions.UnknownInstructionError
		if errors.As(err, &unknown) {
			return nil, fmt.Errorf("unknown instruction: %s", strings.ToUpper(n.Value))
		}
		return nil, errors.New(err.Error())
	}
	return v, nil
}

// classicFlags are the flags each instruction takes in dockerd 20.10's
// vendored buildkit; the others are newer. RUN --mount parses, and the
// classic builder then refuses it; "mount" may repeat.
var classicFlags = map[string][]string{
	"add":         {"chown", "chmod"},
	"copy":        {"chown", "from", "chmod"},
	"from":        {"platform"},
	"healthcheck": {"interval", "timeout", "start-period", "retries"},
	"run":         {"mount"},
}

// checkFlags validates an instruction's flags as buildkit v0.8's BFlags
// did for the flags dockerd 20.10 knew.
func checkFlags(n *parser.Node) error {
	if strings.EqualFold(n.Value, "healthcheck") && n.Next != nil && strings.EqualFold(n.Next.Value, "none") {
		return nil // 20.10 read no flags for HEALTHCHECK NONE
	}
	known := classicFlags[strings.ToLower(n.Value)]
	used := map[string]bool{}
	values := map[string]string{}
	for _, arg := range n.Flags {
		if !strings.HasPrefix(arg, "--") {
			return fmt.Errorf("Arg should start with -- : %s", arg)
		}
		if arg == "--" {
			return nil
		}
		name, value, hasValue := strings.Cut(arg[2:], "=")
		ok := false
		for _, k := range known {
			ok = ok || k == name
		}
		if !ok {
			return fmt.Errorf("Unknown flag: %s", name)
		}
		if used[name] && name != "mount" {
			return fmt.Errorf("Duplicate flag specified: %s", name)
		}
		used[name] = true
		if !hasValue {
			return fmt.Errorf("Missing a value on flag: %s", name)
		}
		values[name] = value
	}
	if strings.EqualFold(n.Value, "healthcheck") {
		// 20.10 refused intervals of zero and fewer than one retry.
		for _, f := range []string{"interval", "timeout", "start-period"} {
			v, ok := values[f]
			if !ok || v == "" {
				continue
			}
			if d, err := time.ParseDuration(v); err == nil && d == 0 {
				return fmt.Errorf("Interval %#v cannot be less than %s", f, time.Millisecond)
			}
		}
		if v, ok := values["retries"]; ok && v != "" {
			if r, err := strconv.ParseInt(v, 10, 32); err == nil && r < 1 {
				return fmt.Errorf("--retries must be at least 1 (not %d)", r)
			}
		}
	}
	return nil
}

// ParseTrigger parses an ONBUILD trigger ("RUN echo hi") as dockerd 20.10
// does when a child build runs it. Errors: the parser's, "onbuild trigger
// should be a single expression", "unknown instruction: BOGUS".
func ParseTrigger(expr string) (instructions.Command, error) {
	text := expr
	guarded := strings.Contains(text, "<<")
	if guarded {
		text = strings.ReplaceAll(text, "<<", heredocGuard)
	}
	res, err := parser.Parse(strings.NewReader(text))
	if err != nil {
		return nil, errors.New(unguard(err.Error()))
	}
	if guarded {
		unguardNode(res.AST)
	}
	if len(res.AST.Children) != 1 {
		return nil, errors.New("onbuild trigger should be a single expression")
	}
	v, err := ParseInstruction(res.AST.Children[0])
	if err != nil {
		return nil, err
	}
	cmd, ok := v.(instructions.Command)
	if !ok {
		return nil, fmt.Errorf("%T is not a command type", v)
	}
	return cmd, nil
}
