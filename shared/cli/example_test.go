package cli_test

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/twinbox-dev/twinbox/shared/api/transport"
	"github.com/twinbox-dev/twinbox/shared/cli"
)

// ExampleRun runs `docker version --format ...` in process against an
// engine served on an in-memory listener, as the browser build does with
// the real router.
func ExampleRun() {
	engine := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1.41/version" {
			fmt.Fprint(w, `{"Version":"20.10.24+dfsg1","ApiVersion":"1.41","Os":"linux","Arch":"amd64"}`)
		}
	})
	l := transport.NewPipeListener()
	srv := &http.Server{Handler: engine}
	go srv.Serve(l)
	defer srv.Close()

	code := cli.Run(context.Background(),
		[]string{"version", "--format", "{{.Server.Version}} {{.Client.Version}} {{.Client.APIVersion}}"},
		cli.Streams{Stdout: os.Stdout, Stderr: os.Stdout},
		cli.Options{Dial: l.Dial})
	fmt.Println("exit", code)
	// Output:
	// 20.10.24+dfsg1 28.2.2 1.41
	// exit 0
}
