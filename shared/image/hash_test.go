package image

import (
	"archive/tar"
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

func TestTarsumV1(t *testing.T) {
	greet := "#!/bin/sh\necho hello $1 from $(cat version)\n"
	tests := []struct {
		name    string
		hdr     *tar.Header
		content string
		want    string
	}{
		// The value in the reference transcript of `docker build`.
		{"greet.sh", &tar.Header{Name: "greet.sh", Mode: 0o755, Size: int64(len(greet)), Typeflag: tar.TypeReg}, greet,
			"a050715fdda2e69356bbaf3117272fd4f67d16c933b1ab395a76bf811e7b62db"},
		// User names never count; mtime neither.
		{"greet.sh with names", &tar.Header{Name: "greet.sh", Mode: 0o755, Size: int64(len(greet)), Typeflag: tar.TypeReg,
			Uname: "root", Gname: "root", ModTime: time.Unix(1700000000, 5)}, greet,
			"a050715fdda2e69356bbaf3117272fd4f67d16c933b1ab395a76bf811e7b62db"},
		// The type bits do count.
		{"greet.sh with type bits", &tar.Header{Name: "greet.sh", Mode: 0o100755, Size: int64(len(greet)), Typeflag: tar.TypeReg}, greet,
			"9102f716e5316f76e2dc5790be1b117ec80fdddfc939add14e4a269932fd871c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TarsumV1(tt.hdr, strings.NewReader(tt.content))
			if err != nil || got != tt.want {
				t.Errorf("got %s, %v, want %s", got, err, tt.want)
			}
		})
	}
}

// testdata/cli-build-context.tar is the context docker CLI 28.2.2 sent for a
// folder with a Dockerfile, greet.sh (0755), sub/a, sub/b/c and a symlink
// sub/l -> ../greet.sh. dockerd 20.10.24 built
//
//	FROM busybox / COPY greet.sh / / COPY sub /sub / COPY greet.sh sub/a /m/ /
//	COPY . /all/ / COPY sub/l /viasym / ADD sub/b /b2
//
// from it and recorded the hashes below in the image's history.
func TestContextSourceHashes(t *testing.T) {
	data, err := os.ReadFile("testdata/cli-build-context.tar")
	if err != nil {
		t.Fatal(err)
	}
	sums, err := SumContext(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	const greet = "file:a050715fdda2e69356bbaf3117272fd4f67d16c933b1ab395a76bf811e7b62db"
	tests := []struct {
		sources []string
		want    string
	}{
		{[]string{"greet.sh"}, greet},
		{[]string{"./greet.sh"}, greet},
		{[]string{"sub"}, "dir:ecf8600fb00e33e97c445f91e05a558d7dd038e79d90b0df50967ad897df96a3"},
		{[]string{"sub/"}, "dir:ecf8600fb00e33e97c445f91e05a558d7dd038e79d90b0df50967ad897df96a3"},
		{[]string{"greet.sh", "sub/a"}, "multi:3f8d9fe2062888c271c6bd5e73e3b2852480ee607277e3698a65a237f57c20e1"},
		{[]string{"."}, "dir:6aafd85342e79fb964e192e67db628a4bd00457ce6906f81284487489eede9c5"},
		{[]string{"sub/l"}, greet}, // a symlink hashes as what it leads to
		{[]string{"sub/b"}, "dir:fcba9485d42757257d624844d15578c9ceda5379b7328202965c28d21ef57474"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.sources, "+"), func(t *testing.T) {
			var hashes []string
			for _, s := range tt.sources {
				h, err := sums.SourceHash(s)
				if err != nil {
					t.Fatalf("SourceHash(%q): %v", s, err)
				}
				hashes = append(hashes, h)
			}
			got := hashes[0]
			if len(hashes) > 1 {
				got = MultiHash(hashes)
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := sums.SourceHash("nosuch"); err == nil || !backend.IsNotFound(err) || err.Error() != "stat nosuch: file does not exist" {
		t.Errorf("SourceHash(nosuch): got %v, want NotFound \"stat nosuch: file does not exist\"", err)
	}
	if got, want := strings.Join(sums.Paths(), " "), "Dockerfile greet.sh sub sub/a sub/b sub/b/c sub/l"; got != want {
		t.Errorf("Paths: got %s, want %s", got, want)
	}
	// Removing the Dockerfile (as .dockerignore can ask) changes the
	// context's hash but not the files'.
	sums.Remove("Dockerfile")
	if h, _ := sums.SourceHash("."); h == "dir:6aafd85342e79fb964e192e67db628a4bd00457ce6906f81284487489eede9c5" {
		t.Errorf("SourceHash(.) after Remove(Dockerfile): unchanged, want a different hash")
	}
	if h, _ := sums.SourceHash("greet.sh"); h != greet {
		t.Errorf("SourceHash(greet.sh) after Remove: got %s, want %s", h, greet)
	}
}

func TestContextSymlinksStayInside(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Typeflag: tar.TypeSymlink, Name: "up", Linkname: "../../../etc", Mode: 0o777},
		{Typeflag: tar.TypeSymlink, Name: "abs", Linkname: "/f", Mode: 0o777},
		{Typeflag: tar.TypeSymlink, Name: "loop", Linkname: "loop", Mode: 0o777},
		{Typeflag: tar.TypeReg, Name: "f", Mode: 0o644},
	} {
		tw.WriteHeader(h)
	}
	tw.Close()
	sums, err := SumContext(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if sums.Exists("up/passwd") {
		t.Errorf("up/passwd: exists, want it to resolve inside the context and not exist")
	}
	f, _ := sums.SourceHash("f")
	if h, _ := sums.SourceHash("abs"); h != f {
		t.Errorf("abs -> /f: got %s, want the hash of f %s", h, f)
	}
	if sums.Exists("loop") {
		t.Errorf("loop: exists, want a symlink loop to lead nowhere")
	}
}
