// Copyright 2011 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package template

import (
	"os"
	"reflect"
	"testing"
)

// TestMain gives Go's own tests of text/template, kept here unchanged, the
// method lookup of Go's text/template.
func TestMain(m *testing.M) {
	DefaultMethods = func(v reflect.Value, name string) reflect.Value { return v.MethodByName(name) }
	os.Exit(m.Run())
}
