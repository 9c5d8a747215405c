//go:build js

package shell

import "time"

// yieldEvery is how long an interactive statement runs before the shell
// yields (see yieldIfLong): in the browser, 50 ms.
const yieldEvery = 50 * time.Millisecond
