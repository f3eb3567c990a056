// Package httpapi is Fieldhub's HTTP transport: an InfluxDB 1.8 compatible API
// (/write, /api/v2/write, /query, /ping, /health) plus /metrics, as a thin
// adapter over the storage engine (internal/tsdb). It parses line protocol
// with internal/lineproto and InfluxQL with github.com/influxdata/influxql;
// catalog statements (databases, retention policies) run here, every other
// statement goes to a pluggable QueryExecutor.
//
// # Write path
//
// A write checks the engine's back-pressure (503 + Retry-After when the head
// is full), resolves the database and policy, reads the (optionally gzip) body
// into a pooled buffer under a size limit that also applies after
// decompression, parses it line by line into one reused model.Point, adds each
// valid point to a tsdb.Batch and commits the batch once. Bad lines and
// rejected points are dropped and reported (400 "partial write: line N: ...
// dropped=K"); the valid points of the same request are still stored.
//
// # Concurrency and buffer lifetimes
//
// An API is safe for concurrent use; each request takes its own scratch state
// (body buffer, gzip reader, parser, point) from a pool and returns it when
// the handler ends, so nothing from a request body outlives the request.
//
// # Extension points
//
// Authorizer decides whether a request may perform an Action on a database
// (default: allow everything); Credentials extracts u/p, Basic, Token and
// Bearer credentials for it. QueryExecutor runs InfluxQL statements the
// built-in catalog executor does not handle.
package httpapi
