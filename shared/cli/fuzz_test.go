package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzArgs runs the CLI on arbitrary arguments against an engine that
// cannot be reached: parsing and validation must never panic, and every
// failure must say why with one of docker's exit statuses.
//
//	go test ./shared/cli -run '^$' -fuzz FuzzArgs -fuzztime 2m
func FuzzArgs(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "replay", "*.json"))
	for _, file := range files {
		rec := loadRecording(f, filepath.Base(file))
		for _, step := range rec.Steps {
			f.Add(strings.Join(step.Args, "\x00"))
		}
	}
	f.Add("run\x00-p\x00[::1]:80:80\x00busybox")
	f.Add("run\x00--mount\x00type=bind,src=.,dst=/x,bind-recursive=readonly,readonly,bind-propagation=rprivate\x00busybox")
	f.Add("run\x00--network\x00name=n,alias=a,ip=1.2.3.4,driver-opt=a=b\x00busybox")
	f.Add("network\x00create\x00--subnet\x0010.0.0.0/8\x00--ip-range\x0010.1.0.0/16\x00--gateway\x0010.0.0.1\x00--aux-address\x00a=10.2.0.1\x00n")
	f.Add("network\x00connect\x00--ip\x001.2.3.4\x00--alias\x00a,b\x00n\x00c")
	f.Add("volume\x00create\x00--label\x00a=b\x00-o\x00type=tmpfs\x00v")
	f.Add("cp\x00web:/etc/.\x00-")
	f.Add("stats\x00--no-stream\x00--format\x00{{.Name}}\x00web")
	f.Fuzz(func(t *testing.T, joined string) {
		if !utf8.ValidString(joined) {
			return
		}
		args := strings.Split(joined, "\x00")
		if joined == "" {
			args = nil
		}
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), args, Streams{Stdout: &stdout, Stderr: &stderr}, Options{
			Dial:  func(context.Context) (net.Conn, error) { return nil, errors.New("no engine") },
			Files: newMemFiles(&recordedStep{}), // never the real files: --cidfile writes
			Getwd: func() (string, error) { return "/tmp/record", nil },
		})
		switch code {
		case 0:
		case 1, 64, 125, 126, 127:
			if stderr.Len() == 0 {
				t.Errorf("docker %q: exit %d without a message", args, code)
			}
		default:
			t.Errorf("docker %q: exit %d, not one docker gives without an engine", args, code)
		}
	})
}
