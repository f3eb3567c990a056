package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/influxql"
)

// blockingExecutor blocks SELECTs from measurement "block" until their
// context ends (announcing each on started); other SELECTs answer at once.
type blockingExecutor struct {
	started chan string
	// hold, when set, keeps a canceled statement from returning until it is closed.
	hold chan struct{}
}

func newBlockingExecutor() *blockingExecutor {
	return &blockingExecutor{started: make(chan string, 8)}
}

func (b *blockingExecutor) ExecuteStatement(ctx context.Context, stmt influxql.Statement, _ ExecutionContext) (*Result, error) {
	sel, ok := stmt.(*influxql.SelectStatement)
	if !ok {
		return nil, ErrStatementNotSupported
	}
	if sel.Sources.Measurements()[0].Name != "block" {
		return &Result{Series: []*Row{{Name: "cpu", Columns: []string{"v"}, Values: [][]any{{1.0}}}}}, nil
	}
	b.started <- stmt.String()
	<-ctx.Done()
	if b.hold != nil {
		<-b.hold
	}
	return nil, ctx.Err()
}

// doAsync sends a request in the background.
func (env *testEnv) doAsync(t testing.TB, method, target string) <-chan *httptest.ResponseRecorder {
	ch := make(chan *httptest.ResponseRecorder, 1)
	go func() { ch <- env.do(t, method, target, nil, nil) }()
	return ch
}

func wait[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting")
	}
	panic("unreachable")
}

func queryURL(q string) string { return "/query?" + url.Values{"q": {q}, "db": {"db"}}.Encode() }

// showQueries returns SHOW QUERIES' rows as [qid, query, database, duration, status].
func (env *testEnv) showQueries(t testing.TB) [][]any {
	t.Helper()
	w := env.do(t, "GET", queryURL("SHOW QUERIES"), nil, nil)
	mustStatus(t, w, http.StatusOK)
	var resp struct {
		Results []struct {
			Series []struct {
				Columns []string
				Values  [][]any
			}
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	s := resp.Results[0].Series[0]
	if strings.Join(s.Columns, ",") != "qid,query,database,duration,status" {
		t.Fatalf("columns %v", s.Columns)
	}
	return s.Values
}

// qidOf finds the running query with text q.
func (env *testEnv) qidOf(t testing.TB, q string) (qid int, status string) {
	t.Helper()
	rows := env.showQueries(t)
	for _, r := range rows {
		if r[1] == q {
			if _, err := time.ParseDuration(r[3].(string)); err != nil {
				t.Fatalf("duration %v: %v", r[3], err)
			}
			return int(r[0].(float64)), r[4].(string)
		}
	}
	t.Fatalf("%q not in SHOW QUERIES: %v", q, rows)
	return 0, ""
}

func body(w *httptest.ResponseRecorder) string { return strings.TrimSpace(w.Body.String()) }

func TestKillQuery(t *testing.T) {
	exec := newBlockingExecutor()
	exec.hold = make(chan struct{})
	env := newTestEnv(t, func(o *Options) { o.Query = exec })
	done := env.doAsync(t, "GET", queryURL("SELECT v FROM block; SHOW DATABASES"))
	wait(t, exec.started)

	qid, status := env.qidOf(t, "SELECT v FROM block;\nSHOW DATABASES")
	if status != "running" {
		t.Fatalf("status %q", status)
	}
	rows := env.showQueries(t)
	if len(rows) != 2 || rows[1][1] != "SHOW QUERIES" || rows[1][2] != "db" || int(rows[1][0].(float64)) <= qid {
		t.Fatalf("SHOW QUERIES lists %v; want the blocked query, then itself", rows)
	}

	kill := "KILL QUERY " + strconv.Itoa(qid)
	if w := env.do(t, "GET", queryURL(kill), nil, nil); w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("KILL over GET: %d %s", w.Code, w.Body)
	}
	if w := env.do(t, "POST", queryURL(kill), nil, nil); body(w) != `{"results":[{"statement_id":0}]}` {
		t.Fatalf("kill: %s", w.Body)
	}
	// Until its statement returns, the query is listed as killed.
	if _, status := env.qidOf(t, "SELECT v FROM block;\nSHOW DATABASES"); status != "killed" {
		t.Fatalf("status after kill %q", status)
	}
	if w := env.do(t, "POST", queryURL(kill), nil, nil); body(w) != `{"results":[{"statement_id":0,"error":"already killed"}]}` {
		t.Fatalf("second kill: %s", w.Body)
	}
	close(exec.hold)
	w := wait(t, done)
	if got, want := body(w), `{"results":[{"statement_id":0,"error":"query interrupted"},{"statement_id":1,"error":"not executed"}]}`; got != want {
		t.Fatalf("killed query answered %s\nwant %s", got, want)
	}
	if rows := env.showQueries(t); len(rows) != 1 {
		t.Fatalf("finished query still listed: %v", rows)
	}
	if w := env.do(t, "POST", queryURL("KILL QUERY 999"), nil, nil); body(w) != `{"results":[{"statement_id":0,"error":"no such query id: 999"}]}` {
		t.Fatalf("unknown qid: %s", w.Body)
	}
	env.mustMetrics(t, `fieldhub_http_queries_stopped_total{reason="killed"} 1`, "fieldhub_http_queries_running 0")
}

// mustMetrics checks that /metrics has each of the given lines.
func (env *testEnv) mustMetrics(t testing.TB, lines ...string) {
	t.Helper()
	w := env.do(t, "GET", "/metrics", nil, nil)
	for _, l := range lines {
		if !strings.Contains(w.Body.String(), "\n"+l+"\n") {
			t.Errorf("/metrics lacks %q", l)
		}
	}
}

func TestQueryTimeout(t *testing.T) {
	var logBuf syncBuffer
	exec := newBlockingExecutor()
	env := newTestEnv(t, func(o *Options) {
		o.Query = exec
		o.QueryTimeout = 20 * time.Millisecond
		o.Logger = slog.New(slog.NewTextHandler(&logBuf, nil))
	})
	w := env.do(t, "POST", queryURL("SELECT v FROM cpu; SELECT v FROM block; SELECT v FROM cpu"), nil, nil)
	want := `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["v"],"values":[[1]]}]},` +
		`{"statement_id":1,"error":"query-timeout limit exceeded"},{"statement_id":2,"error":"not executed"}]}`
	if body(w) != want {
		t.Fatalf("got %s\nwant %s", w.Body, want)
	}
	if !strings.Contains(logBuf.String(), `msg="query timed out"`) {
		t.Fatalf("log: %s", logBuf.String())
	}
	// Chunked, the statements before the timeout have already been sent.
	w = env.do(t, "POST", queryURL("SELECT v FROM cpu; SELECT v FROM block")+"&chunked=true", nil, nil)
	want = `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["v"],"values":[[1]]}]}]}` + "\n" +
		`{"results":[{"statement_id":1,"error":"query-timeout limit exceeded"}]}`
	if body(w) != want {
		t.Fatalf("chunked: got %s\nwant %s", w.Body, want)
	}
	env.mustMetrics(t, `fieldhub_http_queries_stopped_total{reason="timeout"} 2`, "fieldhub_http_queries_running 0")
}

func TestMaxConcurrentQueries(t *testing.T) {
	exec := newBlockingExecutor()
	env := newTestEnv(t, func(o *Options) {
		o.Query = exec
		o.MaxConcurrentQueries = 1
	})
	done := env.doAsync(t, "GET", queryURL("SELECT v FROM block"))
	wait(t, exec.started)
	want := `{"results":[{"statement_id":0,"error":"max-concurrent-queries limit exceeded(1, 1)"}]}`
	if w := env.do(t, "GET", queryURL("SELECT v FROM cpu; SHOW DATABASES"), nil, nil); w.Code != 200 || body(w) != want {
		t.Fatalf("over the limit: %d %s", w.Code, w.Body)
	}
	w := env.do(t, "GET", queryURL("SELECT v FROM cpu")+"&chunked=true", nil, map[string]string{"Accept": "text/csv"})
	if got := w.Body.String(); got != "error\n\"max-concurrent-queries limit exceeded(1, 1)\"\n" {
		t.Fatalf("over the limit in csv: %q", got)
	}
	// SHOW QUERIES and KILL QUERY still work, so the way out stays open.
	qid, _ := env.qidOf(t, "SELECT v FROM block")
	if w := env.do(t, "POST", queryURL("KILL QUERY "+strconv.Itoa(qid)), nil, nil); body(w) != `{"results":[{"statement_id":0}]}` {
		t.Fatalf("kill: %s", w.Body)
	}
	wait(t, done)
	if w := env.do(t, "GET", queryURL("SELECT v FROM cpu"), nil, nil); strings.Contains(w.Body.String(), "error") {
		t.Fatalf("after the blocked query ended: %s", w.Body)
	}
	env.mustMetrics(t, `fieldhub_http_queries_stopped_total{reason="max_concurrent"} 2`,
		`fieldhub_http_queries_stopped_total{reason="killed"} 1`, "fieldhub_http_queries_running 0")
}

func TestSlowQueryLogRedacted(t *testing.T) {
	logged := make(chan struct{})
	var once sync.Once
	var logBuf syncBuffer
	h := slog.NewTextHandler(&logBuf, nil)
	exec := newBlockingExecutor()
	env := newTestEnv(t, func(o *Options) {
		o.Query = exec
		o.LogQueriesAfter = time.Millisecond
		o.Logger = slog.New(notifyHandler{Handler: h, msg: "slow query", fn: func() { once.Do(func() { close(logged) }) }})
	})
	q := "SELECT v FROM block; CREATE USER bob WITH PASSWORD 'hunter2'"
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		done <- env.do(t, "POST", "/query", []byte(url.Values{"q": {q}, "db": {"db"}}.Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	}()
	wait(t, exec.started)
	wait(t, logged)
	rows := env.showQueries(t)
	if len(rows) != 2 || rows[0][1] != "SELECT v FROM block;\nCREATE USER bob WITH PASSWORD [REDACTED]" {
		t.Fatalf("SHOW QUERIES: %v", rows)
	}
	env.do(t, "POST", queryURL("KILL QUERY "+strconv.Itoa(int(rows[0][0].(float64)))), nil, nil)
	wait(t, done)
	out := logBuf.String()
	if !strings.Contains(out, `msg="slow query"`) || !strings.Contains(out, "[REDACTED]") || !strings.Contains(out, "threshold=1ms") ||
		strings.Contains(out, "hunter2") {
		t.Fatalf("slow query log: %s", out)
	}
}

// notifyHandler calls fn when a record with message msg is handled.
type notifyHandler struct {
	slog.Handler
	msg string
	fn  func()
}

func (h notifyHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Message == h.msg {
		h.fn()
	}
	return err
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRedactQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"db=db&u=me&p=secret", "db=db&u=me&p=REDACTED"},
		{"p=a&p=b", "p=REDACTED&p=REDACTED"},
		{"db=db&rp=autogen&precision=s", "db=db&rp=autogen&precision=s"},
		{"q=SELECT+%2A+FROM+cpu&db=db", "q=SELECT+%2A+FROM+cpu&db=db"},
		{"q=CREATE+USER+bob+WITH+PASSWORD+%27hunter2%27", "q=CREATE+USER+bob+WITH+PASSWORD+%5BREDACTED%5D"},
		{"q=SET+PASSWORD+FOR+bob+%3D+%27hunter2%27&u=admin&p=pw", "q=SET+PASSWORD+FOR+bob+%3D+%5BREDACTED%5D&u=admin&p=REDACTED"},
		{"q=CREATE+USER+bob+WITH+PASSWORD+%24pw&params=%7B%22pw%22%3A%22hunter2%22%7D", "q=CREATE+USER+bob+WITH+PASSWORD+%5BREDACTED%5D&params=REDACTED"},
		{"q=%zz&p=x", "q=REDACTED&p=REDACTED"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := redactQuery(tc.in); got != tc.want {
			t.Errorf("redactQuery(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAccessLogRedactsQueryPasswords(t *testing.T) {
	var buf syncBuffer
	env := newTestEnv(t, func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	env.do(t, "POST", "/query?u=admin&p=s3cret&q="+url.QueryEscape("CREATE USER bob WITH PASSWORD 'hunter2'"), nil, nil)
	if out := buf.String(); strings.Contains(out, "hunter2") || strings.Contains(out, "s3cret") || !strings.Contains(out, `"msg":"http request"`) {
		t.Fatalf("access log: %s", out)
	}
}

func TestQueryManagementAuthorization(t *testing.T) {
	ta := &tokenAuth{}
	env := newTestEnv(t, func(o *Options) { o.Authorizer = ta })
	w := env.do(t, "POST", queryURL("KILL QUERY 1"), nil, map[string]string{"Authorization": "Token w", "Accept": "text/csv"})
	if w.Code != http.StatusForbidden || w.Body.String() != "error\nforbidden: token may not admin\n" ||
		w.Header().Get("X-Influxdb-Error") != "forbidden: token may not admin" {
		t.Fatalf("KILL QUERY as a writer: %d %q %v", w.Code, w.Body, w.Header())
	}
	mustStatus(t, env.do(t, "GET", queryURL("SHOW QUERIES"), nil, map[string]string{"Authorization": "Token a"}), http.StatusOK)
	// Both are server-wide: they are authorized on no database, whatever db says.
	if diff := cmp.Diff([]string{"admin:", "read:"}, ta.calls); diff != "" {
		t.Fatalf("authorize calls (-want +got):\n%s", diff)
	}
}

func TestQueryFromMultipartFile(t *testing.T) {
	env := newTestEnv(t, nil)
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("q", "queries.txt")
	fw.Write([]byte("CREATE DATABASE fromfile;\nSHOW DATABASES\n"))
	mw.Close()
	w := env.do(t, "POST", "/query", b.Bytes(), map[string]string{"Content-Type": mw.FormDataContentType()})
	want := `{"results":[{"statement_id":0},{"statement_id":1,"series":[{"name":"databases","columns":["name"],"values":[["db"],["fromfile"]]}]}]}`
	if w.Code != http.StatusOK || body(w) != want {
		t.Fatalf("got %d %s\nwant %s", w.Code, w.Body, want)
	}
}

func TestStopQueries(t *testing.T) {
	exec := newBlockingExecutor()
	env := newTestEnv(t, func(o *Options) { o.Query = exec })
	done := env.doAsync(t, "GET", queryURL("SELECT v FROM block; SELECT v FROM cpu"))
	wait(t, exec.started)
	env.api.StopQueries()
	want := `{"results":[{"statement_id":0,"error":"query engine shutdown"},{"statement_id":1,"error":"not executed"}]}`
	if w := wait(t, done); body(w) != want {
		t.Fatalf("running query: %s\nwant %s", w.Body, want)
	}
	if w := env.do(t, "GET", queryURL("SHOW DATABASES"), nil, nil); body(w) != `{"results":[{"statement_id":0,"error":"query engine shutdown"}]}` {
		t.Fatalf("new query: %s", w.Body)
	}
	mustStatus(t, env.do(t, "POST", "/write?db=db", []byte("cpu v=1 1"), nil), http.StatusNoContent)
	env.api.StopQueries()
}

// napExecutor answers SELECTs after a short nap, or when its context ends.
type napExecutor struct{}

func (napExecutor) ExecuteStatement(ctx context.Context, _ influxql.Statement, _ ExecutionContext) (*Result, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Millisecond):
		return &Result{}, nil
	}
}

// TestQueryManagerConcurrency races queries against KILL QUERY, SHOW
// QUERIES and the concurrency limit (run with -race); afterwards nothing
// may be left registered.
func TestQueryManagerConcurrency(t *testing.T) {
	env := newTestEnv(t, func(o *Options) {
		o.Query = napExecutor{}
		o.MaxConcurrentQueries = 4
		o.QueryTimeout = time.Second
	})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for id := 1; ; id = id%200 + 1 {
				select {
				case <-stop:
					return
				default:
				}
				env.do(t, "POST", queryURL("KILL QUERY "+strconv.Itoa(id)), nil, nil)
				env.do(t, "GET", queryURL("SHOW QUERIES"), nil, nil)
			}
		})
	}
	var queries sync.WaitGroup
	for range 6 {
		queries.Go(func() {
			for range 25 {
				w := env.do(t, "GET", queryURL("SELECT v FROM cpu; SELECT v FROM cpu"), nil, nil)
				if w.Code != http.StatusOK {
					t.Errorf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
	queries.Wait()
	close(stop)
	wg.Wait()
	if rows := env.showQueries(t); len(rows) != 1 {
		t.Fatalf("left registered: %v", rows)
	}
	env.mustMetrics(t, "fieldhub_http_queries_running 0")
}
