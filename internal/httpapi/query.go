package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
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

// DefaultChunkSize is the number of values per message of a chunked /query
// answer when chunk_size is missing or not a positive integer (InfluxDB's).
const DefaultChunkSize = 10000

func (a *API) serveQuery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		a.methodNotAllowed(w, "GET, POST")
		return
	}
	format := negotiateFormat(r)
	qs, err := queryText(r)
	if err != nil {
		a.queryError(w, format, http.StatusBadRequest, err.Error())
		return
	}
	if strings.TrimSpace(qs) == "" {
		a.queryError(w, format, http.StatusBadRequest, `missing required parameter "q"`)
		return
	}
	ec := ExecutionContext{Database: r.FormValue("db"), RetentionPolicy: r.FormValue("rp"), Epoch: strings.TrimSpace(r.FormValue("epoch"))}
	switch ec.Epoch {
	case "", "h", "m", "s", "ms", "u", "ns":
	case "us", "µ":
		ec.Epoch = "u"
	default:
		// InfluxDB 1.8 treats any other epoch as nanoseconds rather than
		// failing the query; clients rely on that, so do the same.
		ec.Epoch = "ns"
	}
	// GROUP BY time(1mo) / time(1y) are Fieldhub's calendar windows, which
	// the InfluxQL parser does not know; they become marked durations.
	parser := influxql.NewParser(strings.NewReader(query.RewriteCalendarIntervals(qs)))
	if raw := r.FormValue("params"); raw != "" {
		params, err := parseBindParams(raw)
		if err != nil {
			a.queryError(w, format, http.StatusBadRequest, err.Error())
			return
		}
		parser.SetParams(params)
	}
	q, err := parser.ParseQuery()
	if err != nil {
		a.queryError(w, format, http.StatusBadRequest, "error parsing query: "+err.Error())
		return
	}
	if r.Method == http.MethodGet {
		// InfluxDB only lets read-only statements through GET, so a crawler or
		// a prefetching proxy cannot drop a database.
		for _, stmt := range q.Statements {
			if !readOnly(stmt) {
				w.Header().Set("Allow", "POST")
				a.queryError(w, format, http.StatusMethodNotAllowed,
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
		if err := a.opts.Authorizer.Authorize(r, action, statementDatabase(stmt, ec.Database)); err != nil {
			status := http.StatusUnauthorized
			if errors.Is(err, ErrForbidden) {
				status = http.StatusForbidden
			}
			a.queryError(w, format, status, err.Error())
			return
		}
	}
	out := &resultWriter{w: w, format: format}
	if r.FormValue("chunked") == "true" {
		out.chunkSize = DefaultChunkSize
		if n, err := strconv.Atoi(r.FormValue("chunk_size")); err == nil && n > 0 {
			out.chunkSize = n
		}
	}
	ctx, rq, err := a.queries.attach(r.Context(), q, ec.Database)
	if err != nil {
		// Refused before running, InfluxDB-style: one result carrying the error.
		out.add(&Result{Err: err.Error()})
		out.finish()
		return
	}
	defer a.queries.detach(ctx, rq)
	failed := false
	for i, stmt := range q.Statements {
		if failed || out.err != nil {
			// Like InfluxDB: after a failed statement the rest are not run.
			out.add(&Result{StatementID: i, Err: "not executed"})
			continue
		}
		res, err := a.execStatement(ctx, stmt, ec)
		if err != nil {
			if errors.Is(err, ErrQueryTimeout) {
				a.log.Warn("query timed out", "qid", rq.id, "query", rq.text, "database", rq.database,
					"timeout", a.queries.timeout.String())
			}
			// As in InfluxDB, a failed statement's result is only its error.
			res, failed = &Result{Err: err.Error()}, true
		} else if res == nil {
			res = &Result{}
		}
		res.StatementID = i
		if sel, ok := stmt.(*influxql.SelectStatement); ok && res.Location == nil {
			res.Location = sel.Location // tz(), should an executor not pass it on
		}
		renderTimes(res, ec.Epoch, out.csv())
		out.addStatement(res, streamsSeries(stmt))
	}
	out.finish()
}

// maxQueryFile caps a query uploaded as a multipart file.
const maxQueryFile = 10 << 20

// queryText returns the q parameter: a form value from the URL or a POST
// form (net/http caps a form body at 10 MB), or, as InfluxDB accepts with
// curl -F "q=@queries.txt", the file part named q of a multipart form.
func queryText(r *http.Request) (string, error) {
	if qs := r.FormValue("q"); strings.TrimSpace(qs) != "" || r.MultipartForm == nil {
		return qs, nil
	}
	fhs := r.MultipartForm.File["q"]
	if len(fhs) == 0 {
		return "", nil
	}
	f, err := fhs[0].Open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxQueryFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxQueryFile {
		return "", fmt.Errorf("query file is larger than %d bytes", maxQueryFile)
	}
	return string(b), nil
}

// execStatement runs one statement under the query's context. When the
// context ends (KILL QUERY, the timeout, the client leaving), the statement's
// error is the reason rather than whatever the executor made of it.
func (a *API) execStatement(ctx context.Context, stmt influxql.Statement, ec ExecutionContext) (*Result, error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	res, err := a.exec.ExecuteStatement(ctx, stmt, ec)
	if err != nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	return res, err
}

// resultWriter sends statement results in the request's format: collected
// into one response, or, when chunkSize > 0, streamed as InfluxDB 1.8's
// chunks (one JSON object or CSV block per message, flushed as each
// statement finishes).
type resultWriter struct {
	w         http.ResponseWriter
	format    responseFormat
	chunkSize int // 0: not chunked
	resp      Response
	started   bool
	err       error // first write error; nothing more is written after it
}

func (o *resultWriter) csv() bool {
	_, ok := o.format.(*csvFormat)
	return ok
}

// add sends (chunked, as one message) or keeps res.
func (o *resultWriter) add(res *Result) { o.addStatement(res, false) }

// addStatement sends (chunked) or keeps res; split sends it as InfluxDB's
// SELECT emitter does, one series per message and at most chunkSize values
// each.
func (o *resultWriter) addStatement(res *Result, split bool) {
	if o.chunkSize == 0 {
		o.resp.Results = append(o.resp.Results, res)
		return
	}
	o.start()
	msgs := []*Result{res}
	if split {
		msgs = chunkResult(res, o.chunkSize)
	}
	for _, msg := range msgs {
		if o.err != nil {
			return
		}
		o.err = o.format.writeResponse(o.w, &Response{Results: []*Result{msg}})
	}
	if o.err == nil {
		// A writer that cannot flush just buffers; the error is not worth acting on.
		_ = http.NewResponseController(o.w).Flush()
	}
}

// finish writes the collected response when not chunked.
func (o *resultWriter) finish() {
	if o.chunkSize > 0 {
		return
	}
	o.start()
	o.err = o.format.writeResponse(o.w, &o.resp)
}

func (o *resultWriter) start() {
	if o.started {
		return
	}
	o.started = true
	o.w.Header()["Content-Type"] = o.format.contentType()
	o.w.WriteHeader(http.StatusOK)
}

// streamsSeries reports whether InfluxDB 1.8 answers stmt through its SELECT
// emitter, whose chunked answer is one series per message split at
// chunk_size: SELECT, and the SHOW statements it rewrites into SELECTs
// (query/statement_rewriter.go there). Every other statement is answered in
// one message, however many series it has.
func streamsSeries(stmt influxql.Statement) bool {
	switch s := stmt.(type) {
	case *influxql.SelectStatement, *influxql.ShowSeriesStatement, *influxql.ShowFieldKeysStatement,
		*influxql.ShowFieldKeyCardinalityStatement, *influxql.ShowTagKeyCardinalityStatement,
		*influxql.ShowTagValuesCardinalityStatement:
		return true
	case *influxql.ShowMeasurementCardinalityStatement:
		// Only the estimate over everything is answered from the index.
		return s.Exact || s.Sources != nil || s.Condition != nil || s.Dimensions != nil || s.Limit != 0 || s.Offset != 0
	case *influxql.ShowSeriesCardinalityStatement:
		return s.Exact || s.Sources != nil || s.Condition != nil || s.Dimensions != nil || s.Limit != 0 || s.Offset != 0
	}
	return false
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
	case *influxql.ShowDatabasesStatement, *influxql.ShowQueriesStatement, *influxql.KillQueryStatement:
		return "" // server-wide, as InfluxDB's privileges for them are
	}
	return def
}
