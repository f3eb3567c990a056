package query

import (
	"testing"
	"time"
)

func TestRewriteCalendarIntervals(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT mean(x) FROM m GROUP BY time(1mo)", "SELECT mean(x) FROM m GROUP BY time(2592000000000007ns)"},
		{"SELECT mean(x) FROM m GROUP BY time( 2y , 1d), host", "SELECT mean(x) FROM m GROUP BY time(62208000000000168ns, 1d), host"},
		{"SELECT mean(x) FROM m GROUP BY time(10m)", "SELECT mean(x) FROM m GROUP BY time(10m)"},
	} {
		got := RewriteCalendarIntervals(tc.in)
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	if n := calendarMonths(int64(24) * monthSentinel); n != 24 {
		t.Fatalf("months = %d", n)
	}
	if calendarMonths(int64(30*24*time.Hour)) != 0 {
		t.Fatal("30d taken for a month")
	}
}

func TestMonthWindows(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	ts := time.Date(2025, 3, 15, 12, 0, 0, 0, ny).UnixNano()
	start := monthWindowStart(ts, 1, ny)
	if got := time.Unix(0, start).In(ny); !got.Equal(time.Date(2025, 3, 1, 0, 0, 0, 0, ny)) {
		t.Fatalf("month start %v", got)
	}
	next := monthWindowNext(start, 1, ny)
	if got := time.Unix(0, next).In(ny); !got.Equal(time.Date(2025, 4, 1, 0, 0, 0, 0, ny)) {
		t.Fatalf("next %v", got)
	}
	// Quarters count from January 1970: Q1 2025 starts on January 1.
	q := monthWindowStart(ts, 3, time.UTC)
	if got := time.Unix(0, q).UTC(); !got.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("quarter %v", got)
	}
	y := monthWindowStart(ts, 12, nil)
	if got := time.Unix(0, y).UTC(); !got.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("year %v", got)
	}
}
