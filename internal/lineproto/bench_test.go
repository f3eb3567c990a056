package lineproto

import (
	"fmt"
	"testing"

	"github.com/fieldhub/fieldhub/internal/model"
)

// benchInput builds n lines of the given shape: TSBS cpu-only (10 tags, 10 float fields) or
// a small IoT battery reading (2 tags, mixed field types).
func benchInput(shape string, n int) (buf []byte, fields int) {
	x := uint32(1)
	rnd := func() uint32 { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return x }
	for i := 0; i < n; i++ {
		ts := 1451606400000000000 + int64(i)*10e9
		switch shape {
		case "cpu":
			buf = fmt.Appendf(buf, "cpu,hostname=host_%d,region=eu-central-1,datacenter=eu-central-1a,rack=%d,os=Ubuntu16.10,arch=x86,team=SF,service=%d,service_version=1,service_environment=test ",
				i%100, rnd()%100, rnd()%20)
			names := []string{"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait", "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"}
			for j, name := range names {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf = fmt.Appendf(buf, "%s=%d.%d", name, rnd()%100, rnd()%1000000)
			}
			fields += len(names)
		case "battery":
			buf = fmt.Appendf(buf, "battery,device=bx-%d,site=plant-%d soc=%d.%d,temp=%di,charging=%v,status=\"ok\"",
				i%1000, i%7, rnd()%100, rnd()%10, rnd()%60, rnd()%2 == 0)
			fields += 4
		}
		buf = fmt.Appendf(buf, " %d\n", ts)
	}
	return buf, fields
}

func BenchmarkParse(b *testing.B) {
	for _, shape := range []string{"cpu", "battery"} {
		b.Run("shape="+shape, func(b *testing.B) {
			buf, fields := benchInput(shape, 1000)
			var p Parser
			var pt model.Point
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			b.ResetTimer()
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

func BenchmarkAppendPoint(b *testing.B) {
	buf, _ := benchInput("cpu", 1)
	var p Parser
	p.Reset(buf, Nanosecond, 0)
	var pt model.Point
	if ok, err := p.Next(&pt); !ok || err != nil {
		b.Fatal(ok, err)
	}
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		out = AppendPoint(out[:0], &pt)
	}
	b.SetBytes(int64(len(out)))
}
