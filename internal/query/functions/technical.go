package functions

import (
	"fmt"
	"math"

	"github.com/influxdata/influxql"
)

// The technical analysis functions. Each is a recurrence fed with the
// series' values (as floats, nulls skipped) that outputs a Float at every
// point after the first hold_period points; hold_period defaults to the
// number of points the recurrence needs to warm up. The recurrences are
// those of InfluxDB 1.8 (its internal gota package), including their
// warm-up rules, so that results match to the last bit where possible.

// warmup is how an exponential average starts before it has seen period
// values.
type warmup int8

const (
	warmExponential warmup = iota // alpha scaled to 2/(k+1) for the k-th value
	warmSimple                    // a plain mean of the values so far
	warmNone                      // chande_momentum_oscillator only: no smoothing at all
)

// algorithm is one technical analysis recurrence.
type algorithm interface {
	add(v float64) float64
	warmCount() int
}

type technical struct {
	newAlg  func() algorithm
	hold    int  // -1: the algorithm's warm count
	dropInf bool // drop infinite outputs (TRIX, KER, KAMA)
}

func newTechnical(name string, args []influxql.Expr) (Transformer, error) {
	n := int(intArg(args, 1, 0))
	hold := int(intArg(args, 2, -1))
	warm := warmExponential
	if name == "chande_momentum_oscillator" {
		warm = warmNone
	}
	if len(args) >= 4 {
		s, _ := args[3].(*influxql.StringLiteral)
		switch {
		case s == nil:
		case s.Val == "exponential":
			warm = warmExponential
		case s.Val == "simple":
			warm = warmSimple
		case s.Val == "none":
			warm = warmNone
		}
	}
	t := &technical{hold: hold}
	switch name {
	case "exponential_moving_average":
		t.newAlg = func() algorithm { return newEMA(n, warm) }
	case "double_exponential_moving_average":
		t.newAlg = func() algorithm { return &dema{e1: *newEMA(n, warm), e2: *newEMA(n, warm)} }
	case "triple_exponential_moving_average":
		t.newAlg = func() algorithm {
			return &tema{e1: *newEMA(n, warm), e2: *newEMA(n, warm), e3: *newEMA(n, warm)}
		}
	case "triple_exponential_derivative":
		t.dropInf = true
		t.newAlg = func() algorithm {
			return &trix{e1: *newEMA(n, warm), e2: *newEMA(n, warm), e3: *newEMA(n, warm)}
		}
	case "relative_strength_index":
		t.newAlg = func() algorithm { return newUpDown(n, warm, false) }
	case "chande_momentum_oscillator":
		if warm == warmNone {
			t.newAlg = func() algorithm { return newCMO(n) }
		} else {
			t.newAlg = func() algorithm { return newUpDown(n, warm, true) }
		}
	case "kaufmans_efficiency_ratio":
		t.dropInf = true
		t.newAlg = func() algorithm { return newKER(n) }
	case "kaufmans_adaptive_moving_average":
		t.dropInf = true
		t.newAlg = func() algorithm { return &kama{ker: *newKER(n)} }
	default:
		return nil, fmt.Errorf("BUG: no transformer for %s()", name)
	}
	return t, nil
}

func (t *technical) Process(in []Point) []Point {
	alg := t.newAlg()
	hold := t.hold
	if hold < 0 {
		hold = alg.warmCount()
	}
	out := make([]Point, 0, max(len(in)-hold, 0))
	count := 0
	for i := range in {
		x, ok := asFloat(&in[i])
		if !ok {
			continue
		}
		v := alg.add(x)
		count++
		if count <= hold || (t.dropInf && math.IsInf(v, 0)) {
			continue
		}
		out = append(out, floatPoint(in[i].Time, v))
	}
	return out
}

// ema is an exponential moving average over period values with smoothing
// factor alpha (2/(period+1) unless set otherwise).
type ema struct {
	period int
	alpha  float64
	warm   warmup
	n      int // values seen, capped at period
	last   float64
}

func newEMA(period int, warm warmup) *ema {
	return &ema{period: period, alpha: 2 / float64(period+1), warm: warm}
}

func (e *ema) warmed() bool { return e.n == e.period }

func (e *ema) warmCount() int { return e.period - 1 }

func (e *ema) add(v float64) float64 {
	switch {
	case e.n == 0:
		e.last = v
	case e.warmed():
		e.last += (v - e.last) * e.alpha
	case e.warm == warmSimple:
		e.last = (e.last*float64(e.n) + v) / float64(e.n+1)
	default:
		e.last += (v - e.last) * (2 / float64(e.n+2))
	}
	if e.n < e.period {
		e.n++
	}
	return e.last
}

// feeds tells whether a stage's output goes on to the next smoothing
// stage: always when warming exponentially, once warmed otherwise.
func (e *ema) feeds() bool { return e.warmed() || e.warm == warmExponential }

// dema is 2·EMA − EMA(EMA).
type dema struct{ e1, e2 ema }

func (d *dema) add(v float64) float64 {
	a1 := d.e1.add(v)
	a2 := a1
	if d.e1.feeds() {
		a2 = d.e2.add(a1)
	}
	return 2*a1 - a2
}

func (d *dema) warmCount() int {
	if d.e1.warm == warmExponential {
		return d.e1.warmCount()
	}
	return d.e1.warmCount() + d.e2.warmCount()
}

// tema is 3·EMA − 3·EMA(EMA) + EMA(EMA(EMA)).
type tema struct{ e1, e2, e3 ema }

func (t *tema) add(v float64) float64 {
	a1 := t.e1.add(v)
	a2 := a1
	if t.e1.feeds() {
		a2 = t.e2.add(a1)
	}
	a3 := a2
	if t.e2.feeds() {
		a3 = t.e3.add(a2)
	}
	return 3*a1 - 3*a2 + a3
}

func (t *tema) warmCount() int {
	if t.e1.warm == warmExponential {
		return t.e1.warmCount()
	}
	return 3 * t.e1.warmCount()
}

// trix is the percent rate of change of a triple smoothed EMA.
type trix struct {
	e1, e2, e3 ema
	last       float64
}

func (t *trix) add(v float64) float64 {
	cur := t.e1.add(v)
	if t.e1.feeds() {
		cur = t.e2.add(cur)
		if t.e2.feeds() {
			cur = t.e3.add(cur)
		}
	}
	rate := (cur/t.last - 1) * 100
	t.last = cur
	return rate
}

func (t *trix) warmCount() int {
	if t.e1.warm == warmExponential {
		return t.e1.warmCount() + 1
	}
	return 3*t.e1.warmCount() + 1
}

// upDown smooths the gains and the losses between successive values (the
// first compared with 0) with Wilder's factor 1/period: the relative
// strength index, or the smoothed Chande momentum oscillator.
type upDown struct {
	up, down ema
	lastV    float64
	cmo      bool
}

func newUpDown(period int, warm warmup, cmo bool) *upDown {
	e := newEMA(period+1, warm)
	e.alpha = 1 / float64(period)
	return &upDown{up: *e, down: *e, cmo: cmo}
}

func (u *upDown) add(v float64) float64 {
	var up, down float64
	if v > u.lastV {
		up = v - u.lastV
	} else if v < u.lastV {
		down = u.lastV - v
	}
	u.up.add(up)
	u.down.add(down)
	u.lastV = v
	if u.cmo {
		return 100 * ((u.up.last - u.down.last) / (u.up.last + u.down.last))
	}
	return 100 - 100/(1+u.up.last/u.down.last)
}

func (u *upDown) warmCount() int { return u.up.warmCount() }

// cmo is the Chande momentum oscillator over the last period changes:
// 100·(gains − losses)/(gains + losses), 0 while there is no change.
type cmo struct {
	diffs    ring // the last period changes
	pos      int
	n        int // values seen
	lastV    float64
	sumUp    float64
	sumDown  float64
	warmWant int
}

func newCMO(period int) *cmo {
	return &cmo{diffs: ring{size: period}, warmWant: period - 1}
}

func (c *cmo) add(v float64) float64 {
	var d float64
	if c.n > 0 {
		d = v - c.lastV
		if d > 0 {
			c.sumUp += d
		} else if d < 0 {
			c.sumDown -= d
		}
	}
	c.n++
	c.lastV = v
	var out float64
	if c.sumUp != 0 || c.sumDown != 0 {
		out = 100 * ((c.sumUp - c.sumDown) / (c.sumUp + c.sumDown))
	}
	// Store the change and let the one that leaves the window go.
	c.diffs.set(c.pos, d)
	c.pos++
	if c.pos == c.diffs.size {
		c.pos = 0
	}
	if old := c.diffs.get(c.pos); old > 0 {
		c.sumUp -= old
	} else if old < 0 {
		c.sumDown += old
	}
	c.diffs.set(c.pos, 0)
	return out
}

func (c *cmo) warmCount() int { return c.warmWant }

// ker is Kaufman's efficiency ratio: the net change over period values
// divided by the sum of the absolute changes (0 when either is 0). Values
// before the first count as 0, as in InfluxDB.
type ker struct {
	price ring // the last period values
	diff  ring // their absolute changes
	idx   int  // newest
	n     int  // values seen, capped at period+1
	noise float64
}

func newKER(period int) *ker {
	return &ker{price: ring{size: period}, diff: ring{size: period}}
}

func (k *ker) warmed() bool { return k.n == k.price.size+1 }

func (k *ker) warmCount() int { return k.price.size }

func (k *ker) add(v float64) float64 {
	oldest := k.idx + 1
	if oldest >= k.price.size {
		oldest = 0
	}
	signal := math.Abs(v - k.price.get(oldest))
	d := math.Abs(v - k.price.get(k.idx))
	k.noise -= k.diff.get(oldest)
	k.noise += d
	noise := k.noise
	k.idx = oldest
	k.price.set(oldest, v)
	k.diff.set(oldest, d)
	if !k.warmed() {
		k.n++
	}
	if signal == 0 || noise == 0 {
		return 0
	}
	return signal / noise
}

// kama is Kaufman's adaptive moving average, smoothed between the
// constants 2/(2+1) and 2/(30+1) by the efficiency ratio.
type kama struct {
	ker  ker
	last float64
}

func (k *kama) add(v float64) float64 {
	if !k.ker.warmed() {
		k.last = k.ker.price.get(k.ker.idx)
	}
	er := k.ker.add(v)
	const fast, slow = 2.0 / (2.0 + 1.0), 2.0 / (30.0 + 1.0)
	sc := math.Pow(er*(fast-slow)+slow, 2)
	k.last += sc * (v - k.last)
	return k.last
}

func (k *kama) warmCount() int { return k.ker.warmCount() }

// ring is a ring of size float64 slots that starts as zeros and allocates
// only the slots written so far, so that a huge period costs memory in
// proportion to the points seen rather than to the period.
type ring struct {
	size int
	v    []float64
}

func (r *ring) get(i int) float64 {
	if i < len(r.v) {
		return r.v[i]
	}
	return 0
}

func (r *ring) set(i int, x float64) {
	for len(r.v) <= i {
		r.v = append(r.v, 0)
	}
	r.v[i] = x
}
