package functions

import (
	"fmt"
	"testing"

	"github.com/influxdata/influxql"
)

// TestAddDoesNotAllocate checks that, once a reducer has seen a window,
// adding numeric points to the next one allocates nothing.
func TestAddDoesNotAllocate(t *testing.T) {
	calls := []string{"count(x)", "sum(x)", "mean(x)", "spread(x)", "stddev(x)", "median(x)", "mode(x)",
		"integral(x)", "first(x)", "last(x)", "max(x)", "min(x)", "percentile(x, 90)", "sample(x, 10)",
		"top(x, 5)", "bottom(x, 5)", "distinct(x)", "count(distinct(x))"}
	for _, typ := range []influxql.DataType{influxql.Float, influxql.Integer, influxql.Unsigned} {
		pts := make([]Point, 256)
		for i := range pts {
			pts[i] = Point{Time: int64(i), Type: typ, F: float64(i % 17), I: int64(i % 17), U: uint64(i % 17), Aux: i}
		}
		for _, c := range calls {
			r, err := NewReducer(mustCall(t, c), typ)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pts {
				r.Add(p)
			}
			r.Emit(0, 256)
			// Reducers that keep the window's values must emit to reset them;
			// their Emit allocates the output slice and nothing else.
			var emits bool
			switch r.(type) {
			case *distinctReducer, *countDistinctReducer, *medianReducer, *percentileReducer,
				*modeReducer, *stddevReducer, *integralReducer:
				emits = true
			}
			allocs := testing.AllocsPerRun(20, func() {
				for _, p := range pts {
					r.Add(p)
				}
				if emits {
					r.Emit(0, 256)
				}
			})
			limit := 0.0
			if emits {
				limit = 1
			}
			if _, ok := r.(*modeReducer); ok {
				limit = 2 // sort.Sort, InfluxDB's own sort for the same ties, boxes the slice
			}
			if allocs > limit {
				t.Errorf("%s of %s: %.0f allocations per window of %d points", c, typ, allocs, len(pts))
			}
		}
	}
}

func benchPoints(n int, typ influxql.DataType) []Point {
	pts := make([]Point, n)
	var x uint64 = 88172645463325252
	for i := range pts {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		pts[i] = Point{Time: int64(i) * 1e9, Type: typ, F: float64(x%100000) / 100, I: int64(x % 100000), U: x % 100000, Aux: i}
	}
	return pts
}

// BenchmarkReducer feeds windows of n points to a reducer; ns/op is per point.
func BenchmarkReducer(b *testing.B) {
	for _, fn := range []string{"mean(x)", "max(x)", "percentile(x, 90)", "median(x)", "sum(x)", "count(x)", "top(x, 10)"} {
		for _, typ := range []influxql.DataType{influxql.Float, influxql.Integer} {
			for _, n := range []int{10, 1000} {
				pts := benchPoints(n, typ)
				name := fmt.Sprintf("fn=%s/type=%s/window=%d", fn[:len(fn)-len("(x)")], typ, n)
				if fn == "percentile(x, 90)" {
					name = fmt.Sprintf("fn=percentile/type=%s/window=%d", typ, n)
				} else if fn == "top(x, 10)" {
					name = fmt.Sprintf("fn=top/type=%s/window=%d", typ, n)
				}
				b.Run(name, func(b *testing.B) {
					r, err := NewReducer(mustCall(b, fn), typ)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					b.ResetTimer()
					i := 0
					for b.Loop() {
						r.Add(pts[i])
						if i++; i == n {
							r.Emit(0, int64(n)*1e9)
							i = 0
						}
					}
				})
			}
		}
	}
}

// BenchmarkTransformer processes a series of n points; ns/op is per series.
func BenchmarkTransformer(b *testing.B) {
	for _, fn := range []string{"derivative(x, 1s)", "non_negative_derivative(x, 1s)", "difference(x)", "moving_average(x, 10)", "exponential_moving_average(x, 10)"} {
		for _, n := range []int{1000} {
			pts := benchPoints(n, influxql.Float)
			name := fmt.Sprintf("fn=%s/points=%d", fn[:indexByte(fn, '(')], n)
			b.Run(name, func(b *testing.B) {
				tr, err := NewTransformer(mustCall(b, fn), TransformOptions{})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					tr.Process(pts)
				}
			})
		}
	}
}

func BenchmarkHoltWinters(b *testing.B) {
	for _, n := range []int{48, 200} {
		pts := benchPoints(n, influxql.Float)
		b.Run(fmt.Sprintf("points=%d/season=4", n), func(b *testing.B) {
			tr, err := NewTransformer(mustCall(b, "holt_winters(mean(x), 10, 4)"), TransformOptions{Interval: 1e9})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				tr.Process(pts)
			}
		})
	}
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return len(s)
}
