package client

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/twinbox-dev/twinbox/shared/backend"
)

// Error is an error answer of the engine. Its text is the docker CLI's:
// "Error response from daemon: " and the daemon's message.
//
// It unwraps to a *backend.Error with the code of the HTTP status, so
// backend.IsNotFound(err) and backend.CodeOf(err) work on it.
type Error struct {
	StatusCode int    // the HTTP status
	Message    string // the daemon's message, exactly (or Docker's text for an answer without one)
	bare       bool   // the answer had no message: Message is the client's text
}

func (e *Error) Error() string {
	if e.bare {
		return e.Message
	}
	return "Error response from daemon: " + e.Message
}

// Code is the backend code of the HTTP status.
func (e *Error) Code() backend.Code { return backend.CodeForStatus(e.StatusCode) }

// Unwrap returns the error as a coded backend error.
func (e *Error) Unwrap() error { return &backend.Error{Code: e.Code(), Msg: e.Message} }

// checkResponse turns an error answer (status 400 and above) into an
// *Error, consuming its body, as the docker client does.
func checkResponse(resp *http.Response) error {
	if resp.StatusCode < http.StatusBadRequest {
		return nil
	}
	defer resp.Body.Close()
	status := resp.Status
	if status == "" {
		status = http.StatusText(resp.StatusCode)
	}
	const max = 1 << 20
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return err
	}
	reqURL := ""
	if resp.Request != nil {
		reqURL = resp.Request.URL.String()
	}
	var msg string
	switch {
	case len(body) > max:
		msg = fmt.Sprintf("request returned %s with a message (> %d bytes) for API route and version %s, check if the server supports the requested API version", status, max, reqURL)
		return &Error{StatusCode: resp.StatusCode, Message: msg, bare: true}
	case len(body) == 0:
		msg = fmt.Sprintf("request returned %s for API route and version %s, check if the server supports the requested API version", status, reqURL)
		return &Error{StatusCode: resp.StatusCode, Message: msg, bare: true}
	case resp.Header.Get("Content-Type") == "application/json":
		var answer struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &answer); err != nil {
			return fmt.Errorf("Error reading JSON: %w", err)
		}
		if answer.Message == "" {
			msg = fmt.Sprintf("API returned a %d (%s) but provided no error-message", resp.StatusCode, http.StatusText(resp.StatusCode))
		} else {
			msg = strings.TrimSpace(answer.Message)
		}
	default:
		msg = strings.TrimSpace(string(body))
	}
	return &Error{StatusCode: resp.StatusCode, Message: msg}
}
