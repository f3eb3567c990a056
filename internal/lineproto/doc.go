// Package lineproto parses and encodes the InfluxDB line protocol (the 1.8 dialect):
//
//	measurement[,tag=value...] field=value[,field=value...] [timestamp]
//
// Parser is the ingest hot path. It turns one buffer of text into model.Points one line at a
// time, without allocating in steady state: tokens without escapes alias the input buffer, and
// tokens with escapes are unescaped into an arena the Parser owns and reuses. Tags come out
// sorted by key; a repeated field key keeps its last value. An invalid line yields a *LineError
// (line number, column, message, text) and parsing resumes on the following line, so one bad
// line never costs the rest of a batch. AppendPoint is the inverse: it writes a Point as one line
// that Parser reads back to an equal Point.
//
// Concurrency: a Parser is not safe for concurrent use; use one per goroutine. AppendPoint and
// ParsePrecision are safe for concurrent use.
//
// Buffer lifetimes: the Point filled by Parser.Next aliases the buffer given to Reset and the
// Parser's arena. It is valid until the next call to Next or Reset, and only while the caller
// leaves the input buffer unchanged. Callers that keep a point longer must copy it.
package lineproto
