package viz

import (
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var busybox = Image{
	Ref: "busybox", ID: "sha256:1fb95bf25b63aa1b3c1d8b5b0e0d3b3ea8c5b1e7e1f6d6a3c2e4f1b0a9d8c7b6", Size: 2075000,
	Layers: []Layer{
		{CreatedBy: "/bin/sh -c #(nop) ADD file:21b797decdefbf80 in / ", Size: 2075000, Digest: "sha256:36631d344faa0d6b4b7d1b6f1e3c1f3c4e5d6a7b8c9d0e1f2a3b4c5d6e7f8a9b"},
		{CreatedBy: `/bin/sh -c #(nop)  CMD ["sh"]`, Empty: true},
	},
}

func TestGolden(t *testing.T) {
	changes := []Change{{"C", "/bin"}, {"D", "/bin/ls"}, {"C", "/etc"}, {"C", "/etc/passwd"}, {"A", "/newfile"}}
	many := make([]Change, 0, 20)
	for i := 0; i < 20; i++ {
		many = append(many, Change{"A", "/data/file" + string(rune('a'+i))})
	}
	tests := []struct {
		name string
		svg  []byte
	}{
		{"layers", Layers(busybox)},
		{"container", Container(ContainerFS{Name: "changed", ID: "4f2c1a9b3d7e5f6a", State: "exited", Image: busybox, Changes: changes})},
		{"container-clean", Container(ContainerFS{Name: "clean", ID: "5a5a5a5a5a5a5a5a", State: "running", Image: busybox})},
		{"container-many", Container(ContainerFS{Name: "busy", ID: "6b6b6b6b6b6b6b6b", State: "exited", Image: busybox, Changes: many})},
		{"containers", Containers([]ContainerState{
			{Name: "web", ID: "aaaaaaaaaaaaaaaa", Image: "busybox", State: "running", Status: "Up 2 minutes"},
			{Name: "changed", ID: "bbbbbbbbbbbbbbbb", Image: "busybox", State: "exited", Status: "Exited (0) 5 seconds ago"},
			{Name: "<script>", ID: "cccccccccccccccc", Image: "busybox", State: "created", Status: "Created"},
		})},
		{"containers-none", Containers(nil)},
		{"lifecycle", Lifecycle([]ContainerState{
			{Name: "web", State: "running"}, {Name: "old", State: "exited"}, {Name: "gone", State: "dead"},
			{Name: "new", State: "created"}, {Name: "a", State: "paused"}, {Name: "b", State: "paused"},
			{Name: "c", State: "paused"}, {Name: "d", State: "paused"}, {Name: "e", State: "paused"},
		})},
		{"network-empty", Network(Networking{Bridges: []Bridge{{Name: "bridge", Driver: "bridge", Device: "docker0", Subnet: "172.17.0.0/16", Gateway: "172.17.0.1"}}})},
		{"network-edges", Network(Networking{
			Bridges: []Bridge{
				{Name: "bridge", Driver: "bridge", Device: "docker0", Subnet: "172.17.0.0/16", Endpoints: []Endpoint{{Container: "db", Address: "172.17.0.2/16"}}},
				{Name: "vlan", Driver: "macvlan", Subnet: "10.1.0.0/24", Gateway: "10.1.0.1"},
			},
			Containers: []NetContainer{
				{Name: "a", Mode: "container", Joins: "db"},
				{Name: "a-sidecar-with-a-long-name", Mode: "container", Joins: "db"},
				{Name: "b", Mode: "container", Joins: "a"},
				{Name: "db", Mode: "bridge", Ports: []Published{{Port: "53/udp", Host: []string{"127.0.0.1:5353"}}, {Port: "5432/tcp", Host: []string{"0.0.0.0:32768", "[::]:32768"}}}},
				{Name: "hw", Mode: "host"},
				{Name: "lonely", Mode: "bridge"},
				{Name: "orphan", Mode: "container", Joins: "gone"},
				{Name: "rider", Mode: "container", Joins: "hw"},
			},
			Stopped: []string{"gone", "x"},
		})},
		{"processes-none", Processes(ProcessTable{})},
		{"processes-edges", Processes(ProcessTable{Containers: []NSContainer{
			{Name: "busy", State: "running", Pid: 100, Procs: manyProcs(100, 15)},
			{Name: "frozen", State: "paused", Pid: 200, IPC: "a-container-with-a-long-name", Procs: []Process{{PID: 200, PPID: 1, NSPID: 1, Cmd: "sleep 1000"}}},
			{Name: "gone", State: "running", Err: "Container gone is not running"},
			{Name: "quiet", State: "running"},
		}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden(t, tt.name, tt.svg) })
	}
}

// golden checks that svg is well-formed and the same as testdata/NAME.svg
// (-update rewrites it).
func golden(t *testing.T, name string, svg []byte) {
	t.Helper()
	// Well-formed XML, so a browser and an <img> draw it.
	d := xml.NewDecoder(strings.NewReader(string(svg)))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed: %v", err)
			}
			break
		}
	}
	file := filepath.Join("testdata", name+".svg")
	if *update {
		if err := os.WriteFile(file, svg, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(svg) {
		t.Errorf("got\n%s\nwant (%s, -update rewrites it)\n%s", svg, file, want)
	}
}

// TestWhatIsDrawn checks what a learner reads in the pictures, apart from
// the golden files' layout.
func TestWhatIsDrawn(t *testing.T) {
	l := string(Layers(busybox))
	for _, want := range []string{"image busybox  1fb95bf25b63  2.08MB", `ADD file:21b797decdefbf80 in /`, "36631d344faa  2.08MB", `CMD [&#34;sh&#34;]`, "no layer", "1 layer, read-only"} {
		if !strings.Contains(l, want) {
			t.Errorf("layers: no %q in\n%s", want, l)
		}
	}
	if strings.Index(l, "CMD") > strings.Index(l, "ADD") {
		t.Error("layers: the newest row (CMD) is not on top")
	}
	c := string(Container(ContainerFS{Name: "x", State: "exited", Image: busybox, Changes: []Change{{"D", "/bin/ls"}, {"A", "/new"}}}))
	for _, want := range []string{`class="D"`, "D /bin/ls", `class="A"`, "A /new", "1 A, 1 D", "read-write layer"} {
		if !strings.Contains(c, want) {
			t.Errorf("container: no %q in\n%s", want, c)
		}
	}
	many := make([]Change, 15)
	for i := range many {
		many[i] = Change{"A", "/f"}
	}
	if c := string(Container(ContainerFS{Image: busybox, Changes: many})); !strings.Contains(c, "… and 3 more") {
		t.Errorf("container with 15 changes: no count of the undrawn ones in\n%s", c)
	}
	cs := string(Containers([]ContainerState{{Name: "<b>", State: "running", Status: "Up"}}))
	if strings.Contains(cs, "<b>") || !strings.Contains(cs, "&lt;b&gt;") || !strings.Contains(cs, `class="s-running"`) {
		t.Errorf("containers: names not escaped or state not drawn:\n%s", cs)
	}
}

// manyProcs is a first process (PID 1 inside) and n-1 children.
func manyProcs(pid, n int) []Process {
	ps := []Process{{PID: pid, PPID: 1, NSPID: 1, Cmd: "sh -c <many>"}}
	for i := 1; i < n; i++ {
		ps = append(ps, Process{PID: pid + i, PPID: pid, Cmd: "sleep 1000"})
	}
	return ps
}
