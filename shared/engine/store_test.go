package engine

import (
	"context"
	"testing"

	"github.com/twinbox-dev/twinbox/shared/backend/describeonly"
)

// TestLoadUnsyncedRecords: after a power cut a store may hold, for what
// changed just before it, empty or torn documents (native/store syncs
// changes in the background). The engine starts anyway: it makes a new
// ID, keeps the images without their names, and skips the records.
func TestLoadUnsyncedRecords(t *testing.T) {
	st := &MemStore{}
	for _, d := range []struct{ bucket, key, data string }{
		{"engine", "id", ""},
		{"engine", "repositories", ""},
		{"containers", "0123456789ab", `{"ID":"0123`},
		{"networks", "n1", ""},
		{"volumes", "v1", ""},
	} {
		if err := st.Put(d.bucket, d.key, []byte(d.data)); err != nil {
			t.Fatal(err)
		}
	}
	e, err := New(context.Background(), describeonly.Backend{}, Options{Store: st})
	if err != nil {
		t.Fatalf("New over unsynced records: %v", err)
	}
	if e.daemonID == "" {
		t.Error("daemon ID: got empty, want a new one")
	}
	if got, err := st.Get("engine", "id"); err != nil || string(got) != e.daemonID {
		t.Errorf("stored ID: got %q, %v; want %q", got, err, e.daemonID)
	}
	if n := len(e.listContainers()); n != 0 {
		t.Errorf("containers: got %d, want the torn record skipped", n)
	}
}
