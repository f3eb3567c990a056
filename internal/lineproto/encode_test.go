package lineproto

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldhub/fieldhub/internal/model"
)

func TestAppendPoint(t *testing.T) {
	p := pt(`we ird,m=`, []model.Tag{tag("a k", "v,=x"), tag("empty", ""), tag("z", `b\ack`)}, -3,
		ff("f", 1e21), fi("i", -7), fu("u", 7), fb("b", false), fs("s", "q\"\\\n"), model.Field{Key: []byte("unknown")})
	got := string(AppendPoint([]byte("prefix|"), &p))
	want := `prefix|we\ ird\,m=,a\ k=v\,\=x,z=b\ack f=1e+21,i=-7i,u=7u,b=false,s="q\"\\` + "\n" + `" -3`
	if got != want {
		t.Errorf("AppendPoint =\n%s\nwant\n%s", got, want)
	}
}

// TestRoundTrip encodes points of every type and awkward names, parses them back and wants
// equal points.
func TestRoundTrip(t *testing.T) {
	points := []model.Point{
		pt("m", nil, 0, ff("v", 0)),
		pt(`a b,c=d\x`, []model.Tag{tag(`k\ ,=`, `\v,= w`), tag("zz", "Zürich ☃")}, MinTime,
			ff(`f k,=`, math.Copysign(0, -1)), fi("i", math.MinInt64), fi("j", math.MaxInt64),
			fu("u", math.MaxUint64), fb("b", true), fs("s", `"quoted" \back\ `+"\nline\\"), fs("e", "")),
		pt("floats", nil, MaxTime,
			ff("a", math.MaxFloat64), ff("b", math.SmallestNonzeroFloat64), ff("c", -1.0/3), ff("d", 0.1),
			ff("e", 123456789012345678), ff("f", 1e-7), ff("g", 5e-324), ff("h", 2.2250738585072014e-308)),
	}
	for _, want := range points {
		line := AppendPoint(nil, &want)
		got, errs := parseAll(string(line), Nanosecond, 0)
		if len(errs) > 0 || len(got) != 1 {
			t.Errorf("parse %q: points %v errors %q", line, got, errs)
			continue
		}
		if d := cmp.Diff(want, got[0], pointOpts); d != "" {
			t.Errorf("round trip of %q (-want +got):\n%s", line, d)
		}
	}
}

// TestFloatFastPath checks the exact fast path against strconv on many generated decimals.
func TestFloatFastPath(t *testing.T) {
	x := uint64(0x9e3779b97f4a7c15)
	for n := 0; n < 200000; n++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		var f float64
		switch n % 3 {
		case 0:
			f = math.Float64frombits(x)
		case 1:
			f = float64(int64(x>>20)) / pow10[x%23]
		default:
			f = float64(x%100000) / 100
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		for _, fmtc := range []byte{'g', 'f', 'e'} {
			s := AppendFloatTest(f, fmtc)
			got, msg := parseFloat(s)
			if msg != "" || math.Float64bits(got) != math.Float64bits(f) {
				t.Fatalf("parseFloat(%q) = %v, %q; want %v", s, got, msg, f)
			}
		}
	}
}

func TestAppendEscaped(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"measurement", string(AppendEscapedMeasurement([]byte("x|"), []byte(`a b,c=d\e`))), `x|a\ b\,c=d\e`},
		{"key", string(AppendEscapedKey(nil, []byte(`a b,c=d\e`))), `a\ b\,c\=d\e`},
		{"string", string(AppendQuotedString(nil, []byte(`say "hi" \o/`+"\n"))), `"say \"hi\" \\o/` + "\n\""},
		{"empty string", string(AppendQuotedString(nil, nil)), `""`},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, tc.got, tc.want)
		}
	}
}
