package httpapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/influxql"
)

// rowsExecutor answers SELECT ... FROM <m> with the rows registered for m,
// built afresh on every call (the HTTP layer renders times in place).
type rowsExecutor map[string]func() *Result

func (e rowsExecutor) ExecuteStatement(_ context.Context, stmt influxql.Statement, _ ExecutionContext) (*Result, error) {
	sel, ok := stmt.(*influxql.SelectStatement)
	if !ok {
		return nil, ErrStatementNotSupported
	}
	mk := e[sel.Sources.Measurements()[0].Name]
	if mk == nil {
		return nil, fmt.Errorf("measurement not found: %s", sel.Sources.Measurements()[0].Name)
	}
	return mk(), nil
}

// seq is a series of n points: time i+1 ns, value i.
func seq(name string, tags map[string]string, n int) *Row {
	row := &Row{Name: name, Tags: tags, Columns: []string{"time", "v"}}
	for i := range n {
		row.Values = append(row.Values, []any{int64(i + 1), int64(i)})
	}
	return row
}

func TestQueryEpochRendering(t *testing.T) {
	times := []int64{
		1767225600000000000, // 2026-01-01T00:00:00Z
		1767225600120000000, // trailing zeros trimmed
		1767225600123456789, // full nanoseconds
		-1,                  // before 1970: truncation toward zero
		-1500000000,         // -1.5 s
		1767229199999999999, // just before the hour
	}
	exec := rowsExecutor{
		"cpu": func() *Result {
			row := &Row{Name: "cpu", Columns: []string{"time", "v"}}
			for _, ts := range times {
				row.Values = append(row.Values, []any{ts, 1.5})
			}
			return &Result{Series: []*Row{row}}
		},
		"tz": func() *Result {
			kolkata, err := time.LoadLocation("Asia/Kolkata")
			if err != nil {
				panic(err)
			}
			return &Result{Location: kolkata, Series: []*Row{{Name: "cpu", Columns: []string{"time", "v"}, Values: [][]any{{times[1], 1.5}}}}}
		},
		"tzstmt": func() *Result {
			return &Result{Series: []*Row{{Name: "cpu", Columns: []string{"time", "v"}, Values: [][]any{{times[1], 1.5}}}}}
		},
		// Only a first column named time holding int64 is rendered.
		"other": func() *Result {
			return &Result{Series: []*Row{
				{Name: "other", Columns: []string{"v", "time"}, Values: [][]any{{int64(5), int64(7)}}},
				{Name: "other", Columns: []string{"time"}, Values: [][]any{{"already"}, {nil}}},
			}}
		},
	}
	env := newTestEnv(t, func(o *Options) { o.Query = exec })
	tests := []struct {
		epoch, want string
	}{
		{"", `["2026-01-01T00:00:00Z",1.5],["2026-01-01T00:00:00.12Z",1.5],["2026-01-01T00:00:00.123456789Z",1.5],` +
			`["1969-12-31T23:59:59.999999999Z",1.5],["1969-12-31T23:59:58.5Z",1.5],["2026-01-01T00:59:59.999999999Z",1.5]`},
		{"ns", `[1767225600000000000,1.5],[1767225600120000000,1.5],[1767225600123456789,1.5],[-1,1.5],[-1500000000,1.5],[1767229199999999999,1.5]`},
		{"u", `[1767225600000000,1.5],[1767225600120000,1.5],[1767225600123456,1.5],[0,1.5],[-1500000,1.5],[1767229199999999,1.5]`},
		{"us", `[1767225600000000,1.5],[1767225600120000,1.5],[1767225600123456,1.5],[0,1.5],[-1500000,1.5],[1767229199999999,1.5]`},
		{"ms", `[1767225600000,1.5],[1767225600120,1.5],[1767225600123,1.5],[0,1.5],[-1500,1.5],[1767229199999,1.5]`},
		{"s", `[1767225600,1.5],[1767225600,1.5],[1767225600,1.5],[0,1.5],[-1,1.5],[1767229199,1.5]`},
		{"m", `[29453760,1.5],[29453760,1.5],[29453760,1.5],[0,1.5],[0,1.5],[29453819,1.5]`},
		{"h", `[490896,1.5],[490896,1.5],[490896,1.5],[0,1.5],[0,1.5],[490896,1.5]`},
		{"fortnight", `[1767225600000000000,1.5],[1767225600120000000,1.5],[1767225600123456789,1.5],[-1,1.5],[-1500000000,1.5],[1767229199999999999,1.5]`},
	}
	for _, tc := range tests {
		t.Run("epoch="+tc.epoch, func(t *testing.T) {
			w := env.do(t, "GET", "/query?"+url.Values{"q": {"SELECT v FROM cpu"}, "db": {"db"}, "epoch": {tc.epoch}}.Encode(), nil, nil)
			mustStatus(t, w, http.StatusOK)
			want := `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[` + tc.want + `]}]}]}` + "\n"
			if diff := cmp.Diff(want, w.Body.String()); diff != "" {
				t.Fatalf("body (-want +got):\n%s", diff)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
	// A tz() zone renders RFC3339 times with the zone's offset, whether the
	// executor passes the location on or leaves it to the statement.
	for _, m := range []string{"tz", "tzstmt"} {
		w := env.do(t, "GET", "/query?db=db&q="+url.QueryEscape("SELECT v FROM "+m+" tz('Asia/Kolkata')"), nil, nil)
		want := `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[["2026-01-01T05:30:00.12+05:30",1.5]]}]}]}` + "\n"
		if got := w.Body.String(); got != want {
			t.Fatalf("%s: got %s\nwant %s", m, got, want)
		}
	}
	w := env.do(t, "GET", "/query?db=db&q=SELECT+v+FROM+other", nil, nil)
	want := `{"results":[{"statement_id":0,"series":[{"name":"other","columns":["v","time"],"values":[[5,7]]},` +
		`{"name":"other","columns":["time"],"values":[["already"],[null]]}]}]}` + "\n"
	if got := w.Body.String(); got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}

func TestQueryChunked(t *testing.T) {
	exec := rowsExecutor{
		"cpu": func() *Result {
			return &Result{Series: []*Row{seq("cpu", map[string]string{"host": "a"}, 5), seq("cpu", map[string]string{"host": "b"}, 2)},
				Messages: []*Message{{Level: "warning", Text: "deprecated"}}}
		},
		"empty": func() *Result { return &Result{} },
		"big":   func() *Result { return &Result{Series: []*Row{seq("big", nil, DefaultChunkSize+1)}} },
		"cut": func() *Result {
			// An executor's own partial flags (a truncated answer) survive chunking.
			row := seq("cut", nil, 3)
			row.Partial = true
			return &Result{Series: []*Row{row}, Partial: true}
		},
	}
	env := newTestEnv(t, func(o *Options) { o.Query = exec })
	const (
		a1 = `{"name":"cpu","tags":{"host":"a"},"columns":["time","v"],"values":[[1,0],[2,1]],"partial":true}`
		a2 = `{"name":"cpu","tags":{"host":"a"},"columns":["time","v"],"values":[[3,2],[4,3]],"partial":true}`
		a3 = `{"name":"cpu","tags":{"host":"a"},"columns":["time","v"],"values":[[5,4]]}`
		b1 = `{"name":"cpu","tags":{"host":"b"},"columns":["time","v"],"values":[[1,0],[2,1]]}`
	)
	tests := []struct {
		name, q, params string
		want            []string
	}{
		{"split", "SELECT v FROM cpu", "chunked=true&chunk_size=2", []string{
			`{"results":[{"statement_id":0,"series":[` + a1 + `],"messages":[{"level":"warning","text":"deprecated"}],"partial":true}]}`,
			`{"results":[{"statement_id":0,"series":[` + a2 + `],"partial":true}]}`,
			`{"results":[{"statement_id":0,"series":[` + a3 + `],"partial":true}]}`,
			`{"results":[{"statement_id":0,"series":[` + b1 + `]}]}`,
		}},
		{"statements", "SELECT v FROM empty; SELECT v FROM nosuch; SHOW DATABASES", "chunked=true&chunk_size=2", []string{
			`{"results":[{"statement_id":0}]}`,
			`{"results":[{"statement_id":1,"error":"measurement not found: nosuch"}]}`,
			`{"results":[{"statement_id":2,"error":"not executed"}]}`,
		}},
		{"catalog", "SHOW DATABASES", "chunked=true", []string{
			`{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["db"]]}]}]}`,
		}},
		{"executor partial", "SELECT v FROM cut", "chunked=true&chunk_size=2", []string{
			`{"results":[{"statement_id":0,"series":[{"name":"cut","columns":["time","v"],"values":[[1,0],[2,1]],"partial":true}],"partial":true}]}`,
			`{"results":[{"statement_id":0,"series":[{"name":"cut","columns":["time","v"],"values":[[3,2]],"partial":true}],"partial":true}]}`,
		}},
		{"not chunked", "SELECT v FROM cpu", "chunk_size=2", []string{
			`{"results":[{"statement_id":0,"series":[` +
				`{"name":"cpu","tags":{"host":"a"},"columns":["time","v"],"values":[[1,0],[2,1],[3,2],[4,3],[5,4]]},` + b1 +
				`],"messages":[{"level":"warning","text":"deprecated"}]}]}`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := env.do(t, "POST", "/query?db=db&epoch=ns&"+tc.params+"&q="+url.QueryEscape(tc.q), nil, nil)
			mustStatus(t, w, http.StatusOK)
			got := strings.Split(strings.TrimSuffix(w.Body.String(), "\n"), "\n")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("messages (-want +got):\n%s", diff)
			}
		})
	}

	// No or a bad chunk_size means InfluxDB's default of 10,000 values.
	for _, size := range []string{"", "0", "-3", "lots"} {
		w := env.do(t, "GET", "/query?db=db&epoch=ns&chunked=true&chunk_size="+size+"&q=SELECT+v+FROM+big", nil, nil)
		lines := strings.Split(strings.TrimSuffix(w.Body.String(), "\n"), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], `"partial":true}],"partial":true}]}`) ||
			!strings.HasSuffix(lines[1], `[10001,10000]]}]}]}`) || strings.Contains(lines[1], "partial") {
			t.Fatalf("chunk_size=%q: %d messages: %.200s ... %.200s", size, len(lines), lines[0], lines[len(lines)-1])
		}
	}
}

// TestQueryChunkedStreams checks that a statement's chunks reach the client
// before the next statement has finished, as InfluxDB streams them.
func TestQueryChunkedStreams(t *testing.T) {
	release := make(chan struct{})
	exec := rowsExecutor{
		"first": func() *Result { return &Result{Series: []*Row{seq("first", nil, 3)}} },
		"second": func() *Result {
			<-release
			return &Result{Series: []*Row{seq("second", nil, 1)}}
		},
	}
	env := newTestEnv(t, func(o *Options) { o.Query = exec })
	srv := httptest.NewServer(env.api)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/query?db=db&epoch=s&chunked=true&chunk_size=2&q=" + url.QueryEscape("SELECT v FROM first; SELECT v FROM second"))
	if err != nil {
		close(release)
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	var got []string
	for range 2 {
		line, err := br.ReadString('\n')
		if err != nil {
			close(release)
			t.Fatalf("read chunk: %v (got %q)", err, got)
		}
		got = append(got, line)
	}
	close(release) // the second statement only finishes once the first one's chunks arrived
	rest, err := br.ReadString(0)
	if err == nil || rest == "" {
		t.Fatalf("rest %q, %v", rest, err)
	}
	got = append(got, rest)
	want := []string{
		`{"results":[{"statement_id":0,"series":[{"name":"first","columns":["time","v"],"values":[[0,0],[0,1]],"partial":true}],"partial":true}]}` + "\n",
		`{"results":[{"statement_id":0,"series":[{"name":"first","columns":["time","v"],"values":[[0,2]]}]}]}` + "\n",
		`{"results":[{"statement_id":1,"series":[{"name":"second","columns":["time","v"],"values":[[0,0]]}]}]}` + "\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("chunks (-want +got):\n%s", diff)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" || resp.Header.Get("X-Influxdb-Version") != ReportedVersion {
		t.Fatalf("headers %v", resp.Header)
	}
}

func TestQueryCSV(t *testing.T) {
	exec := rowsExecutor{
		"cpu": func() *Result {
			return &Result{Series: []*Row{
				{Name: "cpu", Tags: map[string]string{"region": "us west", "host": "a,b", "empty": ""}, Columns: []string{"time", "v", "s"},
					Values: [][]any{{int64(1767225600000000000), 2.5, "x"}, {int64(1767225601000000000), nil, `say "hi"`}}},
				{Name: "cpu", Tags: map[string]string{"host": "c"}, Columns: []string{"time", "v", "s"},
					Values: [][]any{{int64(1767225602000000000), int64(3), true}}},
				{Name: "mem", Columns: []string{"time", "free"}, Values: [][]any{{int64(1767225603000000000), uint64(1 << 63)}}},
			}}
		},
	}
	env := newTestEnv(t, func(o *Options) { o.Query = exec })
	want := "name,tags,time,v,s\n" +
		`cpu,"host=a\,b,region=us\ west",1767225600000000000,2.5,x` + "\n" +
		`cpu,"host=a\,b,region=us\ west",1767225601000000000,,"say ""hi"""` + "\n" +
		"cpu,host=c,1767225602000000000,3,true\n" +
		"\nname,tags,time,free\n" +
		"mem,,1767225603000000000,9223372036854775808\n"
	tests := []struct {
		name, accept, params, q string
		status                  int
		ct, want                string
	}{
		{"whole", "application/csv", "", "SELECT * FROM cpu", 200, "application/csv", want},
		{"text/csv", "text/csv", "", "SELECT * FROM cpu", 200, "text/csv", want},
		{"chunked", "text/csv", "chunked=true&chunk_size=1", "SELECT * FROM cpu", 200, "text/csv", want},
		{"epoch s", "text/csv", "epoch=s", "SELECT * FROM mem", 200, "text/csv", ""},
		{"statements", "text/csv", "", "SHOW DATABASES; SELECT * FROM nosuch; SHOW DATABASES", 200, "text/csv",
			"name,tags,name\ndatabases,,db\n\nerror\nmeasurement not found: nosuch\n\nerror\nnot executed\n"},
		{"bad query", "text/csv", "", "SELEKT", 400, "text/csv",
			"error\n\"error parsing query: found SELEKT, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1\"\n"},
		{"missing q", "application/csv", "", "", 400, "application/csv", "error\n\"missing required parameter \"\"q\"\"\"\n"},
		{"q values", "text/csv;q=0.5, application/json", "", "SHOW DATABASES", 200, "application/json",
			`{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["db"]]}]}]}` + "\n"},
		{"preferred csv", "application/json;q=0.1, text/csv", "", "SHOW DATABASES", 200, "text/csv", "name,tags,name\ndatabases,,db\n"},
		{"msgpack unsupported", "application/x-msgpack", "", "SHOW DATABASES", 200, "application/json",
			`{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["db"]]}]}]}` + "\n"},
		{"msgpack then csv", "application/x-msgpack, text/csv", "", "SHOW DATABASES", 200, "text/csv", "name,tags,name\ndatabases,,db\n"},
		{"wildcard", "*/*", "", "SHOW DATABASES", 200, "application/json",
			`{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["db"]]}]}]}` + "\n"},
		{"pretty error", "", "pretty=true", "", 400, "application/json", "{\n    \"error\": \"missing required parameter \\\"q\\\"\"\n}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := "/query?db=db&" + tc.params
			if tc.q != "" {
				target += "&q=" + url.QueryEscape(tc.q)
			}
			hdr := map[string]string{}
			if tc.accept != "" {
				hdr["Accept"] = tc.accept
			}
			w := env.do(t, "GET", target, nil, hdr)
			if w.Code != tc.status || w.Header().Get("Content-Type") != tc.ct {
				t.Fatalf("status %d, Content-Type %q; want %d %q; body %s", w.Code, w.Header().Get("Content-Type"), tc.status, tc.ct, w.Body)
			}
			if tc.want == "" {
				return
			}
			if diff := cmp.Diff(tc.want, w.Body.String()); diff != "" {
				t.Fatalf("body (-want +got):\n%s", diff)
			}
		})
	}
	w := env.do(t, "GET", "/query?db=db&epoch=s&q=SELECT+*+FROM+cpu", nil, map[string]string{"Accept": "text/csv"})
	if !strings.Contains(w.Body.String(), "\ncpu,host=c,1767225602,3,true\n") {
		t.Fatalf("epoch=s csv: %s", w.Body)
	}
}

func TestChunkResult(t *testing.T) {
	// A series without values is still one message.
	got := chunkResult(&Result{StatementID: 3, Series: []*Row{{Name: "m", Columns: []string{"time"}}}}, 2)
	if len(got) != 1 || got[0].Partial || len(got[0].Series) != 1 || got[0].Series[0].Partial || got[0].StatementID != 3 {
		t.Fatalf("%+v", got)
	}
	// Values are shared, not copied, and each piece is capped so appends cannot clobber the next.
	row := seq("m", nil, 4)
	got = chunkResult(&Result{Series: []*Row{row}}, 3)
	if len(got) != 2 || &got[0].Series[0].Values[0][0] != &row.Values[0][0] || cap(got[0].Series[0].Values) != 3 {
		t.Fatalf("%+v", got)
	}
}

func TestPrettyDuration(t *testing.T) {
	for in, want := range map[string]string{"0s": "0s", "999ns": "999ns", "1.5µs": "1µs", "250.7ms": "250ms", "3.9s": "3s", "65.2s": "1m5s"} {
		d, err := time.ParseDuration(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := prettyDuration(d); got != want {
			t.Errorf("prettyDuration(%s) = %s, want %s", in, got, want)
		}
	}
}

// FuzzParseAccept checks that any Accept header parses without panicking into
// ranges sorted by descending quality, and that negotiation always settles.
func FuzzParseAccept(f *testing.F) {
	for _, s := range []string{"application/csv", "text/csv;q=0.5, application/json", "*/*", "*", "text/*;q=0.9,*/*;q=0.1",
		"application/x-msgpack, text/csv", "a/b/c", ";;,,", "text/csv; q=abc", `text/csv; charset="utf-8"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got := parseAccept([]string{h})
		for i := 1; i < len(got); i++ {
			if got[i].q > got[i-1].q {
				t.Fatalf("not sorted by q: %+v", got)
			}
		}
		r := httptest.NewRequest("GET", "/query", nil)
		r.Header.Set("Accept", h)
		if ct := negotiateFormat(r).contentType(); len(ct) != 1 {
			t.Fatalf("content type %v", ct)
		}
	})
}

// TestChunkResultRoundTrip checks, for many sizes, that the chunks of a
// result put back together (as a chunked client does) give the result again.
func TestChunkResultRoundTrip(t *testing.T) {
	res := &Result{StatementID: 2, Series: []*Row{
		seq("a", map[string]string{"k": "1"}, 7), seq("a", map[string]string{"k": "2"}, 0), seq("b", nil, 1), seq("c", nil, 12)}}
	for size := 1; size <= 13; size++ {
		msgs := chunkResult(res, size)
		var back []*Row
		for i, m := range msgs {
			last := i == len(msgs)-1
			if m.Partial == last || len(m.Series) != 1 || m.StatementID != 2 {
				t.Fatalf("size %d: message %d: %+v", size, i, m)
			}
			s := m.Series[0]
			if len(s.Values) > size {
				t.Fatalf("size %d: message %d has %d values", size, i, len(s.Values))
			}
			if n := len(back); n > 0 && back[n-1].Partial {
				back[n-1].Values = append(back[n-1].Values, s.Values...)
				back[n-1].Partial = s.Partial
				continue
			}
			cp := *s
			cp.Values = append([][]any(nil), s.Values...)
			back = append(back, &cp)
		}
		if diff := cmp.Diff(res.Series, back); diff != "" {
			t.Fatalf("size %d: reassembled (-want +got):\n%s", size, diff)
		}
	}
}

func BenchmarkQueryResponse(b *testing.B) {
	mk := func() *Result {
		var series []*Row
		for s := range 10 {
			row := &Row{Name: "cpu", Tags: map[string]string{"host": strconv.Itoa(s)}, Columns: []string{"time", "usage", "state"}}
			for i := range 1000 {
				row.Values = append(row.Values, []any{int64(1767225600000000000 + i*1e9), float64(i) / 3, "ok"})
			}
			series = append(series, row)
		}
		return &Result{Series: series}
	}
	env := newTestEnv(b, func(o *Options) { o.Query = rowsExecutor{"cpu": mk} })
	for _, bc := range []struct{ name, params, accept string }{
		{"format=json", "", ""},
		{"format=json/epoch=ms", "epoch=ms", ""},
		{"format=json/chunked=1000", "chunked=true&chunk_size=1000", ""},
		{"format=csv", "", "text/csv"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			target := "/query?db=db&q=SELECT+*+FROM+cpu&" + bc.params
			hdr := map[string]string{"Accept": bc.accept}
			b.ReportAllocs()
			for b.Loop() {
				if w := env.do(b, "GET", target, nil, hdr); w.Code != http.StatusOK {
					b.Fatal(w.Body.String())
				}
			}
		})
	}
}

// failingWriter is a client that went away: every body write fails.
type failingWriter struct {
	*httptest.ResponseRecorder
}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

func TestQueryChunkedStopsWhenClientGone(t *testing.T) {
	var calls atomic.Int32
	exec := rowsExecutor{"cpu": func() *Result {
		calls.Add(1)
		return &Result{Series: []*Row{seq("cpu", nil, 5)}}
	}}
	env := newTestEnv(t, func(o *Options) { o.Query = exec })
	r := httptest.NewRequest("GET", "/query?db=db&chunked=true&chunk_size=1&q="+url.QueryEscape("SELECT v FROM cpu; SELECT v FROM cpu"), nil)
	w := failingWriter{httptest.NewRecorder()}
	env.api.ServeHTTP(w, r)
	if n := calls.Load(); n != 1 {
		t.Fatalf("executor ran %d statements for a client that is gone, want 1", n)
	}
	if rows := env.showQueries(t); len(rows) != 1 {
		t.Fatalf("abandoned query still listed: %v", rows)
	}
}

func TestStreamsSeries(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT v FROM cpu":                           true,
		"SELECT v INTO x FROM cpu":                    true,
		"SHOW SERIES":                                 true,
		"SHOW FIELD KEYS":                             true,
		"SHOW TAG KEY CARDINALITY":                    true,
		"SHOW TAG VALUES CARDINALITY WITH KEY = host": true,
		"SHOW SERIES CARDINALITY":                     false,
		"SHOW SERIES EXACT CARDINALITY":               true,
		"SHOW MEASUREMENT CARDINALITY":                false,
		"SHOW MEASUREMENT CARDINALITY FROM cpu":       true,
		"SHOW MEASUREMENTS":                           false,
		"SHOW TAG KEYS":                               false,
		"SHOW TAG VALUES WITH KEY = host":             false,
		"SHOW DATABASES":                              false,
		"SHOW RETENTION POLICIES ON db":               false,
		"SHOW QUERIES":                                false,
		"EXPLAIN SELECT v FROM cpu":                   false,
		"CREATE DATABASE x":                           false,
	} {
		stmt, err := influxql.ParseStatement(q)
		if err != nil {
			t.Fatal(err)
		}
		if got := streamsSeries(stmt); got != want {
			t.Errorf("streamsSeries(%s) = %v, want %v", q, got, want)
		}
	}
	// Statements outside the SELECT emitter are one chunk whatever their size.
	env := newTestEnv(t, nil)
	mustStatus(t, env.do(t, "POST", queryURL("CREATE RETENTION POLICY a ON db DURATION 1h REPLICATION 1; CREATE RETENTION POLICY b ON db DURATION 2h REPLICATION 1"), nil, nil), 200)
	w := env.do(t, "GET", queryURL("SHOW RETENTION POLICIES")+"&chunked=true&chunk_size=1", nil, nil)
	want := `{"results":[{"statement_id":0,"series":[{"columns":["name","duration","shardGroupDuration","replicaN","default"],` +
		`"values":[["a","1h0m0s","1h0m0s",1,false],["autogen","0s","168h0m0s",1,true],["b","2h0m0s","1h0m0s",1,false]]}]}]}` + "\n"
	if got := w.Body.String(); got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}
