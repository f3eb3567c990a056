package sim

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// recorder is an InfluxDB-like /write handler that keeps every accepted body and can be
// told how to answer each request.
type recorder struct {
	mu       sync.Mutex // guards the fields below
	bodies   [][]byte
	requests []*http.Request
	// answer returns the status, headers and body for request n (0-based); nil accepts all.
	answer func(n int, body []byte) (int, http.Header, string)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var rd io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rd = zr
	}
	body, err := io.ReadAll(rd)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rec.mu.Lock()
	n := len(rec.requests)
	rec.requests = append(rec.requests, r)
	answer := rec.answer
	rec.mu.Unlock()
	status, hdr, msg := http.StatusNoContent, http.Header(nil), ""
	if answer != nil {
		status, hdr, msg = answer(n, body)
	}
	for k, v := range hdr {
		w.Header()[k] = v
	}
	if status/100 == 2 {
		rec.mu.Lock()
		rec.bodies = append(rec.bodies, body)
		rec.mu.Unlock()
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}

// sortedLines splits line protocol into lines and sorts them, so that streams delivered in
// different batch orders compare equal.
func sortedLines(bs ...[]byte) []string {
	var out []string
	for _, b := range bs {
		out = append(out, strings.SplitAfter(string(b), "\n")...)
	}
	out = slices.DeleteFunc(out, func(s string) bool { return s == "" })
	slices.Sort(out)
	return out
}

func testConfig() Config {
	return Config{Workload: "battery", Scale: 50, Seed: 9, PointsPerSeries: 20, Precision: Second}
}

func newGen(t *testing.T, cfg Config) Generator {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestRunDeliversEverything(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run("gzip="+map[bool]string{false: "off", true: "on"}[gz], func(t *testing.T) {
			rec := &recorder{}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			cfg := testConfig()
			want, wantValues := generate(t, cfg)
			st, err := Run(context.Background(), newGen(t, cfg), WriterOptions{
				URL: srv.URL, DB: "bench", Precision: Second, Token: "sekrit",
				Gzip: gz, Writers: 3, BatchSize: 70,
			})
			if err != nil {
				t.Fatal(err)
			}
			if st.Points != 1000 || st.Values != int64(wantValues) || st.Batches != 15 ||
				st.Bytes != int64(len(want)) || st.Errors != 0 || st.Retries != 0 {
				t.Errorf("stats %+v", st)
			}
			if !slices.Equal(sortedLines(rec.bodies...), sortedLines(want)) {
				t.Error("server received different lines than generated")
			}
			r := rec.requests[0]
			if r.Method != http.MethodPost || r.URL.Path != "/write" ||
				r.URL.Query().Get("db") != "bench" || r.URL.Query().Get("precision") != "s" {
				t.Errorf("request %s %s", r.Method, r.URL)
			}
			if got := r.Header.Get("Authorization"); got != "Token sekrit" {
				t.Errorf("Authorization %q", got)
			}
		})
	}
}

func TestRunRetriesHonourRetryAfter(t *testing.T) {
	// Against a real server: the first request gets 503 with Retry-After: 1.
	rec := &recorder{answer: func(n int, _ []byte) (int, http.Header, string) {
		if n == 0 {
			return http.StatusServiceUnavailable, http.Header{"Retry-After": {"1"}}, "busy"
		}
		return http.StatusNoContent, nil, ""
	}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	start := time.Now()
	st, err := Run(context.Background(), newGen(t, testConfig()), WriterOptions{
		URL: srv.URL, BatchSize: 5000, MinBackoff: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Retries != 1 || st.Errors != 0 || st.Points != 1000 {
		t.Errorf("stats %+v", st)
	}
	if el := time.Since(start); el < time.Second {
		t.Errorf("retried after %v; Retry-After asked for 1s", el)
	}
}

// inProcess is a RoundTripper that calls a handler directly, so writer timing can be tested
// inside a synctest bubble (real sockets are not durably blocking).
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, r)
	return w.Result(), nil
}

func TestRunBackoffTiming(t *testing.T) {
	tests := []struct {
		name   string
		status int
		hdr    http.Header
		min    time.Duration
		max    time.Duration
	}{
		{"503 retry-after seconds", http.StatusServiceUnavailable, http.Header{"Retry-After": {"30"}}, 60 * time.Second, 60 * time.Second},
		{"429 retry-after date", http.StatusTooManyRequests, http.Header{"Retry-After": {"Sat, 01 Jan 2000 00:00:20 GMT"}}, 20 * time.Second, 21 * time.Second},
		{"500 exponential", http.StatusInternalServerError, nil, 150 * time.Millisecond, 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{answer: func(n int, _ []byte) (int, http.Header, string) {
					if n < 2 {
						return tt.status, tt.hdr, "slow down"
					}
					return http.StatusNoContent, nil, ""
				}}
				start := time.Now()
				st, err := Run(t.Context(), newGen(t, testConfig()), WriterOptions{
					URL:    "http://fieldhub.test",
					Client: &http.Client{Transport: inProcess{rec}},
				})
				if err != nil {
					t.Fatal(err)
				}
				// The date case is relative to the bubble's clock (2000-01-01 00:00:00 UTC).
				if el := time.Since(start); el < tt.min || el > tt.max {
					t.Errorf("two retries took %v, want [%v, %v]", el, tt.min, tt.max)
				}
				if st.Retries != 2 || st.Points != 1000 {
					t.Errorf("stats %+v", st)
				}
			})
		})
	}
}

func TestRunGivesUpAfterMaxRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{answer: func(int, []byte) (int, http.Header, string) {
			return http.StatusBadGateway, nil, "down"
		}}
		st, err := Run(t.Context(), newGen(t, testConfig()), WriterOptions{
			URL: "http://fieldhub.test", MaxRetries: 3, BatchSize: 600,
			Client: &http.Client{Transport: inProcess{rec}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if st.Errors != 2 || st.Retries != 6 || st.Points != 0 {
			t.Errorf("stats %+v, want 2 errors after 3 retries each", st)
		}
	})
}

func TestRunReportsRejectedBatches(t *testing.T) {
	rec := &recorder{answer: func(n int, body []byte) (int, http.Header, string) {
		if bytes.Contains(body, []byte("bx-000007,")) {
			return http.StatusBadRequest, nil, `{"error":"partial write: field type conflict"}`
		}
		return http.StatusNoContent, nil, ""
	}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	var logs bytes.Buffer
	ackPath := filepath.Join(t.TempDir(), "ack.lp")
	ack, err := os.Create(ackPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ack.Close()
	// 500 devices reporting twice: device 7 is in only a few of the ten batches.
	cfg := Config{Workload: "battery", Scale: 500, Seed: 9, PointsPerSeries: 2}
	st, err := Run(context.Background(), newGen(t, cfg), WriterOptions{
		URL: srv.URL, Writers: 2, BatchSize: 100, AckLog: ack,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Errors == 0 || st.Errors == 10 || st.Retries != 0 || st.Points != 1000-100*st.Errors {
		t.Errorf("stats %+v", st)
	}
	if !strings.Contains(logs.String(), "field type conflict") || !strings.Contains(logs.String(), "status=400") {
		t.Errorf("log does not report the server's answer:\n%s", logs.String())
	}
	logged, err := os.ReadFile(ackPath)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sortedLines(logged), sortedLines(rec.bodies...); !slices.Equal(got, want) {
		t.Errorf("ack log holds %d lines, server accepted %d", len(got), len(want))
	}
	if bytes.Contains(logged, []byte("bx-000007,")) {
		t.Error("ack log holds a rejected batch")
	}
	if int64(len(logged)) != st.Bytes {
		t.Errorf("ack log is %d bytes, stats say %d acknowledged", len(logged), st.Bytes)
	}
}

type failingLog struct{ calls int }

func (f *failingLog) Write(p []byte) (int, error) { f.calls++; return len(p), nil }
func (f *failingLog) Sync() error                 { return errors.New("disk on fire") }

func TestRunStopsWhenAckLogFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		al := &failingLog{}
		st, err := Run(t.Context(), newGen(t, testConfig()), WriterOptions{
			URL: "http://fieldhub.test", BatchSize: 10, AckLog: al,
			Client: &http.Client{Transport: inProcess{&recorder{}}},
		})
		if !errors.Is(err, ErrAckLog) {
			t.Fatalf("Run() = %v, want ErrAckLog", err)
		}
		if st.Points != 0 || al.calls != 1 {
			t.Errorf("stats %+v after %d ack log writes; want nothing counted, one write", st, al.calls)
		}
	})
}

func TestRunCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		rec := &recorder{answer: func(n int, _ []byte) (int, http.Header, string) {
			if n == 3 {
				cancel()
			}
			return http.StatusServiceUnavailable, nil, ""
		}}
		cfg := testConfig()
		cfg.PointsPerSeries = 1 << 30 // endless unless cancelled
		_, err := Run(ctx, newGen(t, cfg), WriterOptions{
			URL: "http://fieldhub.test", Writers: 2, BatchSize: 10, MaxRetries: 1000,
			Client: &http.Client{Transport: inProcess{rec}},
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run() = %v, want context.Canceled", err)
		}
		// synctest.Test fails if Run left goroutines behind.
	})
}

func TestRunProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		rec := &recorder{answer: func(int, []byte) (int, http.Header, string) {
			time.Sleep(900 * time.Millisecond) // a slow server, so progress ticks during the run
			return http.StatusNoContent, nil, ""
		}}
		_, err := Run(t.Context(), newGen(t, testConfig()), WriterOptions{
			URL: "http://fieldhub.test", BatchSize: 100, Progress: &out,
			Client: &http.Client{Transport: inProcess{rec}},
		})
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 4 || !strings.Contains(lines[0], "points=200 points/s=100 values/s=700 errors=0") {
			t.Errorf("progress:\n%s", out.String())
		}
	})
}

func TestWriterOptionsValidate(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8086", "ftp://x", "http://", "http://[::1"} {
		if err := (WriterOptions{URL: u}).Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Validate(%q) = %v, want ErrInvalidConfig", u, err)
		}
	}
	if err := (WriterOptions{URL: "http://127.0.0.1:8086/"}).Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	o := WriterOptions{URL: "http://h:1/", DB: "a b", Precision: Millisecond}
	if got, want := o.writeURL(), "http://h:1/write?db=a+b&precision=ms"; got != want {
		t.Errorf("writeURL = %q, want %q", got, want)
	}
}

func TestCreateDatabase(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr bool
	}{
		{"ok", 200, `{"results":[{"statement_id":0}]}`, false},
		{"no content", 204, ``, false},
		{"statement error", 200, `{"results":[{"statement_id":0,"error":"database name required"}]}`, true},
		{"top error", 400, `{"error":"error parsing query"}`, true},
		{"unauthorized", 401, `{"error":"authorization failed"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotQ, gotAuth string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/query" || r.Method != http.MethodPost {
					http.NotFound(w, r)
					return
				}
				gotQ, gotAuth = r.FormValue("q"), r.Header.Get("Authorization")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			err := CreateDatabase(context.Background(), srv.Client(), srv.URL, `my"db`, "tok")
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrServer)) {
				t.Errorf("CreateDatabase() = %v, wantErr %v", err, tt.wantErr)
			}
			if gotQ != `CREATE DATABASE "my\"db"` || gotAuth != "Token tok" {
				t.Errorf("q=%q auth=%q", gotQ, gotAuth)
			}
		})
	}
}
