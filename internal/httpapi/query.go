package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/fieldhub/fieldhub/internal/query"
	"github.com/influxdata/influxql"
)

// ErrStatementNotSupported is query.ErrStatementNotSupported.
var ErrStatementNotSupported = query.ErrStatementNotSupported

// QueryExecutor runs one InfluxQL statement; see query.StatementExecutor.
type QueryExecutor = query.StatementExecutor

// ExecutionContext is query.ExecutionContext.
type ExecutionContext = query.ExecutionContext

// Response is the body of a /query answer.
type Response = query.Response

// Result is the outcome of one statement.
type Result = query.Result

// Row is one series of a result.
type Row = query.Row

// Message is an informational message attached to a result.
type Message = query.Message

func (a *API) serveQuery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		a.methodNotAllowed(w, "GET, POST")
		return
	}
	// FormValue reads the URL and, for POST forms, the body (capped at 10 MB by net/http).
	qs := r.FormValue("q")
	if strings.TrimSpace(qs) == "" {
		a.httpError(w, http.StatusBadRequest, `missing required parameter "q"`)
		return
	}
	ec := ExecutionContext{Database: r.FormValue("db"), RetentionPolicy: r.FormValue("rp"), Epoch: r.FormValue("epoch")}
	pretty := r.FormValue("pretty") == "true"
	switch ec.Epoch {
	case "", "h", "m", "s", "ms", "u", "ns":
	case "us", "µ":
		ec.Epoch = "u"
	default:
		// InfluxDB 1.8 treats any other epoch as nanoseconds rather than
		// failing the query; clients rely on that, so do the same.
		ec.Epoch = "ns"
	}
	parser := influxql.NewParser(strings.NewReader(qs))
	if raw := r.FormValue("params"); raw != "" {
		params, err := parseBindParams(raw)
		if err != nil {
			a.httpError(w, http.StatusBadRequest, err.Error())
			return
		}
		parser.SetParams(params)
	}
	q, err := parser.ParseQuery()
	if err != nil {
		a.httpError(w, http.StatusBadRequest, "error parsing query: "+err.Error())
		return
	}
	if r.Method == http.MethodGet {
		// InfluxDB only lets read-only statements through GET, so a crawler or
		// a prefetching proxy cannot drop a database.
		for _, stmt := range q.Statements {
			if !readOnly(stmt) {
				w.Header().Set("Allow", "POST")
				a.httpError(w, http.StatusMethodNotAllowed,
					fmt.Sprintf("%s requires POST; GET only runs SELECT and SHOW statements", statementKind(stmt)))
				return
			}
		}
	}
	for _, stmt := range q.Statements {
		action := ActionAdmin
		if readOnly(stmt) {
			action = ActionRead
		}
		if !a.authorize(w, r, action, statementDatabase(stmt, ec.Database)) {
			return
		}
	}
	resp := Response{Results: make([]*Result, 0, len(q.Statements))}
	failed := false
	for i, stmt := range q.Statements {
		if failed {
			// Like InfluxDB: after a failed statement the rest are not run.
			resp.Results = append(resp.Results, &Result{StatementID: i, Err: "not executed"})
			continue
		}
		res, err := a.exec.ExecuteStatement(r.Context(), stmt, ec)
		if res == nil {
			res = &Result{}
		}
		res.StatementID = i
		if err != nil {
			res.Err = err.Error()
			failed = true
		}
		resp.Results = append(resp.Results, res)
	}
	a.writeJSON(w, http.StatusOK, &resp, pretty)
}

// parseBindParams decodes the params form value, a JSON object of bound
// parameters ($name in the query), as InfluxDB does: numbers with a '.' are
// floats, other numbers integers.
func parseBindParams(raw string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var params map[string]any
	if err := dec.Decode(&params); err != nil {
		return nil, fmt.Errorf("error parsing query parameters: %w", err)
	}
	for k, v := range params {
		n, ok := v.(json.Number)
		if !ok {
			continue
		}
		var err error
		if strings.ContainsAny(string(n), ".eE") {
			params[k], err = n.Float64()
		} else {
			params[k], err = n.Int64()
		}
		if err != nil {
			return nil, fmt.Errorf("error parsing json value: %w", err)
		}
	}
	return params, nil
}

// readOnly reports whether stmt only reads (SHOW, or SELECT without INTO).
func readOnly(stmt influxql.Statement) bool {
	switch s := stmt.(type) {
	case *influxql.SelectStatement:
		return s.Target == nil
	case *influxql.ExplainStatement:
		return true
	}
	return strings.HasPrefix(strings.ToUpper(stmt.String()), "SHOW ")
}

// statementKind names a statement for messages ("CREATE DATABASE").
func statementKind(stmt influxql.Statement) string {
	f := strings.Fields(stmt.String())
	if len(f) >= 2 {
		return f[0] + " " + f[1]
	}
	return stmt.String()
}

// statementDatabase is the database a statement acts on, for authorization.
func statementDatabase(stmt influxql.Statement, def string) string {
	switch s := stmt.(type) {
	case *influxql.CreateDatabaseStatement:
		return s.Name
	case *influxql.DropDatabaseStatement:
		return s.Name
	case *influxql.CreateRetentionPolicyStatement:
		return s.Database
	case *influxql.AlterRetentionPolicyStatement:
		return s.Database
	case *influxql.DropRetentionPolicyStatement:
		return s.Database
	case *influxql.ShowRetentionPoliciesStatement:
		if s.Database != "" {
			return s.Database
		}
	case *influxql.ShowDatabasesStatement:
		return ""
	}
	return def
}
