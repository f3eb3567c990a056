package sim

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"Wed, 01 May 2024 12:00:30 GMT", 30 * time.Second, true},
		{"Wed, 01 May 2024 11:00:00 GMT", 0, true}, // in the past: retry at once
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"99999999999", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "Wed, 01 May 2024 12:00:30 GMT", "Monday, 02-Jan-06 15:04:05 MST", "x"} {
		f.Add(s)
	}
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %v, %v", s, d, ok)
		}
	})
}

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want uint64
		err  bool
	}{
		{"influxd", "4242 (influxd) S 1 4242 4242 0 -1 4194560 51234 0 0 0 1500 250 0 0 20 0 14 0 9876 1234567 8901 18446744073709551615", 1750, false},
		{"spaces and parens in comm", "7 (a) b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0", 7, false},
		{"no comm", "7 a R 1 2 3", 0, true},
		{"short", "7 (a) R 1 2 3 4 5 6 7 8 9 10", 0, true},
		{"not a number", "7 (a) R 1 7 7 0 -1 0 0 0 0 0 x 4 0 0", 0, true},
		{"negative", "7 (a) R 1 7 7 0 -1 0 0 0 0 0 -3 4 0 0", 0, true},
		{"empty", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.in))
			if (err != nil) != tt.err || got != tt.want {
				t.Fatalf("parseProcStat = %d, %v; want %d, err %v", got, err, tt.want, tt.err)
			}
			if err != nil && !errors.Is(err, ErrProcStat) {
				t.Fatalf("error %v is not ErrProcStat", err)
			}
		})
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("4242 (influxd) S 1 4242 4242 0 -1 4194560 51234 0 0 0 1500 250 0 0 20 0 14 0"))
	f.Add([]byte("7 (a) b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0"))
	f.Add([]byte(")"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ticks, err := parseProcStat(b)
		if err != nil {
			if !errors.Is(err, ErrProcStat) || ticks != 0 {
				t.Fatalf("parseProcStat(%q) = %d, %v", b, ticks, err)
			}
			return
		}
		if ticks > 1<<62 {
			t.Fatalf("parseProcStat(%q) = %d: overflow not caught", b, ticks)
		}
	})
}

func TestProcessCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	before, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn a little CPU so the counter moves by at least one tick.
	deadline := time.Now().Add(50 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	after, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after < before || after-before > 10*time.Second || x == 0 {
		t.Errorf("cpu went from %v to %v", before, after)
	}
	if _, err := ProcessCPU(1 << 30); err == nil || !strings.Contains(err.Error(), "process") {
		t.Errorf("ProcessCPU(no such pid) = %v", err)
	}
}
