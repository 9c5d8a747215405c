package wire

import "github.com/moby/moby/api/types/events"

// EventMessage is one event of GET /events as API 1.41 sends it: moby's
// events.Message preceded by the deprecated fields dockerd 20.10 still fills
// for container and image events (status, id, from).
type EventMessage struct {
	Status string `json:"status,omitempty"`
	ID     string `json:"id,omitempty"`
	From   string `json:"from,omitempty"`

	Type     events.Type
	Action   events.Action
	Actor    events.Actor
	Scope    string `json:"scope,omitempty"`
	Time     int64  `json:"time,omitempty"`
	TimeNano int64  `json:"timeNano,omitempty"`
}

// NewEventMessage returns m with the deprecated fields filled as dockerd
// 20.10 fills them: for a container event, status is the action, id the
// actor's ID and from its "image" attribute; for an image event, status and
// id only.
func NewEventMessage(m events.Message) EventMessage {
	e := EventMessage{
		Type:     m.Type,
		Action:   m.Action,
		Actor:    m.Actor,
		Scope:    m.Scope,
		Time:     m.Time,
		TimeNano: m.TimeNano,
	}
	switch m.Type {
	case events.ContainerEventType:
		e.Status, e.ID, e.From = string(m.Action), m.Actor.ID, m.Actor.Attributes["image"]
	case events.ImageEventType:
		e.Status, e.ID = string(m.Action), m.Actor.ID
	}
	return e
}
