package tsdb

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldhub/fieldhub/internal/vfs"
)

// writeOnePart writes a few series, flushes and closes, and returns the path of the single part.
func writeOnePart(t *testing.T, dir string) string {
	t.Helper()
	e := openTest(t, vfs.Default, func(o *Options) { o.Dir = dir })
	ctx := context.Background()
	e.CreateDatabase(ctx, "db", nil)
	for i := 0; i < 300; i++ {
		write(t, e, "db",
			pt("m", []string{"d", "a"}, int64(i), "f", float64(i)*0.25, "s", "v1", "b", i%2 == 0),
			pt("m", []string{"d", "b"}, int64(i), "i", int64(i*i)))
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	var part string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if strings.HasSuffix(p, ".part") {
			part = p
		}
		return nil
	})
	if part == "" {
		t.Fatal("no part written")
	}
	return part
}

// readAll reads every point of the db and returns the first error.
func readAll(dir string) error {
	e, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		return err
	}
	defer e.Close()
	ctx := context.Background()
	ss, err := e.SelectSeries(ctx, "db", "", "m", nil, math.MinInt64, math.MaxInt64)
	if err != nil {
		return err
	}
	var ids []uint64
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	return e.ReadSeries(ctx, "db", "", ids, nil, math.MinInt64, math.MaxInt64, func(*SeriesBatch) error { return nil })
}

// TestPartBitFlipsAreDetected flips single bits all over a part file: every
// flip must be reported as corruption by Open, a read or Verify — never a
// panic and never silently different data.
func TestPartBitFlipsAreDetected(t *testing.T) {
	dir := t.TempDir()
	part := writeOnePart(t, dir)
	orig, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 60; trial++ {
		off := rng.IntN(len(orig))
		if trial < 8 {
			off = len(orig) - 1 - trial*3 // the trailer
		}
		bad := append([]byte(nil), orig...)
		bad[off] ^= 1 << rng.IntN(8)
		if err := os.WriteFile(part, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		rep, verr := Verify(context.Background(), vfs.Default, dir, nil)
		if verr != nil {
			t.Fatalf("verify: %v", verr)
		}
		if len(rep.Problems) == 0 {
			t.Fatalf("flip at offset %d/%d not detected by verify", off, len(orig))
		}
		rerr := readAll(dir)
		if rerr == nil {
			t.Fatalf("flip at offset %d/%d: read succeeded on corrupt data", off, len(orig))
		}
		if !errors.Is(rerr, ErrCorrupt) {
			t.Fatalf("flip at offset %d: error does not wrap ErrCorrupt: %v", off, rerr)
		}
	}
	os.WriteFile(part, orig, 0o644)
	if err := readAll(dir); err != nil {
		t.Fatalf("restored file: %v", err)
	}
}

// TestPartTruncationIsDetected truncates a part at many lengths.
func TestPartTruncationIsDetected(t *testing.T) {
	dir := t.TempDir()
	part := writeOnePart(t, dir)
	orig, _ := os.ReadFile(part)
	for _, n := range []int{0, 1, 7, 8, 20, len(orig) / 2, len(orig) - 33, len(orig) - 1} {
		os.WriteFile(part, orig[:n], 0o644)
		err := readAll(dir)
		if err == nil || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d of %d: got %v, want ErrCorrupt", n, len(orig), err)
		}
	}
}
