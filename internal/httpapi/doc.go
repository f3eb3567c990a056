// Package httpapi is Fieldhub's HTTP transport: an InfluxDB 1.8 compatible API
// (/write, /api/v2/write, /query, /ping, /health) plus /metrics, as a thin
// adapter over the storage engine (internal/tsdb). It parses line protocol
// with internal/lineproto and InfluxQL with github.com/influxdata/influxql;
// catalog statements (databases, retention policies) and query management
// (SHOW QUERIES, KILL QUERY) run here, every other statement goes to a
// pluggable QueryExecutor (internal/query in the hub).
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
// # Query path
//
// A /query request is parsed, authorized statement by statement, then
// registered with the query manager (queries.go), which gives it a query id
// (one per request, as InfluxDB does), its text with passwords redacted, and a
// context that KILL QUERY cancels ("query interrupted"), QueryTimeout ends
// ("query-timeout limit exceeded") and the client's departure cancels;
// MaxConcurrentQueries refuses it up front ("max-concurrent-queries limit
// exceeded(N, M)") and LogQueriesAfter logs it while it runs; StopQueries
// (server shutdown) stops them all ("query engine shutdown"). Statements run
// in order through the executor chain; after a failure the rest answer "not
// executed". Each result's time column (int64 Unix nanoseconds from the
// executor) is rendered for the epoch parameter, in place: a Result returned
// by an executor belongs to this package from then on.
//
// Answers follow InfluxDB 1.8 (format.go): the Accept header picks JSON
// (default, pretty=true indents) or CSV; with chunked=true each statement's
// result is streamed as it finishes; SELECTs (and the SHOW statements InfluxDB
// rewrites into SELECTs) one series per message, series longer than
// chunk_size (default 10,000) split with "partial":true, other statements in
// one message. RFC3339 times are in the statement's tz() zone. The answers
// are checked byte for byte against ones recorded from InfluxDB 1.8.10
// (testdata/influx). Deliberate differences, all in the client's favour: a
// failed statement keeps its own error (InfluxDB 1.8 overwrites it with "not
// executed"), CSV prints statement errors instead of dropping them and
// renders every integer (InfluxDB's CSV repeats the column name for int
// values), requests made only of SHOW QUERIES and KILL QUERY are exempt from
// the concurrency limit so a full server can still be cleared, and msgpack
// is not offered (such clients get JSON).
//
// # Protocol details
//
// Every response carries X-Influxdb-Version (ReportedVersion),
// X-Influxdb-Build: OSS, X-Fieldhub-Version and a request id in both
// Request-Id and X-Request-Id (the client's own X-Request-Id or Request-Id is
// echoed back when it sends one). Every error is JSON {"error":"..."} with the
// same text (capped at 1 KiB) in X-Influxdb-Error (a /query error asked for
// as CSV is "error" and the message, as in InfluxDB); a 401 also carries a Basic
// challenge. A request with an Origin header gets CORS headers echoing that
// origin (never Allow-Credentials) and OPTIONS pre-flights get 204, as in
// InfluxDB, so Grafana's browser access mode works. On /query, GET runs only
// read-only statements (SHOW, SELECT without INTO; anything else is 405) and
// an unknown epoch means nanoseconds, as in InfluxDB; bound parameters come in
// the params form value as a JSON object. Each request is logged at Debug level with
// its id, status, sizes and duration (the p= password parameter and passwords
// inside q= redacted).
//
// # Concurrency and buffer lifetimes
//
// An API is safe for concurrent use; each request takes its own scratch state
// (body buffer, gzip reader, parser, point) from a pool and returns it when
// the handler ends, so nothing from a request body outlives the request. The
// API starts no goroutines of its own: query timeouts are context deadlines
// and the slow-query log a timer stopped when its query ends.
//
// # Extension points
//
// Authorizer decides whether a request may perform an Action on a database
// (default: allow everything); Credentials extracts u/p, Basic, Token and
// Bearer credentials for it. QueryExecutor runs InfluxQL statements the
// built-in catalog executor does not handle.
package httpapi
