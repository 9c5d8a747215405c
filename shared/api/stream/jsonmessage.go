package stream

// The encoding follows github.com/docker/docker/pkg/streamformatter and
// pkg/jsonmessage (v20.10.24), Apache License 2.0.

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

// streamNewline ends every message of a JSON message stream, as dockerd's
// streamformatter writes it.
const streamNewline = "\r\n"

// Encoder writes a JSON message stream as dockerd 20.10 does: one JSON
// object per message followed by "\r\n", each flushed at once when the
// writer can flush. It adds the legacy fields 1.41 clients read: "progress"
// (the progress bar as text, computed from progressDetail) and "error" (the
// text of errorDetail). Its methods are safe for concurrent use.
type Encoder struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// NewEncoder returns an Encoder writing to w. If w is not a *WriteFlusher
// it is wrapped in one.
func NewEncoder(w io.Writer) *Encoder {
	if _, ok := w.(*WriteFlusher); !ok {
		w = NewWriteFlusher(w)
	}
	return &Encoder{w: w, now: time.Now}
}

// Encode writes m.
func (e *Encoder) Encode(m jsonstream.Message) error {
	return e.write(Legacy(m, e.now))
}

// Status writes a status message, as dockerd's FormatStatus:
// {"status":"...","id":"..."}.
func (e *Encoder) Status(id, format string, args ...any) error {
	return e.write(&wire.JSONMessage{ID: id, Status: fmt.Sprintf(format, args...)})
}

// Error writes err as the last message of a failed stream, as dockerd's
// FormatError: {"errorDetail":{"message":"..."},"error":"..."}. A
// *jsonstream.Error keeps its code.
func (e *Encoder) Error(err error) error {
	return e.write(ErrorMessage(err))
}

// Stream writes text as a "stream" message, as the output of a build step.
func (e *Encoder) Stream(text string) error {
	return e.write(&wire.JSONMessage{Stream: text})
}

func (e *Encoder) write(m *wire.JSONMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		b, _ = json.Marshal(ErrorMessage(err))
	}
	b = append(b, streamNewline...)
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err = e.w.Write(b)
	return err
}

// ErrorMessage returns the message that reports err in a stream.
func ErrorMessage(err error) *wire.JSONMessage {
	je, ok := err.(*jsonstream.Error)
	if !ok {
		je = &jsonstream.Error{Message: err.Error()}
	}
	return &wire.JSONMessage{Error: je, ErrorMessage: err.Error()}
}

// Legacy returns m in API 1.41's wire form: "progress" is filled from
// m.Progress (see ProgressString) and "error" from m.Error. now is the
// clock for the time left of a progress with a Start; nil means time.Now.
func Legacy(m jsonstream.Message, now func() time.Time) *wire.JSONMessage {
	w := &wire.JSONMessage{
		Stream:   m.Stream,
		Status:   m.Status,
		Progress: m.Progress,
		ID:       m.ID,
		Error:    m.Error,
		Aux:      m.Aux,
	}
	if m.Progress != nil {
		if now == nil {
			now = time.Now
		}
		w.ProgressMessage = progressString(m.Progress, now)
	}
	if m.Error != nil {
		w.ErrorMessage = m.Error.Message
	}
	return w
}

// ProgressString is the progress bar dockerd 20.10 puts in a message's
// "progress" field: a 50-character bar, then the sizes ("1.2MB/3.4MB"),
// then, when p.Start is set, the time left. dockerd computes it for a
// 200-column terminal, as its own standard input is not one.
func ProgressString(p *jsonstream.Progress) string {
	return progressString(p, time.Now)
}

// progressString is jsonmessage.JSONProgress.String with width 200.
func progressString(p *jsonstream.Progress, now func() time.Time) string {
	const width = 200
	var pbBox, numbersBox, timeLeftBox string
	if p.Current <= 0 && p.Total <= 0 {
		return ""
	}
	if p.Total <= 0 {
		switch p.Units {
		case "":
			return fmt.Sprintf("%8v", units.HumanSize(float64(p.Current)))
		default:
			return fmt.Sprintf("%d %s", p.Current, p.Units)
		}
	}
	percentage := int(float64(p.Current)/float64(p.Total)*100) / 2
	if percentage > 50 {
		percentage = 50
	}
	if width > 110 {
		numSpaces := 0
		if 50-percentage > 0 {
			numSpaces = 50 - percentage
		}
		pbBox = fmt.Sprintf("[%s>%s] ", strings.Repeat("=", max(percentage, 0)), strings.Repeat(" ", numSpaces))
	}
	switch {
	case p.HideCounts:
	case p.Units == "":
		current := units.HumanSize(float64(p.Current))
		total := units.HumanSize(float64(p.Total))
		numbersBox = fmt.Sprintf("%8v/%v", current, total)
		if p.Current > p.Total {
			numbersBox = fmt.Sprintf("%8v", current)
		}
	default:
		numbersBox = fmt.Sprintf("%d/%d %s", p.Current, p.Total, p.Units)
		if p.Current > p.Total {
			numbersBox = fmt.Sprintf("%d %s", p.Current, p.Units)
		}
	}
	if p.Current > 0 && p.Start > 0 && percentage < 50 {
		fromStart := now().UTC().Sub(time.Unix(p.Start, 0))
		perEntry := fromStart / time.Duration(p.Current)
		left := time.Duration(p.Total-p.Current) * perEntry
		left = (left / time.Second) * time.Second
		if width > 50 {
			timeLeftBox = " " + left.String()
		}
	}
	return pbBox + numbersBox + timeLeftBox
}

// Decoder reads a JSON message stream.
type Decoder struct {
	dec *json.Decoder
}

// NewDecoder returns a Decoder reading r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{dec: json.NewDecoder(r)}
}

// Decode reads the next message in its wire form. It returns io.EOF at the
// end of the stream. A message that reports an error is returned without
// error: the caller decides (see Each).
func (d *Decoder) Decode() (*wire.JSONMessage, error) {
	var m wire.JSONMessage
	if err := d.dec.Decode(&m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Each reads r to its end and calls fn with each message. It stops at the
// first message that reports an error and returns that error as a
// *jsonstream.Error, or at the first error of fn or of the JSON decoding.
func Each(r io.Reader, fn func(jsonstream.Message) error) error {
	d := NewDecoder(r)
	for {
		m, err := d.Decode()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		msg := m.Message()
		if msg.Error != nil {
			return msg.Error
		}
		if fn != nil {
			if err := fn(msg); err != nil {
				return err
			}
		}
	}
}
