package image

import (
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

const testDigest = "sha256:7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa"

func TestParseRef(t *testing.T) {
	tests := []struct {
		in                            string
		name, familiar, full, withTag string
		tag, digest                   string
	}{
		{in: "busybox", name: "docker.io/library/busybox", familiar: "busybox",
			full: "docker.io/library/busybox", withTag: "busybox:latest"},
		{in: "busybox:1.35", name: "docker.io/library/busybox", familiar: "busybox:1.35",
			full: "docker.io/library/busybox:1.35", withTag: "busybox:1.35", tag: "1.35"},
		{in: "example/hello", name: "docker.io/example/hello", familiar: "example/hello",
			full: "docker.io/example/hello", withTag: "example/hello:latest"},
		{in: "docker.io/library/busybox:latest", name: "docker.io/library/busybox", familiar: "busybox:latest",
			full: "docker.io/library/busybox:latest", withTag: "busybox:latest", tag: "latest"},
		{in: "index.docker.io/busybox", name: "docker.io/library/busybox", familiar: "busybox",
			full: "docker.io/library/busybox", withTag: "busybox:latest"},
		{in: "localhost:5000/x/y:v1", name: "localhost:5000/x/y", familiar: "localhost:5000/x/y:v1",
			full: "localhost:5000/x/y:v1", withTag: "localhost:5000/x/y:v1", tag: "v1"},
		{in: "localhost/app", name: "localhost/app", familiar: "localhost/app",
			full: "localhost/app", withTag: "localhost/app:latest"},
		{in: "busybox@" + testDigest, name: "docker.io/library/busybox", familiar: "busybox@" + testDigest,
			full: "docker.io/library/busybox@" + testDigest, withTag: "busybox@" + testDigest, digest: testDigest},
		{in: "busybox:latest@" + testDigest, name: "docker.io/library/busybox", familiar: "busybox:latest@" + testDigest,
			full: "docker.io/library/busybox:latest@" + testDigest, withTag: "busybox:latest@" + testDigest,
			tag: "latest", digest: testDigest},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseRef(tt.in)
			if err != nil {
				t.Fatalf("ParseRef(%q): got error %v, want none", tt.in, err)
			}
			for _, c := range []struct{ what, got, want string }{
				{"Name", r.Name(), tt.name},
				{"FamiliarString", r.FamiliarString(), tt.familiar},
				{"String", r.String(), tt.full},
				{"WithDefaultTag", r.WithDefaultTag().FamiliarString(), tt.withTag},
				{"Tag", r.Tag(), tt.tag},
				{"Digest", r.Digest(), tt.digest},
			} {
				if c.got != c.want {
					t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
				}
			}
		})
	}
}

func TestParseRefErrors(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	long := strings.Repeat("a", 250)
	tests := []struct {
		in, daemon, cli string
	}{
		{"BusyBox", "invalid reference format: repository name must be lowercase",
			"invalid reference format: repository name (library/BusyBox) must be lowercase"},
		{"example/Hello:v1", "invalid reference format: repository name must be lowercase",
			"invalid reference format: repository name (example/Hello) must be lowercase"},
		// v0.6 takes an upper-case first element for a registry.
		{"Example/hello:v1", "invalid reference format: repository name must be lowercase", ""},
		{"", "invalid reference format", "invalid reference format"},
		{"busybox:", "invalid reference format", "invalid reference format"},
		{"-busybox", "invalid reference format", "invalid reference format"},
		{"busybox:a b", "invalid reference format", "invalid reference format"},
		{hex, "invalid repository name (" + hex + "), cannot specify 64-byte hexadecimal strings",
			"invalid repository name (" + hex + "), cannot specify 64-byte hexadecimal strings"},
		{"busybox@sha256:abc", "invalid reference format", "invalid reference format"},
		{"busybox@sha256:" + strings.Repeat("a", 40), "invalid checksum digest length", "invalid checksum digest length"},
		// v2.8 counts the registry's name; v0.6 only the path.
		{"example.com/" + long, "repository name must not be more than 255 characters", ""},
		{"[::1]:5000/x", "invalid reference format", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseRef(tt.in)
			if err == nil || err.Error() != tt.daemon {
				t.Errorf("ParseRef: got error %v, want %q", err, tt.daemon)
			}
			if err != nil && backend.CodeOf(err) != backend.InvalidParameter {
				t.Errorf("ParseRef: got code %v, want InvalidParameter", backend.CodeOf(err))
			}
			_, err = ParseRefCLI(tt.in)
			switch {
			case tt.cli == "" && err != nil:
				t.Errorf("ParseRefCLI: got error %v, want none", err)
			case tt.cli != "" && (err == nil || err.Error() != tt.cli):
				t.Errorf("ParseRefCLI: got error %v, want %q", err, tt.cli)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	hex := strings.Repeat("0f", 32)
	tests := []struct {
		in, id, ref, notFound string
	}{
		{hex, "sha256:" + hex, "", "No such image: sha256:" + hex},
		{"sha256:" + hex, "sha256:" + hex, "", "No such image: sha256:" + hex},
		{"busybox", "", "docker.io/library/busybox", "No such image: busybox:latest"},
		{"0f0f0f", "", "docker.io/library/0f0f0f", "No such image: 0f0f0f:latest"},
		{"example/hello:v2", "", "docker.io/example/hello:v2", "No such image: example/hello:v2"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got.ID != tt.id || got.Ref.String() != tt.ref {
				t.Errorf("got ID %q Ref %q, want ID %q Ref %q", got.ID, got.Ref.String(), tt.id, tt.ref)
			}
			nf := got.NoSuchImage()
			if nf.Error() != tt.notFound || !backend.IsNotFound(nf) {
				t.Errorf("NoSuchImage: got %v (code %v), want NotFound %q", nf, backend.CodeOf(nf), tt.notFound)
			}
		})
	}
	if _, err := ParseTarget("BusyBox"); err == nil || err.Error() != "invalid reference format: repository name must be lowercase" {
		t.Errorf("ParseTarget(BusyBox): got error %v, want the daemon's lowercase text", err)
	}
}

func TestMatchID(t *testing.T) {
	ids := []string{
		"sha256:" + "ab12" + strings.Repeat("0", 60),
		"sha256:" + "ab34" + strings.Repeat("0", 60),
		"sha256:" + "cd56" + strings.Repeat("0", 60),
	}
	tests := []struct {
		term, want, err string
	}{
		{"ab1", ids[0], ""},
		{"sha256:ab3", ids[1], ""},
		{"c", ids[2], ""},
		{strings.TrimPrefix(ids[2], "sha256:"), ids[2], ""},
		{ids[0], ids[0], ""},
		{"ab", "", "ambiguous digest string"},
		{"ef", "", "No such image: ef"},
		{"sha512:ab1", "", "No such image: sha512:ab1"},
		{"busybox", "", "No such image: busybox"},
	}
	for _, tt := range tests {
		t.Run(tt.term, func(t *testing.T) {
			got, err := MatchID(ids, tt.term)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err || !backend.IsNotFound(err) {
					t.Fatalf("got %q, %v, want NotFound %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"busybox", "busybox:latest", "example/hello:v1", "localhost:5000/a/b@" + testDigest,
		"BusyBox", "", ":", "a:b:c", "docker.io/library/x", "[::1]:5000/x:y", strings.Repeat("ab", 32)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, parse := range []func(string) (Ref, error){ParseRef, ParseRefCLI} {
			r, err := parse(s)
			if err != nil {
				if backend.CodeOf(err) != backend.InvalidParameter {
					t.Fatalf("%q: got code %v, want InvalidParameter", s, backend.CodeOf(err))
				}
				continue
			}
			// The full and the familiar forms parse back to the same reference.
			for _, form := range []string{r.String(), r.FamiliarString()} {
				again, err := parse(form)
				if err != nil {
					t.Fatalf("%q: form %q does not parse: %v", s, form, err)
				}
				if again.String() != r.String() {
					t.Fatalf("%q: form %q parses to %q, want %q", s, form, again.String(), r.String())
				}
			}
			if d := r.WithDefaultTag(); d.NameOnly() {
				t.Fatalf("%q: WithDefaultTag gives %q, which is name-only", s, d.String())
			}
		}
	})
}
