package encoding

import (
	"fmt"
	"math"
	"testing"
)

// Benchmarks report, besides ns/op and allocations, the encoded size in
// "B/value" and the throughput in "Mvalues/s". Realistic data comes from
// data_test.go (cpu: TSBS-like counters; battery: IoT readings).

type benchCase[T any] struct {
	name string
	v    []T
}

func floatCases() []benchCase[float64] {
	_, cpu := cpuBlock(11)
	bat := batteryBlock(11)
	return []benchCase[float64]{
		{"cpu", cpu},
		{"soc", bat.soc},
		{"voltage", bat.voltage},
		{"current", bat.current},
		{"temperature", bat.temperature},
		{"smooth", smoothFloats(blockLen)},
		{"random", randomFloats(11, blockLen)},
	}
}

func intCases() []benchCase[int64] {
	ts, _ := cpuBlock(12)
	bat := batteryBlock(12)
	r := newRand(12)
	return []benchCase[int64]{
		{"ts-regular", ts},
		{"ts-jitter", bat.ts},
		{"cycles", bat.cycles},
		{"walk", seq(blockLen, func(i int) int64 { return int64(i/10) + r.Int64N(100) })},
		{"random", seq(blockLen, func(int) int64 { return int64(r.Uint64()) })},
	}
}

func report(b *testing.B, n, size int) {
	b.ReportMetric(float64(size)/float64(n), "B/value")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mvalues/s")
}

func BenchmarkEncodeFloats(b *testing.B) {
	for _, c := range floatCases() {
		b.Run("data="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 16<<10)
			for b.Loop() {
				buf = AppendFloats(buf[:0], c.v)
			}
			report(b, len(c.v), len(buf))
		})
	}
}

func BenchmarkDecodeFloats(b *testing.B) {
	for _, c := range floatCases() {
		b.Run("data="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			enc := AppendFloats(nil, c.v)
			dst := make([]float64, 0, len(c.v))
			for b.Loop() {
				dst, _ = DecodeFloats(dst, enc)
			}
			report(b, len(c.v), len(enc))
		})
	}
}

func BenchmarkEncodeIntegers(b *testing.B) {
	for _, c := range intCases() {
		b.Run("data="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 16<<10)
			for b.Loop() {
				buf = AppendIntegers(buf[:0], c.v)
			}
			report(b, len(c.v), len(buf))
		})
	}
}

func BenchmarkDecodeIntegers(b *testing.B) {
	for _, c := range intCases() {
		b.Run("data="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			enc := AppendIntegers(nil, c.v)
			dst := make([]int64, 0, len(c.v))
			for b.Loop() {
				dst, _ = DecodeIntegers(dst, enc)
			}
			report(b, len(c.v), len(enc))
		})
	}
}

// BenchmarkBitUnpack measures the raw bit-unpacker per width.
func BenchmarkBitUnpack(b *testing.B) {
	for _, w := range []uint{1, 7, 13, 32, 60} {
		b.Run(fmt.Sprintf("width=%d", w), func(b *testing.B) {
			v := make([]uint64, blockLen)
			r := newRand(uint64(w))
			for i := range v {
				v[i] = r.Uint64() & (1<<w - 1)
			}
			enc := pack(nil, v, w)
			b.ReportAllocs()
			for b.Loop() {
				unpack(v, enc, w)
			}
			report(b, len(v), len(enc))
		})
	}
}

func BenchmarkBools(b *testing.B) {
	bat := batteryBlock(13)
	r := newRand(13)
	random := make([]bool, blockLen)
	for i := range random {
		random[i] = r.IntN(2) == 1
	}
	for _, c := range []benchCase[bool]{{"charging", bat.charging}, {"random", random}} {
		b.Run("op=encode/data="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 4096)
			for b.Loop() {
				buf = AppendBools(buf[:0], c.v)
			}
			report(b, len(c.v), len(buf))
		})
		b.Run("op=decode/data="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			enc := AppendBools(nil, c.v)
			dst := make([]bool, 0, len(c.v))
			for b.Loop() {
				dst, _ = DecodeBools(dst, enc)
			}
			report(b, len(c.v), len(enc))
		})
	}
}

func BenchmarkStrings(b *testing.B) {
	bat := batteryBlock(14)
	text := make([][]byte, blockLen)
	for i := range text {
		text[i] = fmt.Appendf(nil, "door %d opened by badge %d", i%13, i*7919%1000)
	}
	for _, c := range []benchCase[[]byte]{{"firmware", bat.firmware}, {"text", text}} {
		b.Run("op=encode/data="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 64<<10)
			for b.Loop() {
				buf = AppendStrings(buf[:0], c.v)
			}
			report(b, len(c.v), len(buf))
		})
		b.Run("op=decode/data="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			enc := AppendStrings(nil, c.v)
			dst := make([][]byte, 0, len(c.v))
			for b.Loop() {
				dst, _ = DecodeStrings(dst, enc)
			}
			report(b, len(c.v), len(enc))
		})
	}
}

// BenchmarkSize encodes 100 blocks of 1,000 values per column and reports
// the average encoded size in B/value: (a) TSBS cpu counters at 10 s, (b)
// battery readings at 60 s ± 10 s, (c) random float64 bits.
func BenchmarkSize(b *testing.B) {
	const blocks = 100
	type column struct {
		name string
		enc  func(seed uint64, dst []byte) []byte
	}
	cols := []column{
		{"cpu/timestamps", func(s uint64, d []byte) []byte { ts, _ := cpuBlock(s); return AppendTimestamps(d, ts) }},
		{"cpu/usage", func(s uint64, d []byte) []byte { _, v := cpuBlock(s); return AppendFloats(d, v) }},
		{"battery/timestamps", func(s uint64, d []byte) []byte { return AppendTimestamps(d, batteryBlock(s).ts) }},
		{"battery/soc", func(s uint64, d []byte) []byte { return AppendFloats(d, batteryBlock(s).soc) }},
		{"battery/voltage", func(s uint64, d []byte) []byte { return AppendFloats(d, batteryBlock(s).voltage) }},
		{"battery/current", func(s uint64, d []byte) []byte { return AppendFloats(d, batteryBlock(s).current) }},
		{"battery/temperature", func(s uint64, d []byte) []byte { return AppendFloats(d, batteryBlock(s).temperature) }},
		{"battery/cycles", func(s uint64, d []byte) []byte { return AppendIntegers(d, batteryBlock(s).cycles) }},
		{"battery/charging", func(s uint64, d []byte) []byte { return AppendBools(d, batteryBlock(s).charging) }},
		{"battery/firmware", func(s uint64, d []byte) []byte { return AppendStrings(d, batteryBlock(s).firmware) }},
		{"random/float64", func(s uint64, d []byte) []byte { return AppendFloats(d, randomFloats(s, blockLen)) }},
		// Baselines: what plain Gorilla XOR would take for the same columns.
		{"cpu/usage-gorilla", func(s uint64, d []byte) []byte { _, v := cpuBlock(s); return appendXOR(d, bitsOf(v)) }},
		{"battery/soc-gorilla", func(s uint64, d []byte) []byte { return appendXOR(d, bitsOf(batteryBlock(s).soc)) }},
	}
	for _, c := range cols {
		b.Run("data="+c.name, func(b *testing.B) {
			total := 0
			for b.Loop() {
				total = 0
				for s := range uint64(blocks) {
					total += len(c.enc(s, nil))
				}
			}
			b.ReportMetric(float64(total)/(blocks*blockLen), "B/value")
		})
	}
}

// TestSizeBudget guards the compression ratios the engine is designed for.
func TestSizeBudget(t *testing.T) {
	perValue := func(f func(seed uint64) []byte) float64 {
		total := 0
		for s := range uint64(20) {
			total += len(f(s))
		}
		return float64(total) / (20 * blockLen)
	}
	cases := []struct {
		name string
		max  float64
		f    func(seed uint64) []byte
	}{
		{"cpu timestamps", 0.05, func(s uint64) []byte { ts, _ := cpuBlock(s); return AppendTimestamps(nil, ts) }},
		{"cpu usage", 1.1, func(s uint64) []byte { _, v := cpuBlock(s); return AppendFloats(nil, v) }},
		{"battery timestamps", 2.1, func(s uint64) []byte { return AppendTimestamps(nil, batteryBlock(s).ts) }},
		{"battery soc", 1.0, func(s uint64) []byte { return AppendFloats(nil, batteryBlock(s).soc) }},
		{"battery firmware", 0.05, func(s uint64) []byte { return AppendStrings(nil, batteryBlock(s).firmware) }},
		{"random floats", 8.01, func(s uint64) []byte { return AppendFloats(nil, randomFloats(s, blockLen)) }},
	}
	for _, c := range cases {
		if got := perValue(c.f); got > c.max || math.IsNaN(got) {
			t.Errorf("%s: %.3f B/value, budget %.2f", c.name, got, c.max)
		} else {
			t.Logf("%s: %.3f B/value", c.name, got)
		}
	}
}
