package image

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

// The configuration dockerd 20.10.24 stored for the ADD step of
// `FROM scratch` / `ADD rootfs.tar /` (the base image's first layer).
const dockerdAddConfig = `{"architecture":"amd64","config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"container_config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh","-c","#(nop) ADD file:21b797decdefbf806c2d4a3feb4ebff8daaca5658d2c8fbfeb72a21862891620 in / "],"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"created":"2026-11-23T11:06:12.260764828Z","docker_version":"20.10.24+dfsg1","history":[{"created":"2026-11-23T11:06:12.260764828Z","created_by":"/bin/sh -c #(nop) ADD file:21b797decdefbf806c2d4a3feb4ebff8daaca5658d2c8fbfeb72a21862891620 in / "}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:23996da91515196bda72621b621579b8e2a6babca6a612a81a14bc01ef0d3fff"]}}`

// ... and for the CMD step after it.
const dockerdCmdConfig = `{"architecture":"amd64","config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"Image":"sha256:7205be027dd1682d5e30483b0b903ea83ed457ecc9eab6a694a1b10250048499","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"container":"c74a682e5324be003cb6c46b6dcfa6befdc85f03d7606c8d5cca5994806d5451","container_config":{"Hostname":"c74a682e5324","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh","-c","#(nop) ","CMD [\"sh\"]"],"Image":"sha256:7205be027dd1682d5e30483b0b903ea83ed457ecc9eab6a694a1b10250048499","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{}},"created":"2026-11-23T11:06:12.401940726Z","docker_version":"20.10.24+dfsg1","history":[{"created":"2026-11-23T11:06:12.260764828Z","created_by":"/bin/sh -c #(nop) ADD file:21b797decdefbf806c2d4a3feb4ebff8daaca5658d2c8fbfeb72a21862891620 in / "},{"created":"2026-11-23T11:06:12.401940726Z","created_by":"/bin/sh -c #(nop)  CMD [\"sh\"]","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:23996da91515196bda72621b621579b8e2a6babca6a612a81a14bc01ef0d3fff"]}}`

func TestImageMarshalMatchesDockerd(t *testing.T) {
	tests := []struct {
		name, raw, id string
	}{
		{"ADD step", dockerdAddConfig, "sha256:7205be027dd1682d5e30483b0b903ea83ed457ecc9eab6a694a1b10250048499"},
		{"CMD step", dockerdCmdConfig, "sha256:41e26a1526f10fc02247b8825bb659991948cfeea6b159503a535ecebfc83e61"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Digest([]byte(tt.raw)); got != tt.id {
				t.Fatalf("fixture: got ID %s, want %s", got, tt.id)
			}
			img, err := Parse([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			data, id, err := img.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tt.raw {
				t.Errorf("got\n%s\nwant\n%s", data, tt.raw)
			}
			if id != tt.id {
				t.Errorf("ID: got %s, want %s", id, tt.id)
			}
		})
	}
}

func TestImageMarshalBuilt(t *testing.T) {
	// The same ADD configuration built field by field, as a builder would.
	created := time.Date(2026, 11, 23, 11, 6, 12, 260764828, time.UTC)
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	by := "/bin/sh -c #(nop) ADD file:21b797decdefbf806c2d4a3feb4ebff8daaca5658d2c8fbfeb72a21862891620 in / "
	img := &Image{
		Architecture:    "amd64",
		Config:          &container.Config{Env: env},
		ContainerConfig: container.Config{Env: env, Cmd: []string{"/bin/sh", "-c", "#(nop) ADD file:21b797decdefbf806c2d4a3feb4ebff8daaca5658d2c8fbfeb72a21862891620 in / "}},
		Created:         created,
		DockerVersion:   DockerVersion,
		History:         []History{{Created: created, CreatedBy: by}},
		OS:              "linux",
		RootFS:          RootFS{DiffIDs: []string{"sha256:23996da91515196bda72621b621579b8e2a6babca6a612a81a14bc01ef0d3fff"}},
	}
	data, _, err := img.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != dockerdAddConfig {
		t.Errorf("got\n%s\nwant\n%s", data, dockerdAddConfig)
	}
}
