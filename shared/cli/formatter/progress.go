package formatter

// Adapted from github.com/docker/docker/pkg/jsonmessage (v28.2.2), Apache
// License 2.0.

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

// rfc3339NanoFixed is time.RFC3339Nano with nanoseconds padded.
const rfc3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"

// ProgressOutput is where a JSON message stream is displayed.
type ProgressOutput struct {
	Out io.Writer
	// Terminal makes progress bars redraw in place with cursor movements;
	// otherwise only lines without a bar are printed.
	Terminal bool
	// Width is the terminal's width; 0 means 200, as docker assumes when it
	// cannot tell.
	Width int
	// Now is the clock of "time left" estimates; nil means time.Now.
	Now func() time.Time
	// Aux receives the messages carrying auxiliary data (image IDs of a
	// build); nil ignores them.
	Aux func(wire.JSONMessage)
}

// DisplayJSONMessages renders the messages of a pull, load or build as the
// docker CLI does, until in ends. An error message in the stream ends the
// display and is returned; its text is the message.
func DisplayJSONMessages(in io.Reader, o ProgressOutput) error {
	dec := json.NewDecoder(in)
	ids := make(map[string]uint)
	for {
		var diff uint
		var jm wire.JSONMessage
		if err := dec.Decode(&jm); err != nil {
			if err == io.EOF {
				break
			}
			return err
		}
		if jm.Aux != nil {
			if o.Aux != nil {
				o.Aux(jm)
			}
			continue
		}
		if jm.ID != "" && (jm.Progress != nil || jm.ProgressMessage != "") {
			line, ok := ids[jm.ID]
			if !ok {
				// NOTE: This approach of using len(id) to figure out the number
				// of lines of history only works as long as we clear the
				// history when we output something that's not accounted for in
				// the map, such as a line with no ID.
				line = uint(len(ids))
				ids[jm.ID] = line
				if o.Terminal {
					fmt.Fprintf(o.Out, "\n")
				}
			}
			diff = uint(len(ids)) - line
			if o.Terminal {
				cursorUp(o.Out, diff)
			}
		} else {
			// When outputting something that isn't progress output, clear
			// the history of previous lines.
			ids = make(map[string]uint)
		}
		err := display(&jm, o)
		if jm.ID != "" && o.Terminal {
			cursorDown(o.Out, diff)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func cursorUp(out io.Writer, n uint) {
	if n > 0 {
		fmt.Fprintf(out, "\x1b[%dA", n)
	}
}

func cursorDown(out io.Writer, n uint) {
	if n > 0 {
		fmt.Fprintf(out, "\x1b[%dB", n)
	}
}

// display writes one message.
func display(jm *wire.JSONMessage, o ProgressOutput) error {
	if jm.Error != nil {
		return &StreamError{Code: jm.Error.Code, Message: jm.Error.Message}
	}
	out := o.Out
	var endl string
	bar := progressString(jm.Progress, o)
	if o.Terminal && jm.Stream == "" && jm.Progress != nil {
		fmt.Fprint(out, "\x1b[2K") // clear the line
		endl = "\r"
		fmt.Fprint(out, endl)
	} else if jm.Progress != nil && bar != "" { // no progress bars off a terminal
		return nil
	}
	if jm.TimeNano != 0 {
		fmt.Fprintf(out, "%s ", time.Unix(0, jm.TimeNano).Format(rfc3339NanoFixed))
	} else if jm.Time != 0 {
		fmt.Fprintf(out, "%s ", time.Unix(jm.Time, 0).Format(rfc3339NanoFixed))
	}
	if jm.ID != "" {
		fmt.Fprintf(out, "%s: ", jm.ID)
	}
	if jm.From != "" {
		fmt.Fprintf(out, "(from %s) ", jm.From)
	}
	switch {
	case jm.Progress != nil && o.Terminal:
		fmt.Fprintf(out, "%s %s%s", jm.Status, bar, endl)
	case jm.ProgressMessage != "":
		fmt.Fprintf(out, "%s %s%s", jm.Status, jm.ProgressMessage, endl)
	case jm.Stream != "":
		fmt.Fprintf(out, "%s%s", jm.Stream, endl)
	default:
		fmt.Fprintf(out, "%s%s\n", jm.Status, endl)
	}
	return nil
}

// StreamError is an error reported inside a JSON message stream.
type StreamError struct {
	Code    int
	Message string
}

func (e *StreamError) Error() string { return e.Message }

// progressString renders a progress bar: "[==>   ]  1.2MB/3.4MB 2s".
func progressString(p *jsonstream.Progress, o ProgressOutput) string {
	if p == nil {
		return ""
	}
	width := o.Width
	if width == 0 {
		width = 200
	}
	var pbBox, numbersBox string
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
		// this number can't be negative gh#7136
		numSpaces := 0
		if 50-percentage > 0 {
			numSpaces = 50 - percentage
		}
		pbBox = fmt.Sprintf("[%s>%s] ", strings.Repeat("=", percentage), strings.Repeat(" ", numSpaces))
	}
	switch {
	case p.HideCounts:
	case p.Units == "": // no units, use bytes
		current := units.HumanSize(float64(p.Current))
		total := units.HumanSize(float64(p.Total))
		numbersBox = fmt.Sprintf("%8v/%v", current, total)
		if p.Current > p.Total {
			// remove total display if the reported current is wonky.
			numbersBox = fmt.Sprintf("%8v", current)
		}
	default:
		numbersBox = fmt.Sprintf("%d/%d %s", p.Current, p.Total, p.Units)
		if p.Current > p.Total {
			numbersBox = fmt.Sprintf("%d %s", p.Current, p.Units)
		}
	}
	var timeLeftBox string
	if width > 50 {
		if p.Current > 0 && p.Start > 0 && percentage < 50 {
			now := time.Now
			if o.Now != nil {
				now = o.Now
			}
			fromStart := now().UTC().Sub(time.Unix(p.Start, 0))
			perEntry := fromStart / time.Duration(p.Current)
			left := time.Duration(p.Total-p.Current) * perEntry
			timeLeftBox = " " + left.Round(time.Second).String()
		}
	}
	return pbBox + numbersBox + timeLeftBox
}
