// Package events holds the type `docker events --format` runs templates
// on. It is wire.EventMessage under the name the docker CLI's type has
// (events.Message), which template errors print: "can't evaluate field X
// in type *events.Message".
package events

import "github.com/twinbox-dev/twinbox/shared/api/wire"

// Message is one event as API 1.41 sends it.
type Message wire.EventMessage
