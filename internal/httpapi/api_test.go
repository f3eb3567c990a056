package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPingHealthHeaders(t *testing.T) {
	env := newTestEnv(t, nil)
	for _, m := range []string{"GET", "HEAD"} {
		w := env.do(t, m, "/ping", nil, nil)
		mustStatus(t, w, http.StatusNoContent)
		h := w.Header()
		if h.Get("X-Influxdb-Version") != "1.8.10-fieldhub" || h.Get("X-Influxdb-Build") != "OSS" || h.Get("X-Fieldhub-Version") != "test" {
			t.Fatalf("%s /ping headers %v", m, h)
		}
		if id := h.Get("Request-Id"); len(id) != 36 || h.Get("X-Request-Id") != id {
			t.Fatalf("request ids %q %q", id, h.Get("X-Request-Id"))
		}
	}
	for _, v := range []string{"true", "1", "yes"} {
		w := env.do(t, "GET", "/ping?verbose="+v, nil, nil)
		mustStatus(t, w, http.StatusOK)
		if got := strings.TrimSpace(w.Body.String()); got != `{"version":"1.8.10-fieldhub"}` {
			t.Fatalf("verbose=%s ping %s", v, got)
		}
	}
	for _, v := range []string{"false", "0"} {
		mustStatus(t, env.do(t, "GET", "/ping?verbose="+v, nil, nil), http.StatusNoContent)
	}
	mustStatus(t, env.do(t, "GET", "/ping", nil, nil), http.StatusNoContent)
	w := env.do(t, "GET", "/health", nil, nil)
	mustStatus(t, w, http.StatusOK)
	if got := strings.TrimSpace(w.Body.String()); got != `{"name":"fieldhub","message":"ready for queries and writes","status":"pass","checks":[],"version":"test"}` {
		t.Fatalf("health %s", got)
	}
	mustStatus(t, env.do(t, "POST", "/ping", nil, nil), http.StatusMethodNotAllowed)
	mustStatus(t, env.do(t, "GET", "/nope", nil, nil), http.StatusNotFound)
	a, b := env.do(t, "GET", "/ping", nil, nil).Header().Get("Request-Id"), env.do(t, "GET", "/ping", nil, nil).Header().Get("Request-Id")
	if a == b {
		t.Fatalf("request ids repeat: %s", a)
	}
}

func TestCORS(t *testing.T) {
	env := newTestEnv(t, nil)
	origin := map[string]string{"Origin": "http://grafana.local:3000", "Access-Control-Request-Method": "POST"}
	w := env.do(t, "OPTIONS", "/write?db=db", nil, origin)
	mustStatus(t, w, http.StatusNoContent)
	h := w.Header()
	if h.Get("Access-Control-Allow-Origin") != "http://grafana.local:3000" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("pre-flight headers %v", h)
	}
	w = env.do(t, "GET", "/query?q=SHOW+DATABASES", nil, origin)
	mustStatus(t, w, http.StatusOK)
	if w.Header().Get("Access-Control-Allow-Origin") != "http://grafana.local:3000" ||
		!strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "X-Influxdb-Version") {
		t.Fatalf("CORS headers on a real request: %v", w.Header())
	}
	if got := env.do(t, "GET", "/ping", nil, nil).Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("CORS headers without Origin: %q", got)
	}
}

func TestErrorHeaderCapped(t *testing.T) {
	env := newTestEnv(t, nil)
	var b strings.Builder
	for i := range 12 {
		fmt.Fprintf(&b, "cpu,host=%s v=1x %d\n", strings.Repeat("h", 150), i)
	}
	w := env.do(t, "POST", "/write?db=db", []byte(b.String()), nil)
	mustStatus(t, w, http.StatusBadRequest)
	hv := w.Header().Get("X-Influxdb-Error")
	if len(hv) > 1024 || !strings.HasPrefix(hv, "partial write: line 1: ") {
		t.Fatalf("header of %d bytes: %q", len(hv), hv)
	}
	var body struct{ Error string }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || !strings.HasSuffix(body.Error, "; and 2 more dropped=12") {
		t.Fatalf("body %v: %s", err, w.Body)
	}
}

func TestRequestIDFromClient(t *testing.T) {
	env := newTestEnv(t, nil)
	tests := []struct {
		name string
		hdr  map[string]string
		want string // "" = a generated id
	}{
		{"x-request-id", map[string]string{"X-Request-Id": "abc-123"}, "abc-123"},
		{"request-id", map[string]string{"Request-Id": "r1"}, "r1"},
		{"x-request-id wins", map[string]string{"X-Request-Id": "x", "Request-Id": "r"}, "x"},
		{"space refused", map[string]string{"X-Request-Id": "a b"}, ""},
		{"too long refused", map[string]string{"X-Request-Id": strings.Repeat("a", 129)}, ""},
		{"non-ASCII refused", map[string]string{"X-Request-Id": "ü"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := env.do(t, "GET", "/ping", nil, tc.hdr).Header()
			got := h.Get("X-Request-Id")
			if h.Get("Request-Id") != got {
				t.Fatalf("Request-Id %q != X-Request-Id %q", h.Get("Request-Id"), got)
			}
			if tc.want == "" && len(got) != 36 || tc.want != "" && got != tc.want {
				t.Fatalf("request id %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAccessLogAtDebug(t *testing.T) {
	var buf bytes.Buffer
	lvl := new(slog.LevelVar)
	env := newTestEnv(t, func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: lvl}))
	})
	mustStatus(t, env.do(t, "POST", "/write?db=db&u=me&p=secret", []byte("cpu v=1 1"), map[string]string{"X-Request-Id": "rid-1"}), 204)
	if buf.Len() != 0 {
		t.Fatalf("access log at Info level: %s", buf.String())
	}
	lvl.Set(slog.LevelDebug)
	mustStatus(t, env.do(t, "POST", "/write?db=db&u=me&p=secret", []byte("cpu v=1 1"), map[string]string{"X-Request-Id": "rid-1"}), 204)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	for k, want := range map[string]any{"msg": "http request", "request_id": "rid-1", "method": "POST", "path": "/write",
		"query": "db=db&u=me&p=REDACTED", "status": 204.0, "request_bytes": 9.0} {
		if line[k] != want {
			t.Errorf("%s = %v, want %v (line %s)", k, line[k], want, buf.String())
		}
	}
	if strings.Contains(buf.String(), "secret") {
		t.Errorf("password logged: %s", buf.String())
	}
}

func TestMetrics(t *testing.T) {
	env := newTestEnv(t, nil)
	mustStatus(t, env.do(t, "POST", "/write?db=db", []byte("cpu a=1,b=2 1\ncpu a=1i 2\nbad"), nil), http.StatusBadRequest)
	mustStatus(t, env.do(t, "POST", "/write?db=nope", []byte("cpu a=1 1"), nil), http.StatusNotFound)
	w := env.do(t, "GET", "/metrics", nil, nil)
	mustStatus(t, w, http.StatusOK)
	body := w.Body.String()
	for _, want := range []string{
		`fieldhub_http_requests_total{endpoint="write",status="400"} 1`,
		`fieldhub_http_requests_total{endpoint="write",status="404"} 1`,
		`fieldhub_http_points_written_total 1`,
		`fieldhub_http_values_written_total 2`,
		`fieldhub_http_write_errors_total{reason="field_type_conflict"} 1`,
		`fieldhub_http_write_errors_total{reason="parse"} 1`,
		`fieldhub_http_write_errors_total{reason="not_found"} 1`,
		`fieldhub_http_partial_writes_total 1`,
		`fieldhub_tsdb_`, // the engine's metrics share the registry
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Without a registry there is no /metrics and writes still work.
	env2 := newTestEnv(t, func(o *Options) { o.Registry = nil })
	mustStatus(t, env2.do(t, "GET", "/metrics", nil, nil), http.StatusNotFound)
	mustStatus(t, env2.do(t, "POST", "/write?db=db", []byte("cpu a=1 1"), nil), http.StatusNoContent)
}

func TestCredentialsFromRequest(t *testing.T) {
	tests := []struct {
		name string
		prep func(r *http.Request)
		want Credentials
	}{
		{"none", func(*http.Request) {}, Credentials{}},
		{"query", func(r *http.Request) { r.URL.RawQuery = "u=alice&p=s3cret" }, Credentials{Scheme: "basic", Username: "alice", Password: "s3cret"}},
		{"basic", func(r *http.Request) { r.SetBasicAuth("bob", "pw:x") }, Credentials{Scheme: "basic", Username: "bob", Password: "pw:x"}},
		{"token user:pass", func(r *http.Request) { r.Header.Set("Authorization", "Token carol:pw") },
			Credentials{Scheme: "token", Username: "carol", Password: "pw", Token: "carol:pw"}},
		{"token", func(r *http.Request) { r.Header.Set("Authorization", "Token abc123") }, Credentials{Scheme: "token", Token: "abc123"}},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer eyJ.x.y") }, Credentials{Scheme: "bearer", Token: "eyJ.x.y"}},
		{"unknown scheme", func(r *http.Request) { r.Header.Set("Authorization", "Digest x") }, Credentials{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/query", nil)
			tc.prep(r)
			if diff := cmp.Diff(tc.want, CredentialsFromRequest(r)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

// tokenAuth allows token "w" to write and "a" to do everything.
type tokenAuth struct{ calls []string }

func (ta *tokenAuth) Authorize(r *http.Request, action Action, db string) error {
	ta.calls = append(ta.calls, fmt.Sprintf("%s:%s", action, db))
	c := CredentialsFromRequest(r)
	switch {
	case c.Token == "a":
		return nil
	case c.Token == "w" && action == ActionWrite:
		return nil
	case c.Token == "":
		return ErrUnauthorized
	}
	return fmt.Errorf("%w: token may not %s", ErrForbidden, action)
}

func TestAuthorizer(t *testing.T) {
	ta := &tokenAuth{}
	env := newTestEnv(t, func(o *Options) { o.Authorizer = ta })
	tok := func(s string) map[string]string { return map[string]string{"Authorization": "Token " + s} }
	w := env.do(t, "POST", "/write?db=db", []byte("cpu v=1 1"), nil)
	mustStatus(t, w, http.StatusUnauthorized)
	if got := w.Header().Get("WWW-Authenticate"); got != `Basic realm="InfluxDB"` {
		t.Fatalf("401 without a challenge: %q", got)
	}
	mustStatus(t, env.do(t, "POST", "/write?db=db", []byte("cpu v=1 1"), tok("w")), http.StatusNoContent)
	mustStatus(t, env.do(t, "POST", "/query?q=CREATE+DATABASE+x", nil, tok("w")), http.StatusForbidden)
	mustStatus(t, env.do(t, "POST", "/query?q=CREATE+DATABASE+x", nil, tok("a")), http.StatusOK)
	want := []string{"write:db", "write:db", "admin:x", "admin:x"}
	if diff := cmp.Diff(want, ta.calls); diff != "" {
		t.Fatalf("authorize calls (-want +got):\n%s", diff)
	}
	if !errors.Is(fmt.Errorf("x: %w", ErrForbidden), ErrForbidden) {
		t.Fatal("unreachable")
	}
}

// panicAuth panics, standing in for a bug anywhere below the router.
type panicAuth struct{}

func (panicAuth) Authorize(*http.Request, Action, string) error { panic("boom") }

func TestPanicBecomes500(t *testing.T) {
	var buf bytes.Buffer
	env := newTestEnv(t, func(o *Options) {
		o.Authorizer = panicAuth{}
		o.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	})
	w := env.do(t, "POST", "/write?db=db", []byte("cpu v=1 1"), nil)
	mustStatus(t, w, http.StatusInternalServerError)
	if !strings.HasPrefix(w.Body.String(), `{"error":"internal error (request id `) {
		t.Fatalf("body %s", w.Body)
	}
	if !strings.Contains(buf.String(), "panic in http handler") || !strings.Contains(buf.String(), "boom") {
		t.Fatalf("panic not logged: %s", buf.String())
	}
	// The server goes on serving.
	mustStatus(t, env.do(t, "GET", "/ping", nil, nil), http.StatusNoContent)
}
