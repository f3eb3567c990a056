package functions

import (
	"math"
)

// holtWinters forecasts a series of aggregated windows with the damped,
// multiplicative Holt-Winters method, fitted the way InfluxDB 1.x fits it:
// the initial level, trend and seasonal factors are estimated from the
// first seasons, then alpha, beta, gamma and the damping phi are searched
// with Nelder-Mead from each point of a 2⁴ grid, minimising the squared
// error of the fitted values. Input times are rounded to the interval;
// a missing window is a gap the fit skips. holt_winters() outputs n points
// after the last input, interval apart; holt_winters_with_fit() also the
// fitted values from the first input's time on. A series spanning more than
// about a million intervals, forecast included, gives no output.
//
// As in InfluxDB 1.x, the fitted curve is the model run forward from its
// initial state on its own forecasts, and the search keeps the changes the
// model makes to the seasonal factors of the vertex it evaluates; both
// decide the numbers, so both are kept for compatibility.
type holtWinters struct {
	h        int   // points to forecast
	m        int   // season length; < 2 means no seasonality
	interval int64 // spacing of the input windows
	withFit  bool
	desc     bool
}

const (
	hwWeight       = 0.5    // weight of the first values in the initial level and trend
	hwEpsilon      = 1.0e-4 // Nelder-Mead stop criterion
	hwGuessLower   = 0.3    // the grid of starting alpha, beta, gamma, phi
	hwGuessUpper   = 1.0
	hwGuessStep    = 0.4
	hwMaxIteration = 1000

	// hwMaxPoints bounds the fitted windows plus the forecast: beyond it a
	// fit would take hours (and InfluxDB would run out of memory first).
	hwMaxPoints = 1 << 20
)

func newHoltWinters(n, s int, withFit bool, opts TransformOptions) Transformer {
	return &holtWinters{h: n, m: s, interval: opts.Interval, withFit: withFit, desc: opts.Descending}
}

func (hw *holtWinters) seasonal() bool { return hw.m >= 2 }

// round rounds t to the nearest multiple of the interval (halves down).
func (hw *holtWinters) round(t int64) int64 {
	r := t % hw.interval
	if r > hw.interval/2 {
		return (t/hw.interval + 1) * hw.interval
	}
	return (t / hw.interval) * hw.interval
}

func (hw *holtWinters) Process(in []Point) []Point {
	if hw.interval <= 0 || hw.h <= 0 {
		return nil
	}
	type tv struct {
		t int64
		v float64
	}
	pts := make([]tv, 0, len(in))
	for i := range in {
		if v, ok := asFloat(&in[i]); ok {
			pts = append(pts, tv{in[i].Time, v})
		}
	}
	if hw.desc {
		for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
			pts[i], pts[j] = pts[j], pts[i]
		}
	}
	if len(pts) < 2 || (hw.seasonal() && len(pts) < hw.m) {
		return nil
	}
	first, last := hw.round(pts[0].t), hw.round(pts[len(pts)-1].t)
	if span := (last - first) / hw.interval; span <= 0 || span >= hwMaxPoints || hw.h >= hwMaxPoints-int(span) {
		return nil
	}
	// One value per interval from the first, NaN where a window is missing;
	// of several values in one window the first counts.
	y := []float64{pts[0].v}
	t := first
	for _, p := range pts[1:] {
		r := hw.round(p.t)
		if r <= t {
			continue
		}
		for t += hw.interval; t < r; t += hw.interval {
			y = append(y, math.NaN())
		}
		y = append(y, p.v)
	}
	m := hw.m
	if hw.seasonal() && len(y) < m {
		return nil
	}

	// Initial level, trend and seasonal factors.
	var l0, b0 float64
	var season []float64
	if hw.seasonal() {
		for i := 0; i < m; i++ {
			if !math.IsNaN(y[i]) {
				l0 += (1 / float64(m)) * y[i] // InfluxDB's rounding: times the reciprocal
			}
		}
		for i := 0; i < m && m+i < len(y); i++ {
			if !math.IsNaN(y[i]) && !math.IsNaN(y[m+i]) {
				b0 += 1 / float64(m*m) * (y[m+i] - y[i])
			}
		}
		season = make([]float64, m)
		for i := range season {
			if !math.IsNaN(y[i]) {
				season[i] = y[i] / l0
			}
		}
	} else {
		l0 = hwWeight * y[0]
		if !math.IsNaN(y[1]) {
			b0 = hwWeight * (y[1] - y[0])
		}
	}

	// params: alpha, beta, gamma, phi, l0, b0, then the seasonal factors.
	params := make([]float64, 6+len(season))
	params[4], params[5] = l0, b0
	copy(params[6:], season)

	scratch := make([]float64, len(y))
	sse := func(x []float64) float64 {
		fit := hw.run(y, 0, x, scratch)
		var sum float64
		for i := range fit {
			if math.IsNaN(y[i]) {
				continue
			}
			if math.IsNaN(fit[i]) {
				return math.Inf(1)
			}
			d := fit[i] - y[i]
			sum += d * d
		}
		return sum
	}
	minSSE := math.Inf(1)
	var best []float64
	for alpha := hwGuessLower; alpha < hwGuessUpper; alpha += hwGuessStep {
		for beta := hwGuessLower; beta < hwGuessUpper; beta += hwGuessStep {
			for gamma := hwGuessLower; gamma < hwGuessUpper; gamma += hwGuessStep {
				for phi := hwGuessLower; phi < hwGuessUpper; phi += hwGuessStep {
					params[0], params[1], params[2], params[3] = alpha, beta, gamma, phi
					v, x := nelderMead(sse, params, hwEpsilon, 1, hwMaxIteration)
					if v < minSSE || best == nil {
						minSSE, best = v, x
					}
				}
			}
		}
	}

	forecast := hw.run(y, hw.h, best, nil)
	var out []Point
	if hw.withFit {
		out = make([]Point, 0, len(forecast))
		for i, v := range forecast {
			if !math.IsNaN(v) {
				out = append(out, floatPoint(pts[0].t+hw.interval*int64(i), v))
			}
		}
	} else {
		out = make([]Point, 0, hw.h)
		end := pts[len(pts)-1].t
		for i, v := range forecast[len(y):] {
			if !math.IsNaN(v) {
				out = append(out, floatPoint(end+hw.interval*int64(i+1), v))
			}
		}
	}
	if hw.desc {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

// run clamps alpha, beta, gamma and phi in x to [0, 1] and runs the model
// from its initial state for len(y)+h steps, each step fed with the
// previous step's output, into buf when it is large enough. The seasonal
// factors in x are updated in place.
func (hw *holtWinters) run(y []float64, h int, x, buf []float64) []float64 {
	for i := 0; i < 4; i++ {
		x[i] = min(max(x[i], 0), 1)
	}
	alpha, beta, gamma, phi := x[0], x[1], x[2], x[3]
	phiH := phi
	level, trend := x[4], x[5]
	var season []float64
	var m, off int
	if hw.seasonal() {
		season = x[6:]
		m = len(season)
		off = m - 1
	}
	out := buf
	if cap(out) < len(y)+h {
		out = make([]float64, len(y)+h)
	}
	out = out[:len(y)+h]
	yt := y[0]
	out[0] = yt
	for t := 1; t < len(out); t++ {
		sPrev, sAhead := 1.0, 1.0
		if season != nil {
			sPrev = season[(t-m+off)%m]
			sAhead = season[(t-m+t%m+off)%m]
		}
		damped := level + phi*trend
		newLevel := alpha*(yt/sPrev) + (1-alpha)*damped
		trend = beta*(newLevel-level) + (1-beta)*phi*trend
		s := gamma*(yt/damped) + (1-gamma)*sPrev
		level = newLevel
		yt = (level + phiH*trend) * sAhead
		phiH += math.Pow(phi, float64(t))
		if season != nil {
			season[(t+off)%m] = s
			off++
		}
		out[t] = yt
	}
	return out
}
