package encoding

import (
	"math"
	"math/rand/v2"
)

// Realistic test data, shaped like internal/sim's workloads: TSBS-style cpu
// counters and IoT battery readings.

const blockLen = 1000

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// cpuBlock is one TSBS cpu counter: a random walk in hundredths of a
// percent, steps of up to ±1.00, clamped to [0, 100], sampled every 10 s.
func cpuBlock(seed uint64) (ts []int64, v []float64) {
	r := newRand(seed)
	x := r.Int64N(10001)
	t := int64(1_700_000_000) * 1e9
	for range blockLen {
		x = min(10000, max(0, x+r.Int64N(201)-100))
		ts = append(ts, t)
		v = append(v, float64(x)/100)
		t += 10e9
	}
	return ts, v
}

type batteryData struct {
	ts          []int64
	soc         []float64
	voltage     []float64
	current     []float64
	temperature []float64
	cycles      []int64
	charging    []bool
	firmware    [][]byte
}

// batteryBlock is one device's readings every 60 s ± 10 s (ms precision).
func batteryBlock(seed uint64) batteryData {
	r := newRand(seed)
	var d batteryData
	rng := func(lo, hi int64) int64 { return lo + r.Int64N(hi-lo+1) }
	firmware := [][]byte{[]byte("1.2.0"), []byte("1.3.1"), []byte("1.4.0")}
	soc, low := rng(2000, 10000), rng(1500, 3000)
	ambient := rng(120, 300)
	temp, drain, cycles := ambient, rng(300, 2000), rng(0, 800)
	fw := 0
	charging := false
	t := int64(1_700_000_000_000) * 1e6
	for range blockLen {
		if charging {
			soc += rng(20, 60)
			if soc >= 10000 {
				soc, charging = 10000, false
				cycles++
			}
		} else {
			soc -= rng(2, 30)
			if soc <= low || r.IntN(2000) == 0 {
				soc, charging = max(soc, 0), true
			}
		}
		if fw < len(firmware)-1 && r.IntN(500) == 0 {
			fw++
		}
		var current int64
		if charging {
			current = rng(1500, 3000)
		} else {
			current = -(drain + rng(-200, 200))
		}
		voltage := 4600 + soc*8/100 + rng(-3, 3)
		if charging {
			voltage += 40
		}
		target := ambient + abs(current)/100
		temp += (target-temp)/8 + rng(-2, 2)
		d.ts = append(d.ts, t)
		d.soc = append(d.soc, float64(soc)/100)
		d.voltage = append(d.voltage, float64(voltage)/100)
		d.current = append(d.current, float64(current)/100)
		d.temperature = append(d.temperature, float64(temp)/10)
		d.cycles = append(d.cycles, cycles)
		d.charging = append(d.charging, charging)
		d.firmware = append(d.firmware, firmware[fw])
		t += 60_000*1e6 + rng(-10_000, 10_000)*1e6
	}
	return d
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// randomFloats is the worst case: uniformly random IEEE bit patterns.
func randomFloats(seed uint64, n int) []float64 {
	r := newRand(seed)
	v := make([]float64, n)
	for i := range v {
		v[i] = math.Float64frombits(r.Uint64())
	}
	return v
}

// smoothFloats is full-precision data (a sine), where XOR beats decimals.
func smoothFloats(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.Sin(float64(i) / 100)
	}
	return v
}
