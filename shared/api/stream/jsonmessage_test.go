package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
)

func raw(s string) *json.RawMessage {
	r := json.RawMessage(s)
	return &r
}

// The wanted lines are what dockerd 20.10.24 writes for the same messages.
func TestEncoderEncode(t *testing.T) {
	tests := []struct {
		name string
		msg  jsonstream.Message
		want string
	}{
		{"status with id", jsonstream.Message{Status: "Pulling from library/busybox", ID: "latest"},
			`{"status":"Pulling from library/busybox","id":"latest"}`},
		{"progress bar", jsonstream.Message{Status: "Downloading", ID: "5cc84ad355aa",
			Progress: &jsonstream.Progress{Current: 32768, Total: 772788}},
			`{"status":"Downloading","progressDetail":{"current":32768,"total":772788},"progress":"[==\u003e                                                ]  32.77kB/772.8kB","id":"5cc84ad355aa"}`},
		{"finished progress", jsonstream.Message{Status: "Pull complete", ID: "5cc84ad355aa", Progress: &jsonstream.Progress{}},
			`{"status":"Pull complete","progressDetail":{},"id":"5cc84ad355aa"}`},
		{"full bar", jsonstream.Message{Status: "Extracting", ID: "x", Progress: &jsonstream.Progress{Current: 772788, Total: 772788}},
			`{"status":"Extracting","progressDetail":{"current":772788,"total":772788},"progress":"[==================================================\u003e]  772.8kB/772.8kB","id":"x"}`},
		{"units without total", jsonstream.Message{Status: "Loading", Progress: &jsonstream.Progress{Current: 3, Units: "layers"}},
			`{"status":"Loading","progressDetail":{"current":3,"units":"layers"},"progress":"3 layers"}`},
		{"bytes without total", jsonstream.Message{Status: "Sending", Progress: &jsonstream.Progress{Current: 1500}},
			`{"status":"Sending","progressDetail":{"current":1500},"progress":"   1.5kB"}`},
		{"hidden counts", jsonstream.Message{Status: "Waiting", Progress: &jsonstream.Progress{Current: 1, Total: 4, HideCounts: true}},
			`{"status":"Waiting","progressDetail":{"current":1,"total":4,"hidecounts":true},"progress":"[============\u003e                                      ] "}`},
		{"stream", jsonstream.Message{Stream: "Step 1/2 : FROM busybox\n"}, `{"stream":"Step 1/2 : FROM busybox\n"}`},
		{"aux", jsonstream.Message{Aux: raw(`{"ID":"sha256:abc"}`)}, `{"aux":{"ID":"sha256:abc"}}`},
		{"error with code", jsonstream.Message{Error: &jsonstream.Error{Code: 401, Message: "unauthorized"}},
			`{"errorDetail":{"code":401,"message":"unauthorized"},"error":"unauthorized"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := NewEncoder(&buf).Encode(tt.msg); err != nil {
				t.Fatal(err)
			}
			if got, want := buf.String(), tt.want+"\r\n"; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestEncoderHelpers(t *testing.T) {
	tests := []struct {
		name  string
		write func(e *Encoder) error
		want  string
	}{
		{"status", func(e *Encoder) error { return e.Status("", "Loaded image: %s", "busybox:latest") },
			`{"status":"Loaded image: busybox:latest"}`},
		{"error", func(e *Encoder) error { return e.Error(errors.New("manifest for x:latest not found")) },
			`{"errorDetail":{"message":"manifest for x:latest not found"},"error":"manifest for x:latest not found"}`},
		{"coded error", func(e *Encoder) error { return e.Error(&jsonstream.Error{Code: 7, Message: "m"}) },
			`{"errorDetail":{"code":7,"message":"m"},"error":"m"}`},
		{"stream", func(e *Encoder) error { return e.Stream(" ---> Running in abc\n") },
			`{"stream":" ---\u003e Running in abc\n"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(NewEncoder(&buf)); err != nil {
				t.Fatal(err)
			}
			if got, want := buf.String(), tt.want+"\r\n"; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestProgressTimeLeft(t *testing.T) {
	start := time.Unix(1000, 0)
	p := &jsonstream.Progress{Current: 100, Total: 400, Start: start.Unix()}
	got := progressString(p, func() time.Time { return start.Add(10 * time.Second) })
	want := "[============>                                      ]     100B/400B 30s"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestEncoderFlushesEachMessage(t *testing.T) {
	rec := httptest.NewRecorder()
	e := NewEncoder(rec)
	if rec.Flushed {
		t.Fatalf("got flushed before any message, want not flushed")
	}
	e.Status("id", "one")
	if !rec.Flushed {
		t.Errorf("got not flushed after a message, want flushed")
	}
}

func TestDecoderRoundTrip(t *testing.T) {
	msgs := []jsonstream.Message{
		{Status: "Pulling from library/busybox", ID: "latest"},
		{Status: "Downloading", ID: "a", Progress: &jsonstream.Progress{Current: 1, Total: 2}},
		{Stream: "hello\n"},
		{Aux: raw(`{"ID":"sha256:1"}`)},
	}
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	for _, m := range msgs {
		e.Encode(m)
	}
	e.Error(errors.New("failed"))
	var got []jsonstream.Message
	err := Each(&buf, func(m jsonstream.Message) error {
		got = append(got, m)
		return nil
	})
	var je *jsonstream.Error
	if !errors.As(err, &je) || je.Message != "failed" {
		t.Fatalf("got error %v, want the stream's error \"failed\"", err)
	}
	if len(got) != len(msgs) {
		t.Fatalf("got %d messages, want %d", len(got), len(msgs))
	}
	for i := range msgs {
		a, _ := json.Marshal(got[i])
		b, _ := json.Marshal(msgs[i])
		if !bytes.Equal(a, b) {
			t.Errorf("message %d: got %s, want %s", i, a, b)
		}
	}
}

func TestDecoderLegacyError(t *testing.T) {
	err := Each(strings.NewReader(`{"status":"x"}`+"\n"+`{"error":"old style"}`), nil)
	if err == nil || err.Error() != "old style" {
		t.Errorf("got %v, want old style", err)
	}
	if err := Each(strings.NewReader(`{"status":`), nil); err == nil {
		t.Errorf("got nil error for a cut stream, want a decoding error")
	}
}
