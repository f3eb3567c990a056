package httpapi

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// InfluxDBVersion is the InfluxDB release whose API this package mimics.
const InfluxDBVersion = "1.8.10"

// ReportedVersion is what X-Influxdb-Version and /ping?verbose=true report:
// InfluxDBVersion with a "-fieldhub" suffix. Clients (Telegraf, Grafana, the
// influx CLI, the client libraries) only look at the leading 1.x to pick the
// 1.x protocol dialect; the suffix tells a human which server answered.
const ReportedVersion = InfluxDBVersion + "-fieldhub"

// DefaultMaxBodySize is the write body limit when Options.MaxBodySize is 0.
const DefaultMaxBodySize = 25 << 20

// Options configures an API. The zero value of every member but Engine means its default.
type Options struct {
	// Engine is the storage engine (required).
	Engine *tsdb.Engine
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
	// Registry receives the API's metrics and is served on /metrics; nil
	// disables both (pass the same registry to tsdb.Options.Registerer).
	Registry *prometheus.Registry
	// MaxBodySize caps a write body in bytes, before and after decompression; default 25 MiB.
	MaxBodySize int64
	// Version is Fieldhub's version, reported in X-Fieldhub-Version and /health; default "dev".
	Version string
	// Authorizer decides who may do what; default AllowAll.
	Authorizer Authorizer
	// Query runs the InfluxQL statements the built-in catalog executor does
	// not handle (SELECT, SHOW MEASUREMENTS, ...); nil answers them with
	// "statement not supported yet".
	Query QueryExecutor
	// Now is the clock for points without a timestamp; default time.Now.
	Now func() time.Time
	// QueryTimeout stops a /query request that runs longer, with InfluxDB's
	// "query-timeout limit exceeded"; 0 means no limit.
	QueryTimeout time.Duration
	// MaxConcurrentQueries refuses a /query request while this many run, with
	// InfluxDB's "max-concurrent-queries limit exceeded(N, M)"; 0 means no
	// limit. Requests made only of SHOW QUERIES and KILL QUERY are exempt.
	MaxConcurrentQueries int
	// LogQueriesAfter logs a /query request still running after this long
	// (Warn "slow query", passwords redacted); 0 disables it.
	LogQueriesAfter time.Duration
}

// API serves the HTTP endpoints. It is an http.Handler and safe for concurrent use.
type API struct {
	opts     Options // immutable after New
	engine   *tsdb.Engine
	log      *slog.Logger
	metrics  *metrics
	exec     QueryExecutor
	queries  *queryManager
	promh    http.Handler
	ridSeed  [8]byte
	ridCount atomic.Uint64

	// Preallocated header values, shared by every response (net/http only reads them).
	hdrInfluxVersion, hdrBuild, hdrVersion, hdrJSON []string
}

var _ http.Handler = (*API)(nil)

// New builds an API. It registers its metrics on opts.Registry.
func New(opts Options) (*API, error) {
	if opts.Engine == nil {
		return nil, errors.New("httpapi: engine is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodySize <= 0 {
		opts.MaxBodySize = DefaultMaxBodySize
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.Authorizer == nil {
		opts.Authorizer = AllowAll{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &API{opts: opts, engine: opts.Engine, log: opts.Logger}
	var err error
	if a.metrics, err = newMetrics(opts.Registry); err != nil {
		return nil, err
	}
	if opts.Registry != nil {
		a.promh = promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{Registry: opts.Registry})
	}
	if opts.QueryTimeout < 0 || opts.MaxConcurrentQueries < 0 || opts.LogQueriesAfter < 0 {
		return nil, errors.New("httpapi: query limits must not be negative")
	}
	a.queries = newQueryManager(opts, opts.Logger, a.metrics)
	a.exec = &catalogExecutor{engine: opts.Engine, queries: a.queries, next: opts.Query}
	if _, err := rand.Read(a.ridSeed[:]); err != nil {
		return nil, err
	}
	a.hdrInfluxVersion = []string{ReportedVersion}
	a.hdrBuild = []string{"OSS"}
	a.hdrVersion = []string{opts.Version}
	a.hdrJSON = []string{"application/json"}
	return a, nil
}

// StopQueries stops every running /query request, whose current statement
// then answers InfluxDB's "query engine shutdown", and refuses new ones with
// the same error; writes are unaffected. Call it when the server shuts down
// (http.Server.RegisterOnShutdown) so long queries do not hold up a graceful
// shutdown. It is safe to call more than once.
func (a *API) StopQueries() { a.queries.stopAll() }

// Endpoint labels for metrics.
const (
	epWrite   = "write"
	epWriteV2 = "write_v2"
	epQuery   = "query"
	epPing    = "ping"
	epHealth  = "health"
	epMetrics = "metrics"
	epOther   = "other"
)

// ServeHTTP routes a request. Routing is a switch rather than a mux so that
// wrong methods get InfluxDB's JSON errors and the hot path stays cheap.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	rid := clientRequestID(r)
	if rid == "" {
		rid = a.requestID()
	}
	h["Request-Id"] = []string{rid}
	h["X-Request-Id"] = h["Request-Id"]
	h["X-Influxdb-Version"] = a.hdrInfluxVersion
	h["X-Influxdb-Build"] = a.hdrBuild
	h["X-Fieldhub-Version"] = a.hdrVersion
	rw := &statusWriter{ResponseWriter: w}
	start := time.Now()
	ep := epOther
	if r.Header.Get("Origin") != "" {
		a.setCORS(h, r)
	}
	defer a.recoverPanic(rw, r, rid)
	if r.Method == http.MethodOptions {
		// CORS pre-flight (Grafana's browser access mode, web UIs): answered
		// for every path before routing, like InfluxDB.
		rw.WriteHeader(http.StatusNoContent)
	} else {
		ep = a.route(rw, r)
	}
	d := time.Since(start)
	a.metrics.observe(ep, rw.status(), d)
	// The access log is at Debug: at ingest rates an Info line per request
	// would cost more than the write itself. Enabled is checked first so a
	// disabled log allocates nothing.
	if a.log.Enabled(r.Context(), slog.LevelDebug) {
		a.log.LogAttrs(r.Context(), slog.LevelDebug, "http request",
			slog.String("request_id", rid),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("query", redactQuery(r.URL.RawQuery)),
			slog.Int("status", rw.status()),
			slog.Int64("request_bytes", r.ContentLength),
			slog.Int64("response_bytes", rw.n),
			slog.Duration("duration", d),
			slog.String("remote", r.RemoteAddr),
			slog.String("user_agent", r.UserAgent()),
		)
	}
}

// recoverPanic turns a panic in a handler into a logged 500 with InfluxDB's
// error shape instead of a dropped connection (net/http would recover too, but
// silently for the client). http.ErrAbortHandler keeps its meaning.
func (a *API) recoverPanic(rw *statusWriter, r *http.Request, rid string) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	a.log.Error("panic in http handler", "request_id", rid, "method", r.Method, "path", r.URL.Path,
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	a.metrics.observe(epOther, http.StatusInternalServerError, 0)
	if rw.code == 0 {
		a.httpError(rw, http.StatusInternalServerError, "internal error (request id "+rid+")")
	}
}

// route dispatches r by path and returns the endpoint label for metrics.
func (a *API) route(w http.ResponseWriter, r *http.Request) string {
	switch r.URL.Path {
	case "/write":
		a.serveWrite(w, r, false)
		return epWrite
	case "/api/v2/write":
		a.serveWrite(w, r, true)
		return epWriteV2
	case "/query":
		a.serveQuery(w, r)
		return epQuery
	case "/ping":
		a.servePing(w, r)
		return epPing
	case "/health":
		a.serveHealth(w, r)
		return epHealth
	case "/metrics":
		switch {
		case a.promh == nil:
			a.httpError(w, http.StatusNotFound, "metrics are not enabled")
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			a.methodNotAllowed(w, "GET, HEAD")
		default:
			a.promh.ServeHTTP(w, r)
		}
		return epMetrics
	}
	a.httpError(w, http.StatusNotFound, "404 page not found")
	return epOther
}

// CORS response headers, shared by every response (net/http only reads them).
var (
	corsMethods = []string{"DELETE, GET, HEAD, OPTIONS, POST, PUT"}
	corsHeaders = []string{"Accept, Accept-Encoding, Authorization, Content-Encoding, Content-Length, Content-Type, " +
		"Request-Id, X-Request-Id, X-CSRF-Token, X-HTTP-Method-Override"}
	corsExpose = []string{"Date, Request-Id, X-Request-Id, X-Influxdb-Version, X-Influxdb-Build, X-Influxdb-Error, X-Fieldhub-Version"}
)

// setCORS lets browser applications on other origins (Grafana in browser
// access mode, dashboards) call the API, as InfluxDB 1.8 does: the request's
// origin is echoed without Allow-Credentials, so a browser sends no cookies
// and ambient authority is never granted; callers still authenticate with
// explicit credentials that the Authorizer checks.
func (a *API) setCORS(h http.Header, r *http.Request) {
	h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
	h["Access-Control-Allow-Methods"] = corsMethods
	h["Access-Control-Allow-Headers"] = corsHeaders
	h["Access-Control-Expose-Headers"] = corsExpose
	h.Add("Vary", "Origin")
}

// maxClientRequestID bounds a request id taken from the client, which ends
// up in logs and response headers.
const maxClientRequestID = 128

// clientRequestID returns the id the client sent in X-Request-Id (preferred)
// or Request-Id, like InfluxDB 1.8 does, so a request can be traced through
// proxies; "" when there is none or it is not short printable ASCII.
func clientRequestID(r *http.Request) string {
	rid := r.Header.Get("X-Request-Id")
	if rid == "" {
		rid = r.Header.Get("Request-Id")
	}
	if rid == "" || len(rid) > maxClientRequestID {
		return ""
	}
	for i := 0; i < len(rid); i++ {
		if rid[i] <= ' ' || rid[i] > '~' {
			return ""
		}
	}
	return rid
}

// redactQuery hides secrets in a raw query string for the access log: the
// p (password) parameter, passwords inside q (CREATE USER ... WITH PASSWORD,
// SET PASSWORD, redacted by influxql.Sanitize as InfluxDB does), and the
// bound params of a q that mentions a password. The common case, no p= and
// no q=, returns raw unchanged.
func redactQuery(raw string) string {
	if !strings.Contains(raw, "p=") && !strings.Contains(raw, "q=") {
		return raw
	}
	parts := strings.Split(raw, "&")
	password := false
	for i, kv := range parts {
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		switch k {
		case "p":
			parts[i] = "p=REDACTED"
		case "q":
			q, err := url.QueryUnescape(v)
			if err != nil {
				parts[i] = "q=REDACTED" // cannot tell what is in it
				continue
			}
			if s := influxql.Sanitize(q); s != q {
				parts[i] = "q=" + url.QueryEscape(s)
			}
			password = password || strings.Contains(strings.ToLower(q), "password")
		}
	}
	if password {
		for i, kv := range parts {
			if strings.HasPrefix(kv, "params=") {
				parts[i] = "params=REDACTED"
			}
		}
	}
	return strings.Join(parts, "&")
}

// requestID returns a UUID-shaped id: a per-process random prefix and a counter,
// unique within the process and cheap to make.
func (a *API) requestID() string {
	var raw [16]byte
	copy(raw[:8], a.ridSeed[:])
	binary.BigEndian.PutUint64(raw[8:], a.ridCount.Add(1))
	raw[6] = raw[6]&0x0f | 0x40 // version 4 layout bits, so parsers accept it
	raw[8] = raw[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], raw[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], raw[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], raw[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], raw[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], raw[10:16])
	return string(out[:])
}

func (a *API) servePing(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		a.methodNotAllowed(w, "GET, HEAD")
		return
	}
	// Like InfluxDB, any verbose value but "", "0" and "false" asks for the body.
	if v := r.URL.Query().Get("verbose"); v != "" && v != "0" && v != "false" {
		a.writeJSON(w, http.StatusOK, map[string]string{"version": ReportedVersion}, false)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) serveHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		a.methodNotAllowed(w, "GET, HEAD")
		return
	}
	a.writeJSON(w, http.StatusOK, struct {
		Name    string   `json:"name"`
		Message string   `json:"message"`
		Status  string   `json:"status"`
		Checks  []string `json:"checks"`
		Version string   `json:"version"`
	}{"fieldhub", "ready for queries and writes", "pass", []string{}, a.opts.Version}, false)
}

// maxErrorHeader caps X-Influxdb-Error like InfluxDB does; the JSON body
// carries the whole message (a partial write can list ten problems).
const maxErrorHeader = 1024

// httpError writes InfluxDB's error shape: {"error":"..."} plus the
// X-Influxdb-Error header, and a Basic challenge on 401 so browsers and
// clients know credentials are wanted.
func (a *API) httpError(w http.ResponseWriter, status int, msg string) {
	a.errorHeaders(w.Header(), status, msg)
	w.Header()["Content-Type"] = a.hdrJSON
	w.WriteHeader(status)
	w.Write(errorBody(msg, false))
}

// queryError is httpError in the format the /query request asked for:
// pretty JSON, or CSV ("error" then the message), as InfluxDB answers.
func (a *API) queryError(w http.ResponseWriter, f responseFormat, status int, msg string) {
	a.errorHeaders(w.Header(), status, msg)
	w.Header()["Content-Type"] = f.contentType()
	w.WriteHeader(status)
	switch f := f.(type) {
	case *jsonFormat:
		w.Write(errorBody(msg, f.pretty))
	default:
		f.writeResponse(w, &Response{Err: msg})
	}
}

// errorHeaders sets X-Influxdb-Error (capped) and, on 401, the Basic challenge.
func (a *API) errorHeaders(h http.Header, status int, msg string) {
	hv := msg
	if len(hv) > maxErrorHeader {
		hv = strings.ToValidUTF8(hv[:maxErrorHeader], "")
	}
	h.Set("X-Influxdb-Error", hv)
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="InfluxDB"`)
	}
}

// errorBody is {"error":"msg"} and a newline.
func errorBody(msg string, pretty bool) []byte {
	v := struct {
		Error string `json:"error"`
	}{msg}
	var b []byte
	if pretty {
		b, _ = json.MarshalIndent(v, "", "    ")
	} else {
		b, _ = json.Marshal(v)
	}
	return append(b, '\n')
}

func (a *API) methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	a.httpError(w, http.StatusMethodNotAllowed, "method not allowed")
}

// authorize runs the Authorizer and writes 401/403 on refusal; it reports whether to go on.
func (a *API) authorize(w http.ResponseWriter, r *http.Request, action Action, db string) bool {
	err := a.opts.Authorizer.Authorize(r, action, db)
	if err == nil {
		return true
	}
	if errors.Is(err, ErrForbidden) {
		a.httpError(w, http.StatusForbidden, err.Error())
	} else {
		a.httpError(w, http.StatusUnauthorized, err.Error())
	}
	return false
}

func (a *API) writeJSON(w http.ResponseWriter, status int, v any, pretty bool) {
	var b []byte
	var err error
	if pretty {
		b, err = json.MarshalIndent(v, "", "    ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		a.log.Error("encode response", "err", err)
		a.httpError(w, http.StatusInternalServerError, "encode response: "+err.Error())
		return
	}
	w.Header()["Content-Type"] = a.hdrJSON
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// statusWriter remembers the status code and counts the body bytes, for
// metrics and the access log.
type statusWriter struct {
	http.ResponseWriter
	code int
	n    int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
