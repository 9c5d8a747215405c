package server

import (
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twinbox-dev/twinbox/shared/backend"
	"github.com/twinbox-dev/twinbox/shared/engine"
)

// writeJSON answers with status and v as JSON followed by a newline, HTML
// characters unescaped, as dockerd's httputils.WriteJSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// parseForm parses the query and a form body; a body of another type is no
// error, as in dockerd.
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil && !strings.HasPrefix(err.Error(), "mime:") {
		return backend.WithCode(backend.InvalidParameter, err)
	}
	return nil
}

// checkForJSON requires a JSON body, or no body at all.
func checkForJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" && (r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0) {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
		return nil
	}
	return backend.Errorf(backend.InvalidParameter, "Content-Type specified (%s) must be 'application/json'", ct)
}

// boolValue reads a boolean parameter as dockerd does: absent, "", "0",
// "no", "false" and "none" (in any case, spaces trimmed) are false, anything
// else is true.
func boolValue(r *http.Request, k string) bool {
	s := strings.ToLower(strings.TrimSpace(r.FormValue(k)))
	return !(s == "" || s == "0" || s == "no" || s == "false" || s == "none")
}

// boolValueOrDefault is boolValue, or d when the parameter is absent.
func boolValueOrDefault(r *http.Request, k string, d bool) bool {
	if _, ok := r.Form[k]; !ok {
		return d
	}
	return boolValue(r, k)
}

// int64ValueOrZero reads an integer parameter; absent or malformed is 0.
func int64ValueOrZero(r *http.Request, k string) int64 {
	v, err := strconv.ParseInt(r.Form.Get(k), 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// intParam reads an optional integer parameter. A malformed value is an
// error without a code (500), as dockerd's strconv errors are.
func intParam(r *http.Request, k string) (*int, error) {
	s := r.Form.Get(k)
	if s == "" {
		return nil, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// ParseFilters reads the `filters` query parameter of list and event
// endpoints as dockerd does: the current form {"status":{"exited":true}}
// or the legacy form {"status":["exited"]}. Values come sorted. An empty
// string is no filter. A malformed value is an error without a code, as in
// dockerd (500), with encoding/json's message.
func ParseFilters(s string) (engine.Filters, error) {
	f := engine.Filters{}
	if s == "" {
		return f, nil
	}
	var sets map[string]map[string]bool
	err := json.Unmarshal([]byte(s), &sets)
	if err == nil {
		for k, set := range sets {
			vals := make([]string, 0, len(set))
			for v := range set {
				vals = append(vals, v)
			}
			slices.Sort(vals)
			f[k] = vals
		}
		return f, nil
	}
	var lists map[string][]string
	if json.Unmarshal([]byte(s), &lists) != nil {
		return f, err
	}
	for k, list := range lists {
		vals := make([]string, 0, len(list))
		for _, v := range list {
			if !slices.Contains(vals, v) {
				vals = append(vals, v)
			}
		}
		slices.Sort(vals)
		f[k] = vals
	}
	return f, nil
}

// parseTimestamp reads a "since"/"until" parameter: seconds since the epoch
// with an optional fraction ("1136073600.000000001"), as the docker CLI
// sends it. ok is false for "". Errors are strconv's, without a code.
func parseTimestamp(value string) (t time.Time, ok bool, err error) {
	if value == "" {
		return time.Time{}, false, nil
	}
	secStr, fracStr, hasFrac := strings.Cut(value, ".")
	s, err := strconv.ParseInt(secStr, 10, 64)
	if err != nil {
		return time.Time{}, false, err
	}
	var n int64
	if hasFrac {
		n, err = strconv.ParseInt(fracStr, 10, 64)
		if err != nil {
			return time.Time{}, false, err
		}
		// Scale to nanoseconds as dockerd does, in floating point.
		n = int64(float64(n) * math.Pow(10, float64(9-len(fracStr))))
	}
	return time.Unix(s, n), true, nil
}

// drain reads what is left of a request body so the connection can serve
// the next request.
func drain(r io.Reader) { _, _ = io.Copy(io.Discard, r) }
