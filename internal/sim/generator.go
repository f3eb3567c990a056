package sim

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Sentinel errors. Callers match them with errors.Is; messages are wrapped with context.
var (
	// ErrInvalidConfig reports a generator or writer configuration that cannot work.
	ErrInvalidConfig = errors.New("invalid configuration")
	// ErrUnknownWorkload reports a workload name other than "cpu" or "battery".
	ErrUnknownWorkload = errors.New("unknown workload")
)

// Precision is the timestamp unit written into the line protocol and announced to the server.
type Precision int64

// Supported precisions; the value is the number of nanoseconds per unit.
const (
	Nanosecond  Precision = 1
	Millisecond Precision = 1_000_000
	Second      Precision = 1_000_000_000
)

// ParsePrecision accepts "s", "ms" and "ns" (and the InfluxDB spellings "n" and "").
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "s":
		return Second, nil
	case "ms":
		return Millisecond, nil
	case "ns", "n", "":
		return Nanosecond, nil
	}
	return 0, fmt.Errorf("precision %q (want s, ms or ns): %w", s, ErrInvalidConfig)
}

// String returns the flag spelling ("s", "ms", "ns").
func (p Precision) String() string {
	switch p {
	case Second:
		return "s"
	case Millisecond:
		return "ms"
	case Nanosecond:
		return "ns"
	}
	return "precision(" + strconv.FormatInt(int64(p), 10) + ")"
}

// QueryValue is the value of the /write precision parameter. Nanoseconds are the default
// everywhere, and InfluxDB 1.8's /write rejects "ns", so that case sends no parameter.
func (p Precision) QueryValue() string {
	if p == Nanosecond {
		return ""
	}
	return p.String()
}

// Config describes one deterministic data set. The same Config always produces the same bytes.
type Config struct {
	// Workload is "cpu" or "battery".
	Workload string
	// Scale is the number of series sources: hosts for cpu, devices for battery.
	Scale int
	// Seed selects the data; equal seeds give byte-identical output.
	Seed int64
	// Start is the simulated time of the first point. Zero means 2024-01-01T00:00:00Z, a
	// fixed instant so that output does not depend on the wall clock.
	Start time.Time
	// End, if not zero, stops each source before this simulated time (exclusive).
	End time.Time
	// PointsPerSeries, if > 0, stops each source after this many points.
	PointsPerSeries int
	// Precision of the written timestamps. Zero means Nanosecond.
	Precision Precision
}

// MaxScale bounds Config.Scale: each source keeps ~100–250 bytes of state and tag prefix,
// so ten million sources already need a few GB.
const MaxScale = 10_000_000

// DefaultStart is the simulated start time used when Config.Start is zero.
var DefaultStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func (c *Config) ensureDefaults() {
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	if c.Precision == 0 {
		c.Precision = Nanosecond
	}
}

// Validate reports whether c can generate data. At least one of End and PointsPerSeries
// must bound the output.
func (c Config) Validate() error {
	if c.Workload != "cpu" && c.Workload != "battery" {
		return fmt.Errorf("workload %q: %w", c.Workload, ErrUnknownWorkload)
	}
	if c.Scale <= 0 || c.Scale > MaxScale {
		return fmt.Errorf("scale %d outside [1, %d]: %w", c.Scale, MaxScale, ErrInvalidConfig)
	}
	if c.PointsPerSeries < 0 {
		return fmt.Errorf("points per series %d is negative: %w", c.PointsPerSeries, ErrInvalidConfig)
	}
	if c.PointsPerSeries == 0 && c.End.IsZero() {
		return fmt.Errorf("neither an end time nor points per series bounds the data: %w", ErrInvalidConfig)
	}
	start := c.Start
	if start.IsZero() {
		start = DefaultStart
	}
	if !c.End.IsZero() && !c.End.After(start) {
		return fmt.Errorf("end %s is not after start %s: %w", c.End, start, ErrInvalidConfig)
	}
	switch c.Precision {
	case 0, Nanosecond, Millisecond, Second:
	default:
		return fmt.Errorf("precision %d ns: %w", int64(c.Precision), ErrInvalidConfig)
	}
	return nil
}

// Generator produces line protocol one line at a time, in the order a fleet would send it.
type Generator interface {
	// Next appends the next line, terminated by '\n', to dst and returns the extended slice
	// and the number of field values on the line. ok is false, and dst unchanged, once the
	// data set is exhausted.
	Next(dst []byte) (out []byte, values int, ok bool)
}

// New returns the generator that cfg describes.
func New(cfg Config) (Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.ensureDefaults()
	switch cfg.Workload {
	case "cpu":
		return newCPU(cfg), nil
	case "battery":
		return newBattery(cfg), nil
	}
	return nil, fmt.Errorf("workload %q: %w", cfg.Workload, ErrUnknownWorkload)
}

// appendFixed appends v / 10^dec in decimal without trailing fractional zeros, so 5810 with
// dec 2 is "58.1" and 5800 is "58". Working in integer hundredths keeps the values exactly
// two-decimal (as sensors report them) and is several times cheaper than AppendFloat.
func appendFixed(dst []byte, v int64, dec int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	div := int64(1)
	for range dec {
		div *= 10
	}
	dst = strconv.AppendInt(dst, v/div, 10)
	frac := v % div
	if frac == 0 {
		return dst
	}
	dst = append(dst, '.')
	for div /= 10; div > 0 && frac > 0; div /= 10 {
		dst = append(dst, byte('0'+frac/div))
		frac %= div
	}
	return dst
}

// appendTime appends the timestamp ns converted to precision p.
func appendTime(dst []byte, ns int64, p Precision) []byte {
	return strconv.AppendInt(dst, ns/int64(p), 10)
}

// Dump writes everything gen produces to w, for inspecting a data set or regenerating the
// exact bytes a load run sent. It returns the lines and values written.
func Dump(w io.Writer, gen Generator) (lines, values int64, err error) {
	buf := make([]byte, 0, 1<<16)
	for {
		var n int
		var ok bool
		buf, n, ok = gen.Next(buf)
		if ok {
			lines++
			values += int64(n)
		}
		if len(buf) >= 1<<15 || (!ok && len(buf) > 0) {
			if _, err := w.Write(buf); err != nil {
				return lines, values, fmt.Errorf("dump: %w", err)
			}
			buf = buf[:0]
		}
		if !ok {
			return lines, values, nil
		}
	}
}
