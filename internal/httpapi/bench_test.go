package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// cpuBatch renders n lines of Telegraf-like cpu data over 100 hosts.
func cpuBatch(n int, t0 int64) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "cpu,host=host-%d,region=eu-west,cpu=cpu-total usage_user=%d.%02d,usage_system=%d.5,usage_idle=%d.25,usage_iowait=0.%d,usage_irq=0 %d\n",
			i%100, i%97, i%100, i%13, 50+i%40, i%10, t0+int64(i/100)*1e9)
	}
	return b.Bytes()
}

// BenchmarkWrite measures /write with 5,000-line cpu batches (5 fields each)
// through the real handler and engine (WAL sync none, so it measures CPU),
// plain and gzip-encoded as Telegraf sends them.
func BenchmarkWrite(b *testing.B) {
	const lines = 5000
	for _, enc := range []string{"identity", "gzip"} {
		b.Run("encoding="+enc, func(b *testing.B) {
			env := newTestEnv(b, nil)
			// Distinct timestamps per iteration so the head grows like a real stream.
			bodies := make([][]byte, 8)
			for i := range bodies {
				bodies[i] = cpuBatch(lines, 1700000000e9+int64(i)*1e12)
				if enc == "gzip" {
					bodies[i] = gz(b, bodies[i])
				}
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(bodies[0])))
			for i := 0; b.Loop(); i++ {
				r := httptest.NewRequest(http.MethodPost, "/write?db=db", bytes.NewReader(bodies[i%len(bodies)]))
				if enc == "gzip" {
					r.Header.Set("Content-Encoding", "gzip")
				}
				w := httptest.NewRecorder()
				env.api.ServeHTTP(w, r)
				if w.Code != http.StatusNoContent {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
			b.ReportMetric(float64(b.N)*lines*5/b.Elapsed().Seconds(), "values/s")
		})
	}
}
