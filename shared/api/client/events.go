package client

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/twinbox-dev/twinbox/shared/api/wire"
)

// EventsOptions say which events Events streams: those since Since (or
// from now on) until Until (or for ever), as the docker CLI takes them
// ("10m", RFC 3339, Unix time), that match Filters.
type EventsOptions struct {
	Since, Until string
	Filters      Filters
}

// Events streams the engine's events (GET /events) that opts select. Messages come on the first channel; the first error (io.EOF
// when the engine ends the stream) comes on the second, after which
// nothing more is sent. Both end with ctx.
func (c *Client) Events(ctx context.Context, opts EventsOptions) (<-chan wire.EventMessage, <-chan error) {
	msgs := make(chan wire.EventMessage)
	errs := make(chan error, 1)
	q := filterQuery(opts.Filters)
	now := time.Now()
	for _, t := range []struct{ key, value string }{{"since", opts.Since}, {"until", opts.Until}} {
		if t.value == "" {
			continue
		}
		ts, err := GetTimestamp(t.value, now)
		if err != nil {
			errs <- err
			return msgs, errs
		}
		q.Set(t.key, ts)
	}
	go func() {
		resp, err := c.request(ctx, http.MethodGet, "/events", q, nil, nil)
		if err != nil {
			drain(resp)
			errs <- err
			return
		}
		defer resp.Body.Close()
		dec := json.NewDecoder(resp.Body)
		for {
			var m wire.EventMessage
			if err := dec.Decode(&m); err != nil {
				errs <- err
				return
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			}
		}
	}()
	return msgs, errs
}
