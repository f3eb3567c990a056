package lineproto

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldhub/fieldhub/internal/model"
)

// FuzzParse parses arbitrary input; every point it accepts must encode and parse back to an
// equal point, and nothing may panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("battery,device=bx-1 soc=81.5,temp=29i 1700000000000000000"))
	f.Add([]byte("cpu,hostname=host_0,region=eu-west-1 usage_user=58.13,usage_system=2.5 1451606400000000000\n"))
	f.Add([]byte("m\\ x,t\\,k=v\\=w f\\ k=1u,s=\"a\\\"b\\\\c\\d\",b=TRUE -1\r\n# c\n\nn v=.5e-3"))
	f.Add([]byte("m s=\"multi\nline\" 1\nbad v=\"open\nm v=1,v=2i 2"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var p, q Parser
		p.Reset(in, Nanosecond, 0)
		var pt, back model.Point
		var line []byte
		for n := 0; ; n++ {
			if n > len(in)+1 {
				t.Fatalf("parser does not advance on %q", in)
			}
			ok, err := p.Next(&pt)
			if !ok {
				return
			}
			if err != nil {
				continue
			}
			line = AppendPoint(line[:0], &pt)
			q.Reset(line, Nanosecond, 0)
			ok, err = q.Next(&back)
			if !ok || err != nil {
				t.Fatalf("re-parse of %q (from %q): ok=%v err=%v", line, in, ok, err)
			}
			if d := cmp.Diff(pt, back, pointOpts); d != "" {
				t.Fatalf("round trip of %q via %q (-first +second):\n%s", in, line, d)
			}
			if ok, _ := q.Next(&back); ok {
				t.Fatalf("encoding %q of one point parses as several", line)
			}
		}
	})
}
