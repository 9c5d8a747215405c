package build

// Build arguments follow dockerd 20.10's builder/dockerfile/buildargs.go
// (Apache License 2.0).

import (
	"fmt"
	"sort"
	"strings"
)

// builtinArgs are the build arguments every Dockerfile may use without an
// ARG; they are kept out of history unless an ARG names them.
var builtinArgs = map[string]bool{
	"HTTP_PROXY": true, "http_proxy": true,
	"HTTPS_PROXY": true, "https_proxy": true,
	"FTP_PROXY": true, "ftp_proxy": true,
	"NO_PROXY": true, "no_proxy": true,
}

// buildArgs tracks the ARGs a stage declared and the --build-arg values.
type buildArgs struct {
	allowed    map[string]*string // declared by ARG in this stage, with their defaults
	meta       map[string]*string // declared before the first FROM
	referenced map[string]bool    // declared anywhere
	options    map[string]*string // --build-arg
}

func newBuildArgs(options map[string]*string) *buildArgs {
	return &buildArgs{
		allowed:    map[string]*string{},
		meta:       map[string]*string{},
		referenced: map[string]bool{},
		options:    options,
	}
}

func (b *buildArgs) clone() *buildArgs {
	c := newBuildArgs(b.options)
	for k, v := range b.allowed {
		c.allowed[k] = v
	}
	for k, v := range b.meta {
		c.meta[k] = v
	}
	for k := range b.referenced {
		c.referenced[k] = true
	}
	return c
}

// forStage is the copy a new stage starts with: meta ARGs known, nothing
// allowed yet.
func (b *buildArgs) forStage() *buildArgs {
	c := b.clone()
	c.allowed = map[string]*string{}
	return c
}

func (b *buildArgs) mergeReferenced(o *buildArgs) {
	for k := range o.referenced {
		b.referenced[k] = true
	}
}

// unused lists the --build-arg names no ARG declared, sorted (dockerd
// lists them in map order).
func (b *buildArgs) unused() []string {
	var out []string
	for k := range b.options {
		if !b.referenced[k] && !builtinArgs[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func (b *buildArgs) addArg(key string, value *string) {
	b.allowed[key] = value
	b.referenced[key] = true
}

func (b *buildArgs) addMetaArg(key string, value *string) { b.meta[key] = value }

// referencedOrNotBuiltin reports whether key belongs in history.
func (b *buildArgs) referencedOrNotBuiltin(key string) bool {
	_, allowed := b.allowed[key]
	return allowed || !builtinArgs[key]
}

// allAllowed returns the values of the declared and built-in arguments.
func (b *buildArgs) allAllowed() map[string]string { return b.values(b.allowed) }

// allMeta returns the values of the meta arguments (for FROM).
func (b *buildArgs) allMeta() map[string]string { return b.values(b.meta) }

func (b *buildArgs) values(src map[string]*string) map[string]string {
	m := map[string]string{}
	for k := range src {
		if v, ok := b.value(k, src); ok {
			m[k] = v
		}
	}
	for k := range builtinArgs {
		if v, ok := b.value(k, src); ok {
			m[k] = v
		}
	}
	return m
}

func (b *buildArgs) value(key string, src map[string]*string) (string, bool) {
	def, exists := src[key]
	if v, ok := b.options[key]; ok && v != nil {
		return *v, true
	}
	if def == nil {
		if v, ok := b.meta[key]; ok && v != nil {
			return *v, true
		}
		return "", false
	}
	return *def, exists
}

// filterAllowed returns "KEY=value" for the allowed arguments env does not
// set, sorted by key (dockerd's order is the map's).
func (b *buildArgs) filterAllowed(env []string) []string {
	set := map[string]bool{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		set[k] = true
	}
	var out []string
	for k, v := range b.allAllowed() {
		if !set[k] {
			out = append(out, fmt.Sprintf("%s=%s", k, v))
		}
	}
	sort.Strings(out)
	return out
}

// prependEnvOnCmd is the cache and history form of a RUN that build
// arguments reach: "|N", the N arguments sorted, then the command.
func prependEnvOnCmd(b *buildArgs, vars []string, cmd []string) []string {
	var env []string
	for _, kv := range vars {
		k, _, _ := strings.Cut(kv, "=")
		if b.referencedOrNotBuiltin(k) {
			env = append(env, kv)
		}
	}
	sort.Strings(env)
	out := append([]string{fmt.Sprintf("|%d", len(env))}, env...)
	return append(out, cmd...)
}
