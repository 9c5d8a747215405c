// Package server serves the Docker Engine API 1.41 over an *engine.Engine,
// as dockerd 20.10.24 serves it: the same routes, query parameters, status
// codes, headers, error bodies and stream formats, so that the stock docker
// CLI (and twinbox's own client) cannot tell the difference.
//
// Build the handler, then serve it on a unix socket, on loopback TCP or in
// process on a transport.PipeListener:
//
//	h := server.New(e, server.Options{})
//	l, err := server.ListenUnix("/run/twinbox/twinbox.sock")
//	srv := server.NewServer(h)
//	go srv.Serve(l)
//	...
//	srv.Shutdown(ctx) // stop accepting, let requests and streams finish
//
// Or call it with no server at all (the browser build):
// client.NewInProcess(h), over transport.InProcess.
//
// Every route calls the engine; the router only parses requests and
// encodes answers. Routes the engine has no method for yet answer 501 Not
// Implemented. A panic in a handler answers 500 with {"message": "..."} and
// never takes the server down.
package server
