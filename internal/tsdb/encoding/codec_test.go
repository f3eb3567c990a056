package encoding

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// check runs the invariants every encoded block must satisfy: Count agrees,
// every strict prefix fails with ErrCorrupt, and bit flips never panic nor
// return a length different from the (possibly flipped) count.
func checkBlock[T any](t *testing.T, enc []byte, n int, decode func([]T, []byte) ([]T, error)) {
	t.Helper()
	if got, err := Count(enc); err != nil || got != n {
		t.Fatalf("Count = %d, %v; want %d", got, err, n)
	}
	for i := range len(enc) {
		if _, err := decode(nil, enc[:i]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("prefix of %d/%d bytes: err = %v, want ErrCorrupt", i, len(enc), err)
		}
	}
	flipped := make([]byte, len(enc))
	for i := range min(len(enc), 64) {
		for bit := range 8 {
			copy(flipped, enc)
			flipped[i] ^= 1 << bit
			got, err := decode(nil, flipped)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("flip byte %d bit %d: error %v does not wrap ErrCorrupt", i, bit, err)
				}
				continue
			}
			if c, cerr := Count(flipped); cerr != nil || c != len(got) {
				t.Fatalf("flip byte %d bit %d: decoded %d values, Count says %d (%v)", i, bit, len(got), c, cerr)
			}
		}
	}
	if _, err := decode(nil, append(bytes.Clone(enc), 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("trailing byte: err = %v, want ErrCorrupt", err)
	}
}

func roundTripInts(t *testing.T, v []int64) []byte {
	t.Helper()
	enc := AppendIntegers([]byte{0xAA}, v)[1:] // encoders must append, not overwrite
	got, err := DecodeIntegers(make([]int64, 3, 7), enc)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(v) == 0 && len(got) == 0 {
		got = v
	}
	if diff := cmp.Diff(v, got); diff != "" {
		t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
	}
	ts, err := DecodeTimestamps(nil, AppendTimestamps(nil, v))
	if err != nil || len(ts) != len(v) {
		t.Fatalf("timestamps: %d values, %v", len(ts), err)
	}
	u := make([]uint64, len(v))
	for i, x := range v {
		u[i] = uint64(x)
	}
	gu, err := DecodeUnsigneds(nil, AppendUnsigneds(nil, u))
	if err != nil || len(gu) != len(u) {
		t.Fatalf("unsigneds: %d values, %v", len(gu), err)
	}
	for i := range u {
		if gu[i] != u[i] {
			t.Fatalf("unsigned %d: got %d want %d", i, gu[i], u[i])
		}
	}
	checkBlock(t, enc, len(v), DecodeIntegers)
	return enc
}

func seq(n int, f func(i int) int64) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = f(i)
	}
	return v
}

func TestIntegers(t *testing.T) {
	r := newRand(1)
	cases := []struct {
		name   string
		v      []int64
		codec  byte
		maxLen int // 0: no size expectation
	}{
		{"empty", []int64{}, idIntRaw, 2},
		{"one", []int64{42}, idIntConst, 3},
		{"one min", []int64{math.MinInt64}, idIntConst, 12},
		{"const", seq(1000, func(int) int64 { return -7 }), idIntConst, 4},
		{"run", seq(1000, func(i int) int64 { return 1_700_000_000e9 + int64(i)*10e9 }), idIntRun, 20},
		{"descending run", seq(300, func(i int) int64 { return -int64(i) * 3 }), idIntRun, 5},
		{"extremes", []int64{math.MinInt64, math.MaxInt64, 0, -1, 1, math.MinInt64, math.MaxInt64}, 0, 0},
		{"wrapping run", seq(10, func(i int) int64 { return math.MaxInt64 - 3 + int64(i) }), idIntRun, 0},
		{"alternating extremes", seq(300, func(i int) int64 {
			if i%2 == 0 {
				return math.MinInt64
			}
			return math.MaxInt64
		}), 0, 0},
		{"mixed signs small", seq(1000, func(i int) int64 { return r.Int64N(201) - 100 }), idIntFOR, 1040},
		{"slowly increasing", seq(1000, func(i int) int64 { return 500 + int64(i/97) }), idIntRLE, 40},
		{"jittered timestamps", seq(1000, func(i int) int64 { return 1e18 + int64(i)*60e9 + r.Int64N(1000) }), 0, 1450},
		{"random", seq(1000, func(int) int64 { return int64(r.Uint64()) }), idIntRaw, 8003},
		{"outlier", seq(1000, func(i int) int64 {
			if i == 500 {
				return math.MaxInt64
			}
			return int64(i % 7)
		}), idIntFOR, 420}, // the outlier is patched, not packed
		{"timestamps with gap", seq(1000, func(i int) int64 {
			t := 1e18 + int64(i)*60e9 + r.Int64N(1000)*1e6
			if i >= 400 {
				t += 3 * 3600e9 // the gateway was offline for three hours
			}
			return t
		}), idIntDelta, 1450},
		{"glitches both ways", seq(1000, func(i int) int64 {
			switch i % 300 {
			case 17:
				return math.MinInt64 + int64(i)
			case 18:
				return math.MaxInt64 - int64(i)
			}
			return 2000 + int64(i%50)
		}), 0, 900},
		{"partial miniblock", seq(129, func(i int) int64 { return int64(i * i) }), 0, 0},
		{"long const", seq(MaxRunValues+1, func(int) int64 { return 5 }), 0, 1100},
		{"status codes", seq(1000, func(i int) int64 { return []int64{200, 503, 200, 404}[i/250] }), idIntRLE, 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc := roundTripInts(t, c.v)
			if c.codec != 0 && enc[0] != c.codec {
				t.Errorf("codec %#x, want %#x", enc[0], c.codec)
			}
			if c.maxLen != 0 && len(enc) > c.maxLen {
				t.Errorf("encoded to %d bytes, want ≤ %d", len(enc), c.maxLen)
			}
		})
	}
}

func TestIntegersRandom(t *testing.T) {
	r := newRand(2)
	for iter := range 300 {
		n := r.IntN(600)
		shape := iter % 5
		base := int64(r.Uint64())
		width := r.UintN(64)
		v := seq(n, func(i int) int64 {
			noise := int64(r.Uint64() >> (63 - width) >> 1)
			switch shape {
			case 0:
				return noise
			case 1:
				return base + int64(i)*1000 + noise
			case 2:
				return base - noise
			case 3:
				return base + int64(i)*int64(i)
			}
			return int64(r.Uint64())
		})
		t.Run(fmt.Sprintf("iter=%d", iter), func(t *testing.T) {
			if iter%20 == 0 {
				roundTripInts(t, v) // includes the slow corruption checks
				return
			}
			got, err := DecodeIntegers(nil, AppendIntegers(nil, v))
			if err != nil || len(got) != len(v) {
				t.Fatalf("decode: %d values, %v", len(got), err)
			}
			for i := range v {
				if got[i] != v[i] {
					t.Fatalf("value %d: got %d want %d", i, got[i], v[i])
				}
			}
		})
	}
}

func TestBitPack(t *testing.T) {
	r := newRand(3)
	for w := uint(0); w <= 64; w++ {
		for _, n := range []int{0, 1, 7, 8, 9, 63, 128, 129, 1000} {
			v := make([]uint64, n)
			for i := range v {
				v[i] = r.Uint64()
				if w < 64 {
					v[i] &= 1<<w - 1
				}
			}
			enc := pack([]byte{0xFF}, v, w)[1:]
			if len(enc) != packedLen(n, w) {
				t.Fatalf("w=%d n=%d: %d bytes, want %d", w, n, len(enc), packedLen(n, w))
			}
			got := make([]uint64, n)
			unpack(got, enc, w)
			if diff := cmp.Diff(v, got); diff != "" {
				t.Fatalf("w=%d n=%d: (-want +got):\n%s", w, n, diff)
			}
		}
	}
}

func bitsOf(v []float64) []uint64 {
	u := make([]uint64, len(v))
	for i, x := range v {
		u[i] = math.Float64bits(x)
	}
	return u
}

func roundTripFloats(t *testing.T, v []float64, corruption bool) []byte {
	t.Helper()
	enc := AppendFloats([]byte{0xAA}, v)[1:]
	got, err := DecodeFloats(make([]float64, 2, 5), enc)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if diff := cmp.Diff(bitsOf(v), bitsOf(got)); diff != "" {
		t.Fatalf("round trip bits mismatch (-want +got):\n%s", diff)
	}
	if corruption {
		checkBlock(t, enc, len(v), DecodeFloats)
	}
	return enc
}

func TestFloats(t *testing.T) {
	nan1 := math.Float64frombits(0x7ff8000000000001)
	nan2 := math.Float64frombits(0xfff0000000000abc) // negative signalling NaN
	sub := math.Float64frombits(1)
	_, cpu := cpuBlock(1)
	r := newRand(4)
	cases := []struct {
		name   string
		v      []float64
		codec  byte
		maxLen int
	}{
		{"empty", []float64{}, idFloatRaw, 2},
		{"one", []float64{58.13}, idFloatConst, 10},
		{"const NaN", []float64{nan1, nan1, nan1}, idFloatConst, 10},
		{"negative zero", []float64{-0.0, 0, -0.0}, 0, 0},
		{"negative zero in decimals", append([]float64{-0.0}, cpu[:200]...), idFloatDecimal, 0},
		{"nan variants", []float64{math.NaN(), nan1, nan2, 1, math.Inf(1), math.Inf(-1)}, 0, 0},
		{"specials in decimals", append(append([]float64{nan2, math.Inf(-1)}, cpu[:300]...), math.Inf(1), sub), idFloatDecimal, 0},
		{"subnormals", []float64{sub, 2 * sub, math.SmallestNonzeroFloat64, -sub, 0x1p-1030}, 0, 0},
		{"extremes", []float64{math.MaxFloat64, -math.MaxFloat64, 1e300, -1e-300, 9.2e18, -9.3e18}, 0, 0},
		{"integers", []float64{1, 2, 3, 100, -5, 0, 7}, idFloatDecimal, 0},
		{"cpu walk", cpu, idFloatDecimal, 1200},
		{"18 decimals", []float64{0.123456789012345678, 0.5, 0.25}, 0, 0},
		{"large mantissas", []float64{4503599627370497, 9007199254740993, 1 << 61, -(1 << 62)}, 0, 0},
		{"smooth", smoothFloats(1000), idFloatXOR, 8000},
		{"random bits", randomFloats(5, 1000), idFloatRaw, 8003},
		{"mostly random", append(randomFloats(6, 100), 1, 2, 3), 0, 0},
		{"repeats", seq2(1000, func(i int) float64 { return float64(i/100) * 0.1 * r.Float64() }), 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc := roundTripFloats(t, c.v, true)
			if c.codec != 0 && enc[0] != c.codec {
				t.Errorf("codec %#x, want %#x", enc[0], c.codec)
			}
			if c.maxLen != 0 && len(enc) > c.maxLen {
				t.Errorf("encoded to %d bytes, want ≤ %d", len(enc), c.maxLen)
			}
		})
	}
}

func seq2(n int, f func(i int) float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = f(i)
	}
	return v
}

func TestFloatsRandom(t *testing.T) {
	r := newRand(7)
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0,
		math.Float64frombits(1), math.MaxFloat64, math.Float64frombits(0x7ff0000000000001)}
	for iter := range 300 {
		n := r.IntN(700)
		dec := r.IntN(8)
		v := seq2(n, func(i int) float64 {
			switch {
			case r.IntN(50) == 0:
				return specials[r.IntN(len(specials))]
			case iter%3 == 0:
				return math.Float64frombits(r.Uint64())
			case iter%3 == 1:
				return float64(r.Int64N(2_000_000)-1_000_000) / math.Pow10(dec)
			}
			return r.NormFloat64() * 1000
		})
		t.Run(fmt.Sprintf("iter=%d", iter), func(t *testing.T) {
			roundTripFloats(t, v, iter%25 == 0)
		})
	}
}

func TestBools(t *testing.T) {
	r := newRand(8)
	cases := []struct {
		name  string
		v     []bool
		codec byte
	}{
		{"empty", []bool{}, idBoolPacked},
		{"one", []bool{true}, idBoolConst},
		{"const false", make([]bool, 1000), idBoolConst},
		{"rare changes", func() []bool {
			v := make([]bool, 1000)
			for i := 300; i < 700; i++ {
				v[i] = true
			}
			return v
		}(), idBoolRLE},
		{"random", func() []bool {
			v := make([]bool, 1001)
			for i := range v {
				v[i] = r.IntN(2) == 1
			}
			return v
		}(), idBoolPacked},
		{"alternating 9", []bool{true, false, true, false, true, false, true, false, true}, idBoolPacked},
		{"long const", make([]bool, MaxRunValues+3), idBoolPacked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc := AppendBools([]byte{1}, c.v)[1:]
			if enc[0] != c.codec {
				t.Errorf("codec %#x, want %#x", enc[0], c.codec)
			}
			got, err := DecodeBools(make([]bool, 1, 3), enc)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.v) == 0 && len(got) == 0 {
				got = c.v
			}
			if diff := cmp.Diff(c.v, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			if len(c.v) < 5000 {
				checkBlock(t, enc, len(c.v), DecodeBools)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	r := newRand(9)
	fw := [][]byte{[]byte("1.2.0"), []byte("1.3.1"), []byte("2.0.2")}
	mk := func(n int, f func(i int) []byte) [][]byte {
		v := make([][]byte, n)
		for i := range v {
			v[i] = f(i)
		}
		return v
	}
	cases := []struct {
		name   string
		v      [][]byte
		codec  byte
		maxLen int
	}{
		{"empty", [][]byte{}, idStrPlain, 2},
		{"one", [][]byte{[]byte("hello")}, idStrPlain, 0},
		{"empty strings", mk(10, func(int) []byte { return nil }), idStrDict, 0},
		{"firmware", mk(1000, func(i int) []byte { return fw[i*3/1000] }), idStrDict, 40},
		{"firmware random", mk(1000, func(int) []byte { return fw[r.IntN(3)] }), 0, 300},
		{"states", mk(1000, func(int) []byte { return []byte([]string{"idle", "charging", "fault"}[r.IntN(3)]) }), 0, 300},
		{"unique text", mk(300, func(i int) []byte { return fmt.Appendf(nil, "event %d at sensor %d", i, i%17) }), idStrZstd, 2000},
		{"random bytes", mk(50, func(int) []byte {
			b := make([]byte, r.IntN(40))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return b
		}), idStrPlain, 0},
		{"binary with zeros", [][]byte{{0}, {0, 0}, {}, {0xff, 0}}, idStrPlain, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc := AppendStrings([]byte{7}, c.v)[1:]
			if c.codec != 0 && enc[0] != c.codec {
				t.Errorf("codec %#x, want %#x", enc[0], c.codec)
			}
			if c.maxLen != 0 && len(enc) > c.maxLen {
				t.Errorf("encoded to %d bytes, want ≤ %d", len(enc), c.maxLen)
			}
			got, err := DecodeStrings(nil, enc)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.v) {
				t.Fatalf("decoded %d strings, want %d", len(got), len(c.v))
			}
			for i := range got {
				if !bytes.Equal(got[i], c.v[i]) {
					t.Fatalf("string %d: got %q want %q", i, got[i], c.v[i])
				}
			}
			checkBlock(t, enc, len(c.v), DecodeStrings)
		})
	}
}

func TestWrongType(t *testing.T) {
	blocks := map[string][]byte{
		"ints":    AppendIntegers(nil, []int64{1, 5, 2}),
		"floats":  AppendFloats(nil, []float64{1.5, 2.25}),
		"bools":   AppendBools(nil, []bool{true, false}),
		"strings": AppendStrings(nil, [][]byte{[]byte("a")}),
	}
	decoders := map[string]func([]byte) error{
		"ints":    func(b []byte) error { _, err := DecodeIntegers(nil, b); return err },
		"floats":  func(b []byte) error { _, err := DecodeFloats(nil, b); return err },
		"bools":   func(b []byte) error { _, err := DecodeBools(nil, b); return err },
		"strings": func(b []byte) error { _, err := DecodeStrings(nil, b); return err },
	}
	for bn, b := range blocks {
		for dn, dec := range decoders {
			err := dec(b)
			if (bn == dn) != (err == nil) {
				t.Errorf("decode %s block as %s: err = %v", bn, dn, err)
			}
			if err != nil && !errors.Is(err, ErrCorrupt) {
				t.Errorf("decode %s block as %s: %v does not wrap ErrCorrupt", bn, dn, err)
			}
		}
	}
}

func TestHugeCountRejected(t *testing.T) {
	// A constant block claiming 2^40 values must not allocate them.
	for _, id := range []byte{idIntConst, idIntRun, idFloatConst, idBoolConst, idIntFOR, idStrPlain} {
		b := appendHeader(nil, id, 1<<40)
		b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, 0)
		if _, err := Count(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("id %#x: Count err = %v", id, err)
		}
		if _, err := DecodeIntegers(nil, b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("id %#x: err = %v", id, err)
		}
	}
	b := appendHeader(nil, idIntConst, MaxRunValues+1)
	b = append(b, make([]byte, 16)...)
	if _, err := DecodeIntegers(nil, b); !errors.Is(err, ErrCorrupt) {
		t.Errorf("const over MaxRunValues: err = %v", err)
	}
}

func TestDecodeNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	ts, cpu := cpuBlock(3)
	bat := batteryBlock(3)
	encTS := AppendTimestamps(nil, bat.ts)
	encF := AppendFloats(nil, cpu)
	encB := AppendBools(nil, bat.charging)
	encS := AppendStrings(nil, bat.firmware)
	encX := AppendFloats(nil, smoothFloats(1000))
	it := make([]int64, 0, len(ts))
	fl := make([]float64, 0, len(cpu))
	bl := make([]bool, 0, len(cpu))
	st := make([][]byte, 0, len(cpu))
	buf := make([]byte, 0, 16<<10)
	for name, f := range map[string]func(){
		"timestamps": func() { it, _ = DecodeTimestamps(it, encTS) },
		"floats":     func() { fl, _ = DecodeFloats(fl, encF) },
		"xor":        func() { fl, _ = DecodeFloats(fl, encX) },
		"bools":      func() { bl, _ = DecodeBools(bl, encB) },
		"strings":    func() { st, _ = DecodeStrings(st, encS) },
		"enc ts":     func() { buf = AppendTimestamps(buf[:0], bat.ts) },
		"enc floats": func() { buf = AppendFloats(buf[:0], cpu) },
		"enc bools":  func() { buf = AppendBools(buf[:0], bat.charging) },
		"enc str":    func() { buf = AppendStrings(buf[:0], bat.firmware) },
	} {
		if a := testing.AllocsPerRun(50, f); a != 0 {
			t.Errorf("%s: %.1f allocs per run", name, a)
		}
	}
}

// TestXOR exercises the XOR codec directly, whatever AppendFloats would
// choose for the data.
func TestXOR(t *testing.T) {
	r := newRand(10)
	inputs := [][]float64{
		{1},
		{math.NaN(), math.NaN(), math.Inf(1), math.Copysign(0, -1), 0},
		smoothFloats(300),
		randomFloats(10, 300),
		seq2(300, func(i int) float64 { return float64(r.IntN(5)) }),
		seq2(300, func(i int) float64 { return math.Float64frombits(uint64(1) << r.UintN(64)) }),
	}
	for i, v := range inputs {
		enc := appendXOR(nil, bitsOf(v))
		got, err := DecodeFloats(nil, enc)
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		if diff := cmp.Diff(bitsOf(v), bitsOf(got)); diff != "" {
			t.Fatalf("input %d (-want +got):\n%s", i, diff)
		}
		checkBlock(t, enc, len(v), DecodeFloats)
	}
}

// TestConcurrent shares the pooled scratch buffers and the zstd coders
// between goroutines; run under -race.
func TestConcurrent(t *testing.T) {
	text := make([][]byte, 300)
	for i := range text {
		text[i] = fmt.Appendf(nil, "reading %d of sensor %d", i, i%11)
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			bat := batteryBlock(uint64(g))
			var err error
			for range 20 {
				var got [][]byte
				if got, err = DecodeStrings(nil, AppendStrings(nil, text)); err == nil && len(got) != len(text) {
					err = fmt.Errorf("strings: %d values", len(got))
				}
				if err != nil {
					break
				}
				var f []float64
				if f, err = DecodeFloats(nil, AppendFloats(nil, bat.soc)); err == nil && len(f) != len(bat.soc) {
					err = fmt.Errorf("floats: %d values", len(f))
				}
				if err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
