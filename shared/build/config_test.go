package build

import (
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/twinbox-dev/twinbox/shared/engine"
)

func TestHealthcheckText(t *testing.T) {
	tests := []struct {
		hc   container.HealthConfig
		want string
	}{
		// As dockerd 20.10.24 recorded HEALTHCHECK --interval=5s CMD true.
		{container.HealthConfig{Test: []string{"CMD-SHELL", "true"}, Interval: 5 * time.Second}, `&{["CMD-SHELL" "true"] "5s" "0s" "0s" '\x00'}`},
		{container.HealthConfig{Test: []string{"NONE"}}, `&{["NONE"] "0s" "0s" "0s" '\x00'}`},
		{container.HealthConfig{Test: []string{"CMD", "false"}, Retries: 3}, `&{["CMD" "false"] "0s" "0s" "0s" '\x03'}`},
	}
	for _, tt := range tests {
		if got := healthcheckText(&tt.hc); got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
	}
}

// TestSameStep checks the cache's comparison of configurations (dockerd's
// image/cache compare): Image and Hostname do not count, Cmd and Env order
// does, and OpenStdin never matches.
func TestSameStep(t *testing.T) {
	base := func() *container.Config {
		return &container.Config{
			Cmd: []string{"/bin/sh", "-c", "#(nop) ", "LABEL a=b"}, Env: []string{"A=1", "B=2"},
			Labels: map[string]string{"a": "b"}, ExposedPorts: network.PortSet{network.MustParsePort("80/tcp"): {}},
			Volumes: map[string]struct{}{"/data": {}}, Image: "sha256:aaa", Hostname: "abc",
		}
	}
	tests := []struct {
		name   string
		change func(c *container.Config)
		want   bool
	}{
		{"same", func(c *container.Config) {}, true},
		{"other image and host name", func(c *container.Config) { c.Image, c.Hostname = "sha256:bbb", "" }, true},
		{"other command", func(c *container.Config) { c.Cmd[3] = "LABEL a=c" }, false},
		{"env order", func(c *container.Config) { c.Env = []string{"B=2", "A=1"} }, false},
		{"other label", func(c *container.Config) { c.Labels["a"] = "c" }, false},
		{"other user", func(c *container.Config) { c.User = "nobody" }, false},
		{"other port", func(c *container.Config) { c.ExposedPorts = network.PortSet{network.MustParsePort("81/tcp"): {}} }, false},
		{"open stdin", func(c *container.Config) { c.OpenStdin = true }, false},
		{"working dir does not count", func(c *container.Config) { c.WorkingDir = "/x" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base()
			tt.change(b)
			if got := sameStep(base(), b); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if sameStep(&container.Config{Labels: map[string]string{}}, &container.Config{}) != true {
		t.Errorf("got a miss for empty and nil labels, want a hit")
	}
}

// TestMergeCreated checks what creation records in a metadata step's
// container_config, as dockerd 20.10 recorded it: the short ID as host
// name, and labels made non-nil by the image's merge (busybox's CMD step
// has "Labels":{}).
func TestMergeCreated(t *testing.T) {
	img := &container.Config{Env: []string{"PATH=/bin"}, Cmd: []string{"sh"}, Labels: nil}
	cfg := &container.Config{Env: []string{"PATH=/bin"}, Cmd: []string{"/bin/sh", "-c", "#(nop) ", `CMD ["sh"]`}}
	mergeCreated(cfg, img, "3a8df1c065e7a4cbf6a5ed12bf5183851b2c27a9fbc95f42279ab6b93847d8de")
	if cfg.Hostname != "3a8df1c065e7" || cfg.Labels == nil || len(cfg.Labels) != 0 {
		t.Errorf("got host name %q and labels %v, want the short ID and {}", cfg.Hostname, cfg.Labels)
	}
	scratch := &container.Config{Cmd: []string{"/bin/sh", "-c", "#(nop) ", "CMD x"}}
	mergeCreated(scratch, nil, "0123456789abcdef")
	if scratch.Labels != nil || scratch.Hostname != "0123456789ab" {
		t.Errorf("FROM scratch: got labels %v and host name %q, want nil and the short ID", scratch.Labels, scratch.Hostname)
	}
	envs := &container.Config{Env: []string{"A=1"}, Cmd: []string{"x"}}
	engine.MergeConfig(envs, &container.Config{Env: []string{"PATH=/bin", "A=0"}, WorkingDir: "/w", User: "u"})
	if strings.Join(envs.Env, ",") != "A=1,PATH=/bin" || envs.WorkingDir != "/w" || envs.User != "u" {
		t.Errorf("merge: got env %v, dir %q, user %q", envs.Env, envs.WorkingDir, envs.User)
	}
}

func TestBuildArgs(t *testing.T) {
	one, two := "1", "2"
	args := newBuildArgs(map[string]*string{"V": &two, "UNUSED": &one, "http_proxy": &one})
	args.addArg("V", &one)
	args.addArg("W", nil)
	env := []string{"PATH=/bin", "W=env"}
	if got := strings.Join(args.filterAllowed(env), " "); got != "V=2 http_proxy=1" {
		t.Errorf("got allowed args %q, want V (the --build-arg value) and the proxy; W is set by ENV", got)
	}
	// The proxy is left out of history unless an ARG declares it.
	if got := strings.Join(prependEnvOnCmd(args, args.filterAllowed(env), []string{"/bin/sh", "-c", "x"}), " "); got != "|1 V=2 /bin/sh -c x" {
		t.Errorf("got %q, want |1 V=2 /bin/sh -c x", got)
	}
	if got := strings.Join(args.unused(), " "); got != "UNUSED" {
		t.Errorf("got unused %q, want UNUSED", got)
	}
	stage := args.forStage()
	if len(stage.allAllowed()) != 1 { // only the proxy, built in
		t.Errorf("a new stage: got allowed %v, want only the built-in proxy argument", stage.allAllowed())
	}
}

func TestSanitizeTags(t *testing.T) {
	refs, err := sanitizeTags([]string{"greet", "greet:latest", "", "docker.io/library/greet", "ann/app:v1"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		got = append(got, r.String())
	}
	if strings.Join(got, " ") != "docker.io/library/greet:latest docker.io/ann/app:v1" {
		t.Errorf("got %v, want the two distinct references", got)
	}
	if _, err := sanitizeTags([]string{"Bad"}); err == nil || !strings.Contains(err.Error(), "must be lowercase") {
		t.Errorf("got %v, want the reference library's error", err)
	}
	if _, err := sanitizeTags([]string{"a@sha256:" + strings.Repeat("0", 64)}); err == nil || err.Error() != "build tag cannot contain a digest" {
		t.Errorf("got %v, want the digest error", err)
	}
}
