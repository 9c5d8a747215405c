package main

// Every lesson (lessons/NN-*.md) runs as `twinbox lesson run` runs it: on
// the simulator in process, and, as root, on a private native daemon. A
// step that prints something else than the lesson shows, or a check that
// does not hold, fails the test with the runner's report and diff.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/lesson"
	"github.com/twinbox-dev/twinbox/shared/lesson/markdown"
)

// readLessons parses every lesson file; a malformed one fails the test.
func readLessons(t *testing.T) []*lesson.Lesson {
	t.Helper()
	files, err := filepath.Glob("../../../lessons/[0-9]*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no lessons in ../../../lessons")
	}
	var ls []*lesson.Lesson
	for _, f := range files {
		l, err := markdown.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	return ls
}

// runLesson runs one lesson and fails with the runner's report unless it
// passed; a lesson that does not run on the engine is skipped.
func runLesson(t *testing.T, r *lesson.Runner, l *lesson.Lesson) {
	t.Helper()
	res := r.Run(context.Background(), l)
	if res.Skipped != "" {
		t.Skip(res.Skipped)
	}
	var report strings.Builder
	lesson.WriteReport(&report, res, false)
	if !res.Passed() {
		t.Errorf("%s on %s did not pass:\n%s", l.File, r.Engine, report.String())
		return
	}
	t.Logf("%s", lesson.Summary(res))
}

func TestLessons(t *testing.T) {
	lessons := readLessons(t)

	t.Run("sim", func(t *testing.T) {
		for _, l := range lessons {
			t.Run(strings.TrimSuffix(filepath.Base(l.File), ".md"), func(t *testing.T) {
				t.Parallel() // each has its own simulated machine; most of their time is sleep
				runLesson(t, &lesson.Runner{Engine: lesson.EngineSim, Open: openSim}, l)
			})
		}
	})

	t.Run("native", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("the native engine needs root (it makes namespaces, overlay mounts and bridges); run the tests as root to check the lessons on it")
		}
		if _, err := exec.LookPath("bash"); err != nil {
			t.Skip("the native lesson runner needs bash for the lessons' commands")
		}
		base, err := filepath.Abs(*baseImage)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(base); err != nil {
			t.Skipf("the base image is missing (%v): run make base", err)
		}
		bin := buildTwinbox(t)
		r := &lesson.Runner{Engine: lesson.EngineNative, Open: func(ctx context.Context) (lesson.Target, error) {
			return openNative(ctx, bin, base)
		}}
		for _, l := range lessons {
			t.Run(strings.TrimSuffix(filepath.Base(l.File), ".md"), func(t *testing.T) {
				runLesson(t, r, l)
			})
		}
	})
}
