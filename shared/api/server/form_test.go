package server

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/twinbox-dev/twinbox/shared/api/transport"
)

func TestParseFilters(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"", `{}`, false},
		{"null", `{}`, false},
		{`{"status":{"exited":true}}`, `{"status":["exited"]}`, false},
		{`{"name":{"b":true,"a":true}}`, `{"name":["a","b"]}`, false},
		{`{"status":{"exited":false}}`, `{"status":["exited"]}`, false}, // dockerd's Get lists every key
		{`{"status":{}}`, `{"status":[]}`, false},
		{`{"status":["exited","running","exited"]}`, `{"status":["exited","running"]}`, false},
		{`{"a":["x"],"b":{"y":true}}`, ``, true},
		{`{`, ``, true},
		{`[]`, ``, true},
		{`{"status":"exited"}`, ``, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := ParseFilters(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			got, _ := json.Marshal(f)
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func FuzzParseFilters(f *testing.F) {
	for _, s := range []string{"", `{"status":{"exited":true}}`, `{"name":["a","b"]}`, `{"a":{}}`, `null`, `{"a":null}`, `{"a":[null]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFilters(s)
		if err != nil {
			return
		}
		// Whatever parses is sorted, without duplicates, and survives a
		// round trip through the current form.
		sets := map[string]map[string]bool{}
		for k, vals := range got {
			if !slices.IsSorted(vals) {
				t.Fatalf("values of %q not sorted: %q", k, vals)
			}
			if len(slices.Compact(slices.Clone(vals))) != len(vals) {
				t.Fatalf("values of %q repeat: %q", k, vals)
			}
			sets[k] = map[string]bool{}
			for _, v := range vals {
				sets[k][v] = true
			}
		}
		b, _ := json.Marshal(sets)
		again, err := ParseFilters(string(b))
		if err != nil {
			t.Fatalf("round trip of %s: %v", b, err)
		}
		g1, _ := json.Marshal(got)
		g2, _ := json.Marshal(again)
		if string(g1) != string(g2) {
			t.Fatalf("round trip: got %s, want %s", g2, g1)
		}
	})
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		ok      bool
		wantErr bool
	}{
		{"", time.Time{}, false, false},
		{"100", time.Unix(100, 0), true, false},
		{"100.5", time.Unix(100, 500000000), true, false},
		{"100.000000001", time.Unix(100, 1), true, false},
		{"1136073600.123", time.Unix(1136073600, 123000000), true, false},
		{"x", time.Time{}, false, true},
		{"1.x", time.Time{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok, err := parseTimestamp(tt.in)
			if (err != nil) != tt.wantErr || ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("got %v, %v, %v; want %v, %v, error %v", got, ok, err, tt.want, tt.ok, tt.wantErr)
			}
		})
	}
}

func TestBoolValue(t *testing.T) {
	for in, want := range map[string]bool{
		"": false, "0": false, "no": false, "false": false, "none": false, " FALSE ": false,
		"1": true, "true": true, "yes": true, "on": true, "anything": true,
	} {
		t.Run(in, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "/?x="+url(in), nil)
			if got := boolValue(r, "x"); got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func url(s string) string {
	out := ""
	for _, c := range []byte(s) {
		if c == ' ' {
			out += "%20"
		} else {
			out += string(c)
		}
	}
	return out
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.41", "1.41", 0}, {"1.41", "1.40", 1}, {"1.9", "1.12", -1}, {"1.41.0", "1.41", 0}, {"2", "1.99", 1},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q): got %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// BenchmarkContainerListRoundTrip measures GET /containers/json from a
// client to the router in process: over HTTP on an in-memory pipe (what the
// tests' and the sim daemon's clients use), and by calling the router
// (transport.InProcess, the browser's path).
func BenchmarkContainerListRoundTrip(b *testing.B) {
	h := newHandler(&fakeAPI{}, Options{})
	l := transport.NewPipeListener()
	srv := NewServer(h)
	go srv.Serve(l)
	defer srv.Close()
	overPipe := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return l.Dial(ctx) },
	}}
	for _, bb := range []struct {
		name string
		rt   http.RoundTripper
	}{
		{"http-pipe", overPipe.Transport},
		{"in-process", transport.NewInProcess(h)},
	} {
		b.Run(bb.name, func(b *testing.B) {
			client := &http.Client{Transport: bb.rt}
			for b.Loop() {
				resp, err := client.Get("http://docker/v1.41/containers/json?all=1")
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("got status %d, want 200", resp.StatusCode)
				}
			}
		})
	}
}
