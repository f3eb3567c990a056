package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/influxdata/influxql"
)

func TestQueryCatalog(t *testing.T) {
	env := newTestEnv(t, nil)
	steps := []struct {
		method, q, db string
		wantStatus    int
		want          string
	}{
		{"GET", "SHOW DATABASES", "", 200,
			`{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["db"]]}]}]}`},
		{"POST", "CREATE DATABASE mydb", "", 200, `{"results":[{"statement_id":0}]}`},
		{"POST", "CREATE DATABASE mydb", "", 200, `{"results":[{"statement_id":0}]}`},
		{"POST", "CREATE DATABASE w WITH DURATION 7d REPLICATION 1 SHARD DURATION 1d NAME week", "", 200, `{"results":[{"statement_id":0}]}`},
		{"GET", "SHOW RETENTION POLICIES ON w", "", 200,
			`{"results":[{"statement_id":0,"series":[{"columns":["name","duration","shardGroupDuration","replicaN","default"],"values":[["week","168h0m0s","24h0m0s",1,true]]}]}]}`},
		{"GET", "SHOW RETENTION POLICIES", "mydb", 200,
			`{"results":[{"statement_id":0,"series":[{"columns":["name","duration","shardGroupDuration","replicaN","default"],"values":[["autogen","0s","168h0m0s",1,true]]}]}]}`},
		{"POST", "CREATE RETENTION POLICY short ON mydb DURATION 2h REPLICATION 1 SHARD DURATION 1h DEFAULT", "", 200, `{"results":[{"statement_id":0}]}`},
		{"POST", "ALTER RETENTION POLICY short ON mydb DURATION 4h", "", 200, `{"results":[{"statement_id":0}]}`},
		{"GET", "SHOW RETENTION POLICIES ON mydb", "", 200,
			`{"results":[{"statement_id":0,"series":[{"columns":["name","duration","shardGroupDuration","replicaN","default"],"values":[["autogen","0s","168h0m0s",1,false],["short","4h0m0s","1h0m0s",1,true]]}]}]}`},
		{"POST", "DROP RETENTION POLICY short ON mydb", "", 200, `{"results":[{"statement_id":0}]}`},
		{"POST", "DROP DATABASE w; DROP DATABASE nosuch; SHOW DATABASES", "", 200,
			`{"results":[{"statement_id":0},{"statement_id":1},{"statement_id":2,"series":[{"name":"databases","columns":["name"],"values":[["db"],["mydb"]]}]}]}`},
		{"GET", "SHOW RETENTION POLICIES ON nosuch", "", 200, `{"results":[{"statement_id":0,"error":"database not found: nosuch"}]}`},
		{"GET", "SHOW RETENTION POLICIES", "", 200, `{"results":[{"statement_id":0,"error":"database name required"}]}`},
		{"POST", "SELECT * FROM cpu; SHOW DATABASES", "db", 200,
			`{"results":[{"statement_id":0,"error":"statement not supported yet: SELECT * FROM cpu"},{"statement_id":1,"error":"not executed"}]}`},
		{"GET", "CREATE DATABASE x", "", 405, `{"error":"CREATE DATABASE requires POST; GET only runs SELECT and SHOW statements"}`},
		{"GET", "SHOW DATABASES; DROP DATABASE db", "", 405, `{"error":"DROP DATABASE requires POST; GET only runs SELECT and SHOW statements"}`},
		{"POST", "SELEKT 1", "", 400, `{"error":"error parsing query: found SELEKT, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1"}`},
		{"POST", "", "", 400, `{"error":"missing required parameter \"q\""}`},
	}
	for _, s := range steps {
		v := url.Values{"q": {s.q}}
		if s.db != "" {
			v.Set("db", s.db)
		}
		w := env.do(t, s.method, "/query?"+v.Encode(), nil, nil)
		if w.Code != s.wantStatus || strings.TrimSpace(w.Body.String()) != s.want {
			t.Fatalf("%s %q: got %d %s\nwant %d %s", s.method, s.q, w.Code, w.Body, s.wantStatus, s.want)
		}
	}
}

// echoExecutor answers each statement with its text, to show bound parameters.
type echoExecutor struct{}

func (echoExecutor) ExecuteStatement(_ context.Context, stmt influxql.Statement, _ ExecutionContext) (*Result, error) {
	return &Result{Messages: []*Message{{Level: "info", Text: stmt.String()}}}, nil
}

func TestQueryBindParams(t *testing.T) {
	env := newTestEnv(t, func(o *Options) { o.Query = echoExecutor{} })
	tests := []struct {
		params     string
		wantStatus int
		want       string
	}{
		{`{"host":"a","n":2,"f":2.5,"e":1e3}`, 200, `SELECT v FROM cpu WHERE host = 'a' AND n = 2 AND f = 2.5 AND e = 1000.0`},
		{`{"host":"a"}`, 400, "error parsing query: missing parameter: n"},
		{`{"host":`, 400, "error parsing query parameters: "},
		{`{"n":99999999999999999999}`, 400, "error parsing json value: "},
	}
	q := "SELECT v FROM cpu WHERE host = $host AND n = $n AND f = $f AND e = $e"
	for _, tc := range tests {
		w := env.do(t, "GET", "/query?"+url.Values{"q": {q}, "params": {tc.params}}.Encode(), nil, nil)
		if w.Code != tc.wantStatus || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("params %s: %d %s, want %d %q", tc.params, w.Code, w.Body, tc.wantStatus, tc.want)
		}
	}
}

func TestQueryPostFormAndPretty(t *testing.T) {
	env := newTestEnv(t, nil)
	body := url.Values{"q": {"SHOW DATABASES"}, "pretty": {"true"}}.Encode()
	w := env.do(t, "POST", "/query", []byte(body), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	mustStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "\n    \"results\": [") {
		t.Fatalf("not pretty: %s", w.Body)
	}
}

// fakeExecutor answers SELECTs so the plug-in path is exercised.
type fakeExecutor struct{}

func (fakeExecutor) ExecuteStatement(_ context.Context, stmt influxql.Statement, ec ExecutionContext) (*Result, error) {
	if _, ok := stmt.(*influxql.SelectStatement); !ok {
		return nil, ErrStatementNotSupported
	}
	if ec.Database == "" {
		return nil, errors.New("database name required")
	}
	return &Result{Series: []*Row{{Name: "cpu", Columns: []string{"time", "v"}, Values: [][]any{{int64(1), 2.5}}}}}, nil
}

func TestQueryExecutorPlugin(t *testing.T) {
	env := newTestEnv(t, func(o *Options) { o.Query = fakeExecutor{} })
	w := env.do(t, "GET", "/query?db=db&epoch=ns&q="+url.QueryEscape("SELECT v FROM cpu; SHOW MEASUREMENTS"), nil, nil)
	want := `{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,2.5]]}]},` +
		`{"statement_id":1,"error":"statement not supported yet: SHOW MEASUREMENTS"}]}`
	if got := strings.TrimSpace(w.Body.String()); w.Code != 200 || got != want {
		t.Fatalf("got %d %s\nwant %s", w.Code, got, want)
	}
}

// epochExecutor reports the epoch it was given.
type epochExecutor struct{}

func (epochExecutor) ExecuteStatement(_ context.Context, _ influxql.Statement, ec ExecutionContext) (*Result, error) {
	return &Result{Messages: []*Message{{Level: "info", Text: ec.Epoch}}}, nil
}

func TestQueryEpochNormalised(t *testing.T) {
	env := newTestEnv(t, func(o *Options) { o.Query = epochExecutor{} })
	for in, want := range map[string]string{"": "", "ns": "ns", "us": "u", "u": "u", "ms": "ms", "h": "h", "fortnight": "ns"} {
		w := env.do(t, "GET", "/query?epoch="+url.QueryEscape(in)+"&q="+url.QueryEscape("SELECT v FROM cpu"), nil, nil)
		mustStatus(t, w, http.StatusOK)
		if !strings.Contains(w.Body.String(), `"text":"`+want+`"`) {
			t.Errorf("epoch %q: %s, want %q", in, w.Body, want)
		}
	}
}
