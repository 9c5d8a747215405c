package image

import (
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Ref is a normalised image reference: a repository with a tag, a digest or
// both. Its full form names the registry and, on Docker Hub, the "library/"
// namespace ("docker.io/library/busybox:latest"); its familiar form is what
// Docker prints ("busybox:latest", "example/hello:latest").
//
// The zero Ref is invalid; ParseRef makes valid ones.
type Ref struct {
	named reference.Named
}

// Where the texts of reference errors come from. dockerd 20.10 parses with
// github.com/docker/distribution v2.8 and the docker CLI 28 with
// github.com/distribution/reference v0.6; the two differ for an upper-case
// repository name:
//
//	daemon: invalid reference format: repository name must be lowercase
//	CLI:    invalid reference format: repository name (library/BusyBox) must be lowercase
//
// and v2.8 counts the registry's name in the 255-character limit.

// ParseRef parses s as dockerd 20.10 parses an image name it is given
// (reference.ParseNormalizedNamed): "busybox", "busybox:1.35",
// "example/hello", "localhost:5000/x@sha256:...". The result is neither
// defaulted nor trimmed: call WithDefaultTag for "latest".
//
// Errors are InvalidParameter with the daemon's texts, for example
// "invalid reference format: repository name must be lowercase",
// "invalid reference format", "invalid repository name (<64 hex>), cannot
// specify 64-byte hexadecimal strings".
func ParseRef(s string) (Ref, error) {
	r, err := parseNamed(s, true)
	if err != nil {
		return Ref{}, backend.WithCode(backend.InvalidParameter, err)
	}
	return r, nil
}

// ParseRefCLI parses s as the docker CLI 28 does before it sends a request
// (`docker pull BusyBox`, `docker run BusyBox`). Errors are InvalidParameter
// with the CLI's texts, for example "invalid reference format: repository
// name (library/BusyBox) must be lowercase". The CLI prints that text as it
// is for pull, push and tag arguments; `docker run` and `docker create`
// print "docker: " + text + "." and the usage hint.
func ParseRefCLI(s string) (Ref, error) {
	r, err := parseNamed(s, false)
	if err != nil {
		return Ref{}, backend.WithCode(backend.InvalidParameter, err)
	}
	return r, nil
}

// MustParseRef is ParseRef for references known to be valid; it panics
// otherwise.
func MustParseRef(s string) Ref {
	r, err := ParseRef(s)
	if err != nil {
		panic(err)
	}
	return r
}

// errDaemonLowercase is docker/distribution v2.8's text.
const errDaemonLowercase = "invalid reference format: repository name must be lowercase"

func parseNamed(s string, daemon bool) (Ref, error) {
	if daemon {
		// v0.6 takes an upper-case first element ("Example/x") for a
		// registry; v2.8 takes it for the repository, which must be lower
		// case.
		if d, _, ok := strings.Cut(s, "/"); ok && d != "localhost" && !strings.ContainsAny(d, ".:") &&
			strings.ToLower(d) != d {
			return Ref{}, errorString(errDaemonLowercase)
		}
	}
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		if daemon && strings.HasPrefix(err.Error(), "invalid reference format: repository name (") &&
			strings.HasSuffix(err.Error(), ") must be lowercase") {
			return Ref{}, errorString(errDaemonLowercase)
		}
		return Ref{}, err
	}
	if daemon {
		// v2.8 limits the whole name, registry included, and knows no
		// bracketed IPv6 registry.
		if len(named.Name()) > reference.RepositoryNameTotalLengthMax {
			return Ref{}, reference.ErrNameTooLong
		}
		if strings.HasPrefix(reference.Domain(named), "[") {
			return Ref{}, reference.ErrReferenceInvalidFormat
		}
	}
	return Ref{named: named}, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// IsZero reports whether r is the zero Ref.
func (r Ref) IsZero() bool { return r.named == nil }

// Name is the full repository name: "docker.io/library/busybox".
func (r Ref) Name() string { return r.named.Name() }

// Domain is the registry: "docker.io", "localhost:5000".
func (r Ref) Domain() string { return reference.Domain(r.named) }

// Path is the repository's path in its registry: "library/busybox".
func (r Ref) Path() string { return reference.Path(r.named) }

// FamiliarName is the repository as Docker prints it: "busybox",
// "example/hello", "localhost:5000/x".
func (r Ref) FamiliarName() string { return reference.FamiliarName(r.named) }

// Tag is the tag, "" when there is none.
func (r Ref) Tag() string {
	if t, ok := r.named.(reference.Tagged); ok {
		return t.Tag()
	}
	return ""
}

// Digest is the digest ("sha256:<hex>"), "" when there is none.
func (r Ref) Digest() string {
	if d, ok := r.named.(reference.Digested); ok {
		return d.Digest().String()
	}
	return ""
}

// NameOnly reports whether r has neither tag nor digest.
func (r Ref) NameOnly() bool { return reference.IsNameOnly(r.named) }

// String is the full form: "docker.io/library/busybox:latest".
func (r Ref) String() string {
	if r.named == nil {
		return ""
	}
	return r.named.String()
}

// FamiliarString is the familiar form: "busybox:latest",
// "busybox@sha256:...".
func (r Ref) FamiliarString() string { return reference.FamiliarString(r.named) }

// WithDefaultTag returns r with the tag "latest" when it has neither tag nor
// digest (reference.TagNameOnly), and r otherwise.
func (r Ref) WithDefaultTag() Ref { return Ref{named: reference.TagNameOnly(r.named)} }

// Repository returns r without tag and digest.
func (r Ref) Repository() Ref { return Ref{named: reference.TrimNamed(r.named)} }

// WithTag returns r's repository with the tag tag. Errors: InvalidParameter
// "invalid tag format".
func (r Ref) WithTag(tag string) (Ref, error) {
	t, err := reference.WithTag(reference.TrimNamed(r.named), tag)
	if err != nil {
		return Ref{}, backend.WithCode(backend.InvalidParameter, err)
	}
	return Ref{named: t}, nil
}

// WithDigest returns r's repository with the digest dgst.
// Errors: InvalidParameter.
func (r Ref) WithDigest(dgst string) (Ref, error) {
	d, err := digest.Parse(dgst)
	if err != nil {
		return Ref{}, backend.WithCode(backend.InvalidParameter, err)
	}
	c, err := reference.WithDigest(reference.TrimNamed(r.named), d)
	if err != nil {
		return Ref{}, backend.WithCode(backend.InvalidParameter, err)
	}
	return Ref{named: c}, nil
}

// Target is what an image argument of an API call names, parsed as dockerd
// 20.10 parses it (reference.ParseAnyReference): either an image ID, when the
// argument is 64 hex digits or "sha256:" and 64 hex digits, or a reference.
// An argument that is a reference may still be a short ID: the engine looks
// its names up first, then IDs by prefix (see MatchID).
type Target struct {
	ID  string // "sha256:<64 hex>" when the argument is a full ID
	Ref Ref    // otherwise, as parsed (not defaulted)
	Arg string // the argument as given
}

// ParseTarget parses an image argument. Errors: InvalidParameter with the
// daemon's texts, as ParseRef.
func ParseTarget(s string) (Target, error) {
	if isHex64(s) {
		return Target{ID: "sha256:" + s, Arg: s}, nil
	}
	if d, err := digest.Parse(s); err == nil {
		return Target{ID: d.String(), Arg: s}, nil
	}
	r, err := ParseRef(s)
	if err != nil {
		return Target{}, err
	}
	return Target{Ref: r, Arg: s}, nil
}

// NoSuchImage is the error dockerd gives when t names no image:
// NotFound "No such image: busybox:latest" (a reference gets the default tag)
// or "No such image: sha256:<hex>" for an ID.
func (t Target) NoSuchImage() error {
	if t.ID != "" {
		return backend.Errorf(backend.NotFound, "No such image: %s", t.ID)
	}
	return backend.Errorf(backend.NotFound, "No such image: %s", t.Ref.WithDefaultTag().FamiliarString())
}

// IsHexID reports whether s is a full image or layer ID: 64 lowercase hex
// digits, with or without the "sha256:" prefix.
func IsHexID(s string) bool {
	return isHex64(strings.TrimPrefix(s, "sha256:"))
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// MatchID finds the one ID among ids ("sha256:<hex>", in any order) that
// term names, the way dockerd's image store searches its IDs: term is a
// prefix of the hex digits, of any length including the full ID, optionally
// with the "sha256:" prefix. Errors: NotFound "No such image: TERM" when
// nothing matches, NotFound "ambiguous digest string" when more than one ID
// does.
func MatchID(ids []string, term string) (string, error) {
	hexPart := term
	if alg, h, ok := strings.Cut(term, ":"); ok {
		if alg != "sha256" {
			return "", backend.Errorf(backend.NotFound, "No such image: %s", term)
		}
		hexPart = h
	}
	found := ""
	for _, id := range ids {
		h := strings.TrimPrefix(id, "sha256:")
		if !strings.HasPrefix(h, hexPart) {
			continue
		}
		if len(h) == len(hexPart) {
			return id, nil // an exact match wins over longer ones
		}
		if found != "" && found != id {
			return "", backend.Errorf(backend.NotFound, "ambiguous digest string")
		}
		found = id
	}
	if found == "" {
		return "", backend.Errorf(backend.NotFound, "No such image: %s", term)
	}
	return found, nil
}
