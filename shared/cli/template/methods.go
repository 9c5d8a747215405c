// Copyright 2011 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package template

import "reflect"

// This file is twinbox's: see README.md.

// MethodLookup finds the method named name of v, as v.MethodByName(name)
// does, or returns the zero Value when v has no such method or the lookup
// does not know the name.
//
// Go's text/template calls reflect.Value.MethodByName with the names a
// template holds, which are known only when it runs; the linker then keeps
// every exported method of every type that may be held in an interface.
// A MethodLookup that calls MethodByName with constant names only (a
// switch on name) lets it keep the methods of those names alone.
type MethodLookup func(v reflect.Value, name string) reflect.Value

// DefaultMethods is the lookup of the templates that have none of their
// own (see Template.Methods). It is nil, and a nil lookup finds no method:
// {{.X}} is then a field or a map key only.
var DefaultMethods MethodLookup

// Methods sets the lookup that the template and its associated templates
// use to find a method of a value by the name of a field, {{.Name}}: a
// method of the value is called in preference to a field of that name, as
// in Go's text/template. It returns the template, so calls can be chained.
func (t *Template) Methods(lookup MethodLookup) *Template {
	t.init()
	t.muFuncs.Lock()
	defer t.muFuncs.Unlock()
	t.methods = lookup
	return t
}

// methodByName is v's method named name, as the template's lookup finds
// it, else DefaultMethods's; the zero Value if there is none.
func (t *Template) methodByName(v reflect.Value, name string) reflect.Value {
	lookup := DefaultMethods
	if t.common != nil {
		t.muFuncs.RLock()
		if t.methods != nil {
			lookup = t.methods
		}
		t.muFuncs.RUnlock()
	}
	if lookup == nil {
		return reflect.Value{}
	}
	return lookup(v, name)
}
