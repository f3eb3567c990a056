package lineproto

import (
	"errors"
	"fmt"
)

// ErrInvalidPrecision is wrapped by ParsePrecision when the precision name is unknown.
var ErrInvalidPrecision = errors.New("invalid precision")

// Precision is the unit of the timestamps in the input. The zero value is Nanosecond.
type Precision int

// Timestamp precisions accepted by the InfluxDB 1.x write API.
const (
	Nanosecond Precision = iota
	Microsecond
	Millisecond
	Second
	Minute
	Hour
)

// ParsePrecision maps the write API's precision parameter to a Precision. The empty string
// means Nanosecond, as in InfluxDB.
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "", "n", "ns":
		return Nanosecond, nil
	case "u", "us", "µ", "µs":
		return Microsecond, nil
	case "ms":
		return Millisecond, nil
	case "s":
		return Second, nil
	case "m":
		return Minute, nil
	case "h":
		return Hour, nil
	}
	return Nanosecond, fmt.Errorf("parse precision %q: %w", s, ErrInvalidPrecision)
}

// String returns the precision's canonical short name ("ns", "us", "ms", "s", "m", "h").
func (p Precision) String() string {
	switch p {
	case Nanosecond:
		return "ns"
	case Microsecond:
		return "us"
	case Millisecond:
		return "ms"
	case Second:
		return "s"
	case Minute:
		return "m"
	case Hour:
		return "h"
	}
	return fmt.Sprintf("precision(%d)", int(p))
}

// multiplier returns how many nanoseconds one unit of p is; unknown values count as nanoseconds.
func (p Precision) multiplier() int64 {
	switch p {
	case Microsecond:
		return 1e3
	case Millisecond:
		return 1e6
	case Second:
		return 1e9
	case Minute:
		return 60e9
	case Hour:
		return 3600e9
	}
	return 1
}
