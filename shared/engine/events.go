package engine

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/events"
)

// eventsLimit is how many past events the engine keeps, as dockerd.
const eventsLimit = 256

// eventLog keeps recent events and feeds subscribers.
type eventLog struct {
	mu       sync.Mutex
	past     []events.Message
	subs     map[chan events.Message]struct{}
	problems []string // internal problems with no caller to report to
}

func newEventLog() *eventLog {
	return &eventLog{subs: make(map[chan events.Message]struct{})}
}

func (l *eventLog) publish(now time.Time, typ events.Type, action events.Action, id string, attrs map[string]string) {
	m := events.Message{
		Type:     typ,
		Action:   action,
		Actor:    events.Actor{ID: id, Attributes: attrs},
		Scope:    "local",
		Time:     now.Unix(),
		TimeNano: now.UnixNano(),
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.past) >= eventsLimit {
		copy(l.past, l.past[1:])
		l.past = l.past[:len(l.past)-1]
	}
	l.past = append(l.past, m)
	for ch := range l.subs {
		select {
		case ch <- m:
		default: // a subscriber that does not keep up misses events, as in dockerd
		}
	}
}

func (l *eventLog) internal(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.problems) >= eventsLimit {
		l.problems = l.problems[1:]
	}
	l.problems = append(l.problems, msg)
}

// Events answers GET /events: the past events matching opts, then live ones
// on the channel until ctx is done or opts.Until passes (then it is closed).
// Errors: InvalidParameter for an unknown filter.
func (e *Engine) Events(ctx context.Context, opts EventsOptions) ([]events.Message, <-chan events.Message, error) {
	match, err := eventFilter(opts.Filters)
	if err != nil {
		return nil, nil, err
	}
	inRange := func(m events.Message) bool {
		t := time.Unix(0, m.TimeNano)
		if !opts.Since.IsZero() && t.Before(opts.Since) {
			return false
		}
		if !opts.Until.IsZero() && t.After(opts.Until) {
			return false
		}
		return true
	}
	l := e.events
	l.mu.Lock()
	var past []events.Message
	// As dockerd, past events are sent only when a time range is asked for.
	for _, m := range l.past {
		if opts.Since.IsZero() && opts.Until.IsZero() {
			break
		}
		if inRange(m) && match(m) {
			past = append(past, m)
		}
	}
	sub := make(chan events.Message, 1024)
	l.subs[sub] = struct{}{}
	l.mu.Unlock()

	out := make(chan events.Message)
	go func() {
		defer close(out)
		defer func() {
			l.mu.Lock()
			delete(l.subs, sub)
			l.mu.Unlock()
		}()
		var until <-chan time.Time
		if !opts.Until.IsZero() {
			t := time.NewTimer(time.Until(opts.Until))
			defer t.Stop()
			until = t.C
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-until:
				return
			case m := <-sub:
				if !inRange(m) || !match(m) {
					continue
				}
				select {
				case out <- m:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return past, out, nil
}

// eventFilter compiles the filters dockerd accepts on events.
func eventFilter(f Filters) (func(events.Message) bool, error) {
	for k := range f {
		switch k {
		case "container", "image", "event", "type", "label", "daemon", "network", "volume", "scope", "plugin", "node", "service", "secret", "config":
		default:
			return nil, invalidFilter(k)
		}
	}
	return func(m events.Message) bool {
		anyOf := func(key string, ok func(string) bool) bool {
			vals := f[key]
			if len(vals) == 0 {
				return true
			}
			for _, v := range vals {
				if ok(v) {
					return true
				}
			}
			return false
		}
		return anyOf("type", func(v string) bool { return string(m.Type) == v }) &&
			anyOf("event", func(v string) bool { return string(m.Action) == v || strings.HasPrefix(string(m.Action), v+":") }) &&
			anyOf("container", func(v string) bool {
				return m.Type == events.ContainerEventType && (m.Actor.ID == v || strings.HasPrefix(m.Actor.ID, v) || m.Actor.Attributes["name"] == v)
			}) &&
			anyOf("image", func(v string) bool {
				return m.Actor.Attributes["image"] == v || (m.Type == events.ImageEventType && (m.Actor.ID == v || m.Actor.Attributes["name"] == v))
			}) &&
			anyOf("label", func(v string) bool {
				k, want, hasValue := strings.Cut(v, "=")
				got, ok := m.Actor.Attributes[k]
				return ok && (!hasValue || got == want)
			}) &&
			anyOf("network", func(v string) bool {
				return m.Type == events.NetworkEventType && (m.Actor.ID == v || m.Actor.Attributes["name"] == v)
			}) &&
			anyOf("volume", func(v string) bool { return m.Type == events.VolumeEventType && m.Actor.ID == v }) &&
			anyOf("scope", func(v string) bool { return m.Scope == v })
	}, nil
}
