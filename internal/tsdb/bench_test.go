package tsdb

import (
	"context"
	"fmt"
	"testing"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/vfs"
)

// cpuBatch builds n points of the TSBS cpu shape for hosts hosts at time t.
func cpuBatch(hosts, n int, t0 int64) []model.Point {
	fields := []string{"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait", "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"}
	pts := make([]model.Point, n)
	for i := range pts {
		h := i % hosts
		p := &pts[i]
		p.Measurement = []byte("cpu")
		for _, kv := range [][2]string{{"arch", "x86"}, {"datacenter", "eu-west-1b"}, {"hostname", fmt.Sprintf("host_%d", h)}, {"os", "Ubuntu16.10"}, {"rack", "67"}, {"region", "eu-west-1"}, {"service", "14"}, {"service_environment", "staging"}, {"service_version", "1"}, {"team", "NYC"}} {
			p.Tags = append(p.Tags, model.Tag{Key: []byte(kv[0]), Value: []byte(kv[1])})
		}
		for j, f := range fields {
			p.Fields = append(p.Fields, model.Field{Key: []byte(f), Type: model.Float, F: float64((i*7+j*13)%10000) / 100})
		}
		p.Time = t0 + int64(i/hosts)*10e9
	}
	return pts
}

// BenchmarkWrite measures Batch.Add + Commit of 5,000-point cpu batches
// (the engine's share of ingest, without HTTP and parsing).
func BenchmarkWrite(b *testing.B) {
	for _, sync := range []string{"always", "none"} {
		b.Run("sync="+sync, func(b *testing.B) {
			e, err := Open(context.Background(), Options{Dir: b.TempDir(), FS: vfs.Default, WALSync: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			e.CreateDatabase(context.Background(), "db", nil)
			pts := cpuBatch(1000, 5000, 1_700_000_000e9)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k := range pts {
					pts[k].Time += 50e9
				}
				batch, err := e.NewBatch("db", "")
				if err != nil {
					b.Fatal(err)
				}
				for k := range pts {
					if err := batch.Add(&pts[k]); err != nil {
						b.Fatal(err)
					}
				}
				if err := e.Commit(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
				batch.Release()
			}
			b.ReportMetric(float64(b.N*50000)/b.Elapsed().Seconds(), "values/s")
		})
	}
}
