package sim

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	protocol "github.com/influxdata/line-protocol"
)

// generate returns the whole output of cfg and the values New reported.
func generate(t testing.TB, cfg Config) ([]byte, int) {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	var out []byte
	total := 0
	for {
		var n int
		var ok bool
		out, n, ok = g.Next(out)
		if !ok {
			return out, total
		}
		total += n
	}
}

// parseAll parses line protocol with InfluxData's own parser, an independent check that
// what we emit is what InfluxDB accepts.
func parseAll(t *testing.T, b []byte, p Precision) []protocol.Metric {
	t.Helper()
	h := protocol.NewMetricHandler()
	h.SetTimePrecision(time.Duration(p))
	ms, err := protocol.NewParser(h).Parse(b)
	if err != nil {
		t.Fatalf("generated line protocol does not parse: %v", err)
	}
	return ms
}

func TestDeterminism(t *testing.T) {
	for _, w := range []string{"cpu", "battery"} {
		for _, p := range []Precision{Nanosecond, Millisecond, Second} {
			t.Run("workload="+w+"/precision="+p.String(), func(t *testing.T) {
				cfg := Config{Workload: w, Scale: 50, Seed: 42, PointsPerSeries: 40, Precision: p}
				a, _ := generate(t, cfg)
				b, _ := generate(t, cfg)
				if !bytes.Equal(a, b) {
					t.Fatal("same config produced different bytes")
				}
				cfg.Seed = 43
				c, _ := generate(t, cfg)
				if bytes.Equal(a, c) {
					t.Fatal("different seeds produced identical bytes")
				}
			})
		}
	}
}

// TestGolden pins the first lines of each workload so that an accidental change to the
// generators (which would invalidate stored ack logs and benchmark comparisons) is noticed.
func TestGolden(t *testing.T) {
	tests := []struct {
		workload string
		want     string
	}{
		{"cpu", "cpu,hostname=host_0,region=ap-southeast-2,datacenter=ap-southeast-2b,rack=76,os=Ubuntu15.10,arch=x86,team=LON,service=7,service_version=0,service_environment=production usage_user=26.98,usage_system=64.52,usage_idle=16.4,usage_nice=26.06,usage_iowait=38.17,usage_irq=32.25,usage_softirq=34.9,usage_steal=29.38,usage_guest=74.96,usage_guest_nice=49.05 1704067200\n"},
		{"battery", "battery,device=bx-000002,site=site-0000,zone=north soc=89.64,voltage=53.16,current=-9.53,temperature=14.3,cycles=37i,charging=false,firmware=\"1.3.1\" 1704067243\n"},
	}
	for _, tt := range tests {
		t.Run("workload="+tt.workload, func(t *testing.T) {
			g, err := New(Config{Workload: tt.workload, Scale: 3, Seed: 1, PointsPerSeries: 3, Precision: Second})
			if err != nil {
				t.Fatal(err)
			}
			got, _, ok := g.Next(nil)
			if !ok || string(got) != tt.want {
				t.Errorf("first line\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCPUShape(t *testing.T) {
	const hosts, points = 20, 30
	cfg := Config{Workload: "cpu", Scale: hosts, Seed: 7, PointsPerSeries: points}
	out, values := generate(t, cfg)
	ms := parseAll(t, out, Nanosecond)
	if len(ms) != hosts*points || values != hosts*points*cpuFields {
		t.Fatalf("got %d points, %d values; want %d, %d", len(ms), values, hosts*points, hosts*points*cpuFields)
	}
	perHost := map[string][]time.Time{}
	var last time.Time
	for i, m := range ms {
		if m.Name() != "cpu" || len(m.TagList()) != 10 || len(m.FieldList()) != cpuFields {
			t.Fatalf("point %d: name %q, %d tags, %d fields", i, m.Name(), len(m.TagList()), len(m.FieldList()))
		}
		for _, f := range m.FieldList() {
			v, ok := f.Value.(float64)
			if !ok || v < 0 || v > 100 || math.Abs(v*100-math.Round(v*100)) > 1e-6 {
				t.Fatalf("point %d field %s = %#v: want a float in [0, 100] with 2 decimals", i, f.Key, f.Value)
			}
		}
		if m.Time().Before(last) {
			t.Fatalf("point %d at %v goes back from %v", i, m.Time(), last)
		}
		last = m.Time()
		h := tag(m, "hostname")
		perHost[h] = append(perHost[h], m.Time())
	}
	if len(perHost) != hosts {
		t.Fatalf("%d hosts, want %d", len(perHost), hosts)
	}
	for h, ts := range perHost {
		for i := 1; i < len(ts); i++ {
			if d := ts[i].Sub(ts[i-1]); d != 10*time.Second {
				t.Fatalf("host %s: interval %v, want 10s", h, d)
			}
		}
		if !ts[0].Equal(DefaultStart) {
			t.Fatalf("host %s starts at %v, want %v", h, ts[0], DefaultStart)
		}
	}
}

func TestBatteryShape(t *testing.T) {
	const devices, points = 200, 100
	cfg := Config{Workload: "battery", Scale: devices, Seed: 3, PointsPerSeries: points, Precision: Millisecond}
	out, values := generate(t, cfg)
	ms := parseAll(t, out, Millisecond)
	if len(ms) != devices*points || values != devices*points*batteryFields {
		t.Fatalf("got %d points, %d values; want %d, %d", len(ms), values, devices*points, devices*points*batteryFields)
	}
	wantTypes := map[string]string{
		"soc": "float64", "voltage": "float64", "current": "float64", "temperature": "float64",
		"cycles": "int64", "charging": "bool", "firmware": "string",
	}
	perDevice := map[string]map[int64]bool{}
	var maxSeen time.Time
	late, charging, negative := 0, 0, 0
	for i, m := range ms {
		if len(m.FieldList()) != batteryFields || len(m.TagList()) != 3 {
			t.Fatalf("point %d: %d fields, %d tags", i, len(m.FieldList()), len(m.TagList()))
		}
		for _, f := range m.FieldList() {
			if got := typeName(f.Value); got != wantTypes[f.Key] {
				t.Fatalf("point %d field %s is %s, want %s", i, f.Key, got, wantTypes[f.Key])
			}
		}
		soc := field(m, "soc")
		if v := soc.(float64); v < 0 || v > 100 {
			t.Fatalf("point %d: soc %v out of range", i, v)
		}
		if field(m, "charging").(bool) {
			charging++
		}
		if field(m, "current").(float64) < 0 {
			negative++
		}
		if m.Time().Before(maxSeen) {
			late++
			if lag := maxSeen.Sub(m.Time()); lag < time.Minute || lag > 5*time.Hour {
				t.Errorf("point %d is late by %v: want minutes to hours", i, lag)
			}
		} else {
			maxSeen = m.Time()
		}
		d := tag(m, "device")
		if perDevice[d] == nil {
			perDevice[d] = map[int64]bool{}
		}
		if perDevice[d][m.Time().UnixNano()] {
			t.Fatalf("device %s has two points at %v", d, m.Time())
		}
		perDevice[d][m.Time().UnixNano()] = true
	}
	if len(perDevice) != devices {
		t.Fatalf("%d devices, want %d", len(perDevice), devices)
	}
	for d, ts := range perDevice {
		if len(ts) != points {
			t.Fatalf("device %s has %d points, want %d", d, len(ts), points)
		}
	}
	// 1% of 20,000 is 200; the binomial standard deviation is about 14.
	if frac := float64(late) / float64(len(ms)); frac < 0.0075 || frac > 0.0125 {
		t.Errorf("%.2f%% of points are late, want about 1%%", frac*100)
	}
	if charging == 0 || negative == 0 {
		t.Errorf("charging %d, discharging %d: want both states", charging, negative)
	}
}

func tag(m protocol.Metric, key string) string {
	for _, t := range m.TagList() {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

func field(m protocol.Metric, key string) any {
	for _, f := range m.FieldList() {
		if f.Key == key {
			return f.Value
		}
	}
	return nil
}

func typeName(v any) string {
	switch v.(type) {
	case float64:
		return "float64"
	case int64:
		return "int64"
	case bool:
		return "bool"
	case string:
		return "string"
	}
	return "other"
}

func TestEndBound(t *testing.T) {
	for _, w := range []string{"cpu", "battery"} {
		t.Run("workload="+w, func(t *testing.T) {
			end := DefaultStart.Add(30 * time.Minute)
			out, _ := generate(t, Config{Workload: w, Scale: 10, Seed: 1, End: end, Precision: Second})
			lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if len(lines) < 10*25 {
				t.Fatalf("only %d lines in 30 minutes", len(lines))
			}
			for _, l := range lines {
				ts, err := strconv.ParseInt(l[strings.LastIndexByte(l, ' ')+1:], 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				if ts < DefaultStart.Unix() || ts >= end.Unix() {
					t.Fatalf("timestamp %d outside [%d, %d)", ts, DefaultStart.Unix(), end.Unix())
				}
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	end := DefaultStart.Add(time.Hour)
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"ok points", Config{Workload: "cpu", Scale: 1, PointsPerSeries: 1}, nil},
		{"ok end", Config{Workload: "battery", Scale: 1, End: end}, nil},
		{"unknown workload", Config{Workload: "disk", Scale: 1, PointsPerSeries: 1}, ErrUnknownWorkload},
		{"zero scale", Config{Workload: "cpu", PointsPerSeries: 1}, ErrInvalidConfig},
		{"huge scale", Config{Workload: "cpu", Scale: MaxScale + 1, PointsPerSeries: 1}, ErrInvalidConfig},
		{"unbounded", Config{Workload: "cpu", Scale: 1}, ErrInvalidConfig},
		{"negative points", Config{Workload: "cpu", Scale: 1, PointsPerSeries: -1}, ErrInvalidConfig},
		{"end before start", Config{Workload: "cpu", Scale: 1, End: DefaultStart}, ErrInvalidConfig},
		{"bad precision", Config{Workload: "cpu", Scale: 1, PointsPerSeries: 1, Precision: 7}, ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Validate() = %v, want %v", err, tt.want)
			}
			if _, nerr := New(tt.cfg); (nerr == nil) != (err == nil) {
				t.Errorf("New() = %v, Validate() = %v", nerr, err)
			}
		})
	}
}

func TestParsePrecision(t *testing.T) {
	tests := []struct {
		in    string
		want  Precision
		query string
		err   bool
	}{
		{"s", Second, "s", false},
		{"ms", Millisecond, "ms", false},
		{"ns", Nanosecond, "", false},
		{"n", Nanosecond, "", false},
		{"us", 0, "", true},
		{"h", 0, "", true},
	}
	for _, tt := range tests {
		got, err := ParsePrecision(tt.in)
		if (err != nil) != tt.err || got != tt.want || (err == nil && got.QueryValue() != tt.query) {
			t.Errorf("ParsePrecision(%q) = %v, %v (query %q)", tt.in, got, err, got.QueryValue())
		}
	}
}

func TestAppendFixed(t *testing.T) {
	tests := []struct {
		v    int64
		dec  int
		want string
	}{
		{0, 2, "0"}, {5810, 2, "58.1"}, {5800, 2, "58"}, {5805, 2, "58.05"}, {10000, 2, "100"},
		{-5, 2, "-0.05"}, {-953, 2, "-9.53"}, {143, 1, "14.3"}, {140, 1, "14"}, {7, 0, "7"},
	}
	for _, tt := range tests {
		if got := string(appendFixed(nil, tt.v, tt.dec)); got != tt.want {
			t.Errorf("appendFixed(%d, %d) = %q, want %q", tt.v, tt.dec, got, tt.want)
		}
	}
}

func TestGeneratorAllocs(t *testing.T) {
	for _, w := range []string{"cpu", "battery"} {
		t.Run("workload="+w, func(t *testing.T) {
			g, err := New(Config{Workload: w, Scale: 100, Seed: 1, PointsPerSeries: 1 << 30})
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 0, 1<<20)
			// Warm up so the late-reading free list holds enough buffers.
			for range 100_000 {
				buf, _, _ = g.Next(buf[:0])
			}
			allocs := testing.AllocsPerRun(1000, func() { buf, _, _ = g.Next(buf[:0]) })
			if allocs > 0.01 {
				t.Errorf("%.3f allocations per line, want 0", allocs)
			}
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, w := range []string{"cpu", "battery"} {
		b.Run("workload="+w, func(b *testing.B) {
			scale := map[string]int{"cpu": 1000, "battery": 10000}[w]
			g, err := New(Config{Workload: w, Scale: scale, Seed: 1, PointsPerSeries: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 0, 1<<16)
			var bytes, values int64
			b.ReportAllocs()
			for b.Loop() {
				var n int
				buf, n, _ = g.Next(buf[:0])
				bytes += int64(len(buf))
				values += int64(n)
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N)/s, "lines/s")
			b.ReportMetric(float64(values)/s, "values/s")
			b.ReportMetric(float64(bytes)/s/1e6, "MB/s")
		})
	}
}

func TestDump(t *testing.T) {
	cfg := Config{Workload: "cpu", Scale: 300, Seed: 5, PointsPerSeries: 3}
	want, wantValues := generate(t, cfg)
	var got bytes.Buffer
	lines, values, err := Dump(&got, newGen(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) || lines != 900 || values != int64(wantValues) {
		t.Errorf("Dump wrote %d bytes, %d lines, %d values; want %d bytes, 900 lines, %d values",
			got.Len(), lines, values, len(want), wantValues)
	}
}

// FuzzGenerator checks, for arbitrary seeds and sizes, that every data set parses as line
// protocol and has exactly scale × points lines.
func FuzzGenerator(f *testing.F) {
	f.Add(int64(1), uint16(3), uint8(3), false, uint8(0))
	f.Add(int64(-7), uint16(500), uint8(7), true, uint8(2))
	f.Fuzz(func(t *testing.T, seed int64, scale uint16, points uint8, battery bool, prec uint8) {
		if scale == 0 || points == 0 {
			return
		}
		cfg := Config{Workload: "cpu", Scale: int(scale % 2000), Seed: seed, PointsPerSeries: int(points % 20),
			Precision: []Precision{Nanosecond, Millisecond, Second}[prec%3]}
		if battery {
			cfg.Workload = "battery"
		}
		if cfg.Scale == 0 || cfg.PointsPerSeries == 0 {
			return
		}
		out, _ := generate(t, cfg)
		if ms := parseAll(t, out, cfg.Precision); len(ms) != cfg.Scale*cfg.PointsPerSeries {
			t.Fatalf("%d points, want %d", len(ms), cfg.Scale*cfg.PointsPerSeries)
		}
	})
}
