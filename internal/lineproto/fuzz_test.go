package lineproto

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldhub/fieldhub/internal/model"
)

// FuzzParse parses arbitrary input, checks the invariants of every point and error, and
// requires every accepted point to encode and parse back to an equal point. Nothing may panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("battery,device=bx-1 soc=81.5,temp=29i 1700000000000000000"))
	f.Add([]byte("cpu,hostname=host_0,region=eu-west-1 usage_user=58.13,usage_system=2.5 1451606400000000000\n"))
	f.Add([]byte("m\\ x,t\\,k=v\\=w f\\ k=1u,s=\"a\\\"b\\\\c\\d\",b=TRUE -1\r\n# c\n\nn v=.5e-3"))
	f.Add([]byte("m s=\"multi\nline\" 1\nbad v=\"open\nm v=1,v=2i 2"))
	const def = 1700000000000000000
	f.Fuzz(func(t *testing.T, in []byte) {
		var p, q Parser
		p.Reset(in, Nanosecond, def)
		var pt, back model.Point
		var line []byte
		prevLine := 0
		for n := 0; ; n++ {
			if n > len(in)+1 {
				t.Fatalf("parser does not advance on %q", in)
			}
			ok, err := p.Next(&pt)
			if !ok {
				return
			}
			if p.Line() <= prevLine {
				t.Fatalf("line numbers do not increase (%d after %d) on %q", p.Line(), prevLine, in)
			}
			prevLine = p.Line()
			if err != nil {
				var le *LineError
				if !errors.As(err, &le) || le.Line != p.Line() || le.Column < 1 || len(le.Text) > maxErrorText ||
					!utf8.ValidString(le.Msg) {
					t.Fatalf("bad error %#v (parser line %d) on %q", err, p.Line(), in)
				}
				continue
			}
			checkPoint(t, &pt, def)
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

// checkPoint checks what Next promises of a point: a measurement, tags sorted by key with
// unique keys and non-empty values, at least one field with unique keys and a known type,
// valid UTF-8 names and strings, and a time in range.
func checkPoint(t *testing.T, pt *model.Point, def int64) {
	t.Helper()
	if len(pt.Measurement) == 0 || !utf8.Valid(pt.Measurement) {
		t.Fatalf("bad measurement %q", pt.Measurement)
	}
	for i, tg := range pt.Tags {
		if len(tg.Key) == 0 || len(tg.Value) == 0 || !utf8.Valid(tg.Key) || !utf8.Valid(tg.Value) {
			t.Fatalf("bad tag %q=%q", tg.Key, tg.Value)
		}
		if i > 0 && bytes.Compare(pt.Tags[i-1].Key, tg.Key) >= 0 {
			t.Fatalf("tags not sorted and unique: %q", pt.Tags)
		}
	}
	if len(pt.Fields) == 0 {
		t.Fatal("point without fields")
	}
	for i, f := range pt.Fields {
		if len(f.Key) == 0 || !utf8.Valid(f.Key) || f.Type < model.Float || f.Type > model.String {
			t.Fatalf("bad field %+v", f)
		}
		if f.Type == model.String && !utf8.Valid(f.S) {
			t.Fatalf("string field %q is not UTF-8", f.S)
		}
		for _, g := range pt.Fields[:i] {
			if bytes.Equal(g.Key, f.Key) {
				t.Fatalf("repeated field key %q", f.Key)
			}
		}
	}
	if (pt.Time < MinTime || pt.Time > MaxTime) && pt.Time != def {
		t.Fatalf("time %d out of range", pt.Time)
	}
}
