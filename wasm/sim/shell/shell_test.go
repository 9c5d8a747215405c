package shell

import (
	"strings"
	"testing"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// TestTranslate checks that parse errors read as ash's, which were
// recorded from busybox 1.35.0's sh -c.
func TestTranslate(t *testing.T) {
	tests := []struct{ src, want string }{
		{"if then", `syntax error: unexpected "then"`},
		{`echo "unterminated`, "syntax error: unterminated quoted string"},
		{"echo 'abc", "syntax error: unterminated quoted string"},
		{"for i in 1 2; do", `syntax error: unexpected end of file (expecting "done")`},
		{"(", `syntax error: unexpected end of file (expecting ")")`},
		{"echo ${x", "syntax error: missing '}'"},
		{"fi", `syntax error: unexpected "fi"`},
		{"done", `syntax error: unexpected "done"`},
		{"echo a; )", `syntax error: unexpected ")"`},
		{"if true; then echo", `syntax error: unexpected end of file (expecting "fi")`},
		{"{ echo", `syntax error: unexpected end of file (expecting "}")`},
		{"echo `abc", "syntax error: EOF in backquote substitution"},
		{"echo $(echo", `syntax error: unexpected end of file (expecting ")")`},
		{"f() {", `syntax error: unexpected end of file (expecting "}")`},
		{"while", `syntax error: unexpected end of file (expecting "do")`},
		{"echo a |", "syntax error: unexpected end of file"},
		{"echo a &&", "syntax error: unexpected end of file"},
		{"echo a; ;", `syntax error: unexpected ";"`},
		{"&& echo", `syntax error: unexpected "&&"`},
		{"[[ a", "missing ]]"},
		{"echo $((1+))", "arithmetic syntax error"},
		{"if", `syntax error: unexpected end of file (expecting "then")`},
		{"while true; do", `syntax error: unexpected end of file (expecting "done")`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := parser().Parse(strings.NewReader(tt.src+"\n"), "")
			if err == nil {
				t.Fatalf("no parse error")
			}
			ae := translate(tt.src+"\n", err)
			got := ae.text
			if !ae.bare {
				got = "syntax error: " + got
			}
			if got != tt.want {
				t.Errorf("got %q, want %q (parser said %v)", got, tt.want, err)
			}
		})
	}
}

// TestCheck checks the bash syntax ash does not have.
func TestCheck(t *testing.T) {
	tests := []struct{ src, want string }{
		{"a=(1 2)", `unexpected "("`},
		{"echo ${!x}", "bad substitution"},
		{"echo ${x^^}", "bad substitution"},
		{"echo ${a[0]}", "bad substitution"},
		{"cat <<<abc", "unexpected redirection"},
		{"echo |& cat", `unexpected "&"`},
		{"echo ok", ""},
	}
	sh := &shell{funcs: map[string]bool{}}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			f, err := parser().Parse(strings.NewReader(tt.src), "")
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if err := sh.check(f); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestExecEnvOrder: children see their environment in the order of ash's
// variable hash table (recorded: HOSTNAME SHLVL HOME X PATH FOO PWD).
func TestExecEnvOrder(t *testing.T) {
	sh := &shell{funcs: map[string]bool{}}
	sh.env = newBaseEnv(sh, []string{"PATH=/bin", "HOSTNAME=abc123", "FOO=bar", "HOME=/root"})
	env := expand.ListEnviron("PATH=/bin", "HOSTNAME=abc123", "FOO=bar", "HOME=/root", "SHLVL=1", "X=1", "PWD=/tmp")
	got := strings.Join(sh.execEnv(env), " ")
	want := "HOSTNAME=abc123 SHLVL=1 HOME=/root X=1 PATH=/bin FOO=bar PWD=/tmp"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSplitRead(t *testing.T) {
	tests := []struct {
		line, ifs string
		n         int
		want      []string
	}{
		{"a b c", " \t\n", 2, []string{"a", "b c"}},
		{"  lead  trail  ", " \t\n", 1, []string{"lead  trail"}},
		{"a:b:c", ":", 3, []string{"a", "b", "c"}},
		{"a:b:c", ":", 2, []string{"a", "b:c"}},
		{"one", " ", 3, []string{"one"}},
	}
	for _, tt := range tests {
		esc := make([]bool, len(tt.line))
		got := splitRead([]byte(tt.line), esc, tt.ifs, tt.n)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("splitRead(%q, %q, %d): got %q, want %q", tt.line, tt.ifs, tt.n, got, tt.want)
		}
	}
}

func TestFlagString(t *testing.T) {
	tests := []struct {
		mode byte
		set  []string
		want string
	}{
		{'c', nil, "c"},
		{'c', []string{"-e"}, "ce"},
		{'c', []string{"-e", "-x"}, "xce"},
		{'c', []string{"-e", "-u", "-f"}, "ucfe"},
		{'s', nil, "s"},
	}
	for _, tt := range tests {
		sh := &shell{flags: map[byte]bool{}, mode: tt.mode}
		for _, s := range tt.set {
			sh.noteSet(s)
		}
		if got := sh.flagString(); got != tt.want {
			t.Errorf("set %v: got %q, want %q", tt.set, got, tt.want)
		}
	}
}

func TestSingleQuote(t *testing.T) {
	if got, want := singleQuote(`a b'c`), `'a b'"'"'c'`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestRewrite checks what the interpreter runs for ash's code.
func TestRewrite(t *testing.T) {
	tests := []struct{ src, want string }{
		{"echo $$ $PPID $! $0 $-", "echo $__tb_pid $__tb_ppid $__tb_bgpid $__tb_arg0 $__tb_flags"},
		{"echo {a,b}", "echo '{'a,b'}'"},
		{"echo ~root/x", "echo ${__tb_tilde_root}/x"},
		{"export", "__tb_export"},
		{"echo ${x:?}", "echo ${x:?'parameter not set or null'}"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			sh := &shell{funcs: map[string]bool{}}
			f, err := parser().Parse(strings.NewReader(tt.src), "")
			if err != nil {
				t.Fatal(err)
			}
			sh.rewrite(f, false)
			var b strings.Builder
			syntax.NewPrinter().Print(&b, f)
			if got := strings.TrimSpace(b.String()); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
