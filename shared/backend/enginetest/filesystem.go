package enginetest

import (
	"strconv"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

func init() {
	register("Diff", testDiff)
	register("CommitAndHistory", testCommit)
	register("CommitChanges", testCommitChanges)
	register("ImageRemoveRules", testImageRemove)
	register("Exec", testExec)
	register("Volumes", testVolumes)
}

func itoa(n int) string { return strconv.Itoa(n) }

// testDiff runs the scripts of the reference scenario 02-diff.
func testDiff(t *testing.T, f *fixture) {
	cases := []struct {
		script string
		binds  []string
		vols   []string
		want   string
	}{
		{script: "touch /NEW-FILE; mkdir -p /a/b; echo x > /a/b/c; rm /bin/ls; echo root2 >> /etc/passwd",
			want: "A /NEW-FILE\nA /a\nA /a/b\nA /a/b/c\nC /bin\nC /etc\nC /etc/passwd\nD /bin/ls"},
		{script: "rm -rf /home; mkdir /home; touch /home/new", want: "A /home/new\nC /home"},
		{script: "mkdir /t; touch /t/x; rm -rf /t", want: ""},
		{script: "true", want: ""},
		{script: "echo in-volume > /data/f; touch /outside", vols: []string{"/data"}, want: "A /data\nA /outside"},
		{script: "mv /etc/group /etc/group2; ln -s /tmp /tmplink; chmod 600 /etc/passwd",
			want: "A /etc/group2\nA /tmplink\nC /etc\nC /etc/passwd\nD /etc/group"},
	}
	for i, tc := range cases {
		t.Run("d"+itoa(i+1), func(t *testing.T) {
			cfg := &container.Config{Cmd: []string{"sh", "-c", tc.script}}
			if len(tc.vols) > 0 {
				cfg.Volumes = map[string]struct{}{}
				for _, v := range tc.vols {
					cfg.Volumes[v] = struct{}{}
				}
			}
			id := f.create("", cfg, nil)
			if code := f.startWait(id); code != 0 {
				t.Fatalf("script exited %d: %s", code, f.logs(id, engine.LogsOptions{Stdout: true, Stderr: true}))
			}
			if got := f.diff(id); got != tc.want {
				t.Errorf("diff:\ngot\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	_, err := f.e.ContainerChanges(f.ctx, "nosuch")
	wantErr(t, "diff nosuch", err, backend.NotFound, "No such container: nosuch")
}

// testCommit follows the reference scenario 03-commit-history.
func testCommit(t *testing.T, f *fixture) {
	hist, err := f.e.ImageHistory(f.ctx, "busybox")
	if err != nil || len(hist) != 2 {
		t.Fatalf("history busybox: got %v %v, want 2 rows", hist, err)
	}
	if hist[0].CreatedBy != `/bin/sh -c #(nop)  CMD ["sh"]` || hist[0].Size != 0 {
		t.Errorf("history row 1: got %q %d", hist[0].CreatedBy, hist[0].Size)
	}
	if !strings.HasPrefix(hist[1].CreatedBy, "/bin/sh -c #(nop) ADD file:") || hist[1].Size == 0 {
		t.Errorf("history row 2: got %q %d", hist[1].CreatedBy, hist[1].Size)
	}

	f.run("c1", "sh", "-c", "echo hi > /hello.txt")
	v1, err := f.e.Commit(f.ctx, "c1", engine.CommitOptions{Repo: "hello", Tag: "v1", Comment: "add hello", Author: "Ann <ann@example.com>", Pause: true})
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	if !strings.HasPrefix(v1, "sha256:") || len(v1) != 71 {
		t.Errorf("commit ID: got %q", v1)
	}
	hist, err = f.e.ImageHistory(f.ctx, "hello:v1")
	if err != nil || len(hist) != 3 {
		t.Fatalf("history hello:v1: got %d rows %v, want 3", len(hist), err)
	}
	if hist[0].CreatedBy != "sh -c echo hi > /hello.txt" || hist[0].Size != 3 || hist[0].Comment != "add hello" || hist[0].ID != v1 {
		t.Errorf("commit row: got %+v", hist[0])
	}
	id := f.create("", &container.Config{Image: "hello:v1", Cmd: []string{"cat", "/hello.txt"}}, nil)
	f.startWait(id)
	if got := f.logs(id, engine.LogsOptions{Stdout: true}); got != "hi\n" {
		t.Errorf("run hello:v1 cat: got %q, want hi", got)
	}

	c2 := f.create("c2", &container.Config{Image: "hello:v1", Cmd: []string{"rm", "/hello.txt"}}, nil)
	f.startWait(c2)
	v2, err := f.e.Commit(f.ctx, "c2", engine.CommitOptions{Repo: "hello", Tag: "v2", Pause: true})
	if err != nil {
		t.Fatal(err)
	}
	hist, _ = f.e.ImageHistory(f.ctx, v2)
	if len(hist) != 4 || hist[0].CreatedBy != "rm /hello.txt" || hist[0].Size != 0 {
		t.Errorf("history hello:v2: got %+v", hist)
	}
	img, err := f.e.ImageInspect(f.ctx, "hello:v2")
	if err != nil {
		t.Fatal(err)
	}
	if len(img.RootFS.Layers) != 3 || img.Parent != v1 || img.Author != "" {
		t.Errorf("inspect hello:v2: got %d layers, parent %s, author %q; want 3, %s, empty", len(img.RootFS.Layers), img.Parent, img.Author, v1)
	}
	id = f.create("", &container.Config{Image: "hello:v2", Cmd: []string{"ls", "/hello.txt"}}, nil)
	if code := f.startWait(id); code != 1 {
		t.Errorf("ls of the deleted file: got exit %d, want 1", code)
	}
	if got := f.logs(id, engine.LogsOptions{Stderr: true}); got != "ls: /hello.txt: No such file or directory\n" {
		t.Errorf("ls of the deleted file: got %q", got)
	}

	imgs, err := f.e.Images(f.ctx, engine.ImageListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, s := range imgs {
		tags = append(tags, s.RepoTags...)
	}
	if got := strings.Join(tags, " "); got != "hello:v2 hello:v1 busybox:latest" {
		t.Errorf("images, newest first: got %q", got)
	}
}

func testCommitChanges(t *testing.T, f *fixture) {
	f.run("cc", "true")
	id, err := f.e.Commit(f.ctx, "cc", engine.CommitOptions{Changes: []string{`CMD ["cat","/etc/hostname"]`, "ENV A=1"}})
	if err != nil {
		t.Fatal(err)
	}
	img, _ := f.e.ImageInspect(f.ctx, id)
	if got := strings.Join(img.Config.Cmd, " "); got != "cat /etc/hostname" {
		t.Errorf("Cmd: got %q", got)
	}
	if got := strings.Join(img.Config.Env, " "); got != "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin A=1" {
		t.Errorf("Env: got %q", got)
	}
	_, err = f.e.Commit(f.ctx, "cc", engine.CommitOptions{Changes: []string{"COPY a b"}})
	wantErr(t, "commit --change COPY", err, backend.InvalidParameter, "COPY is not a valid change command")
	_, err = f.e.Commit(f.ctx, "cc", engine.CommitOptions{Repo: "BadRepo"})
	if backend.CodeOf(err) != backend.InvalidParameter {
		t.Errorf("commit to BadRepo: got %v, want invalid parameter", err)
	}
}

func testImageRemove(t *testing.T, f *fixture) {
	c1, _, _ := f.run("c1", "sh", "-c", "echo hi > /hello.txt")
	v1, err := f.e.Commit(f.ctx, c1, engine.CommitOptions{Repo: "hello", Tag: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	c2 := f.create("c2", &container.Config{Image: "hello:v1", Cmd: []string{"true"}}, nil)
	f.startWait(c2)
	_, err = f.e.ImageRemove(f.ctx, "hello:v1", false, true)
	wantErr(t, "rmi used image", err, backend.Conflict, `conflict: unable to remove repository reference "hello:v1" (must force) - container `+c2[:12]+` is using its referenced image `+v1[7:19])
	if err := f.e.ImageTag(f.ctx, "hello:v1", "example/hello", ""); err != nil {
		t.Fatal(err)
	}
	got, err := f.e.ImageRemove(f.ctx, "example/hello", false, true)
	if err != nil || len(got) != 1 || got[0].Untagged != "example/hello:latest" {
		t.Errorf("rmi of a second tag: got %+v %v, want one Untagged example/hello:latest", got, err)
	}
	// hello:v2 is a child of hello:v1: rmi -f only untags (the reference's
	// step), the image stays for its child and its container.
	if _, err := f.e.Commit(f.ctx, c2, engine.CommitOptions{Repo: "hello", Tag: "v2"}); err != nil {
		t.Fatal(err)
	}
	got, err = f.e.ImageRemove(f.ctx, "hello:v1", true, true)
	if err != nil || len(got) != 1 || got[0].Untagged != "hello:v1" {
		t.Errorf("rmi -f of an image with a child: got %+v %v, want only the untag", got, err)
	}
	if _, err := f.e.ImageInspect(f.ctx, v1); err != nil {
		t.Errorf("the parent of hello:v2 must stay: %v", err)
	}
	// Without a child, rmi -f deletes an image that only stopped containers
	// use (they keep its layers).
	c3 := f.create("c3", &container.Config{Cmd: []string{"true"}}, nil)
	v3, err := f.e.Commit(f.ctx, c3, engine.CommitOptions{Repo: "lone"})
	if err != nil {
		t.Fatal(err)
	}
	c4 := f.create("c4", &container.Config{Image: "lone", Cmd: []string{"true"}}, nil)
	f.startWait(c4)
	got, err = f.e.ImageRemove(f.ctx, "lone", true, true)
	if err != nil || len(got) < 2 || got[0].Untagged != "lone:latest" || got[1].Deleted != v3 {
		t.Errorf("rmi -f lone: got %+v %v, want untag and delete", got, err)
	}
	_, err = f.e.ContainerCreate(f.ctx, engine.CreateOptions{Config: &container.Config{Image: v3[7:19], Cmd: []string{"true"}}})
	wantErr(t, "create from the deleted image", err, backend.NotFound, "No such image: "+v3[7:19]+":latest")
	// c4 still runs on the layers it holds.
	f.startWait(c4)
	_, err = f.e.ImageRemove(f.ctx, "nosuch", false, true)
	wantErr(t, "rmi nosuch", err, backend.NotFound, "No such image: nosuch:latest")
	_, err = f.e.ImageRemove(f.ctx, "busybox", false, true)
	if backend.CodeOf(err) != backend.Conflict || !strings.Contains(err.Error(), "image has dependent child images") && !strings.Contains(err.Error(), "is using its referenced image") {
		t.Errorf("rmi busybox with children and containers: got %v, want a conflict", err)
	}
}

func testExec(t *testing.T, f *fixture) {
	id := f.create("", &container.Config{Cmd: []string{"sleep", "300"}}, nil)
	_, err := f.e.ExecCreate(f.ctx, id, &container.ExecCreateRequest{Cmd: []string{"true"}})
	wantErr(t, "exec in created", err, backend.Conflict, "Container "+id+" is not running")
	if err := f.e.ContainerStart(f.ctx, id); err != nil {
		t.Fatal(err)
	}
	xid, err := f.e.ExecCreate(f.ctx, id, &container.ExecCreateRequest{Cmd: []string{"sh", "-c", "echo in $(hostname); exit 5"}, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err = f.e.ExecStart(f.ctx, xid, engine.ExecStartOptions{GetStreams: func(bool) (engine.Streams, error) {
		return engine.Streams{Stdout: &out, Stderr: &out}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "in " + id[:12] + "\n"; out.String() != want {
		t.Errorf("exec output: got %q, want %q", out.String(), want)
	}
	x, err := f.e.ExecInspect(f.ctx, xid)
	if err != nil || x.ExitCode == nil || *x.ExitCode != 5 || x.Running {
		t.Errorf("exec inspect: got %+v %v, want exit code 5", x, err)
	}
	top, _ := f.e.ContainerTop(f.ctx, id, "-o pid,args")
	if len(top.Processes) != 1 {
		t.Errorf("after exec: got %d processes, want the exec's gone", len(top.Processes))
	}
	xid, _ = f.e.ExecCreate(f.ctx, id, &container.ExecCreateRequest{Cmd: []string{"nosuch"}, AttachStdout: true})
	err = f.e.ExecStart(f.ctx, xid, engine.ExecStartOptions{GetStreams: func(bool) (engine.Streams, error) { return engine.Streams{Stdout: &out}, nil }})
	wantErr(t, "exec nosuch", err, backend.InvalidParameter, `OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown`)
	if x, _ := f.e.ExecInspect(f.ctx, xid); x == nil || x.ExitCode == nil || *x.ExitCode != 127 {
		t.Errorf("exec nosuch exit code: got %+v, want 127", x)
	}
	_, err = f.e.ExecInspect(f.ctx, "nosuch")
	wantErr(t, "inspect nosuch exec", err, backend.NotFound, "No such exec instance: nosuch")
}

func testVolumes(t *testing.T, f *fixture) {
	// A named volume keeps data between containers.
	id := f.create("", &container.Config{Cmd: []string{"sh", "-c", "echo saved > /data/f"}}, &container.HostConfig{Binds: []string{"hello:/data"}})
	if code := f.startWait(id); code != 0 {
		t.Fatalf("write to volume: exit %d: %s", code, f.logs(id, engine.LogsOptions{Stdout: true, Stderr: true}))
	}
	id = f.create("", &container.Config{Cmd: []string{"cat", "/data/f"}}, &container.HostConfig{Binds: []string{"hello:/data"}})
	f.startWait(id)
	if got := f.logs(id, engine.LogsOptions{Stdout: true, Stderr: true}); got != "saved\n" {
		t.Errorf("read from volume: got %q", got)
	}
	// Writes into a volume bypass the union filesystem: only the mount
	// point the runtime made shows.
	if got := f.diff(id); got != "A /data" {
		t.Errorf("diff of a container that wrote only into a volume: got %q, want %q", got, "A /data")
	}
	// --volumes-from shares a data container's volumes.
	dbdata := f.create("dbdata", &container.Config{Cmd: []string{"true"}, Volumes: map[string]struct{}{"/dbdata": {}}}, nil)
	f.startWait(dbdata)
	id = f.create("", &container.Config{Cmd: []string{"sh", "-c", "echo x > /dbdata/y; ls /dbdata"}}, &container.HostConfig{VolumesFrom: []string{"dbdata"}})
	f.startWait(id)
	if got := f.logs(id, engine.LogsOptions{Stdout: true, Stderr: true}); got != "y\n" {
		t.Errorf("volumes-from: got %q", got)
	}
	id = f.create("", &container.Config{Cmd: []string{"touch", "/data/new"}}, &container.HostConfig{Binds: []string{"hello:/data:ro"}})
	if code := f.startWait(id); code != 1 {
		t.Errorf("write to a read-only volume: got exit %d, want 1", code)
	}
	if got := f.logs(id, engine.LogsOptions{Stderr: true}); got != "touch: /data/new: Read-only file system\n" {
		t.Errorf("write to a read-only volume: got %q", got)
	}
}
