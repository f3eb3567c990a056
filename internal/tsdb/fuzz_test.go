package tsdb

import (
	"context"
	"testing"

	"github.com/fieldhub/fieldhub/internal/vfs"
)

// FuzzApplyRecord feeds arbitrary bytes to the WAL record decoder the way
// replay does: it must reject garbage with an error, never panic.
func FuzzApplyRecord(f *testing.F) {
	e, err := Open(context.Background(), Options{Dir: "/data", FS: vfs.NewMem()})
	if err != nil {
		f.Fatal(err)
	}
	defer e.Close()
	e.CreateDatabase(context.Background(), "db", nil)
	b, _ := e.NewBatch("db", "")
	for _, p := range cpuBatch(3, 6, 1e18) {
		b.Add(&p)
	}
	p := pt("m", []string{"k", "v"}, 5, "s", "str", "b", true, "u", uint64(3), "i", int64(-4))
	b.Add(&p)
	f.Add(append([]byte(nil), b.record()...))
	b.Release()
	f.Add([]byte{1, 1, 2, 0, 0, 1, 1, 0, 0})
	f.Fuzz(func(t *testing.T, rec []byte) {
		e.applyRecord(rec, nil)
	})
}
