package query_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/query"
)

func planText(t *testing.T, q string) string {
	t.Helper()
	e, ex, _ := openMeta(t)
	defer e.Close()
	if err := e.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := run(t, ex, "db", q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var b strings.Builder
	for _, v := range res.Series[0].Values {
		fmt.Fprintln(&b, v[0])
	}
	return b.String()
}

func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"EXPLAIN SELECT mean(usage) FROM cpu WHERE host = 'a' AND time >= '2025-12-30T00:00:00Z' GROUP BY time(1h)",
			[]string{"SOURCE: db.autogen.cpu", "TAG CONDITION: host = 'a'", "SERIES: 1 in 1 groups", "PATH: columnar", "GROUP BY TIME: 1h0m0s"}},
		{"EXPLAIN SELECT mean(usage) FROM cpu GROUP BY time(1h)",
			[]string{"PATH: storage window aggregates"}},
		{"EXPLAIN SELECT usage FROM cpu WHERE usage > 1",
			[]string{"ROW CONDITION: usage > 1", "PATH: raw", "TAG CONDITION: all series"}},
		{"EXPLAIN SELECT last(usage) FROM cpu GROUP BY host",
			[]string{"PATH: last-value cache"}},
		{"EXPLAIN ANALYZE SELECT max(usage) FROM cpu",
			[]string{"EXECUTION TIME:", "OUTPUT: 1 series, 1 rows", "BLOCKS DECODED: ", "HEAD ROWS: 0"}},
	} {
		got := planText(t, tc.q)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: plan lacks %q:\n%s", tc.q, w, got)
			}
		}
	}
	if got := planText(t, "EXPLAIN ANALYZE SELECT max(usage) FROM cpu"); strings.Contains(got, "BLOCKS DECODED: 0 ") {
		t.Errorf("EXPLAIN ANALYZE of flushed data decoded no block:\n%s", got)
	}
}

func TestMaxQueryMemory(t *testing.T) {
	e, _, _ := openMeta(t)
	defer e.Close()
	ex := query.New(query.Options{Storage: e, Now: func() time.Time { return metaNow }, MaxQueryMemory: 100})
	for _, q := range []string{
		"SELECT usage FROM cpu",
		"SELECT max(usage) FROM cpu WHERE usage > 0",
		"SELECT mean(usage) FROM cpu WHERE time >= '2025-12-30T00:00:00Z' GROUP BY time(1m)",
		"SELECT max(m) FROM (SELECT usage AS m FROM cpu)",
	} {
		_, err := run(t, ex, "db", q)
		if err == nil || !strings.Contains(err.Error(), "max-query-memory limit exceeded") {
			t.Errorf("%s: want the memory limit error, got %v", q, err)
		}
	}
	big := query.New(query.Options{Storage: e, Now: func() time.Time { return metaNow }, MaxQueryMemory: 1 << 30})
	if _, err := run(t, big, "db", "SELECT usage FROM cpu"); err != nil {
		t.Fatal(err)
	}
}
