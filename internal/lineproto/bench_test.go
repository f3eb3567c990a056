package lineproto

import (
	"fmt"
	"testing"

	"github.com/fieldhub/fieldhub/internal/model"
)

// benchInput builds n lines of the given shape and returns them with their number of fields:
//
//   - cpu: TSBS cpu-only (10 tags, 10 floats with one or two decimals);
//   - battery: an IoT battery reading (3 tags, floats, an integer, a boolean and a string).
func benchInput(shape string, n int) (buf []byte, fields int) {
	x := uint32(1)
	rnd := func(n uint32) uint32 { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return x % n }
	cpuFields := []string{"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
		"usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"}
	for i := 0; i < n; i++ {
		switch shape {
		case "cpu":
			buf = fmt.Appendf(buf, "cpu,hostname=host_%d,region=eu-west-1,datacenter=eu-west-1b,rack=%d,os=Ubuntu16.10,arch=x86,team=NYC,service=%d,service_version=1,service_environment=staging ",
				i%100, rnd(100), rnd(20))
			for j, name := range cpuFields {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf = fmt.Appendf(buf, "%s=%d.%d", name, rnd(100), rnd(100))
			}
			buf = fmt.Appendf(buf, " %d\n", 1700000000000000000+int64(i)*10e9)
			fields += len(cpuFields)
		case "battery":
			buf = fmt.Appendf(buf, "battery,device=bx-%06d,site=s%d,zone=z%d soc=%d.%d,voltage=%d.%d,current=-%d.%d,temperature=%d.%d,cycles=%di,charging=%v,firmware=\"1.4.%d\" %d\n",
				i%1000, i%7, i%3, rnd(100), rnd(10), 48+rnd(5), rnd(100), rnd(10), rnd(10), 20+rnd(20), rnd(10),
				rnd(2000), rnd(2) == 0, rnd(3), 1700000000123000000+int64(i)*1e9)
			fields += 7
		}
	}
	return buf, fields
}

// BenchmarkParse measures the parser on 1,000-line batches. fields/s counts field values,
// the unit the hub's ingest target is set in.
func BenchmarkParse(b *testing.B) {
	for _, shape := range []string{"cpu", "battery"} {
		b.Run("shape="+shape, func(b *testing.B) {
			buf, fields := benchInput(shape, 1000)
			var p Parser
			var pt model.Point
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				p.Reset(buf, Nanosecond, 0)
				for {
					ok, err := p.Next(&pt)
					if !ok {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(fields)*float64(b.N)/b.Elapsed().Seconds(), "fields/s")
		})
	}
}

// BenchmarkAppendPoint measures encoding one point of each shape.
func BenchmarkAppendPoint(b *testing.B) {
	for _, shape := range []string{"cpu", "battery"} {
		b.Run("shape="+shape, func(b *testing.B) {
			buf, _ := benchInput(shape, 1)
			var p Parser
			p.Reset(buf, Nanosecond, 0)
			var pt model.Point
			if ok, err := p.Next(&pt); !ok || err != nil {
				b.Fatal(ok, err)
			}
			var out []byte
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				out = AppendPoint(out[:0], &pt)
			}
		})
	}
}
