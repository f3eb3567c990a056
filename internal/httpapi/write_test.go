package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/fieldhub/fieldhub/internal/tsdb"

	"github.com/google/go-cmp/cmp"
)

func TestWriteMalformed(t *testing.T) {
	env := newTestEnv(t, func(o *Options) { o.MaxBodySize = 4096 })
	// Seed a float field so the conflict case has something to conflict with.
	mustStatus(t, env.do(t, "POST", "/write?db=db", []byte("cpu,host=a usage=1 1"), nil), http.StatusNoContent)

	big := bytes.Repeat([]byte("cpu,host=a usage=1 1\n"), 400) // 8.4 KB > 4 KiB
	bigGz := gz(t, big)                                        // small on the wire, too big decompressed
	tests := []struct {
		name       string
		method     string
		target     string
		body       []byte
		hdr        map[string]string
		wantStatus int
		wantMsg    string // substring of the error; "" = no body
	}{
		{"ok", "POST", "/write?db=db", []byte("cpu,host=b usage=2 2"), nil, 204, ""},
		{"empty body", "POST", "/write?db=db", []byte{}, nil, 204, ""},
		{"only blank lines", "POST", "/write?db=db", []byte("\n\n# comment\n"), nil, 204, ""},
		{"missing db", "POST", "/write", []byte("cpu v=1"), nil, 400, "database is required"},
		{"unknown db", "POST", "/write?db=nope", []byte("cpu v=1"), nil, 404, `database not found: "nope"`},
		{"unknown rp", "POST", "/write?db=db&rp=nope", []byte("cpu v=1"), nil, 404, `retention policy not found: "nope"`},
		{"bad precision", "POST", "/write?db=db&precision=fortnight", []byte("cpu v=1"), nil, 400, `invalid precision "fortnight"`},
		{"v2 bad precision", "POST", "/api/v2/write?bucket=db&precision=h", []byte("cpu v=1"), nil, 400, `invalid precision "h"`},
		{"v2 missing bucket", "POST", "/api/v2/write?org=x", []byte("cpu v=1"), nil, 400, "bucket is required"},
		{"GET write", "GET", "/write?db=db", nil, nil, 405, "method not allowed"},
		{"bad escape", "POST", "/write?db=db", []byte(`cpu,host=a\ usage=1 1`), nil, 400, "partial write: line 1: "},
		{"unbalanced quote", "POST", "/write?db=db", []byte(`cpu s="open 1`), nil, 400, "partial write: line 1: "},
		{"field type conflict", "POST", "/write?db=db", []byte("cpu,host=a usage=5i 5"), nil, 400,
			`partial write: line 1: field type conflict: input field "usage" on measurement "cpu" is type integer, already exists as type float dropped=1`},
		{"non-UTF-8 measurement", "POST", "/write?db=db", []byte("cp\xffu v=1 1"), nil, 400, "line 1: invalid UTF-8 in measurement"},
		{"non-UTF-8 tag", "POST", "/write?db=db", []byte("cpu,host=\xfe\xff v=1 1"), nil, 400, "line 1: invalid UTF-8 in tag value"},
		{"over limit", "POST", "/write?db=db", big, nil, 413, "request body too large"},
		{"one huge line", "POST", "/write?db=db", []byte(`cpu s="` + strings.Repeat("x", 5000) + `" 1`), nil, 413, "request body too large"},
		{"over limit after gunzip", "POST", "/write?db=db", bigGz, map[string]string{"Content-Encoding": "gzip"}, 413, "request body too large"},
		{"bad gzip", "POST", "/write?db=db", []byte("cpu v=1 1"), map[string]string{"Content-Encoding": "gzip"}, 400, "invalid gzip body"},
		{"truncated gzip", "POST", "/write?db=db", gz(t, []byte("cpu v=1 1"))[:15], map[string]string{"Content-Encoding": "gzip"}, 400, "invalid gzip body"},
		{"unknown encoding", "POST", "/write?db=db", []byte("cpu v=1 1"), map[string]string{"Content-Encoding": "br"}, 400, `unsupported Content-Encoding "br"`},
		{"gzip ok", "POST", "/write?db=db", gz(t, []byte("mem free=1i 1")), map[string]string{"Content-Encoding": "gzip"}, 204, ""},
		{"no fields", "POST", "/write?db=db", []byte("cpu,host=a 1"), nil, 400, "partial write: line 1: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := env.do(t, tc.method, tc.target, tc.body, tc.hdr)
			mustStatus(t, w, tc.wantStatus)
			if tc.wantMsg == "" {
				if w.Body.Len() != 0 {
					t.Fatalf("unexpected body %q", w.Body)
				}
				return
			}
			if !strings.Contains(w.Body.String(), jsonEscape(tc.wantMsg)) {
				t.Fatalf("body %s does not contain %q", w.Body, tc.wantMsg)
			}
			if got := w.Header().Get("X-Influxdb-Error"); !strings.Contains(got, tc.wantMsg) {
				t.Fatalf("X-Influxdb-Error %q does not contain %q", got, tc.wantMsg)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
}

// jsonEscape renders s as it appears inside a JSON string.
func jsonEscape(s string) string {
	return strings.NewReplacer(`"`, `\"`).Replace(s)
}

func TestWritePartialKeepsValidLines(t *testing.T) {
	env := newTestEnv(t, nil)
	mustStatus(t, env.do(t, "POST", "/write?db=db", []byte("cpu,host=a usage=1 1"), nil), http.StatusNoContent)
	body := strings.Join([]string{
		"cpu,host=a usage=2 2",        // 1 ok
		"cpu,host=a usage=3i 3",       // 2 type conflict
		"cpu,host=b usage=4 4",        // 3 ok
		"",                            // 4 blank
		"garbage",                     // 5 parse error
		`cpu,host=c usage="s" 6`,      // 6 type conflict (string)
		"cpu,host=\\,c usage=7 7",     // 7 ok, escaped tag value
		`cpu,host=d usage=8,bad=1x 8`, // 8 bad number
		"cpu,host=e usage=9 9",        // 9 ok
	}, "\n")
	w := env.do(t, "POST", "/write?db=db", []byte(body), nil)
	mustStatus(t, w, http.StatusBadRequest)
	msg := w.Header().Get("X-Influxdb-Error")
	for _, want := range []string{"partial write: ", "line 2: field type conflict", `"usage" on measurement "cpu"`,
		"line 5: ", "line 6: field type conflict", "line 8: ", " dropped=4"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	got := env.stored(t, "db", "", "cpu")
	want := map[string][]float64{
		"cpu,host=a|usage":  {1, 2},
		"cpu,host=b|usage":  {4},
		"cpu,host=,c|usage": {7},
		"cpu,host=e|usage":  {9},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("stored (-want +got):\n%s", diff)
	}
}

func TestWriteReportsAtMostTenProblems(t *testing.T) {
	env := newTestEnv(t, nil)
	var b strings.Builder
	for i := range 25 {
		fmt.Fprintf(&b, "bad%d\n", i)
	}
	b.WriteString("ok v=1 1\n")
	w := env.do(t, "POST", "/write?db=db", []byte(b.String()), nil)
	mustStatus(t, w, http.StatusBadRequest)
	msg := w.Header().Get("X-Influxdb-Error")
	if n := strings.Count(msg, "line "); n != 10 {
		t.Errorf("%d problems listed, want 10: %s", n, msg)
	}
	if !strings.HasSuffix(msg, "; and 15 more dropped=25") {
		t.Errorf("message %q lacks the tail", msg)
	}
	if got := env.stored(t, "db", "", "ok"); len(got["ok|v"]) != 1 {
		t.Errorf("valid line not stored: %v", got)
	}
}

func TestWritePrecisionAndRetentionPolicy(t *testing.T) {
	env := newTestEnv(t, nil)
	mustStatus(t, env.do(t, "POST", "/query", nil, nil), http.StatusBadRequest)
	w := env.do(t, "POST", "/query?q="+urlq(`CREATE RETENTION POLICY week ON db DURATION 1000w REPLICATION 1`), nil, nil)
	mustStatus(t, w, http.StatusOK)
	mustStatus(t, env.do(t, "POST", "/write?db=db&rp=week&precision=s", []byte("m v=1 1700000000\nm v=2"), nil), 204)
	mustStatus(t, env.do(t, "POST", "/api/v2/write?bucket=db/week&precision=ms&org=o", []byte("m2 v=1 1700000000000"), nil), 204)

	var times []int64
	series, _ := env.e.SelectSeries(t.Context(), "db", "week", "m", nil, -1<<63, 1<<63-1)
	ids := []uint64{series[0].ID}
	env.e.ReadSeries(t.Context(), "db", "week", ids, []string{"v"}, -1<<63, 1<<63-1, func(sb *tsdb.SeriesBatch) error {
		times = append(times, sb.Timestamps...)
		return nil
	})
	want := []int64{1700000000e9, testNow.UnixNano()} // no timestamp: the server's clock, truncated to seconds
	if diff := cmp.Diff(want, times); diff != "" {
		t.Fatalf("times (-want +got):\n%s", diff)
	}
	if got := env.stored(t, "db", "week", "m2"); len(got["m2|v"]) != 1 {
		t.Fatalf("v2 write to db/week not stored: %v", got)
	}
	if got := env.stored(t, "db", "", "m"); len(got) != 0 {
		t.Fatalf("write with rp leaked into the default policy: %v", got)
	}
}

func TestCommitErrorMapping(t *testing.T) {
	env := newTestEnv(t, nil)
	tests := []struct {
		err        error
		wantStatus int
		wantRetry  string
	}{
		{fmt.Errorf("commit: %w", tsdb.ErrHeadFull), http.StatusServiceUnavailable, "1"},
		{tsdb.ErrClosed, http.StatusServiceUnavailable, ""},
		{context.Canceled, http.StatusServiceUnavailable, ""},
		{errors.New("disk on fire"), http.StatusInternalServerError, ""},
	}
	for _, tc := range tests {
		w := httptest.NewRecorder()
		env.api.commitFail(w, tc.err)
		if w.Code != tc.wantStatus || w.Header().Get("Retry-After") != tc.wantRetry {
			t.Errorf("%v: status %d Retry-After %q, want %d %q", tc.err, w.Code, w.Header().Get("Retry-After"), tc.wantStatus, tc.wantRetry)
		}
	}
}

// TestWriteHeadFull drives the real engine over its head memory limit: the
// next write is refused before its body is read with 503 and Retry-After,
// and once a flush has caught up writes are accepted again.
func TestWriteHeadFull(t *testing.T) {
	env := newTestEnvWithEngine(t, func(o *tsdb.Options) {
		o.HeadMemoryLimit = 64 << 10
		o.FlushSize = 1 << 40 // only the refused write asks for a flush
	}, nil)
	// Fill the head past its limit; how many points that takes depends on
	// how compactly the head stores them.
	var w *httptest.ResponseRecorder
	for i := 0; ; i++ {
		if i == 50 {
			t.Fatal("the head never reached its 64KiB limit")
		}
		w = env.do(t, "POST", "/write?db=db", cpuBatch(2000, int64(1700000000e9)+int64(i)*1e12), nil)
		if w.Code == http.StatusServiceUnavailable {
			break
		}
		mustStatus(t, w, http.StatusNoContent)
	}
	w = env.do(t, "POST", "/write?db=db", []byte("cpu v=1 1"), nil)
	mustStatus(t, w, http.StatusServiceUnavailable)
	if w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), "head memory limit reached") {
		t.Fatalf("503 without Retry-After or reason: %v %s", w.Header(), w.Body)
	}
	if err := env.e.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, env.do(t, "POST", "/write?db=db", []byte("cpu v=1 1"), nil), http.StatusNoContent)
}

// TestWriteChunkedOverLimit sends a body of unknown length (chunked on the
// wire), so only the streaming limit can catch it.
func TestWriteChunkedOverLimit(t *testing.T) {
	env := newTestEnv(t, func(o *Options) { o.MaxBodySize = 4096 })
	body := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("cpu,host=a usage=1 1\n"), 400)))
	r := httptest.NewRequest("POST", "/write?db=db", body)
	if r.ContentLength != -1 {
		t.Fatalf("ContentLength %d, want unknown", r.ContentLength)
	}
	w := httptest.NewRecorder()
	env.api.ServeHTTP(w, r)
	mustStatus(t, w, http.StatusRequestEntityTooLarge)
	if got := env.stored(t, "db", "", "cpu"); len(got) != 0 {
		t.Fatalf("a refused body stored points: %v", got)
	}
}

func TestWriteAfterCloseIs503(t *testing.T) {
	env := newTestEnv(t, nil)
	env.e.Close()
	w := env.do(t, "POST", "/write?db=db", []byte("cpu v=1 1"), nil)
	mustStatus(t, w, http.StatusServiceUnavailable)
}

func urlq(s string) string { return url.QueryEscape(s) }
