package dockerfile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// TestParseErrors checks that Parse answers as dockerd 20.10 does (the
// texts were recorded from dockerd 20.10.24, see ../testdata/cases).
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, dockerfile, want string
	}{
		{"unknown instruction", "FROM busybox\nBOGUS x\n", "dockerfile parse error line 2: unknown instruction: BOGUS"},
		{"unknown in lower case", "FROM busybox\nbogus x\n", "dockerfile parse error line 2: unknown instruction: BOGUS"},
		{"empty", "", "the Dockerfile (Dockerfile) cannot be empty"},
		{"comments only", "# nothing\n", "failed to parse Dockerfile: file with no instructions"},
		{"no FROM", "RUN echo hi\n", "no build stage in current context"},
		{"FROM without image", "FROM\n", "dockerfile parse error line 1: FROM requires either one or three arguments"},
		{"COPY without destination", "FROM a\nCOPY x\n", "dockerfile parse error line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined"},
		{"ENV without value", "FROM a\nENV A\n", "failed to parse Dockerfile: ENV must have two arguments"},
		{"BuildKit flag", "FROM a\nCOPY --link a b\n", "dockerfile parse error line 2: Unknown flag: link"},
		{"BuildKit RUN flag", "FROM a\nRUN --network=none true\n", "dockerfile parse error line 2: Unknown flag: network"},
		{"duplicate flag", "FROM a\nCOPY --from=x --from=y a b\n", "dockerfile parse error line 2: Duplicate flag specified: from"},
		{"flag without value", "FROM a\nCOPY --chown a b\n", "dockerfile parse error line 2: Missing a value on flag: chown"},
		{"zero interval", "FROM a\nHEALTHCHECK --interval=0s CMD true\n", `dockerfile parse error line 2: Interval "interval" cannot be less than 1ms`},
		{"zero retries", "FROM a\nHEALTHCHECK --retries=0 CMD true\n", "dockerfile parse error line 2: --retries must be at least 1 (not 0)"},
		{"bad stage name", "FROM a AS 1st\n", `dockerfile parse error line 1: invalid name for build stage: "1st", name can't start with a number or contain symbols`},
		{"no heredocs", "FROM a\nRUN <<EOF\necho hi\nEOF\n", "dockerfile parse error line 3: unknown instruction: ECHO"},
		{"ONBUILD ONBUILD", "FROM a\nONBUILD ONBUILD RUN true\n", "dockerfile parse error line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.dockerfile), "Dockerfile")
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if backend.CodeOf(err) != backend.InvalidParameter {
				t.Errorf("got code %v, want InvalidParameter", backend.CodeOf(err))
			}
		})
	}
}

func TestParse(t *testing.T) {
	df, err := Parse(strings.NewReader("ARG BASE=busybox\nFROM $BASE AS one\nRUN cat <<EOF\nCOPY --from=one --chown=1:1 a b\nRUN --mount=type=cache,target=/c true\nFROM scratch\nEXPOSE 80 443/udp\n"), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if len(df.MetaArgs) != 1 || df.MetaArgs[0].Args[0].Key != "BASE" {
		t.Errorf("got meta args %+v, want BASE", df.MetaArgs)
	}
	if len(df.Stages) != 2 || df.Stages[0].Name != "one" || df.Stages[0].BaseName != "$BASE" || df.Stages[1].BaseName != "scratch" {
		t.Fatalf("got stages %+v", df.Stages)
	}
	var got []string
	for _, c := range df.Stages[0].Commands {
		got = append(got, fmt.Sprintf("%v", c))
	}
	if want := "RUN cat <<EOF|COPY --from=one --chown=1:1 a b|RUN --mount=type=cache,target=/c true"; strings.Join(got, "|") != want {
		t.Errorf("got steps %q, want %q (heredocs left as text, RUN --mount parsed)", strings.Join(got, "|"), want)
	}
	run := df.Stages[0].Commands[0].(*instructions.RunCommand)
	if strings.Join(run.CmdLine, " ") != "cat <<EOF" || !run.PrependShell {
		t.Errorf("got RUN %q, want the shell form of cat <<EOF", run.CmdLine)
	}
	if mount := df.Stages[0].Commands[2].(*instructions.RunCommand); len(mount.FlagsUsed) != 1 || mount.FlagsUsed[0] != "mount" {
		t.Errorf("got RUN flags %v, want mount (which the builder then refuses)", mount.FlagsUsed)
	}
}

func TestParseWarnings(t *testing.T) {
	df, err := Parse(strings.NewReader("FROM busybox\nRUN echo a \\\n\n    b\n"), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	want := "[WARNING]: Empty continuation line found in:\n    RUN echo a     b\n[WARNING]: Empty continuation lines will become errors in a future release.\n"
	if df.Warnings != want {
		t.Errorf("got warnings %q, want %q", df.Warnings, want)
	}
}

func TestParseTrigger(t *testing.T) {
	tests := []struct{ expr, want, wantErr string }{
		{expr: "RUN echo hi", want: "RUN echo hi"},
		{expr: "COPY f /f", want: "COPY f /f"},
		{expr: "BOGUS x", wantErr: "unknown instruction: BOGUS"},
		{expr: "", wantErr: "file with no instructions"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			cmd, err := ParseTrigger(tt.expr)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || fmt.Sprintf("%v", cmd) != tt.want {
				t.Errorf("got %v, %v; want %q", cmd, err, tt.want)
			}
		})
	}
}

func TestExposedPorts(t *testing.T) {
	tests := []struct{ specs, want, wantErr string }{
		{specs: "80", want: "80/tcp"},
		{specs: "80/udp 443", want: "80/udp 443/tcp"},
		{specs: "8000-8002/sctp", want: "8000/sctp 8001/sctp 8002/sctp"},
		{specs: "127.0.0.1:8080:80", want: "80/tcp"},
		{specs: "80/TCP 80", want: "80/tcp"},
		{specs: "80/bogus", wantErr: "Invalid proto: bogus"},
		{specs: "abc", wantErr: "Invalid containerPort: abc"},
		{specs: "9-1", wantErr: "Invalid containerPort: 9-1"},
		{specs: "1.2.3:80:80", wantErr: "Invalid ip address: 1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.specs, func(t *testing.T) {
			ports, err := ExposedPorts(strings.Fields(tt.specs))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
				return
			}
			var got []string
			for _, p := range ports {
				got = append(got, p.String())
			}
			if err != nil || strings.Join(got, " ") != tt.want {
				t.Errorf("got %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}
