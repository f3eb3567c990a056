package httpapi

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"
)

// appendResponse encodes resp exactly as encoding/json does (same key
// order, omitempty members, HTML-safe string escapes, float format), without
// reflection: a /query answer is mostly [][]any of numbers, which
// encoding/json walks slowly. Values of other types go through
// encoding/json. It fails where encoding/json fails (NaN, ±Inf).
func appendResponse(b []byte, resp *Response) ([]byte, error) {
	var enc rowEncoder
	b = append(b, '{')
	if resp.Results != nil {
		b = append(b, `"results":[`...)
		for i, r := range resp.Results {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = enc.appendResult(b, r); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	if resp.Err != "" {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, `"error":`...)
		b = appendJSONString(b, resp.Err)
	}
	return append(b, '}'), nil
}

// rowEncoder remembers the last column list it encoded: the series of one
// answer usually share one slice of column names, encoded once.
type rowEncoder struct {
	cols    []string
	colsEnc []byte
}

func (e *rowEncoder) appendResult(b []byte, r *Result) ([]byte, error) {
	if r == nil {
		return append(b, "null"...), nil
	}
	b = append(b, `{"statement_id":`...)
	b = strconv.AppendInt(b, int64(r.StatementID), 10)
	if len(r.Series) > 0 {
		b = append(b, `,"series":[`...)
		for i, s := range r.Series {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = e.appendRow(b, s); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	if len(r.Messages) > 0 {
		b = append(b, `,"messages":[`...)
		for i, m := range r.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			if m == nil {
				b = append(b, "null"...)
				continue
			}
			b = append(b, `{"level":`...)
			b = appendJSONString(b, m.Level)
			b = append(b, `,"text":`...)
			b = appendJSONString(b, m.Text)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if r.Partial {
		b = append(b, `,"partial":true`...)
	}
	if r.Err != "" {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, r.Err)
	}
	return append(b, '}'), nil
}

func (e *rowEncoder) appendRow(b []byte, r *Row) ([]byte, error) {
	if r == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '{')
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	if r.Name != "" {
		sep()
		b = append(b, `"name":`...)
		b = appendJSONString(b, r.Name)
	}
	if len(r.Tags) > 0 {
		sep()
		b = append(b, `"tags":{`...)
		keys := make([]string, 0, len(r.Tags))
		for k := range r.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, r.Tags[k])
		}
		b = append(b, '}')
	}
	sep()
	b = append(b, `"columns":`...)
	switch {
	case r.Columns == nil:
		b = append(b, "null"...)
	case len(r.Columns) > 0 && len(r.Columns) == len(e.cols) && &r.Columns[0] == &e.cols[0]:
		b = append(b, e.colsEnc...)
	default:
		start := len(b)
		b = append(b, '[')
		for i, c := range r.Columns {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, c)
		}
		b = append(b, ']')
		e.cols, e.colsEnc = r.Columns, append(e.colsEnc[:0], b[start:]...)
	}
	if len(r.Values) > 0 {
		b = append(b, `,"values":[`...)
		for i, row := range r.Values {
			if i > 0 {
				b = append(b, ',')
			}
			if row == nil {
				b = append(b, "null"...)
				continue
			}
			b = append(b, '[')
			for j, v := range row {
				if j > 0 {
					b = append(b, ',')
				}
				var err error
				if b, err = appendJSONValue(b, v); err != nil {
					return nil, err
				}
			}
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	if r.Partial {
		b = append(b, `,"partial":true`...)
	}
	return append(b, '}'), nil
}

func appendJSONValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case float64:
		return appendJSONFloat(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendJSONString(b, x), nil
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, enc...), nil
}

// appendJSONFloat formats like encoding/json: shortest repr, 'e' notation
// outside [1e-6, 1e21), exponents without a leading zero.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	abs := math.Abs(f)
	fmt := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmt = 'e'
	}
	b = strconv.AppendFloat(b, f, fmt, -1, 64)
	if fmt == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes that need no escape (HTML-safe set).
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return
}()

// appendJSONString quotes s like encoding/json with HTML escaping.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
