//go:build !js

package shell

import "time"

// yieldEvery is 0: Go preempts a busy goroutine here, so the shell never
// needs to yield (see yieldIfLong).
const yieldEvery time.Duration = 0
