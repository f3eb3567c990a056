package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Formats accepted by -format and the format command.
const (
	FormatColumn = "column"
	FormatCSV    = "csv"
	FormatJSON   = "json"
)

// Response is a decoded /query answer in InfluxDB 1.x's shape.
type Response struct {
	Results []Result `json:"results"`
	Err     string   `json:"error,omitempty"`
}

// Result is the answer to one statement.
type Result struct {
	StatementID int       `json:"statement_id"`
	Series      []Row     `json:"series,omitempty"`
	Messages    []Message `json:"messages,omitempty"`
	Err         string    `json:"error,omitempty"`
	Partial     bool      `json:"partial,omitempty"`
}

// Row is one series of a result.
type Row struct {
	Name    string            `json:"name,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
	Columns []string          `json:"columns,omitempty"`
	Values  [][]any           `json:"values,omitempty"`
	Partial bool              `json:"partial,omitempty"`
}

// Message is an informational message of a result.
type Message struct {
	Level string `json:"level"`
	Text  string `json:"text"`
}

// Error returns the first error of the response, top level or per statement.
func (r *Response) Error() error {
	if r.Err != "" {
		return errors.New(r.Err)
	}
	for _, res := range r.Results {
		if res.Err != "" {
			return errors.New(res.Err)
		}
	}
	return nil
}

// DecodeResponse decodes one JSON answer or a stream of chunked answers,
// merging the chunks of a statement the way the influx CLI shows them.
func DecodeResponse(body []byte) (*Response, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	out := &Response{}
	for {
		var r Response
		if err := dec.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decode query response: %w", err)
		}
		if r.Err != "" {
			out.Err = r.Err
		}
		for _, res := range r.Results {
			n := len(out.Results)
			if n > 0 && out.Results[n-1].StatementID == res.StatementID && out.Results[n-1].Partial {
				last := &out.Results[n-1]
				for _, s := range res.Series {
					m := len(last.Series)
					if m > 0 && last.Series[m-1].Partial && last.Series[m-1].Name == s.Name && tagsEqual(last.Series[m-1].Tags, s.Tags) {
						last.Series[m-1].Values = append(last.Series[m-1].Values, s.Values...)
						last.Series[m-1].Partial = s.Partial
						continue
					}
					last.Series = append(last.Series, s)
				}
				last.Messages = append(last.Messages, res.Messages...)
				last.Partial = res.Partial
				if res.Err != "" {
					last.Err = res.Err
				}
				continue
			}
			out.Results = append(out.Results, res)
		}
	}
	return out, nil
}

func tagsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// WriteColumn prints resp as the influx 1.x CLI's column format: per
// series "name: m" and "tags: k=v, k=v" lines, the column header, dashes
// and the values aligned with a tabwriter. Errors of statements are not
// printed here; see Response.Error.
func WriteColumn(w io.Writer, resp *Response) error {
	tw := tabwriter.NewWriter(w, 0, 8, 1, ' ', 0)
	for i, res := range resp.Results {
		for _, m := range res.Messages {
			fmt.Fprintf(tw, "%s: %s.\n", m.Level, m.Text)
		}
		if i > 0 && len(res.Series) > 0 {
			fmt.Fprintln(tw)
		}
		for _, line := range formatRows(res, FormatColumn) {
			fmt.Fprintln(tw, strings.Join(line, "\t"))
		}
	}
	return tw.Flush()
}

// WriteCSV prints resp as the influx 1.x CLI's csv format: a header
// "name,tags,time,..." per series and one record per value row.
func WriteCSV(w io.Writer, resp *Response) error {
	cw := csv.NewWriter(w)
	for _, res := range resp.Results {
		for _, m := range res.Messages {
			fmt.Fprintf(w, "%s: %s.\n", m.Level, m.Text)
		}
		for _, rec := range formatRows(res, FormatCSV) {
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON prints the raw response body, indented when pretty is set.
func WriteJSON(w io.Writer, body []byte, pretty bool) error {
	body = bytes.TrimSpace(body)
	if pretty {
		var buf bytes.Buffer
		dec := json.NewDecoder(bytes.NewReader(body))
		for {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err == io.EOF {
				break
			} else if err != nil {
				return fmt.Errorf("decode query response: %w", err)
			}
			if err := json.Indent(&buf, raw, "", "    "); err != nil {
				return err
			}
			buf.WriteByte('\n')
		}
		_, err := w.Write(buf.Bytes())
		return err
	}
	_, err := fmt.Fprintf(w, "%s\n", body)
	return err
}

// formatRows renders one result as lines of cells, as influx's formatResults.
func formatRows(res Result, format string) [][]string {
	var rows [][]string
	for i, row := range res.Series {
		tags := make([]string, 0, len(row.Tags))
		for k, v := range row.Tags {
			tags = append(tags, k+"="+v)
		}
		sort.Strings(tags)
		var header []string
		if format == FormatCSV {
			if row.Name != "" {
				header = append(header, "name")
			}
			if len(tags) > 0 {
				header = append(header, "tags")
			}
		}
		header = append(header, row.Columns...)
		if format == FormatColumn {
			if i > 0 {
				rows = append(rows, []string{""})
			}
			if row.Name != "" {
				rows = append(rows, []string{"name: " + row.Name})
			}
			if len(tags) > 0 {
				rows = append(rows, []string{"tags: " + strings.Join(tags, ", ")})
			}
		}
		rows = append(rows, header)
		if format == FormatColumn {
			dashes := make([]string, len(header))
			for j, h := range header {
				dashes[j] = strings.Repeat("-", len(h))
			}
			rows = append(rows, dashes)
		}
		for _, v := range row.Values {
			var cells []string
			if format == FormatCSV {
				if row.Name != "" {
					cells = append(cells, row.Name)
				}
				if len(tags) > 0 {
					cells = append(cells, strings.Join(tags, ","))
				}
			}
			for _, c := range v {
				cells = append(cells, valueString(c))
			}
			rows = append(rows, cells)
		}
	}
	return rows
}

// valueString prints a cell as influx's interfaceToString does.
func valueString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		return t.String()
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(t, 10)
	default:
		return fmt.Sprintf("%v", t)
	}
}
