package lesson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/api/client"
	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Check is an assertion on engine state, one line of a check block.
type Check struct {
	Line int
	Text string // as written

	form    *checkForm
	subject string // container name or image reference
	n       int
	value   string
}

// checkForm is one form of check: its pattern and how to evaluate it.
type checkForm struct {
	syntax string // for messages and documentation
	re     *regexp.Regexp
	// eval reports nil when the check holds, else what holds instead.
	eval func(ctx context.Context, c *client.Client, ch *Check) error
	// parse validates the captured value.
	parse func(ch *Check) error
}

var containerStates = []string{"created", "running", "paused", "restarting", "exited", "dead"}

// checkForms are the checks a lesson can make (lessons/README.md lists them).
var checkForms = []*checkForm{
	{syntax: "container NAME exists", re: regexp.MustCompile(`^container (\S+) exists$`), eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		_, err := c.ContainerInspect(ctx, ch.subject)
		return err
	}},
	{syntax: "container NAME does not exist", re: regexp.MustCompile(`^container (\S+) does not exist$`), eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		j, err := c.ContainerInspect(ctx, ch.subject)
		if err == nil {
			return fmt.Errorf("it exists (%s)", j.State.Status)
		}
		return notFound(err)
	}},
	{syntax: "container NAME is STATE", re: regexp.MustCompile(`^container (\S+) is (\S+)$`), parse: func(ch *Check) error {
		if !contains(containerStates, ch.value) {
			return fmt.Errorf("state %q: want one of %s", ch.value, strings.Join(containerStates, ", "))
		}
		return nil
	}, eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		j, err := c.ContainerInspect(ctx, ch.subject)
		if err != nil {
			return err
		}
		if string(j.State.Status) != ch.value {
			return fmt.Errorf("it is %s", j.State.Status)
		}
		return nil
	}},
	{syntax: "container NAME exited with code N", re: regexp.MustCompile(`^container (\S+) exited with code (\d+)$`), eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		j, err := c.ContainerInspect(ctx, ch.subject)
		if err != nil {
			return err
		}
		if j.State.Status != "exited" {
			return fmt.Errorf("it is %s", j.State.Status)
		}
		if j.State.ExitCode != ch.n {
			return fmt.Errorf("it exited with code %d", j.State.ExitCode)
		}
		return nil
	}},
	{syntax: "container NAME has restarted N times", re: regexp.MustCompile(`^container (\S+) has restarted (\d+) times?$`), eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		j, err := c.ContainerInspect(ctx, ch.subject)
		if err != nil {
			return err
		}
		if j.RestartCount != ch.n {
			return fmt.Errorf("it has restarted %d times", j.RestartCount)
		}
		return nil
	}},
	{syntax: "container NAME has N changes", re: regexp.MustCompile(`^container (\S+) has (\d+) changes?$`), eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		d, err := c.ContainerDiff(ctx, ch.subject)
		if err != nil {
			return err
		}
		if len(d) != ch.n {
			return fmt.Errorf("it has %d changes", len(d))
		}
		return nil
	}},
	{syntax: "image REF exists", re: regexp.MustCompile(`^image (\S+) exists$`), eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		_, _, err := c.ImageInspectWithRaw(ctx, ch.subject)
		return err
	}},
	{syntax: "image REF does not exist", re: regexp.MustCompile(`^image (\S+) does not exist$`), eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		if _, _, err := c.ImageInspectWithRaw(ctx, ch.subject); err != nil {
			return notFound(err)
		}
		return fmt.Errorf("it exists")
	}},
	{syntax: "image REF has N history rows", re: regexp.MustCompile(`^image (\S+) has (\d+) history rows?$`), eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		h, err := c.ImageHistory(ctx, ch.subject)
		if err != nil {
			return err
		}
		if len(h) != ch.n {
			return fmt.Errorf("it has %d history rows", len(h))
		}
		return nil
	}},
	{syntax: "image REF has N layers", re: regexp.MustCompile(`^image (\S+) has (\d+) layers?$`), eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		img, _, err := c.ImageInspectWithRaw(ctx, ch.subject)
		if err != nil {
			return err
		}
		if n := len(img.RootFS.Layers); n != ch.n {
			return fmt.Errorf("it has %d layers", n)
		}
		return nil
	}},
	{syntax: `image REF has cmd ["ARG",...]`, re: regexp.MustCompile(`^image (\S+) has cmd (.+)$`), parse: parseJSONList, eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		img, _, err := c.ImageInspectWithRaw(ctx, ch.subject)
		if err != nil {
			return err
		}
		var got []string
		if img.Config != nil {
			got = img.Config.Cmd
		}
		return sameList("cmd", got, ch.value)
	}},
	{syntax: `image REF has entrypoint ["ARG",...]`, re: regexp.MustCompile(`^image (\S+) has entrypoint (.+)$`), parse: parseJSONList, eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		img, _, err := c.ImageInspectWithRaw(ctx, ch.subject)
		if err != nil {
			return err
		}
		var got []string
		if img.Config != nil {
			got = img.Config.Entrypoint
		}
		return sameList("entrypoint", got, ch.value)
	}},
	{syntax: "N containers exist", re: regexp.MustCompile(`^(\d+) containers? exists?$`), eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		return countContainers(ctx, c, ch.n, true)
	}},
	{syntax: "N containers are running", re: regexp.MustCompile(`^(\d+) containers? (?:are|is) running$`), eval: func(ctx context.Context, c *client.Client, ch *Check) error {
		return countContainers(ctx, c, ch.n, false)
	}},
}

func countContainers(ctx context.Context, c *client.Client, n int, all bool) error {
	list, err := c.ContainerList(ctx, client.ListOptions{All: all})
	if err != nil {
		return err
	}
	if len(list) != n {
		if all {
			return fmt.Errorf("%d exist", len(list))
		}
		return fmt.Errorf("%d are running", len(list))
	}
	return nil
}

// notFound is nil when err says the object does not exist.
func notFound(err error) error {
	var be *backend.Error
	if errors.As(err, &be) && be.Code == backend.NotFound {
		return nil
	}
	return err
}

func parseJSONList(ch *Check) error {
	var v []string
	if err := json.Unmarshal([]byte(ch.value), &v); err != nil {
		return fmt.Errorf("want a JSON list of strings such as [\"sh\"], got %s", ch.value)
	}
	return nil
}

func sameList(what string, got []string, want string) error {
	var w []string
	json.Unmarshal([]byte(want), &w)
	if strings.Join(got, "\x00") == strings.Join(w, "\x00") && len(got) == len(w) {
		return nil
	}
	b, _ := json.Marshal(got)
	if got == nil {
		b = []byte("none")
	}
	return fmt.Errorf("its %s is %s", what, b)
}

// ParseChecks reads a check block whose first line is line first.
// Errors are an ErrorList.
func ParseChecks(file string, first int, text string) ([]*Check, error) {
	var errs ErrorList
	var checks []*Check
	for i, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		ch, err := ParseCheck(l)
		if err != nil {
			errs.Add(file, first+i, "%v", err)
			continue
		}
		ch.Line = first + i
		checks = append(checks, ch)
	}
	return checks, errs.Err()
}

// ParseCheck reads one check.
func ParseCheck(text string) (*Check, error) {
	for _, f := range checkForms {
		m := f.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		ch := &Check{Text: text, form: f}
		args := m[1:]
		if strings.HasPrefix(f.syntax, "N ") { // a count of containers
			args = append([]string{""}, args...)
		}
		ch.subject = args[0]
		if len(args) > 1 {
			if strings.Contains(" "+f.syntax+" ", " N ") {
				n, err := strconv.Atoi(args[1])
				if err != nil {
					return nil, fmt.Errorf("check %q: bad number %q", text, args[1])
				}
				ch.n = n
			} else {
				ch.value = args[1]
			}
		}
		if f.parse != nil {
			if err := f.parse(ch); err != nil {
				return nil, fmt.Errorf("check %q: %v", text, err)
			}
		}
		return ch, nil
	}
	return nil, fmt.Errorf("unknown check %q (want one of: %s)", text, checkSyntaxes())
}

func checkSyntaxes() string {
	s := make([]string, len(checkForms))
	for i, f := range checkForms {
		s[i] = f.syntax
	}
	return strings.Join(s, "; ")
}

// Eval reports nil when the check holds on the engine c talks to, else an
// error saying what holds instead ("it is exited").
func (ch *Check) Eval(ctx context.Context, c *client.Client) error {
	return ch.form.eval(ctx, c, ch)
}
