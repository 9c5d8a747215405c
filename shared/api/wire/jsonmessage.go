package wire

import (
	"encoding/json"

	"github.com/moby/moby/api/types/jsonstream"
)

// JSONMessage is one message of a JSON message stream (pull, push, load,
// import, build) as API 1.41 sends it: jsonstream.Message with the legacy
// fields dockerd 20.10 still fills and docker clients of that era display,
// "progress" (the progress bar as text) and "error" (the error's text), in
// dockerd's field order.
type JSONMessage struct {
	Stream          string               `json:"stream,omitempty"`
	Status          string               `json:"status,omitempty"`
	Progress        *jsonstream.Progress `json:"progressDetail,omitempty"`
	ProgressMessage string               `json:"progress,omitempty"`
	ID              string               `json:"id,omitempty"`
	From            string               `json:"from,omitempty"`
	Time            int64                `json:"time,omitempty"`
	TimeNano        int64                `json:"timeNano,omitempty"`
	Error           *jsonstream.Error    `json:"errorDetail,omitempty"`
	ErrorMessage    string               `json:"error,omitempty"`
	Aux             *json.RawMessage     `json:"aux,omitempty"`
}

// Message returns m as a jsonstream.Message. A legacy "error" text without
// "errorDetail" becomes the message's Error.
func (m *JSONMessage) Message() jsonstream.Message {
	msg := jsonstream.Message{
		Stream:   m.Stream,
		Status:   m.Status,
		Progress: m.Progress,
		ID:       m.ID,
		Error:    m.Error,
		Aux:      m.Aux,
	}
	if msg.Error == nil && m.ErrorMessage != "" {
		msg.Error = &jsonstream.Error{Message: m.ErrorMessage}
	}
	return msg
}

// WaitResponse is the answer of POST /containers/{id}/wait as API 1.41
// sends it: Error is always present, null when there was none.
type WaitResponse struct {
	Error      *WaitError `json:"Error"`
	StatusCode int64      `json:"StatusCode"`
}

// WaitError is the error of a WaitResponse.
type WaitError struct {
	Message string `json:"Message,omitempty"`
}

// FilesystemChange is one entry of GET /containers/{id}/changes, in API
// 1.41's field order (Path, then Kind).
type FilesystemChange struct {
	Path string `json:"Path"`
	Kind uint8  `json:"Kind"`
}

// ErrorResponse is the body of every error answer: {"message":"..."}.
type ErrorResponse struct {
	Message string `json:"message"`
}

// IDResponse is the answer of exec create and commit: {"Id":"..."}.
type IDResponse struct {
	ID string `json:"Id"`
}
