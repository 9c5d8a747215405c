package enginetest

import (
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

func init() {
	register("RunOutputAndExitCodes", testRunOutput)
	register("StartStopStates", testStartStop)
	register("PauseUnpause", testPause)
	register("KillAndWait", testKill)
	register("RemoveRules", testRemove)
	register("NamesAndRename", testNames)
	register("RestartPolicyOnFailure", testRestartPolicy)
	register("HostnameEnvWorkdirEntrypoint", testProcessSettings)
	register("CommandNotFound", testCommandNotFound)
	register("AutoRemove", testAutoRemove)
	register("Restart", testRestart)
	register("LogsTailAndStreams", testLogs)
	register("Top", testTop)
}

func testRunOutput(t *testing.T, f *fixture) {
	cases := []struct {
		cmd      []string
		wantCode int
		wantLogs string
	}{
		{[]string{"echo", "hello", "world"}, 0, "hello world\n"},
		{[]string{"sh", "-c", "exit 3"}, 3, ""},
		// stdout and stderr are two pipes: only a pause orders them, in
		// Docker too.
		{[]string{"sh", "-c", "echo out; sleep 0.1; echo err >&2"}, 0, "out\nerr\n"},
		{[]string{"true"}, 0, ""},
		{[]string{"false"}, 1, ""},
		{[]string{"ls", "/nosuch"}, 1, "ls: /nosuch: No such file or directory\n"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.cmd, " "), func(t *testing.T) {
			_, code, logs := f.run("", tc.cmd...)
			if code != tc.wantCode {
				t.Errorf("exit code: got %d, want %d", code, tc.wantCode)
			}
			if logs != tc.wantLogs {
				t.Errorf("logs: got %q, want %q", logs, tc.wantLogs)
			}
		})
	}
}

func testStartStop(t *testing.T, f *fixture) {
	id := f.create("made", &container.Config{Cmd: []string{"sleep", "300"}}, nil)
	if st := f.inspect(id); st.Status != "created" || st.Running {
		t.Fatalf("after create: got status %q running %v, want created", st.Status, st.Running)
	}
	if err := f.e.ContainerStart(f.ctx, "made"); err != nil {
		t.Fatalf("start: %v", err)
	}
	st := f.inspect(id)
	if st.Status != "running" || !st.Running || st.Pid == 0 {
		t.Fatalf("after start: got status %q running %v pid %d, want running with a pid", st.Status, st.Running, st.Pid)
	}
	wantErr(t, "start again", f.e.ContainerStart(f.ctx, "made"), backend.NotModified, "Container is already started")

	// sleep is PID 1: it has no handler for SIGTERM, so stop ends with SIGKILL.
	one := 1
	begin := time.Now()
	if err := f.e.ContainerStop(f.ctx, "made", engine.StopOptions{Timeout: &one}); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if d := time.Since(begin); d < 900*time.Millisecond {
		t.Errorf("stop -t 1 returned after %v: SIGTERM must not end a PID 1 without a handler", d)
	}
	st = f.inspect(id)
	if st.Status != "exited" || st.ExitCode != 137 {
		t.Errorf("after stop: got %s %d, want exited 137", st.Status, st.ExitCode)
	}
	wantErr(t, "stop again", f.e.ContainerStop(f.ctx, "made", engine.StopOptions{}), backend.NotModified, "Container is already stopped")

	// A shell that traps TERM stops at once with its own status.
	id2 := f.create("", &container.Config{Cmd: []string{"sh", "-c", "trap 'exit 7' TERM; while true; do sleep 1; done"}}, nil)
	if err := f.e.ContainerStart(f.ctx, id2); err != nil {
		t.Fatalf("start trap: %v", err)
	}
	ten := 10
	begin = time.Now()
	if err := f.e.ContainerStop(f.ctx, id2, engine.StopOptions{Timeout: &ten}); err != nil {
		t.Fatalf("stop trap: %v", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("stop of a TERM-trapping shell took %v, want well under the 10s timeout", d)
	}
	if st := f.inspect(id2); st.ExitCode != 7 {
		t.Errorf("trap exit: got %d, want 7", st.ExitCode)
	}
}

func testPause(t *testing.T, f *fixture) {
	id := f.create("", &container.Config{Cmd: []string{"sleep", "300"}}, nil)
	wantErr(t, "pause created", f.e.ContainerPause(f.ctx, id), backend.Conflict, "Container "+id+" is not running")
	if err := f.e.ContainerStart(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := f.e.ContainerPause(f.ctx, id); err != nil {
		t.Fatalf("pause: %v", err)
	}
	st := f.inspect(id)
	if st.Status != "paused" || !st.Paused || !st.Running {
		t.Errorf("after pause: got %q paused=%v running=%v, want paused", st.Status, st.Paused, st.Running)
	}
	list, err := f.e.Containers(f.ctx, engine.ListOptions{})
	if err != nil || len(list) != 1 || !strings.HasSuffix(list[0].Status, "(Paused)") {
		t.Errorf("ps of a paused container: got %+v (%v), want status ending in (Paused)", list, err)
	}
	wantErr(t, "pause twice", f.e.ContainerPause(f.ctx, id), backend.Conflict, "Container "+id+" is already paused")
	wantErr(t, "start paused", f.e.ContainerStart(f.ctx, id), backend.Conflict, "cannot start a paused container, try unpause instead")
	wantErr(t, "remove paused", f.e.ContainerRemove(f.ctx, id, engine.RemoveOptions{}), backend.Conflict,
		"You cannot remove a paused container "+id+". Unpause and then stop the container before attempting removal or force remove")
	if err := f.e.ContainerUnpause(f.ctx, id); err != nil {
		t.Fatalf("unpause: %v", err)
	}
	if st := f.inspect(id); st.Status != "running" {
		t.Errorf("after unpause: got %q, want running", st.Status)
	}
	wantErr(t, "unpause running", f.e.ContainerUnpause(f.ctx, id), backend.Conflict, "Container "+id+" is not paused")
}

func testKill(t *testing.T, f *fixture) {
	id := f.create("bg", &container.Config{Cmd: []string{"sh", "-c", "echo out; sleep 0.1; echo err >&2; sleep 300"}}, nil)
	if err := f.e.ContainerStart(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	f.eventually("output of bg", func() bool {
		return f.logs(id, engine.LogsOptions{Stdout: true, Stderr: true}) == "out\nerr\n"
	})
	if err := f.e.ContainerKill(f.ctx, "bg", "NOSUCH"); err == nil || backend.CodeOf(err) != backend.InvalidParameter {
		t.Errorf("kill -s NOSUCH: got %v, want an invalid-parameter error", err)
	}
	if err := f.e.ContainerKill(f.ctx, "bg", ""); err != nil {
		t.Fatalf("kill: %v", err)
	}
	// kill returns once the container is dead: wait answers at once.
	w, err := f.e.ContainerWait(f.ctx, "bg", container.WaitConditionNotRunning)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-w:
		if r.StatusCode != 137 {
			t.Errorf("wait after kill: got %d, want 137", r.StatusCode)
		}
	case <-time.After(time.Second):
		t.Fatal("wait after kill did not answer at once")
	}
	wantErr(t, "kill stopped", f.e.ContainerKill(f.ctx, "bg", ""), backend.Conflict, "Container "+id+" is not running")

	// A signal with a handler reaches the process.
	id2 := f.create("", &container.Config{Cmd: []string{"sh", "-c", "trap 'echo got USR1; exit 0' USR1; while true; do sleep 1; done"}}, nil)
	if err := f.e.ContainerStart(f.ctx, id2); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := f.e.ContainerKill(f.ctx, id2, "USR1"); err != nil {
		t.Fatalf("kill -s USR1: %v", err)
	}
	f.eventually("exit after USR1", func() bool { return !f.inspect(id2).Running })
	if got := f.logs(id2, engine.LogsOptions{Stdout: true}); got != "got USR1\n" {
		t.Errorf("output after USR1: got %q, want %q", got, "got USR1\n")
	}
}

func testRemove(t *testing.T, f *fixture) {
	id := f.create("", &container.Config{Cmd: []string{"sleep", "300"}}, nil)
	if err := f.e.ContainerStart(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "remove running", f.e.ContainerRemove(f.ctx, id, engine.RemoveOptions{}), backend.Conflict,
		"You cannot remove a running container "+id+". Stop the container before attempting removal or force remove")
	if err := f.e.ContainerRemove(f.ctx, id, engine.RemoveOptions{Force: true}); err != nil {
		t.Fatalf("remove -f: %v", err)
	}
	_, err := f.e.ContainerInspect(f.ctx, id, false)
	wantErr(t, "inspect removed", err, backend.NotFound, "No such container: "+id)
	wantErr(t, "remove again", f.e.ContainerRemove(f.ctx, id, engine.RemoveOptions{}), backend.NotFound, "No such container: "+id)
	wantErr(t, "remove nosuch", f.e.ContainerRemove(f.ctx, "nosuch", engine.RemoveOptions{}), backend.NotFound, "No such container: nosuch")
}

func testNames(t *testing.T, f *fixture) {
	id, _, _ := f.run("first", "true")
	_, err := f.e.ContainerCreate(f.ctx, engine.CreateOptions{Name: "first", Config: &container.Config{Image: "busybox", Cmd: []string{"true"}}})
	wantErr(t, "name in use", err, backend.Conflict, `Conflict. The container name "/first" is already in use by container "`+id+`". You have to remove (or rename) that container to be able to reuse that name.`)
	_, err = f.e.ContainerCreate(f.ctx, engine.CreateOptions{Name: "bad name!", Config: &container.Config{Image: "busybox", Cmd: []string{"true"}}})
	wantErr(t, "bad name", err, backend.InvalidParameter, "Invalid container name (bad name!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
	if err := f.e.ContainerRename(f.ctx, "first", "second"); err != nil {
		t.Fatalf("rename: %v", err)
	}
	j, err := f.e.ContainerInspect(f.ctx, id[:12], false)
	if err != nil || j.Name != "/second" {
		t.Fatalf("inspect by short ID after rename: got %v %v, want /second", j, err)
	}
	// The old name is free again.
	f.create("first", &container.Config{Cmd: []string{"true"}}, nil)
	// Generated names look like adjective_surname.
	gen := f.create("", &container.Config{Cmd: []string{"true"}}, nil)
	j, _ = f.e.ContainerInspect(f.ctx, gen, false)
	if parts := strings.Split(strings.TrimPrefix(j.Name, "/"), "_"); len(parts) != 2 {
		t.Errorf("generated name: got %q, want adjective_surname", j.Name)
	}
}

func testRestartPolicy(t *testing.T, f *fixture) {
	id := f.create("flaky", &container.Config{Cmd: []string{"sh", "-c", "exit 1"}},
		&container.HostConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyOnFailure, MaximumRetryCount: 2}})
	if err := f.e.ContainerStart(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	f.eventually("two restarts then exited", func() bool {
		j, err := f.e.ContainerInspect(f.ctx, id, false)
		return err == nil && j.RestartCount == 2 && j.State.Status == "exited"
	})
	time.Sleep(500 * time.Millisecond)
	j, _ := f.e.ContainerInspect(f.ctx, id, false)
	if j.RestartCount != 2 || j.State.Status != "exited" || j.State.ExitCode != 1 {
		t.Errorf("after the retries: got %d %s %d, want 2 exited 1", j.RestartCount, j.State.Status, j.State.ExitCode)
	}
	_, err := f.e.ContainerCreate(f.ctx, engine.CreateOptions{Config: &container.Config{Image: "busybox", Cmd: []string{"true"}},
		HostConfig: &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: "sometimes"}}})
	wantErr(t, "bad policy", err, backend.InvalidParameter, "invalid restart policy 'sometimes'")
}

func testProcessSettings(t *testing.T, f *fixture) {
	id := f.create("", &container.Config{Hostname: "myhost", Cmd: []string{"hostname"}}, nil)
	f.startWait(id)
	if got := f.logs(id, engine.LogsOptions{Stdout: true}); got != "myhost\n" {
		t.Errorf("hostname: got %q, want %q", got, "myhost\n")
	}
	id = f.create("", &container.Config{Env: []string{"FOO=bar"}, WorkingDir: "/tmp", Cmd: []string{"sh", "-c", "echo $FOO; pwd"}}, nil)
	f.startWait(id)
	if got := f.logs(id, engine.LogsOptions{Stdout: true}); got != "bar\n/tmp\n" {
		t.Errorf("env and workdir: got %q, want %q", got, "bar\n/tmp\n")
	}
	// The hostname defaults to the short ID.
	_, _, logs := f.run("", "hostname")
	if len(strings.TrimSpace(logs)) != 12 {
		t.Errorf("default hostname: got %q, want the 12-character ID", logs)
	}
	id = f.create("", &container.Config{Entrypoint: []string{"echo"}, Cmd: []string{"overridden", "entrypoint"}}, nil)
	f.startWait(id)
	if got := f.logs(id, engine.LogsOptions{Stdout: true}); got != "overridden entrypoint\n" {
		t.Errorf("entrypoint: got %q", got)
	}
	// A missing working directory is created, as Docker does.
	id = f.create("", &container.Config{WorkingDir: "/new/dir", Cmd: []string{"pwd"}}, nil)
	f.startWait(id)
	if got := f.logs(id, engine.LogsOptions{Stdout: true}); got != "/new/dir\n" {
		t.Errorf("new workdir: got %q", got)
	}
	// env shows Docker's environment: PATH, HOSTNAME, then HOME.
	id = f.create("", &container.Config{Hostname: "h", Cmd: []string{"env"}}, nil)
	f.startWait(id)
	want := "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=h\nHOME=/root\n"
	if got := f.logs(id, engine.LogsOptions{Stdout: true}); got != want {
		t.Errorf("env: got %q, want %q", got, want)
	}
	// -u nobody runs as uid 65534.
	id = f.create("", &container.Config{User: "nobody", Cmd: []string{"id"}}, nil)
	f.startWait(id)
	if got := f.logs(id, engine.LogsOptions{Stdout: true}); got != "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n" {
		t.Errorf("id as nobody: got %q", got)
	}
}

func testCommandNotFound(t *testing.T, f *fixture) {
	cases := []struct {
		cmd      []string
		wantCode int
		wantMsg  string
	}{
		{[]string{"nosuchcmd"}, 127, `failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH: unknown`},
		{[]string{"/nosuch"}, 127, `failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/nosuch": stat /nosuch: no such file or directory: unknown`},
		{[]string{"/etc/passwd"}, 126, `failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/etc/passwd": permission denied: unknown`},
	}
	for _, tc := range cases {
		t.Run(tc.cmd[0], func(t *testing.T) {
			id := f.create("", &container.Config{Cmd: tc.cmd}, nil)
			err := f.e.ContainerStart(f.ctx, id)
			wantErr(t, "start", err, backend.InvalidParameter, tc.wantMsg)
			st := f.inspect(id)
			if st.ExitCode != tc.wantCode || st.Running || st.Error != tc.wantMsg {
				t.Errorf("state: got code %d running %v error %q, want %d, stopped, the message", st.ExitCode, st.Running, st.Error, tc.wantCode)
			}
		})
	}
}

func testAutoRemove(t *testing.T, f *fixture) {
	id := f.create("", &container.Config{Cmd: []string{"sh", "-c", "exit 3"}}, &container.HostConfig{AutoRemove: true})
	w, err := f.e.ContainerWait(f.ctx, id, container.WaitConditionRemoved)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.e.ContainerStart(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	if r := <-w; r.StatusCode != 3 {
		t.Errorf("wait removed: got %d, want 3", r.StatusCode)
	}
	if _, err := f.e.ContainerInspect(f.ctx, id, false); !backend.IsNotFound(err) {
		t.Errorf("after --rm: got %v, want the container gone", err)
	}
	// A --rm container whose command cannot run is removed too.
	id = f.create("", &container.Config{Cmd: []string{"nosuchcmd"}}, &container.HostConfig{AutoRemove: true})
	if err := f.e.ContainerStart(f.ctx, id); err == nil {
		t.Fatal("start of nosuchcmd: got no error")
	}
	if _, err := f.e.ContainerInspect(f.ctx, id, false); !backend.IsNotFound(err) {
		t.Errorf("after failed --rm start: got %v, want the container gone", err)
	}
	_, err = f.e.ContainerCreate(f.ctx, engine.CreateOptions{Config: &container.Config{Image: "busybox", Cmd: []string{"true"}},
		HostConfig: &container.HostConfig{AutoRemove: true, RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways}}})
	wantErr(t, "--rm with restart", err, backend.InvalidParameter, "can't create 'AutoRemove' container with restart policy")
}

func testRestart(t *testing.T, f *fixture) {
	id := f.create("", &container.Config{Cmd: []string{"sh", "-c", "echo started; sleep 300"}}, nil)
	if err := f.e.ContainerStart(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	first := f.inspect(id).Pid
	// Restart with no grace kills at once: let the first run print first,
	// or a loaded machine kills it before its echo (as it would Docker's).
	f.eventually("the first run logged", func() bool {
		return f.logs(id, engine.LogsOptions{Stdout: true}) == "started\n"
	})
	zero := 0
	if err := f.e.ContainerRestart(f.ctx, id, engine.StopOptions{Timeout: &zero}); err != nil {
		t.Fatalf("restart: %v", err)
	}
	st := f.inspect(id)
	if !st.Running || st.Pid == first {
		t.Errorf("after restart: got running=%v pid %d (was %d), want a new running process", st.Running, st.Pid, first)
	}
	f.eventually("two runs logged", func() bool {
		return f.logs(id, engine.LogsOptions{Stdout: true}) == "started\nstarted\n"
	})
}

func testLogs(t *testing.T, f *fixture) {
	id, _, _ := f.run("", "sh", "-c", "echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three")
	cases := []struct {
		opts engine.LogsOptions
		want string
	}{
		{engine.LogsOptions{Stdout: true, Stderr: true}, "one\ntwo\nthree\n"},
		{engine.LogsOptions{Stdout: true}, "one\nthree\n"},
		{engine.LogsOptions{Stderr: true}, "two\n"},
		{engine.LogsOptions{Stdout: true, Stderr: true, Tail: "1"}, "three\n"},
		{engine.LogsOptions{Stdout: true, Stderr: true, Tail: "0"}, ""},
		{engine.LogsOptions{Stdout: true, Stderr: true, Tail: "all"}, "one\ntwo\nthree\n"},
	}
	for _, tc := range cases {
		if got := f.logs(id, tc.opts); got != tc.want {
			t.Errorf("logs %+v: got %q, want %q", tc.opts, got, tc.want)
		}
	}
	// A partial last line is logged without a newline.
	id, _, logs := f.run("", "printf", "no newline")
	if logs != "no newline" {
		t.Errorf("partial line: got %q", logs)
	}
	_, _, err := f.e.ContainerLogs(f.ctx, id, engine.LogsOptions{})
	wantErr(t, "no stream", err, backend.InvalidParameter, "You must choose at least one stream")

	// Follow ends when the container stops.
	id = f.create("", &container.Config{Cmd: []string{"sh", "-c", "echo a; sleep 1; echo b"}}, nil)
	if err := f.e.ContainerStart(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	got := f.logs(id, engine.LogsOptions{Stdout: true, Follow: true})
	if got != "a\nb\n" {
		t.Errorf("logs -f: got %q, want %q", got, "a\nb\n")
	}
}

func testTop(t *testing.T, f *fixture) {
	id := f.create("", &container.Config{Cmd: []string{"sh", "-c", "echo out; echo err >&2; sleep 300"}}, nil)
	_, err := f.e.ContainerTop(f.ctx, id, "")
	wantErr(t, "top of created", err, backend.Conflict, "Container "+id+" is not running")
	if err := f.e.ContainerStart(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	// sh -c execs its last command: one process, sleep 300.
	f.eventually("sleep is the only process", func() bool {
		top, err := f.e.ContainerTop(f.ctx, id, "-o pid,args")
		return err == nil && len(top.Processes) == 1 && top.Processes[0][1] == "sleep 300"
	})
	top, err := f.e.ContainerTop(f.ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	wantTitles := "UID PID PPID C STIME TTY TIME CMD"
	if got := strings.Join(top.Titles, " "); got != wantTitles {
		t.Errorf("titles: got %q, want %q", got, wantTitles)
	}
	if len(top.Processes) != 1 || top.Processes[0][0] != "root" || top.Processes[0][7] != "sleep 300" {
		t.Errorf("processes: got %v, want one row of root running sleep 300", top.Processes)
	}
	if pid := f.inspect(id).Pid; top.Processes[0][1] != itoa(pid) {
		t.Errorf("top's PID %s is not the container's host PID %d", top.Processes[0][1], pid)
	}
}
