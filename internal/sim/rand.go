package sim

import "math/bits"

// rng is a small deterministic pseudo-random generator (SplitMix64). We use our own rather
// than math/rand/v2 so that the byte stream a seed produces can never change with a Go
// release: determinism across versions is what lets a durability test regenerate the data.
// It is not safe for concurrent use; each generator owns one.
type rng struct {
	s uint64
}

func newRNG(seed int64) rng {
	// Mix the seed once so that small seeds (0, 1, 2) start far apart.
	r := rng{s: uint64(seed) ^ 0x6a09e667f3bcc909}
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a value in [0, n). n must be > 0. It uses the multiply-shift reduction; the
// tiny bias it leaves (< n/2^64) does not matter for synthetic data.
func (r *rng) intn(n int64) int64 {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int64(hi)
}

// rangeIn returns a value in [lo, hi] inclusive.
func (r *rng) rangeIn(lo, hi int64) int64 {
	return lo + r.intn(hi-lo+1)
}

// float64 returns a value in [0, 1).
func (r *rng) float64() float64 {
	return float64(r.next()>>11) / (1 << 53)
}
