// Package cli is the client side of `fieldhub query`: an HTTP client for the
// InfluxDB 1.x API (/ping, /query, /write), formatters that print query
// answers like the influx 1.x CLI (column, csv, json), and the interactive
// shell (REPL) with its influx-style commands.
//
// A Client and a Shell are not safe for concurrent use; the shell runs one
// command at a time. The shell reads lines from a LineReader, so tests drive
// it from a strings.Reader without a terminal. Formatters write straight to
// the given io.Writer and keep no buffers.
package cli
