package encoding

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Each fuzz target gets one byte string. Its first byte selects the mode:
// even — derive values from the rest and require an exact round trip; odd —
// decode the rest as an arbitrary block, which may fail but must not panic,
// must wrap ErrCorrupt and must agree with Count.

// words splits b into little-endian 64-bit words (the tail zero-padded).
func words(b []byte) []uint64 {
	v := make([]uint64, 0, (len(b)+7)/8)
	for len(b) > 0 {
		var w [8]byte
		k := copy(w[:], b)
		b = b[k:]
		v = append(v, binary.LittleEndian.Uint64(w[:]))
	}
	return v
}

// smallWords derives small signed steps from b (one byte each) so that the
// fuzzer reaches the bit-packing codecs, not only raw blocks.
func smallSteps(b []byte, scale int64) []int64 {
	v := make([]int64, len(b))
	x := int64(0)
	for i, c := range b {
		x += int64(int8(c)) * scale
		v[i] = x
	}
	return v
}

func fuzzSeeds(f *testing.F, blocks ...[]byte) {
	for _, b := range blocks {
		f.Add(append([]byte{1}, b...))
	}
	f.Add([]byte{0})
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte{2, 0x80, 0x7f, 0xff, 0, 1})
	f.Add([]byte{4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 200})
}

func checkArbitrary[T any](t *testing.T, src []byte, decode func([]T, []byte) ([]T, error)) {
	got, err := decode(nil, src)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error %v does not wrap ErrCorrupt", err)
		}
		return
	}
	if n, err := Count(src); err != nil || n != len(got) {
		t.Fatalf("decoded %d values, Count = %d, %v", len(got), n, err)
	}
}

func FuzzTimestamps(f *testing.F) {
	ts, _ := cpuBlock(1)
	bat := batteryBlock(1)
	fuzzSeeds(f, AppendTimestamps(nil, ts[:50]), AppendTimestamps(nil, bat.ts[:300]),
		AppendTimestamps(nil, []int64{math.MinInt64, math.MaxInt64, 0}))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		if in[0]&1 == 1 {
			checkArbitrary(t, in[1:], DecodeTimestamps)
			return
		}
		var v []int64
		switch in[0] >> 1 & 3 {
		case 0:
			v = asInt64s(words(in[1:]))
		case 1: // regular interval with jitter
			v = smallSteps(in[1:], 1)
			for i := range v {
				v[i] += 1_700_000_000e9 + int64(i)*10e9
			}
		default:
			v = smallSteps(in[1:], int64(in[0])<<40)
		}
		got, err := DecodeTimestamps(nil, AppendTimestamps(nil, v))
		if err != nil || len(got) != len(v) {
			t.Fatalf("round trip: %d of %d values, %v", len(got), len(v), err)
		}
		for i := range v {
			if got[i] != v[i] {
				t.Fatalf("value %d: got %d want %d", i, got[i], v[i])
			}
		}
	})
}

func FuzzIntegers(f *testing.F) {
	bat := batteryBlock(2)
	fuzzSeeds(f, AppendIntegers(nil, bat.cycles[:200]), AppendIntegers(nil, []int64{1, -5, 1 << 40, 7}),
		AppendIntegers(nil, seq(300, func(i int) int64 { return int64(i * i) })))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		if in[0]&1 == 1 {
			checkArbitrary(t, in[1:], DecodeIntegers)
			return
		}
		var v []int64
		if in[0]&2 == 0 {
			v = asInt64s(words(in[1:]))
		} else {
			v = smallSteps(in[1:], int64(in[0]>>2)+1)
		}
		got, err := DecodeIntegers(nil, AppendIntegers(nil, v))
		if err != nil || len(got) != len(v) {
			t.Fatalf("round trip: %d of %d values, %v", len(got), len(v), err)
		}
		for i := range v {
			if got[i] != v[i] {
				t.Fatalf("value %d: got %d want %d", i, got[i], v[i])
			}
		}
	})
}

func FuzzUnsigneds(f *testing.F) {
	fuzzSeeds(f, AppendUnsigneds(nil, []uint64{0, math.MaxUint64, 1 << 63, 5}),
		AppendUnsigneds(nil, []uint64{3, 3, 3, 3, 9, 9}))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		if in[0]&1 == 1 {
			checkArbitrary(t, in[1:], DecodeUnsigneds)
			return
		}
		var v []uint64
		if in[0]&2 == 0 {
			v = words(in[1:])
		} else {
			v = asUint64s(smallSteps(in[1:], 3))
		}
		got, err := DecodeUnsigneds(nil, AppendUnsigneds(nil, v))
		if err != nil || len(got) != len(v) {
			t.Fatalf("round trip: %d of %d values, %v", len(got), len(v), err)
		}
		for i := range v {
			if got[i] != v[i] {
				t.Fatalf("value %d: got %d want %d", i, got[i], v[i])
			}
		}
	})
}

func FuzzFloats(f *testing.F) {
	_, cpu := cpuBlock(2)
	fuzzSeeds(f, AppendFloats(nil, cpu[:100]), AppendFloats(nil, smoothFloats(40)),
		AppendFloats(nil, []float64{math.NaN(), math.Copysign(0, -1), 1.5, 2.25, math.Inf(-1)}))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		if in[0]&1 == 1 {
			checkArbitrary(t, in[1:], DecodeFloats)
			return
		}
		var v []float64
		switch in[0] >> 1 & 3 {
		case 0:
			for _, w := range words(in[1:]) {
				v = append(v, math.Float64frombits(w))
			}
		case 1: // decimals with a few raw patterns mixed in
			e := math.Pow10(int(in[0]>>3) % 20)
			for i, s := range smallSteps(in[1:], 7) {
				if i%37 == 36 {
					v = append(v, math.Float64frombits(uint64(s)*0x9e3779b97f4a7c15))
					continue
				}
				v = append(v, float64(s)/e)
			}
		default:
			for _, s := range smallSteps(in[1:], 1) {
				v = append(v, math.Sin(float64(s)))
			}
		}
		got, err := DecodeFloats(nil, AppendFloats(nil, v))
		if err != nil || len(got) != len(v) {
			t.Fatalf("round trip: %d of %d values, %v", len(got), len(v), err)
		}
		for i := range v {
			if math.Float64bits(got[i]) != math.Float64bits(v[i]) {
				t.Fatalf("value %d: got %x want %x", i, math.Float64bits(got[i]), math.Float64bits(v[i]))
			}
		}
	})
}

func FuzzBools(f *testing.F) {
	bat := batteryBlock(3)
	fuzzSeeds(f, AppendBools(nil, bat.charging[:200]), AppendBools(nil, []bool{true, false, true}))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		if in[0]&1 == 1 {
			checkArbitrary(t, in[1:], DecodeBools)
			return
		}
		// Each byte is a run: low bit the value, the rest its length.
		var v []bool
		for _, c := range in[1:] {
			for range int(c>>1)%17 + 1 {
				v = append(v, c&1 == 1)
			}
		}
		got, err := DecodeBools(nil, AppendBools(nil, v))
		if err != nil || len(got) != len(v) {
			t.Fatalf("round trip: %d of %d values, %v", len(got), len(v), err)
		}
		for i := range v {
			if got[i] != v[i] {
				t.Fatalf("value %d: got %v want %v", i, got[i], v[i])
			}
		}
	})
}

func FuzzStrings(f *testing.F) {
	bat := batteryBlock(4)
	fuzzSeeds(f, AppendStrings(nil, bat.firmware[:100]), AppendStrings(nil, [][]byte{[]byte("a"), {}, []byte("bc")}),
		AppendStrings(nil, bytes.Split(bytes.Repeat([]byte("sensor reading ok,"), 20), []byte(","))))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		if in[0]&1 == 1 {
			checkArbitrary(t, in[1:], DecodeStrings)
			return
		}
		v := bytes.Split(in[1:], []byte{','})
		if in[0]&2 != 0 { // repeat to reach the dictionary and zstd paths
			for len(v) < 200 {
				v = append(v, v...)
			}
		}
		got, err := DecodeStrings(nil, AppendStrings(nil, v))
		if err != nil || len(got) != len(v) {
			t.Fatalf("round trip: %d of %d values, %v", len(got), len(v), err)
		}
		for i := range v {
			if !bytes.Equal(got[i], v[i]) {
				t.Fatalf("value %d: got %q want %q", i, got[i], v[i])
			}
		}
	})
}

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus in testdata/fuzz")

// TestFuzzCorpus writes realistic encoded blocks into testdata/fuzz so that
// `go test` always decodes them and `go test -fuzz` mutates from them.
// Run with -update-corpus after changing a codec.
func TestFuzzCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to rewrite testdata/fuzz")
	}
	ts, cpu := cpuBlock(21)
	bat := batteryBlock(21)
	text := make([][]byte, 100)
	for i := range text {
		text[i] = fmt.Appendf(nil, "door %d opened", i%7)
	}
	decode := func(b []byte) []byte { return append([]byte{1}, b...) }
	seeds := map[string][][]byte{
		"FuzzTimestamps": {decode(AppendTimestamps(nil, ts)), decode(AppendTimestamps(nil, bat.ts)),
			decode(AppendTimestamps(nil, append(bat.ts[:200:200], bat.ts[300:]...))), // a gap: patched miniblock
			decode(AppendTimestamps(nil, bat.ts[:130])), {2, 5, 250, 3, 7, 0, 1}},
		"FuzzIntegers": {decode(AppendIntegers(nil, bat.cycles)), decode(AppendIntegers(nil, seq(200, func(i int) int64 { return int64(i * i) }))),
			decode(AppendIntegers(nil, []int64{math.MinInt64, math.MaxInt64})), {2, 1, 2, 3, 0xff, 0x80}},
		"FuzzUnsigneds": {decode(AppendUnsigneds(nil, []uint64{1, 2, 3, 1 << 63})), decode(AppendUnsigneds(nil, asUint64s(bat.cycles)))},
		"FuzzFloats": {decode(AppendFloats(nil, cpu)), decode(AppendFloats(nil, bat.temperature)), decode(AppendFloats(nil, smoothFloats(100))),
			decode(AppendFloats(nil, append([]float64{math.NaN(), math.Copysign(0, -1)}, bat.soc[:100]...))), {2, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		"FuzzBools":   {decode(AppendBools(nil, bat.charging)), decode(AppendBools(nil, []bool{true, false, false, true, true, false, true, false, true})), {0, 3, 4, 7}},
		"FuzzStrings": {decode(AppendStrings(nil, bat.firmware)), decode(AppendStrings(nil, text)), decode(AppendStrings(nil, text[:3])), []byte("\x00a,b,,c")},
	}
	for name, list := range seeds {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, b := range list {
			data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
