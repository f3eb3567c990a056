package functions

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/influxdata/influxql"
)

var fuzzTypes = []influxql.DataType{influxql.Float, influxql.Integer, influxql.Unsigned,
	influxql.String, influxql.Boolean, influxql.Unknown}

// fuzzPoints decodes data into points of type typ in ascending time:
// per point one byte of time step (a step of 0 repeats the time; the high
// bit makes the point null) and eight bytes of value.
func fuzzPoints(data []byte, typ influxql.DataType, max int) []Point {
	var out []Point
	t := int64(-1000)
	for len(data) >= 9 && len(out) < max {
		step, v := data[0], binary.LittleEndian.Uint64(data[1:9])
		data = data[9:]
		t += int64(step & 0x7f)
		p := Point{Time: t, Type: typ, Aux: len(out), Tag: fmt.Sprint(v % 3)}
		switch typ {
		case influxql.Float:
			p.F = math.Float64frombits(v)
			if v%5 == 0 { // keep most values small and readable
				p.F = float64(int64(v%2001) - 1000)
			}
		case influxql.Integer:
			p.I = int64(v)
			if v%5 == 0 {
				p.I = int64(v%2001) - 1000
			}
		case influxql.Unsigned:
			p.U = v
		case influxql.String:
			p.S = fmt.Sprint(v % 7)
		case influxql.Boolean:
			p.B = v&1 == 1
		}
		if step&0x80 != 0 || typ == influxql.Unknown {
			p.Type = influxql.Unknown
		}
		out = append(out, p)
	}
	return out
}

func reducerCall(fn uint8, arg int16) string {
	calls := []string{"count(x)", "distinct(x)", "integral(x, %ds)", "mean(x)", "median(x)", "mode(x)",
		"spread(x)", "stddev(x)", "sum(x)", "bottom(x, %d)", "first(x)", "last(x)", "max(x)", "min(x)",
		"percentile(x, %d.5)", "sample(x, %d)", "top(x, %d)", "top(x, host, %d)", "bottom(x, a, b, %d)",
		"count(distinct(x))", "percentile(x, %d)"}
	c := calls[int(fn)%len(calls)]
	a := int(arg) % 120
	if c == "integral(x, %ds)" || c == "percentile(x, %d.5)" || c == "percentile(x, %d)" {
		return fmt.Sprintf(c, a)
	}
	if c == "count(x)" || !containsVerb(c) {
		return c
	}
	return fmt.Sprintf(c, a%20)
}

func containsVerb(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' {
			return true
		}
	}
	return false
}

func FuzzReducers(f *testing.F) {
	seed := func(fn, typ uint8, arg int16, width uint8, vals ...uint64) {
		var b []byte
		for i, v := range vals {
			b = append(b, byte(i%3))
			b = binary.LittleEndian.AppendUint64(b, v)
		}
		f.Add(fn, typ, arg, width, b)
	}
	for fn := uint8(0); fn < 21; fn++ {
		seed(fn, fn%5, 3, 4, 5, 10, 15, 20, 5, 1<<63, 7, 25)
	}
	f.Fuzz(func(t *testing.T, fn, typ uint8, arg int16, width uint8, data []byte) {
		in := fuzzTypes[int(typ)%len(fuzzTypes)]
		src := reducerCall(fn, arg)
		call := mustCall(t, src)
		if ValidateCall(call, false) != nil {
			return
		}
		r, err := NewReducer(call, in)
		if err != nil {
			if !accepts(call.Name, in) {
				return
			}
			t.Fatalf("NewReducer(%s, %s): %v", src, in, err)
		}
		pts := fuzzPoints(data, in, 200)
		w := int64(width%64) + 1
		desc := width&0x80 != 0 // feed each window newest first, as for ORDER BY time DESC
		sel := Lookup(call.Name) == Selector
		i := 0
		for start := int64(-1000); i < len(pts); start += w {
			end := start + w
			var win []Point
			for i < len(pts) && pts[i].Time < end {
				win = append(win, pts[i])
				i++
			}
			for k := range win {
				if desc {
					r.Add(win[len(win)-1-k])
				} else {
					r.Add(win[k])
				}
			}
			if la, ok := r.(Lookahead); ok && i < len(pts) {
				la.SetNext(pts[i])
			}
			out := r.Emit(start, end)
			want := OutputType(call.Name, in)
			if call.Name == "count" {
				want = influxql.Integer
			}
			for k, p := range out {
				if p.Type != want && !(p.Type == influxql.Unknown && call.Name == "stddev") {
					t.Fatalf("%s(%s): output %d has type %s, want %s: %+v", src, in, k, p.Type, want, out)
				}
				if !sel && p.Time != start {
					t.Fatalf("%s: aggregate at %d, window starts at %d", src, p.Time, start)
				}
				if sel {
					if p.Time < start || p.Time >= end || p.Aux < 0 || p.Aux >= len(pts) || pts[p.Aux].Time != p.Time {
						t.Fatalf("%s: selected %+v outside window [%d,%d)", src, p, start, end)
					}
					if k > 0 && ((!desc && p.Time < out[k-1].Time) || (desc && p.Time > out[k-1].Time)) {
						t.Fatalf("%s desc=%v: output not in time order: %+v", src, desc, out)
					}
				}
			}
			nonNull := slices.IndexFunc(win, func(p Point) bool { return p.Type != influxql.Unknown }) >= 0
			if len(out) == 0 && nonNull && in != influxql.Unknown {
				switch call.Name {
				case "percentile", "integral", "stddev":
				default:
					t.Fatalf("%s(%s): no output for a window with values", src, in)
				}
			}
		}
	})
}

func transformCall(fn uint8, a, b int16) string {
	calls := []string{"cumulative_sum(x)", "derivative(x)", "derivative(x, %ds)", "difference(x)",
		"elapsed(x)", "elapsed(x, %dns)", "moving_average(x, %d)", "non_negative_derivative(x, %dms)",
		"non_negative_difference(x)", "holt_winters(mean(x), %d, %d)", "holt_winters_with_fit(mean(x), %d, %d)",
		"chande_momentum_oscillator(x, %d, %d)", "chande_momentum_oscillator(x, %d, %d, 'none')",
		"chande_momentum_oscillator(x, %d, %d, 'simple')", "exponential_moving_average(x, %d, %d)",
		"double_exponential_moving_average(x, %d, %d, 'simple')", "triple_exponential_moving_average(x, %d, %d)",
		"kaufmans_efficiency_ratio(x, %d, %d)", "kaufmans_adaptive_moving_average(x, %d, %d)",
		"triple_exponential_derivative(x, %d, %d, 'exponential')", "relative_strength_index(x, %d, %d)",
		"relative_strength_index(x, %d, %d, 'simple')"}
	c := calls[int(fn)%len(calls)]
	x, y := int(a)%40, int(b)%10
	switch n := countVerbs(c); n {
	case 1:
		return fmt.Sprintf(c, x)
	case 2:
		return fmt.Sprintf(c, x, y)
	}
	return c
}

func countVerbs(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			n++
		}
	}
	return n
}

func FuzzTransformers(f *testing.F) {
	seed := func(fn, typ uint8, a, b int16, desc bool, vals ...uint64) {
		var d []byte
		for i, v := range vals {
			d = append(d, byte(1+i%2))
			d = binary.LittleEndian.AppendUint64(d, v)
		}
		f.Add(fn, typ, a, b, desc, uint8(2), d)
	}
	for fn := uint8(0); fn < 22; fn++ {
		seed(fn, fn%3, 3, 2, fn%2 == 0, 5, 10, 15, 20, 5, 1<<63, 7, 25, 30, 35, 20)
	}
	f.Fuzz(func(t *testing.T, fn, typ uint8, a, b int16, desc bool, interval uint8, data []byte) {
		in := fuzzTypes[int(typ)%len(fuzzTypes)]
		src := transformCall(fn, a, b)
		call := mustCall(t, src)
		groupBy := Lookup(call.Name) == Predictor
		if ValidateCall(call, groupBy) != nil {
			return
		}
		max := 300
		if groupBy {
			max = 40 // Holt-Winters fits are slow
		}
		pts := fuzzPoints(data, in, max)
		opts := TransformOptions{Interval: int64(interval % 8), Descending: desc}
		if interval&0x80 != 0 {
			opts.In = in
		}
		tr, err := NewTransformer(call, opts)
		if err != nil {
			if opts.In != influxql.Unknown && !accepts(call.Name, in) {
				return
			}
			t.Fatalf("NewTransformer(%s, %+v): %v", src, opts, err)
		}
		if desc {
			slices.Reverse(pts)
		}
		out := tr.Process(pts)
		want := OutputType(call.Name, in)
		for k, p := range out {
			if p.Type != want {
				t.Fatalf("%s(%s): output %d has type %s, want %s", src, in, k, p.Type, want)
			}
			if k > 0 {
				if (!desc && p.Time < out[k-1].Time) || (desc && p.Time > out[k-1].Time) {
					t.Fatalf("%s desc=%v: output out of order: %+v", src, desc, out)
				}
			}
		}
		if !groupBy && len(out) > len(pts) {
			t.Fatalf("%s: %d outputs for %d inputs", src, len(out), len(pts))
		}
	})
}

// FuzzValidateCall parses any text as an expression and, for a call that
// ValidateCall accepts, builds its reducer, transformer or math result:
// nothing may panic, and a call ValidateCall accepts must build for a
// numeric input.
func FuzzValidateCall(f *testing.F) {
	for _, s := range []string{"count(distinct(x))", "top(x, host, 3)", "percentile(x, 99.9)",
		"derivative(mean(x), 1m)", "holt_winters_with_fit(first(x), 10, 4)", "sample(x, 0)",
		"chande_momentum_oscillator(x, 10, 9, 'none')", "moving_average(x, 1)", "integral(x, -1s)",
		"abs(mean(x, 1))", "log(x, 2)", "elapsed(x, 1ns)", "distinct x", "mode(*)", "max(/re/)"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, groupBy bool) {
		e, err := influxql.ParseExpr(s)
		if err != nil {
			return
		}
		call, ok := e.(*influxql.Call)
		if !ok {
			return
		}
		if ValidateCall(call, groupBy) != nil {
			return
		}
		switch Lookup(call.Name) {
		case Aggregate, Selector:
			if _, err := NewReducer(call, influxql.Float); err != nil {
				t.Fatalf("%s: valid but NewReducer: %v", s, err)
			}
		case Transform, Predictor:
			tr, err := NewTransformer(call, TransformOptions{Interval: 1e9})
			if err != nil {
				t.Fatalf("%s: valid but NewTransformer: %v", s, err)
			}
			if len(call.Args) > 1 { // keep Holt-Winters and huge periods cheap
				tr.Process(series(0, 1e9, 1, 2, 3))
			}
		case Math:
			args := make([]Point, len(call.Args))
			for i := range args {
				args[i] = fp(0, 2)
			}
			if _, err := EvalMath(call.Name, args); err != nil {
				t.Fatalf("%s: valid but EvalMath: %v", s, err)
			}
		}
	})
}
