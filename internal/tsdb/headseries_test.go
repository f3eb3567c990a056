package tsdb

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// testSchema has one field of every type, idx = position.
func testSchema(t testing.TB) *measurementSchema {
	m := newMeasurementSchema("m")
	for i, typ := range []model.FieldType{model.Float, model.Integer, model.Unsigned, model.Boolean, model.String, model.Float} {
		if _, err := m.define(uint32(i), string(rune('a'+i)), typ); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

type testRow struct {
	t    int64
	vals []headValue
}

// checkHeadSeries appends rows to a headSeries and to a plain seriesBuf and
// requires that both materialize to the same rows.
func checkHeadSeries(t *testing.T, rs []testRow) *headSeries {
	t.Helper()
	m := testSchema(t)
	hs := newHeadSeries(m)
	var want seriesBuf
	var grown int64
	for _, r := range rs {
		grown += hs.appendRowLocked(r.t, r.vals)
		row, _ := want.appendRowLocked(r.t)
		for _, v := range r.vals {
			col, _ := want.column(v.f)
			if v.f.typ == model.String {
				col.setString(row, v.str)
			} else {
				col.set(row, v.bits)
			}
		}
	}
	if grown != hs.footprint() {
		t.Fatalf("appendRowLocked reported %d bytes grown, footprint is %d", grown, hs.footprint())
	}
	opts := []cmp.Option{
		cmp.AllowUnexported(rows{}),
		cmpopts.EquateEmpty(), // an empty string may come back nil or empty, as from plain columns
		cmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }),
	}
	for _, rng := range [][2]int64{{math.MinInt64, math.MaxInt64}, {-5, 100}, {0, 0}} {
		got := hs.materializeLocked(rng[0], rng[1], nil)
		exp := want.materializeLocked(rng[0], rng[1], nil)
		if len(exp.ts) == 0 {
			exp = rows{}
		}
		if len(got.ts) == 0 {
			got = rows{}
		}
		if d := cmp.Diff(exp, got, opts...); d != "" {
			t.Fatalf("range %v: head series differs from plain columns (-want +got)\n%s", rng, d)
		}
	}
	sel := map[string]bool{"b": true, "e": true}
	if d := cmp.Diff(want.materializeLocked(math.MinInt64, math.MaxInt64, sel), hs.materializeLocked(math.MinInt64, math.MaxInt64, sel), opts...); d != "" && len(rs) > 0 {
		t.Fatalf("selected fields differ (-want +got)\n%s", d)
	}
	return hs
}

func TestHeadSeriesRoundTrip(t *testing.T) {
	m := testSchema(t)
	f := m.snapshot()
	fl := func(v float64) headValue { return headValue{f: f[0], bits: math.Float64bits(v)} }
	t.Run("battery", func(t *testing.T) {
		var rs []testRow
		for i := int64(0); i < 200; i++ {
			rs = append(rs, testRow{t: 1_700_000_000e9 + i*60e9 + (i%7)*1e9, vals: []headValue{
				fl(81.53 - float64(i)*0.07),
				{f: f[1], bits: uint64(i * 3)},
				{f: f[2], bits: uint64(1000 - i)},
				{f: f[3], bits: uint64(i % 2)},
				{f: f[4], str: []byte([]string{"1.2.0", "1.3.0"}[i/100])},
				{f: f[5], bits: math.Float64bits(float64(i) * 0.1)},
			}})
		}
		hs := checkHeadSeries(t, rs)
		if per := float64(len(hs.buf)) / 200; per > 20 {
			t.Errorf("%.1f bytes per battery-like row, want <= 20", per)
		}
	})
	t.Run("edge values", func(t *testing.T) {
		var rs []testRow
		ts := []int64{math.MaxInt64, math.MinInt64, 0, -1, 1, 1, 1e9, 999_999_999, math.MinInt64 + 1}
		floats := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0, 1e300, -1e-300,
			0.1, 123456.7891, 9007199254740993, -4.5e15, 1.00001, math.SmallestNonzeroFloat64}
		for i, v := range floats {
			rs = append(rs, testRow{t: ts[i%len(ts)], vals: []headValue{fl(v),
				{f: f[1], bits: uint64(int64(math.MinInt64) >> (i % 3))},
				{f: f[2], bits: math.MaxUint64 - uint64(i)}}})
		}
		checkHeadSeries(t, rs)
	})
	t.Run("sparse, repeated and out of order", func(t *testing.T) {
		rs := []testRow{
			{t: 50, vals: []headValue{{f: f[4], str: []byte("x")}, {f: f[1], bits: 7}}},
			{t: 10, vals: []headValue{{f: f[3], bits: 1}}},
			{t: 50, vals: []headValue{{f: f[1], bits: 9}, {f: f[1], bits: 11}, {f: f[4], str: []byte("")}}},
			{t: 30, vals: []headValue{{f: f[4], str: []byte("x")}, {f: f[5], bits: math.Float64bits(-2.5)}}},
			{t: 30, vals: []headValue{{f: f[4], str: []byte("x")}}},
			{t: 20, vals: []headValue{fl(1.5), {f: f[1], bits: 3}, {f: f[2], bits: 2}}},
		}
		checkHeadSeries(t, rs)
	})
	t.Run("sorted with gaps and empty strings", func(t *testing.T) {
		rs := []testRow{
			{t: 10, vals: []headValue{{f: f[4], str: []byte("")}, {f: f[1], bits: 7}}},
			{t: 20, vals: []headValue{{f: f[3], bits: 1}}},
			{t: 30, vals: []headValue{{f: f[1], bits: 9}, {f: f[1], bits: 11}, {f: f[4], str: []byte("y")}}},
			{t: 40, vals: []headValue{{f: f[5], bits: math.Float64bits(-2.5)}}},
			{t: 200, vals: []headValue{{f: f[2], bits: 5}, {f: f[4], str: []byte("y")}}},
		}
		hs := checkHeadSeries(t, rs)
		if hs.unsorted {
			t.Fatal("strictly increasing rows marked unsorted")
		}
	})
}

// FuzzHeadSeries appends rows derived from the input to a headSeries and to
// plain columns; both must materialize to the same rows.
func FuzzHeadSeries(f *testing.F) {
	f.Add([]byte("\x05\x01\x00\x00\x00\x00\x00\x00\x40\x54\x52\x00\x00\x00\x00\x00\x04abc"))
	f.Add(binary.LittleEndian.AppendUint64([]byte{0x3c, 0x06, 0x00}, math.Float64bits(81.53)))
	f.Fuzz(func(t *testing.T, in []byte) {
		m := testSchema(t)
		fields := m.snapshot()
		next := func() byte {
			if len(in) == 0 {
				return 0
			}
			c := in[0]
			in = in[1:]
			return c
		}
		u64 := func() uint64 {
			var b [8]byte
			for i := range b {
				b[i] = next()
			}
			return binary.LittleEndian.Uint64(b[:])
		}
		var rs []testRow
		var tm int64
		for len(in) > 0 && len(rs) < 200 {
			switch c := next(); c % 4 {
			case 0:
				tm += int64(c) * 1e9
			case 1:
				tm -= int64(c)
			case 2:
				tm = int64(u64())
			}
			var r testRow
			r.t = tm
			for n := next() % 8; n > 0; n-- {
				fd := fields[int(next())%len(fields)]
				v := headValue{f: fd}
				switch fd.typ {
				case model.String:
					n := min(int(next()%6), len(in))
					v.str = append([]byte(nil), in[:n]...)
					in = in[n:]
				case model.Float:
					if k := next(); k < 128 {
						v.bits = math.Float64bits(float64(int64(u64())%1_000_000) / pow10[k%5])
					} else {
						v.bits = u64()
					}
				default:
					v.bits = u64()
				}
				r.vals = append(r.vals, v)
			}
			rs = append(rs, r)
		}
		checkHeadSeries(t, rs)
	})
}

func BenchmarkHeadSeriesAppend(b *testing.B) {
	m := testSchema(b)
	f := m.snapshot()
	vals := make([]headValue, 6)
	b.ReportAllocs()
	hs := newHeadSeries(m)
	for i := 0; i < b.N; i++ {
		if i%4096 == 0 {
			hs = newHeadSeries(m)
		}
		vals = append(vals[:0],
			headValue{f: f[0], bits: math.Float64bits(float64(8000+i%300) / 100)},
			headValue{f: f[1], bits: uint64(i)},
			headValue{f: f[2], bits: uint64(i % 7)},
			headValue{f: f[3], bits: uint64(i & 1)},
			headValue{f: f[4], str: []byte("1.2.0")},
			headValue{f: f[5], bits: math.Float64bits(float64(i%1000) / 10)})
		hs.appendRowLocked(int64(i)*60e9, vals)
	}
}
