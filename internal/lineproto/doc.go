// Package lineproto parses and encodes the InfluxDB line protocol (the 1.8 dialect):
//
//	measurement[,tag=value...] field=value[,field=value...] [timestamp]
//
// Parser is the ingest hot path. It turns one buffer of text into model.Points one line at a
// time, without allocating in steady state: tokens without escapes alias the input buffer, and
// tokens with escapes are unescaped into an arena the Parser owns and reuses. An invalid line
// yields a *LineError (line number, column, message, text) and parsing resumes on the
// following line, so one bad line never costs the rest of a batch. AppendPoint is the inverse:
// it writes a Point as one line that Parser reads back to an equal Point.
//
// # Dialect
//
// The grammar and the choices where InfluxDB 1.8 leaves room:
//
//   - Escapes: `\,` and `\ ` in measurements; `\,`, `\=` and `\ ` in tag keys, tag values and
//     field keys. Any other backslash is an ordinary character, so `\\ ` is a literal
//     backslash followed by an escaped space, as in InfluxDB 1.8, and a name cannot end in a
//     backslash. A backslash never escapes a newline.
//   - String field values are double-quoted with `\"` and `\\` as escapes; other backslashes
//     are kept. A string may span lines, and a newline ends a line only outside quotes.
//   - Floats: an optional `-`, digits with an optional fraction (`1.`, `.5`) and exponent.
//     `+1`, NaN, Inf, hexadecimal and underscores are rejected, as is a value that overflows
//     float64. Integers `123i` must fit int64; unsigned `123u` must fit uint64 and not be
//     negative. Booleans are t, T, true, True, TRUE and f, F, false, False, FALSE.
//   - The timestamp is optional and read in the unit of the Precision; scaled to nanoseconds
//     it must lie in [MinTime, MaxTime]. A line without one gets the default time given to
//     Reset, truncated to the precision as InfluxDB does.
//   - Tags come out sorted by key. Duplicate tag keys reject the line, as in InfluxDB 1.8
//     ("duplicate tags"): silently keeping one value would hide a client bug and split or
//     merge series unpredictably. A repeated field key keeps its last value, also as InfluxDB.
//   - Measurements, keys and string values must be valid UTF-8.
//   - Blank lines and lines whose first non-blank byte is `#` are skipped. Leading spaces and
//     tabs, `\r\n` line endings and trailing spaces, tabs and carriage returns are accepted.
//
// # Concurrency
//
// A Parser is not safe for concurrent use; use one per goroutine. AppendPoint, the
// AppendEscaped helpers and ParsePrecision are safe for concurrent use.
//
// # Buffer lifetimes
//
// The Point filled by Parser.Next aliases the buffer given to Reset and the Parser's arena. It
// is valid until the next call to Next or Reset, and only while the caller leaves the input
// buffer unchanged. Callers that keep a point longer must copy it. Returned slices have no
// spare capacity, so appending to one copies it rather than overwriting the input. A
// *LineError owns its memory.
package lineproto
