package tsdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/vfs"
	"github.com/google/go-cmp/cmp"
)

// TestModelRandomOps runs random writes, flushes, compactions, deletes,
// restarts and crashes against the engine and a plain in-memory model and
// compares them after every step. Set FIELDHUB_MODEL_SEED to replay a seed
// and FIELDHUB_MODEL_STEPS for longer runs.
func TestModelRandomOps(t *testing.T) {
	seed := uint64(rand.Int64())
	if s := os.Getenv("FIELDHUB_MODEL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	steps := 300
	if s := os.Getenv("FIELDHUB_MODEL_STEPS"); s != "" {
		steps, _ = strconv.Atoi(s)
	}
	t.Logf("seed %d (FIELDHUB_MODEL_SEED=%d to replay)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	mem := vfs.NewMem()
	var fsys vfs.FS = mem
	open := func() *Engine {
		return openTest(t, fsys, func(o *Options) {
			o.HeadMemoryLimit = 1 << 30
			o.FlushSize = 1 << 30
		})
	}
	e := open()
	ctx := context.Background()
	if err := e.CreateDatabase(ctx, "db", &RetentionPolicySpec{Name: "autogen", PartitionDuration: 3600e9}); err != nil {
		t.Fatal(err)
	}
	hosts := []string{"a", "b", "c", "d", "e"}
	fieldNames := []string{"f", "i", "u", "b", "s"}
	m := dumpT{}
	const span = int64(4 * 3600e9) // spans several partitions
	for step := 0; step < steps; step++ {
		op := rng.IntN(100)
		var desc string
		switch {
		case op < 70:
			n := 1 + rng.IntN(20)
			var pts []model.Point
			for k := 0; k < n; k++ {
				h := hosts[rng.IntN(len(hosts))]
				ts := rng.Int64N(span/1e9) * 1e9 // collisions likely: dups and out of order
				var fields []any
				for _, f := range fieldNames {
					if rng.IntN(2) == 0 {
						continue
					}
					switch f {
					case "f":
						fields = append(fields, f, float64(rng.IntN(1000))/8)
					case "i":
						fields = append(fields, f, int64(rng.IntN(2000)-1000))
					case "u":
						fields = append(fields, f, uint64(rng.Uint32()))
					case "b":
						fields = append(fields, f, rng.IntN(2) == 0)
					case "s":
						fields = append(fields, f, fmt.Sprintf("v%d", rng.IntN(4)))
					}
				}
				if len(fields) == 0 {
					fields = []any{"f", 1.0}
				}
				pts = append(pts, pt("m", []string{"host", h}, ts, fields...))
				key := "m,host=" + h
				if m[key] == nil {
					m[key] = map[int64]map[string]any{}
				}
				row := m[key][ts]
				if row == nil {
					row = map[string]any{}
					m[key][ts] = row
				}
				for i := 0; i < len(fields); i += 2 {
					row[fields[i].(string)] = fields[i+1]
				}
			}
			write(t, e, "db", pts...)
			desc = fmt.Sprintf("write %d points", n)
		case op < 78:
			desc = "flush"
			if err := e.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		case op < 84:
			desc = "compact"
			if err := e.Compact(ctx); err != nil {
				t.Fatal(err)
			}
		case op < 88:
			h := hosts[rng.IntN(len(hosts))]
			lo := rng.Int64N(span)
			hi := lo + rng.Int64N(span/2)
			desc = fmt.Sprintf("delete %s [%d,%d]", h, lo, hi)
			if _, err := e.DeleteSeries(ctx, "db", "m", &TagExpr{Op: TagEq, Key: "host", Value: h}, lo, hi); err != nil {
				t.Fatal(err)
			}
			for ts := range m["m,host="+h] {
				if ts >= lo && ts <= hi {
					delete(m["m,host="+h], ts)
				}
			}
			if len(m["m,host="+h]) == 0 {
				delete(m, "m,host="+h)
			}
		case op < 94:
			desc = "restart"
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			e = open()
		default:
			desc = "crash"
			clone := mem.CrashClone()
			e.Close()
			mem = clone
			fsys = mem
			e = open()
		}
		if os.Getenv("FIELDHUB_MODEL_TRACE") != "" {
			t.Logf("step %d: %s", step, desc)
		}
		got := dump(t, e, "db", "m")
		if d := cmp.Diff(m, got); d != "" {
			t.Fatalf("seed %d step %d (%s): engine differs from model (-model +engine)\n%s", seed, step, desc, d)
		}
	}
	e.Close()
}
