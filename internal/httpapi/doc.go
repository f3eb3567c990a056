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
// Choices where InfluxDB 1.8 leaves room, made to match what its clients expect:
//   - An empty body (or one of only blank lines and comments) is a no-op
//     answered 204, as InfluxDB 1.8 does.
//   - A full head answers 503 with Retry-After: 1 rather than 429: 503 is
//     what InfluxDB 1.x clients already treat as "server overloaded, retry"
//     (Telegraf keeps the batch, the client libraries back off and honour
//     Retry-After), while some older clients treat any other 4xx as final.
//   - An unknown database or retention policy is 404 and names it.
//   - A body over Options.MaxBodySize, on the wire or after gunzip, is 413.
//
// # Protocol details
//
// Every response carries X-Influxdb-Version (ReportedVersion),
// X-Influxdb-Build: OSS, X-Fieldhub-Version and a request id in both
// Request-Id and X-Request-Id (the client's own X-Request-Id or Request-Id is
// echoed back when it sends one). Every error is JSON {"error":"..."} with the
// same text (capped at 1 KiB) in X-Influxdb-Error; a 401 also carries a Basic
// challenge. A request with an Origin header gets CORS headers echoing that
// origin (never Allow-Credentials) and OPTIONS pre-flights get 204, as in
// InfluxDB, so Grafana's browser access mode works. On /query, GET runs only
// read-only statements (SHOW, SELECT without INTO; anything else is 405) and
// an unknown epoch means nanoseconds, as in InfluxDB; bound parameters come in
// the params form value as a JSON object. Each request is logged at Debug level with
// its id, status, sizes and duration (the p= password parameter redacted).
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
