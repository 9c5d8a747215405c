package main

// twinbox compare: a lesson on the simulator and on another engine, side by
// side, step by step, normalised.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/twinbox-dev/twinbox/shared/lesson"
	"github.com/twinbox-dev/twinbox/shared/lesson/markdown"
)

func init() {
	register("compare", "Run a lesson on the simulator and another engine, side by side (compare FILE --with native|docker)", compareMain)
}

const compareUsage = `Usage:  twinbox compare [OPTIONS] FILE

Run a lesson on the simulator and on another engine and show what each
command printed there side by side, normalised (IDs, names, times), with the
differences marked: " " the same, "|" different, "<" only on the simulator,
">" only on the other engine. Exits 1 when anything differs.

Options:
  --with native|docker   the other engine (default native); see twinbox lesson run
  --format text|json     the output's format (default text)
  --width N              the text's width (default: the terminal's, or 160)
  --base FILE            the base image (default build/images/busybox.tar)
  --docker PATH          the stock docker CLI, for --with docker
  --timeout DURATION     how long a command may run (default 60s)
`

func compareMain(args []string) int {
	var o lessonOptions
	fs := lessonFlags("twinbox compare", &o)
	fs.Usage = func() { fmt.Fprint(os.Stderr, compareUsage) }
	fs.StringVar(&o.with, "with", lesson.EngineNative, "")
	fs.IntVar(&o.width, "width", 0, "")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return 125
	}
	if len(files) != 1 {
		fmt.Fprintf(os.Stderr, "twinbox compare: want one lesson file\n\n%s", compareUsage)
		return 125
	}
	if o.with != lesson.EngineNative && o.with != lesson.EngineDocker {
		fmt.Fprintf(os.Stderr, "twinbox compare: --with %s: want native or docker\n", o.with)
		return 125
	}
	if o.format != "text" && o.format != "json" {
		fmt.Fprintf(os.Stderr, "twinbox compare: --format %s: want text or json\n", o.format)
		return 125
	}
	if o.width == 0 {
		o.width = 160
		if w, _, err := term.GetSize(1); err == nil && w >= 60 {
			o.width = w
		}
	}
	l, err := markdown.ReadFile(files[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	other, err := targetOpener(o.with, o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "twinbox compare: %v\n", err)
		return 125
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	left := (&lesson.Runner{Engine: lesson.EngineSim, Open: openSim, Timeout: o.timeout}).Run(ctx, l)
	right := (&lesson.Runner{Engine: o.with, Open: other, Timeout: o.timeout}).Run(ctx, l)
	c := lesson.Compare(left, right)
	if o.format == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(c)
	} else {
		c.WriteText(os.Stdout, o.width)
	}
	if !c.Same {
		return 1
	}
	return 0
}
