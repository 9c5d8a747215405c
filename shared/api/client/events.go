package client

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/moby/moby/api/types/events"
)

// Events streams the engine's events (GET /events) matching the filters,
// from now on. Messages come on the first channel; the first error (io.EOF
// when the engine ends the stream) comes on the second, after which
// nothing more is sent. Both end with ctx.
func (c *Client) Events(ctx context.Context, filters Filters) (<-chan events.Message, <-chan error) {
	msgs := make(chan events.Message)
	errs := make(chan error, 1)
	go func() {
		resp, err := c.request(ctx, http.MethodGet, "/events", filterQuery(filters), nil, nil)
		if err != nil {
			drain(resp)
			errs <- err
			return
		}
		defer resp.Body.Close()
		dec := json.NewDecoder(resp.Body)
		for {
			var m events.Message
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
