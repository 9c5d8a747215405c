// Command twinbox is the simulator in the browser: a whole simulated Docker
// host (wasm/sim/machine) whose shell the page's terminal types into. It
// runs in a Web Worker (site/static/worker.js), so a busy simulator never
// freezes the page, and sets globalThis.twinbox:
//
//	twinbox.boot(saved, rows, cols, output) → Promise<"restored"|"new"|"new: why">
//	twinbox.type(keys)                     // a string, as xterm.js's onData gives it
//	twinbox.resize(rows, cols)
//	twinbox.picture(kind, arg) → Promise<svg string>   // see session.Picture
//	twinbox.save() → Promise<string>                   // for boot, kept in localStorage
//
// output receives the screen's bytes as Uint8Arrays.
package main

import (
	"context"
	"errors"
	"syscall/js"
)

func main() {
	ctx := context.Background()
	var s *session
	api := js.Global().Get("Object").New()
	api.Set("boot", js.FuncOf(func(_ js.Value, args []js.Value) any {
		saved, rows, cols, output := args[0], uint(args[1].Int()), uint(args[2].Int()), args[3]
		var data []byte
		if saved.Type() == js.TypeString {
			data = []byte(saved.String())
		}
		screen := writerFunc(func(b []byte) (int, error) {
			a := js.Global().Get("Uint8Array").New(len(b))
			js.CopyBytesToJS(a, b)
			output.Invoke(a)
			return len(b), nil
		})
		return promise(func() (any, error) {
			if s != nil {
				return nil, errors.New("twinbox: already booted")
			}
			how := "new"
			var err error
			if len(data) > 0 {
				if s, err = boot(ctx, data, rows, cols, screen); err == nil {
					return "restored", nil
				}
				how = "new: " + err.Error()
			}
			if s, err = boot(ctx, nil, rows, cols, screen); err != nil {
				return nil, err
			}
			return how, nil
		})
	}))
	api.Set("type", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if s != nil {
			s.Type([]byte(args[0].String()))
		}
		return nil
	}))
	api.Set("resize", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if s != nil {
			s.Resize(uint(args[0].Int()), uint(args[1].Int()))
		}
		return nil
	}))
	api.Set("picture", js.FuncOf(func(_ js.Value, args []js.Value) any {
		kind, arg := args[0].String(), args[1].String()
		return promise(func() (any, error) {
			if s == nil {
				return nil, errors.New("twinbox: not booted")
			}
			svg, err := s.Picture(ctx, kind, arg)
			return string(svg), err
		})
	}))
	api.Set("save", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return promise(func() (any, error) {
			if s == nil {
				return nil, errors.New("twinbox: not booted")
			}
			b, err := s.Save()
			return string(b), err
		})
	}))
	js.Global().Set("twinbox", api)
	select {}
}

// promise runs f in a goroutine (a js.Func must not block) and returns a
// Promise of its result.
func promise(f func() (any, error)) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			defer executor.Release()
			v, err := f()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	return js.Global().Get("Promise").New(executor)
}
