//go:build difftest

package query_test

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDifferential writes one generated data set to Fieldhub (in process)
// and to a real InfluxDB 1.8 (-influx URL), runs a few hundred generated
// queries on both and compares the answers: same series, same rows, numbers
// equal to 9 significant digits, rows at one timestamp compared as a set.
// Run it with `make difftest` (it starts InfluxDB through peers.sh).
//
//	go test -tags difftest ./internal/query -run TestDifferential -influx http://127.0.0.1:8086 [-difftest.n 400] [-v]
func TestDifferential(t *testing.T) {
	if *influxURL == "" {
		t.Skip("needs -influx URL of an InfluxDB 1.8 (make difftest starts one)")
	}
	seed := uint64(time.Now().UnixNano())
	if *diffSeed != 0 {
		seed = *diffSeed
	}
	t.Logf("seed %d (rerun with -difftest.seed %d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	data := diffData(rng)
	ix := &target{t: t, base: strings.TrimRight(*influxURL, "/")}
	ix.query("DROP DATABASE golden", nil)
	ix.query("CREATE DATABASE golden", nil)
	fh := newFieldhubTarget(t, false)
	for _, chunk := range data {
		blk := &goldenBlock{kind: "write", params: map[string]string{"precision": "s"}, body: chunk}
		ix.write(blk)
		fh.write(blk)
	}
	var failed, same, bothErr int
	for i := 0; i < *diffN; i++ {
		q := diffQuery(rng)
		params := map[string]string{"epoch": "s"}
		want := ix.query(q, params)
		got := fh.query(q, params)
		if strings.Contains(want, `"error"`) && strings.Contains(got, `"error"`) {
			bothErr++
			continue
		}
		if msg := sameResponse(want, got); msg != "" {
			failed++
			t.Errorf("query %d: %s\n  %s\n  influxdb: %.600s\n  fieldhub: %.600s", i, msg, q, want, got)
			continue
		}
		same++
	}
	t.Logf("%d queries: %d same answers, %d errors on both, %d different", *diffN, same, bothErr, failed)
}

// diffData is three measurements over 6 hours: floats with gaps, integers,
// booleans and strings, several tag combinations, some series starting late.
func diffData(rng *rand.Rand) [][]string {
	base := int64(1748736000) // 2025-06-01T00:00:00Z
	var out [][]string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	for i := 0; i < 360; i++ {
		for hi, host := range []string{"a", "b", "c", "d"} {
			// Every series has its own timestamps: rows of different series at
			// one time come in an unspecified order from InfluxDB, which would
			// make transformations over merged series incomparable.
			t := base + int64(i)*60 + int64(hi*7) + int64(rng.IntN(7))
			if host == "d" && i < 120 {
				continue
			}
			region := "eu"
			if host == "a" || host == "b" {
				region = "us"
			}
			var f []string
			if rng.IntN(10) > 0 {
				f = append(f, fmt.Sprintf("usage=%.3f", 50+40*rng.NormFloat64()/3))
			}
			if rng.IntN(5) > 0 {
				f = append(f, fmt.Sprintf("load=%di", rng.IntN(200)-50))
			}
			if rng.IntN(4) == 0 {
				f = append(f, fmt.Sprintf("up=%t", rng.IntN(2) == 0))
			}
			if len(f) == 0 {
				f = append(f, fmt.Sprintf("load=%di", rng.IntN(10)))
			}
			cur = append(cur, fmt.Sprintf("cpu,host=%s,region=%s %s %d", host, region, strings.Join(f, ","), t))
		}
		if i%3 == 0 {
			for li, loc := range []string{"north", "south"} {
				t := base + int64(i)*60 + int64(li*13)
				cur = append(cur, fmt.Sprintf("h2o,location=%s level=%.2f,state=\"s%d\" %d", loc, 3+2*rng.Float64(), rng.IntN(3), t))
			}
		}
		if len(cur) > 500 {
			flush()
		}
	}
	flush()
	return out
}

var (
	diffFuncsNum = []string{"mean", "sum", "count", "min", "max", "first", "last", "spread", "stddev", "median", "mode"}
	// percentile() picks among equal values in an unspecified order in
	// InfluxDB, so its time is only compared with GROUP BY time.
	diffFuncsSel  = []string{"percentile(%s, 50)", "percentile(%s, 90)", "top(%s, 3)", "bottom(%s, 2)"}
	diffTrans     = []string{"derivative(%s)", "derivative(%s, 1m)", "difference(%s)", "non_negative_difference(%s)", "cumulative_sum(%s)", "moving_average(%s, 3)", "elapsed(%s, 1s)"}
	diffIntervals = []string{"1m", "5m", "10m", "30m", "1h", "7m", "2h"}
	diffFills     = []string{"", " fill(null)", " fill(none)", " fill(0)", " fill(previous)", " fill(linear)", " fill(-1)"}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// diffQuery generates one SELECT.
func diffQuery(rng *rand.Rand) string {
	m, fields := "cpu", []string{"usage", "load"}
	if rng.IntN(4) == 0 {
		m, fields = "h2o", []string{"level"}
	}
	f := pick(rng, fields)
	start := 1748736000 + rng.IntN(300)*60
	end := start + (1+rng.IntN(240))*60
	where := fmt.Sprintf("time >= %ds AND time < %ds", start, end)
	if m == "cpu" {
		switch rng.IntN(6) {
		case 0:
			where += " AND host = '" + pick(rng, []string{"a", "b", "c", "d"}) + "'"
		case 1:
			where += " AND region = 'us'"
		case 2:
			where += " AND host =~ /[bc]/"
		case 3:
			where += fmt.Sprintf(" AND %s > %d", f, rng.IntN(60))
		}
	}
	var groupBy []string
	kind := rng.IntN(10)
	var sel string
	interval := ""
	if rng.IntN(3) > 0 {
		interval = pick(rng, diffIntervals)
	}
	switch {
	case kind < 2: // raw
		sel = f
		if rng.IntN(2) == 0 {
			sel = strings.Join(fields, ", ")
		}
		if rng.IntN(3) == 0 {
			sel += " * 2"
		}
		interval = ""
	case kind < 6: // aggregates
		n := 1 + rng.IntN(2)
		var parts []string
		for i := 0; i < n; i++ {
			parts = append(parts, pick(rng, diffFuncsNum)+"("+f+")")
		}
		sel = strings.Join(parts, ", ")
	case kind < 8: // selectors
		sel = fmt.Sprintf(pick(rng, diffFuncsSel), f)
		if strings.HasPrefix(sel, "top") || strings.HasPrefix(sel, "bottom") {
			interval = ""
		} else if interval == "" {
			interval = pick(rng, diffIntervals)
		}
	default: // transformations
		tr := pick(rng, diffTrans)
		if interval != "" {
			sel = fmt.Sprintf(tr, pick(rng, []string{"mean", "max", "sum"})+"("+f+")")
		} else {
			sel = fmt.Sprintf(tr, f)
		}
	}
	if interval != "" {
		g := "time(" + interval
		if rng.IntN(4) == 0 {
			g += fmt.Sprintf(", %dm", rng.IntN(5))
		}
		groupBy = append(groupBy, g+")")
	}
	if m == "cpu" && rng.IntN(2) == 0 {
		groupBy = append(groupBy, pick(rng, []string{"host", "region", "*"}))
	}
	q := "SELECT " + sel + " FROM " + m + " WHERE " + where
	if len(groupBy) > 0 {
		q += " GROUP BY " + strings.Join(groupBy, ", ")
	}
	if interval != "" {
		q += pick(rng, diffFills)
	}
	// top()/bottom() with LIMIT or ORDER BY DESC: InfluxDB 1.8 limits its
	// input before selecting (docs/query.md, intended differences).
	topLike := strings.HasPrefix(sel, "top") || strings.HasPrefix(sel, "bottom")
	if rng.IntN(5) == 0 && !topLike {
		q += " ORDER BY time DESC"
	}
	if rng.IntN(5) == 0 && !topLike {
		q += fmt.Sprintf(" LIMIT %d", 1+rng.IntN(5))
		if rng.IntN(2) == 0 {
			q += fmt.Sprintf(" OFFSET %d", rng.IntN(3))
		}
	}
	return q
}

var _ = url.Values{}
