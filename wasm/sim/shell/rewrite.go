package shell

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// check rejects what parses as bash but not as ash, with ash's words.
func (sh *shell) check(node syntax.Node) error {
	var err error
	fail := func(pos syntax.Pos, text string, bare bool) {
		if err == nil {
			err = &ashError{line: int(pos.Line()), text: text, bare: bare}
		}
	}
	syntax.Walk(node, func(n syntax.Node) bool {
		if err != nil {
			return false
		}
		switch n := n.(type) {
		case *syntax.Assign:
			if n.Array != nil {
				fail(n.Pos(), `unexpected "("`, false)
			}
		case *syntax.ParamExp:
			if n.Excl || n.Index != nil || n.Names != 0 || n.Width || n.IsSet {
				fail(n.Pos(), "bad substitution", false)
			}
			if n.Exp != nil {
				switch n.Exp.Op {
				case syntax.UpperFirst, syntax.UpperAll, syntax.LowerFirst, syntax.LowerAll, syntax.OtherParamOps:
					fail(n.Pos(), "bad substitution", false)
				}
			}
		case *syntax.ProcSubst:
			fail(n.Pos(), "process substitution is not simulated", true)
		case *syntax.Redirect:
			if n.Op == syntax.WordHdoc {
				fail(n.Pos(), "unexpected redirection", false)
			}
		case *syntax.BinaryCmd:
			if n.Op == syntax.PipeAll {
				fail(n.OpPos, `unexpected "&"`, false)
			}
		case *syntax.UnaryTest:
			if n.Op == syntax.TsUsrOwn || n.Op == syntax.TsGrpOwn {
				fail(n.Pos(), "[[: "+n.Op.String()+": not simulated", true)
			}
		case *syntax.CoprocClause:
			fail(n.Pos(), "coproc: not found", true)
		case *syntax.ForClause:
			if n.Select {
				fail(n.Pos(), `unexpected "do"`, false)
			}
		}
		return true
	})
	return err
}

// rewrite makes the parsed code run under the interpreter as under ash:
//   - $$, $PPID, $! and $0 read the shell's own variables (the interpreter
//     would read the host process);
//   - ~user reads the simulated /etc/passwd;
//   - braces are literal (ash has no brace expansion);
//   - background commands are bracketed so that the shell knows their
//     processes ($!, wait, jobs);
//   - export and readonly without operands list variables;
//   - when tail is set, the last command may replace the shell.
func (sh *shell) rewrite(f *syntax.File, tail bool) {
	sh.collectFuncs(f)
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.ParamExp:
			if n.Param != nil {
				switch n.Param.Value {
				case "$":
					n.Param = lit(varPID)
				case "PPID":
					n.Param = lit(varPPID)
				case "!":
					n.Param = lit(varBgPID)
				case "0":
					n.Param = lit(varArg0)
				case "-":
					n.Param = lit(varFlags)
				}
			}
			// ${x?} and ${x:?} without a message: ash's words.
			if n.Exp != nil && (n.Exp.Op == syntax.ErrorUnset || n.Exp.Op == syntax.ErrorUnsetOrNull) && (n.Exp.Word == nil || len(n.Exp.Word.Parts) == 0) {
				msg := "parameter not set"
				if n.Exp.Op == syntax.ErrorUnsetOrNull {
					msg += " or null"
				}
				n.Exp.Word = &syntax.Word{Parts: []syntax.WordPart{&syntax.SglQuoted{Value: msg}}}
			}
		case *syntax.Word:
			rewriteTilde(n)
			quoteBraces(n)
		case *syntax.Stmt:
			if d, ok := n.Cmd.(*syntax.DeclClause); ok {
				n.Cmd = rewriteDecl(d)
			}
			if t, ok := n.Cmd.(*syntax.TimeClause); ok && t.Stmt != nil {
				if c, ok := t.Stmt.Cmd.(*syntax.CallExpr); ok && len(t.Stmt.Redirs) == 0 {
					c.Args = append([]*syntax.Word{word("time")}, c.Args...)
					n.Cmd = c
				}
			}
		}
		return true
	})
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.File:
			n.Stmts = sh.bracketJobs(n.Stmts)
		case *syntax.Block:
			n.Stmts = sh.bracketJobs(n.Stmts)
		case *syntax.Subshell:
			n.Stmts = sh.bracketJobs(n.Stmts)
		case *syntax.IfClause:
			n.Cond = sh.bracketJobs(n.Cond)
			n.Then = sh.bracketJobs(n.Then)
		case *syntax.WhileClause:
			n.Cond = sh.bracketJobs(n.Cond)
			n.Do = sh.bracketJobs(n.Do)
		case *syntax.ForClause:
			n.Do = sh.bracketJobs(n.Do)
		case *syntax.CaseItem:
			n.Stmts = sh.bracketJobs(n.Stmts)
		case *syntax.CmdSubst:
			n.Stmts = sh.bracketJobs(n.Stmts)
		}
		return true
	})
	if tail && len(f.Stmts) > 0 {
		markTailStmt(f.Stmts[len(f.Stmts)-1])
	}
}

func lit(s string) *syntax.Lit { return &syntax.Lit{Value: s} }

func word(s string) *syntax.Word { return &syntax.Word{Parts: []syntax.WordPart{lit(s)}} }

func call(words ...string) *syntax.Stmt {
	c := &syntax.CallExpr{}
	for _, w := range words {
		c.Args = append(c.Args, word(w))
	}
	return &syntax.Stmt{Cmd: c}
}

// rewriteTilde turns ~user at the start of a word into the variable that
// looks the user up in the process's /etc/passwd. A bare ~ (HOME) is left
// to the interpreter.
func rewriteTilde(w *syntax.Word) {
	if len(w.Parts) == 0 {
		return
	}
	l, ok := w.Parts[0].(*syntax.Lit)
	if !ok || !strings.HasPrefix(l.Value, "~") {
		return
	}
	name := l.Value[1:]
	rest := ""
	if i := strings.IndexByte(name, '/'); i >= 0 {
		name, rest = name[:i], name[i:]
	} else if len(w.Parts) > 1 {
		return // ~user"quoted": not a tilde prefix
	}
	if name == "" || strings.ContainsAny(name, ":=+-") {
		return
	}
	parts := []syntax.WordPart{&syntax.ParamExp{Short: false, Param: lit(varTilde + name)}}
	if rest != "" {
		parts = append(parts, lit(rest))
	}
	w.Parts = append(parts, w.Parts[1:]...)
}

// quoteBraces quotes the braces of a word's literal parts, so that the
// interpreter does no brace expansion, which ash does not have.
func quoteBraces(w *syntax.Word) {
	if len(w.Parts) == 0 {
		return
	}
	hasBrace := false
	for _, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok && strings.ContainsAny(l.Value, "{}") {
			hasBrace = true
		}
	}
	if !hasBrace {
		return
	}
	var parts []syntax.WordPart
	for _, p := range w.Parts {
		l, ok := p.(*syntax.Lit)
		if !ok || !strings.ContainsAny(l.Value, "{}") {
			parts = append(parts, p)
			continue
		}
		s := l.Value
		for s != "" {
			i := strings.IndexAny(s, "{}")
			if i < 0 {
				parts = append(parts, lit(s))
				break
			}
			if i > 0 {
				parts = append(parts, lit(s[:i]))
			}
			parts = append(parts, &syntax.SglQuoted{Value: s[i : i+1]})
			s = s[i+1:]
		}
	}
	w.Parts = parts
}

// rewriteDecl turns what ash does not have of bash's declarations into
// commands: export and readonly without operands list variables; declare,
// typeset and nameref are not found.
func rewriteDecl(d *syntax.DeclClause) syntax.Command {
	variant := d.Variant.Value
	switch variant {
	case "export", "readonly":
		listing := len(d.Args) == 0
		if len(d.Args) == 1 && d.Args[0].Naked && d.Args[0].Name == nil && d.Args[0].Value != nil && d.Args[0].Value.Lit() == "-p" {
			listing = true
		}
		if listing {
			return call("__tb_" + variant).Cmd
		}
	case "declare", "typeset", "nameref":
		return call(variant).Cmd
	}
	return d
}

// bracketJobs rewrites each background statement `X &` as
//
//	__tb_bg; { __tb_job=$__tb_lastjob; __tb_jobstart; ( X ); __tb_jobend; } &
//
// so that the shell registers the job before the interpreter starts it
// in a goroutine, the job knows itself, and its end is recorded however
// it ends.
func (sh *shell) bracketJobs(stmts []*syntax.Stmt) []*syntax.Stmt {
	var out []*syntax.Stmt
	for _, s := range stmts {
		if !s.Background || isJobBracket(s) {
			out = append(out, s)
			continue
		}
		inner := &syntax.Stmt{Cmd: s.Cmd, Negated: s.Negated, Position: s.Position}
		assign := &syntax.Stmt{Cmd: &syntax.CallExpr{Assigns: []*syntax.Assign{{
			Name:  lit(varJob),
			Value: &syntax.Word{Parts: []syntax.WordPart{&syntax.ParamExp{Param: lit(varLastJob)}}},
		}}}}
		block := &syntax.Block{Stmts: []*syntax.Stmt{
			assign,
			call(markJobStart),
			{Cmd: &syntax.Subshell{Stmts: []*syntax.Stmt{inner}}, Position: s.Position},
			call(markJobEnd),
		}}
		reg := call(markBg)
		reg.Position = s.Position
		var text strings.Builder
		syntax.NewPrinter(syntax.SingleLine(true)).Print(&text, inner)
		reg.Cmd.(*syntax.CallExpr).Args = append(reg.Cmd.(*syntax.CallExpr).Args,
			&syntax.Word{Parts: []syntax.WordPart{&syntax.SglQuoted{Value: strings.ReplaceAll(text.String(), "'", `"`)}}})
		out = append(out, reg, &syntax.Stmt{Cmd: block, Background: true, Redirs: s.Redirs, Position: s.Position})
		if sh.startsProcess(inner) {
			// A simple command's process exists once `cmd &` returns,
			// as after fork(2): $! and ps see it.
			out = append(out, call(markBgWait))
		}
	}
	return out
}

// startsProcess reports whether a statement is a simple command that runs
// a program first thing (not a builtin, nor an assignment alone).
func (sh *shell) startsProcess(s *syntax.Stmt) bool {
	c, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(c.Args) == 0 {
		return false
	}
	name := c.Args[0].Lit()
	if name == "" {
		return false
	}
	return !isAshBuiltin(name) && !keywords[name] && !ownBuiltins[name] && !sh.isFunc(name)
}

func isJobBracket(s *syntax.Stmt) bool {
	b, ok := s.Cmd.(*syntax.Block)
	if !ok || len(b.Stmts) != 4 {
		return false
	}
	c, ok := b.Stmts[1].Cmd.(*syntax.CallExpr)
	return ok && len(c.Args) == 1 && c.Args[0].Lit() == markJobStart
}

// markTailStmt marks the commands that ash would exec in place of the
// shell when s is the last statement of sh -c: the statement itself, the
// right side of && and ||, the last statement of a block, subshell, if
// branch or case item.
func markTailStmt(s *syntax.Stmt) {
	if s.Background || s.Negated || len(s.Redirs) > 0 {
		return
	}
	switch c := s.Cmd.(type) {
	case *syntax.CallExpr:
		if len(c.Args) > 0 {
			c.Args = append([]*syntax.Word{word(markTail)}, c.Args...)
		}
	case *syntax.BinaryCmd:
		if c.Op == syntax.AndStmt || c.Op == syntax.OrStmt {
			markTailStmt(c.Y)
		}
	case *syntax.Block:
		if len(c.Stmts) > 0 {
			markTailStmt(c.Stmts[len(c.Stmts)-1])
		}
	case *syntax.Subshell:
		if len(c.Stmts) > 0 {
			markTailStmt(c.Stmts[len(c.Stmts)-1])
		}
	case *syntax.IfClause:
		for ic := c; ic != nil; ic = ic.Else {
			if len(ic.Then) > 0 {
				markTailStmt(ic.Then[len(ic.Then)-1])
			}
		}
	case *syntax.CaseClause:
		for _, it := range c.Items {
			if len(it.Stmts) > 0 {
				markTailStmt(it.Stmts[len(it.Stmts)-1])
			}
		}
	}
}

// collectFuncs remembers the names of the functions the code declares, so
// that the call handler leaves calls to them to the interpreter.
func (sh *shell) collectFuncs(n syntax.Node) {
	syntax.Walk(n, func(n syntax.Node) bool {
		if fd, ok := n.(*syntax.FuncDecl); ok && fd.Name != nil {
			sh.mu.Lock()
			sh.funcs[fd.Name.Value] = true
			sh.mu.Unlock()
		}
		return true
	})
}

func (sh *shell) isFunc(name string) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.funcs[name]
}
