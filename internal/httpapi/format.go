package httpapi

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file renders /query answers the way InfluxDB 1.8 does: JSON (compact
// or pretty), CSV, whole or chunked, with the time column formatted for the
// epoch parameter.

// responseFormat encodes /query answers. A format may keep state between
// calls (the CSV header), so one value serves exactly one request.
type responseFormat interface {
	// contentType is the Content-Type header value.
	contentType() []string
	// writeResponse encodes one response object: the whole answer, or one
	// chunk of a chunked answer.
	writeResponse(w io.Writer, resp *Response) error
}

// Content types answered by /query. JSON is the default.
var (
	ctJSON    = []string{"application/json"}
	ctCSV     = []string{"text/csv"}
	ctAppCSV  = []string{"application/csv"}
	formatsIn = []struct {
		typ, sub string
		ct       []string
	}{
		// InfluxDB's order of preference, without msgpack: a wildcard picks JSON.
		{"application", "json", ctJSON},
		{"application", "csv", ctAppCSV},
		{"text", "csv", ctCSV},
	}
)

// negotiateFormat picks the answer's format from the Accept header(s) like
// InfluxDB 1.8: media ranges are tried by descending q (ties keep their
// order), and the first one that matches a supported type wins; nothing
// matching means JSON. application/x-msgpack is not supported, so a client
// that only accepts it gets JSON.
func negotiateFormat(r *http.Request) responseFormat {
	pretty := r.FormValue("pretty") == "true"
	for _, acc := range parseAccept(r.Header.Values("Accept")) {
		for _, f := range formatsIn {
			if (acc.typ == "*" || acc.typ == f.typ) && (acc.sub == "*" || acc.sub == f.sub) {
				if f.sub == "csv" {
					return &csvFormat{ct: f.ct, statementID: -1}
				}
				return &jsonFormat{pretty: pretty}
			}
		}
	}
	return &jsonFormat{pretty: pretty}
}

// acceptRange is one media range of an Accept header.
type acceptRange struct {
	typ, sub string
	q        float64
}

// parseAccept splits Accept headers into media ranges sorted by descending
// quality, stable for equal q. Unparsable ranges are skipped; a bad q counts
// as 0, and a bare "*" as "*/*" (both as InfluxDB does).
func parseAccept(headers []string) []acceptRange {
	var out []acceptRange
	for _, h := range headers {
		for part := range strings.SplitSeq(h, ",") {
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			a := acceptRange{q: 1}
			typ, sub, ok := strings.Cut(mt, "/")
			switch {
			case !ok && typ == "*":
				a.typ, a.sub = "*", "*"
			case ok && !strings.Contains(sub, "/"):
				a.typ, a.sub = typ, sub
			default:
				continue
			}
			if q, ok := params["q"]; ok {
				if a.q, err = strconv.ParseFloat(q, 64); err != nil || math.IsNaN(a.q) {
					a.q = 0
				}
			}
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].q > out[j].q })
	return out
}

// jsonFormat is InfluxDB's JSON: one object per response (per chunk when
// chunked), each followed by a newline; pretty indents with four spaces.
type jsonFormat struct {
	pretty bool
}

func (f *jsonFormat) contentType() []string { return ctJSON }

func (f *jsonFormat) writeResponse(w io.Writer, resp *Response) error {
	b, err := f.marshal(resp)
	if err != nil {
		// A value JSON cannot carry (NaN, ±Inf): rather than InfluxDB's
		// invalid body, each result of the response reports the failure.
		sub := &Response{Err: resp.Err}
		for _, res := range resp.Results {
			sub.Results = append(sub.Results, &Result{StatementID: res.StatementID, Err: "encode result: " + err.Error()})
		}
		if b, err = f.marshal(sub); err != nil {
			return err
		}
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func (f *jsonFormat) marshal(v any) ([]byte, error) {
	if f.pretty {
		return json.MarshalIndent(v, "", "    ")
	}
	if resp, ok := v.(*Response); ok {
		return appendResponse(make([]byte, 0, 4096), resp)
	}
	return json.Marshal(v)
}

// csvFormat is InfluxDB 1.8's CSV: a header "name,tags,<columns>" before the
// first series of each statement and again whenever the columns change, a
// blank line between header blocks, tags as "k=v,k2=v2" (sorted, escaped as
// in a series key, empty values left out), times as integers, null as an
// empty field. Statements without series print nothing.
//
// Where it differs from InfluxDB on purpose: a statement's error is printed
// as an "error" block (InfluxDB prints nothing, so a CSV client cannot tell a
// failure from an empty result), and a header is repeated when the columns
// change between chunks as well as within one response.
type csvFormat struct {
	ct []string
	// statementID is the statement whose rows were printed last; -1 before any.
	statementID int
	// header is the header of the current block; nil when the next series needs one.
	header []string
	// printed is set once anything was written, so later blocks get a blank line before them.
	printed bool
	// record is the scratch record for rows.
	record []string
}

func (f *csvFormat) contentType() []string { return f.ct }

func (f *csvFormat) writeResponse(w io.Writer, resp *Response) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if resp.Err != "" {
		cw.Write([]string{"error"})
		cw.Write([]string{resp.Err})
		return flushCSV(cw, bw)
	}
	for _, res := range resp.Results {
		if res.StatementID != f.statementID {
			if len(res.Series) == 0 && res.Err == "" {
				continue
			}
			f.statementID = res.StatementID
			f.header = nil
		}
		for _, row := range res.Series {
			if f.header == nil || !slices.Equal(f.header[2:], row.Columns) {
				f.blankLine(cw, bw)
				f.header = append(append(make([]string, 0, 2+len(row.Columns)), "name", "tags"), row.Columns...)
				cw.Write(f.header)
			}
			f.record = append(f.record[:0], row.Name, tagsKey(row.Tags))
			fixed := len(f.record)
			for _, vals := range row.Values {
				f.record = f.record[:fixed]
				for _, v := range vals {
					f.record = append(f.record, csvValue(v))
				}
				cw.Write(f.record)
			}
		}
		if res.Err != "" {
			f.blankLine(cw, bw)
			cw.Write([]string{"error"})
			cw.Write([]string{res.Err})
			f.header = nil
		}
	}
	return flushCSV(cw, bw)
}

// blankLine starts a new block: a blank line unless it is the first.
func (f *csvFormat) blankLine(cw *csv.Writer, bw *bufio.Writer) {
	if f.printed {
		cw.Flush()
		bw.WriteByte('\n')
	}
	f.printed = true
}

func flushCSV(cw *csv.Writer, bw *bufio.Writer) error {
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// csvValue renders one value as InfluxDB's CSV does.
func csvValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return strconv.FormatInt(v.UnixNano(), 10)
	}
	return fmt.Sprint(v)
}

// tagsKey renders a series' tags as InfluxDB's CSV "tags" column: the series
// key's tag part without the leading comma, sorted by key, with commas,
// equals signs and spaces backslash-escaped, and empty values left out.
func tagsKey(tags map[string]string) string {
	if len(tags) == 0 {
		return ""
	}
	keys := make([]string, 0, len(tags))
	for k, v := range tags {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		escapeTag(&b, k)
		b.WriteByte('=')
		escapeTag(&b, tags[k])
	}
	return b.String()
}

func escapeTag(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '=', ' ':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
}

// epochDivisors maps an epoch parameter to nanoseconds per unit.
var epochDivisors = map[string]int64{
	"ns": 1,
	"u":  int64(time.Microsecond),
	"ms": int64(time.Millisecond),
	"s":  int64(time.Second),
	"m":  int64(time.Minute),
	"h":  int64(time.Hour),
}

// renderTimes formats, in place, the time column of every series of res:
// a first column named "time" holding int64 Unix nanoseconds (as executors
// return it) becomes an RFC3339Nano string for epoch "" ("2026-01-01T00:00:00Z",
// trailing zeros trimmed, exactly what InfluxDB's JSON gives), in UTC or in
// the statement's tz() zone (res.Location, "2025-11-02T01:00:00-04:00"), or
// an integer count of epoch units, truncated toward zero like InfluxDB's
// integer division. asInt renders epoch "" as nanoseconds (InfluxDB's CSV
// does). Values of other types are left alone (a time.Time is converted too).
func renderTimes(res *Result, epoch string, asInt bool) {
	if epoch == "" && asInt {
		epoch = "ns"
	}
	div := epochDivisors[epoch]
	loc := res.Location
	if loc == nil {
		loc = time.UTC
	}
	for _, row := range res.Series {
		if len(row.Columns) == 0 || row.Columns[0] != "time" {
			continue
		}
		for _, vals := range row.Values {
			if len(vals) == 0 {
				continue
			}
			var ns int64
			switch v := vals[0].(type) {
			case int64:
				ns = v
			case time.Time:
				ns = v.UnixNano()
			default:
				continue
			}
			if div == 0 {
				vals[0] = formatTime(ns, loc)
			} else {
				vals[0] = ns / div
			}
		}
	}
}

// formatTime renders Unix nanoseconds in loc as encoding/json renders a
// time.Time (RFC 3339 with trimmed fractional seconds, "Z" for UTC), which
// is InfluxDB's format.
func formatTime(ns int64, loc *time.Location) string {
	var buf [len(time.RFC3339Nano) + 4]byte
	return string(time.Unix(0, ns).In(loc).AppendFormat(buf[:0], time.RFC3339Nano))
}

// chunkResult splits one statement's result into the messages InfluxDB 1.8
// streams for it with chunked=true: one series per message, a series longer
// than size split into several messages whose series carry "partial":true
// except the last piece, and "partial":true on every message's result but
// the statement's last. A result without series (or with an error) is one
// message; the result's messages ride on its first message.
func chunkResult(res *Result, size int) []*Result {
	if len(res.Series) == 0 || res.Err != "" {
		return []*Result{res}
	}
	var out []*Result
	for _, row := range res.Series {
		vals := row.Values
		for first := true; first || len(vals) > 0; first = false {
			n := min(len(vals), size)
			piece := &Row{Name: row.Name, Tags: row.Tags, Columns: row.Columns, Values: vals[:n:n], Partial: row.Partial}
			vals = vals[n:]
			if len(vals) > 0 {
				piece.Partial = true
			}
			out = append(out, &Result{StatementID: res.StatementID, Series: []*Row{piece}, Partial: true})
		}
	}
	out[0].Messages = res.Messages
	out[len(out)-1].Partial = res.Partial
	return out
}
