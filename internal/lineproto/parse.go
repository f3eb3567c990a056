package lineproto

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/fieldhub/fieldhub/internal/model"
)

// ErrSyntax is wrapped by every *LineError, so callers can test errors.Is(err, ErrSyntax).
var ErrSyntax = errors.New("invalid line protocol")

// Timestamps outside [MinTime, MaxTime] are rejected. As in InfluxDB 1.8, the three extreme
// int64 values stay free, so that readers can use math.MinInt64 and math.MaxInt64 as open
// bounds of a time range without missing a point.
const (
	MinTime int64 = math.MinInt64 + 2
	MaxTime int64 = math.MaxInt64 - 1
)

// maxErrorText caps LineError.Text so a rejected multi-megabyte line does not end up in a log.
const maxErrorText = 100

// LineError describes one rejected line.
type LineError struct {
	Line   int    // 1-based line number of the line's first byte
	Column int    // 1-based byte column of the error, counted from the start of that line
	Msg    string // what is wrong, e.g. "invalid field format: unbalanced quotes"
	Text   string // the offending line, truncated to 100 bytes
}

// Error formats the error as
// `line 3: invalid field format: unbalanced quotes (at column 18): "cpu,host=a value=\"x"`.
// The text is quoted so that control characters and invalid UTF-8 from a client cannot garble a
// log line or an HTTP header.
func (e *LineError) Error() string {
	return fmt.Sprintf("line %d: %s (at column %d): %q", e.Line, e.Msg, e.Column, e.Text)
}

// Unwrap returns ErrSyntax.
func (e *LineError) Unwrap() error { return ErrSyntax }

// Character classes, looked up in one table so each byte of a token costs one load and one test.
const (
	cMeasStop  = 1 << iota // ends a measurement: , space \n
	cKeyStop               // ends a tag key, tag value or field key: , = space \n
	cMeasEsc               // escapable in a measurement: , space
	cKeyEsc                // escapable in tag keys, tag values and field keys: , = space
	cValStop               // ends an unquoted field value or a timestamp: , space \t \r \n
	cBackslash             // the escape character itself
)

var class = func() (t [256]uint8) {
	for _, c := range []byte(", \n") {
		t[c] |= cMeasStop
	}
	for _, c := range []byte(",= \n") {
		t[c] |= cKeyStop
	}
	for _, c := range []byte(", ") {
		t[c] |= cMeasEsc
	}
	for _, c := range []byte(",= ") {
		t[c] |= cKeyEsc
	}
	for _, c := range []byte(", \t\r\n") {
		t[c] |= cValStop
	}
	t['\\'] |= cBackslash
	return t
}()

// Parser reads line protocol one point at a time. It is reusable: Reset points it at a new
// buffer and keeps its scratch memory, so a long-lived Parser allocates nothing in steady
// state. The zero value is ready after Reset.
type Parser struct {
	buf         []byte
	pos         int   // start of the next unparsed line
	line        int   // 1-based line number at pos
	lastLine    int   // 1-based line number of the line Next parsed last
	lineStart   int   // offset of the first byte of the physical line that contains pos
	mult        int64 // nanoseconds per timestamp unit
	defaultTime int64 // nanoseconds, already truncated to the precision

	// arena holds unescaped tokens of the current point; reset by every Next.
	arena []byte
	// fieldMask is a 64-bit filter of the current point's field keys: repeated keys are rare,
	// so a clear bit skips the linear search for an earlier field of the same name.
	fieldMask uint64
	// strNL counts newlines inside string fields of the current line, for line numbering.
	strNL int

	// Error state of the current line, set by fail.
	errMsg      string
	errPos      int // offset the Column reports
	errQuote    int // offset of an unterminated opening quote, or -1
	fieldsStart int // offset where the field set began, or len(buf)+1 before it
}

// Reset makes p parse buf. Timestamps are read in units of prec; lines without one get
// defaultTime (nanoseconds), truncated to prec as InfluxDB does.
func (p *Parser) Reset(buf []byte, prec Precision, defaultTime int64) {
	p.buf = buf
	p.pos = 0
	p.line = 1
	p.lineStart = 0
	p.mult = prec.multiplier()
	if r := defaultTime % p.mult; r < 0 {
		defaultTime -= r + p.mult
	} else {
		defaultTime -= r
	}
	p.defaultTime = defaultTime
	p.arena = p.arena[:0]
	p.lastLine = 0
}

// Next parses the next non-empty, non-comment line into pt, reusing pt's slices. The point
// aliases the input buffer and the parser's scratch memory and is valid until the next call.
// ok is false at the end of the input. A non-nil err (always a *LineError, with ok true) means
// the line was invalid: it is skipped, pt holds garbage, and the next call continues after it.
func (p *Parser) Next(pt *model.Point) (ok bool, err error) {
	if !p.skipBlank() {
		return false, nil
	}
	p.arena = p.arena[:0]
	p.strNL = 0
	p.errQuote = -1
	p.fieldsStart = len(p.buf) + 1
	p.lastLine = p.line
	start := p.pos
	end := p.parseLine(pt, start)
	if end >= 0 {
		p.line += p.strNL
		if end > start && p.buf[end-1] == '\n' {
			p.line++
		}
		p.pos, p.lineStart = end, end
		return true, nil
	}
	le := p.lineError()
	resume := p.resync()
	p.line += bytes.Count(p.buf[start:resume], nl)
	p.pos, p.lineStart = resume, resume
	return true, le
}

var nl = []byte{'\n'}

// Line returns the 1-based line number of the first byte of the line that the last call to
// Next parsed or rejected, or 0 before the first call. It lets a caller that rejects a valid
// point later (a type conflict, say) name the line as the parser would.
func (p *Parser) Line() int { return p.lastLine }

// skipBlank advances over whitespace, blank lines and comment lines. It reports whether a
// point line follows.
func (p *Parser) skipBlank() bool {
	buf := p.buf
	for p.pos < len(buf) {
		switch buf[p.pos] {
		case ' ', '\t', '\r':
			p.pos++
		case '\n':
			p.pos++
			p.line++
			p.lineStart = p.pos
		case '#':
			i := bytes.IndexByte(buf[p.pos:], '\n')
			if i < 0 {
				p.pos = len(buf)
				return false
			}
			p.pos += i + 1
			p.line++
			p.lineStart = p.pos
		default:
			return true
		}
	}
	return false
}

// fail records why the current line is invalid and returns -1 for parseLine to pass up.
func (p *Parser) fail(msg string, pos int) int {
	p.errMsg = msg
	p.errPos = pos
	return -1
}

// lineError builds the error for the current line. It runs only on bad input, so it may allocate.
func (p *Parser) lineError() *LineError {
	text := p.buf[p.lineStart:]
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	text = bytes.TrimSuffix(text, []byte{'\r'})
	if len(text) > maxErrorText {
		n := maxErrorText
		for n > 0 && !utf8.RuneStart(text[n]) {
			n-- // do not cut a multi-byte character in half
		}
		text = text[:n]
	}
	return &LineError{Line: p.line, Column: p.errPos - p.lineStart + 1, Msg: p.errMsg, Text: string(text)}
}

// resync returns the offset of the line after the invalid one. A quoted string in the field
// set may span lines, so a newline ends the line only outside quotes, as in InfluxDB; a quote
// opens a string only where a field value starts (after '='). An unterminated quote ends the
// line at the first newline after it, so that one stray quote costs one line and not the rest
// of the input.
func (p *Parser) resync() int {
	buf := p.buf
	if p.errQuote >= 0 {
		if j := bytes.IndexByte(buf[p.errQuote:], '\n'); j >= 0 {
			return p.errQuote + j + 1
		}
		return len(buf)
	}
	i := p.errPos
	if i < p.fieldsStart {
		// The error is in the series key, which ends at the first unescaped space; a newline
		// before that ends the line.
		for ; i < len(buf) && buf[i] != ' '; i++ {
			switch buf[i] {
			case '\n':
				return i + 1
			case '\\':
				if i+1 < len(buf) && buf[i+1] == ' ' {
					i++
				}
			}
		}
	}
	for i < len(buf) {
		switch buf[i] {
		case '\n':
			return i + 1
		case '"':
			if i == 0 || buf[i-1] != '=' {
				i++
				continue
			}
			j := stringEnd(buf, i+1)
			if j < 0 {
				if j = bytes.IndexByte(buf[i:], '\n'); j >= 0 {
					return i + j + 1
				}
				return len(buf)
			}
			i = j + 1
		default:
			i++
		}
	}
	return len(buf)
}

// stringEnd returns the offset of the quote that closes a string whose content starts at i,
// or -1. Only \" and \\ are escapes; any other backslash is literal.
func stringEnd(buf []byte, i int) int {
	for i < len(buf) {
		switch buf[i] {
		case '"':
			return i
		case '\\':
			if i+1 < len(buf) && (buf[i+1] == '"' || buf[i+1] == '\\') {
				i++
			}
		}
		i++
	}
	return -1
}

// scan returns the end of the token starting at i: the first byte of class stop that is not
// escaped by a backslash. It also reports whether the token holds escapes and the OR of its
// bytes, so the caller checks UTF-8 only for tokens with a byte >= 0x80.
func (p *Parser) scan(i int, stop, esc uint8) (end int, escaped bool, hi byte) {
	buf := p.buf
	for i < len(buf) {
		c := buf[i]
		if k := class[c]; k&(stop|cBackslash) != 0 {
			if k&stop != 0 {
				break
			}
			if i+1 < len(buf) && class[buf[i+1]]&esc != 0 {
				escaped = true
				i += 2
				continue
			}
		}
		hi |= c
		i++
	}
	return i, escaped, hi
}

// token returns buf[start:end], unescaped into the arena when it holds escapes. The result
// has no spare capacity, so a caller's append cannot overwrite the input or the arena.
func (p *Parser) token(start, end int, escaped bool, esc uint8) []byte {
	b := p.buf[start:end:end]
	if !escaped {
		return b
	}
	a := len(p.arena)
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' && i+1 < len(b) && class[b[i+1]]&esc != 0 {
			i++
			c = b[i]
		}
		p.arena = append(p.arena, c)
	}
	return p.arena[a:len(p.arena):len(p.arena)]
}

// parseLine parses the line at i into pt. It returns the offset after the line (past its
// newline), or -1 after fail.
func (p *Parser) parseLine(pt *model.Point, i int) int {
	buf := p.buf
	pt.Tags = pt.Tags[:0]
	pt.Fields = pt.Fields[:0]

	// Measurement.
	start := i
	end, esc, hi := p.scan(i, cMeasStop, cMeasEsc)
	if end == start {
		return p.fail("missing measurement", start)
	}
	if hi >= utf8.RuneSelf && !utf8.Valid(buf[start:end]) {
		return p.fail("invalid UTF-8 in measurement", start)
	}
	pt.Measurement = p.token(start, end, esc, cMeasEsc)
	i = end

	// Tag set.
	for i < len(buf) && buf[i] == ',' {
		ks := i + 1
		ke, kesc, khi := p.scan(ks, cKeyStop, cKeyEsc)
		if ke == ks {
			return p.fail("missing tag key", ks)
		}
		if ke >= len(buf) || buf[ke] != '=' {
			return p.fail("missing tag value", ke)
		}
		vs := ke + 1
		ve, vesc, vhi := p.scan(vs, cKeyStop, cKeyEsc)
		if ve == vs {
			return p.fail("missing tag value", vs)
		}
		if ve < len(buf) && buf[ve] == '=' {
			return p.fail("invalid tag format: unescaped '=' in tag value", ve)
		}
		if khi >= utf8.RuneSelf && !utf8.Valid(buf[ks:ke]) {
			return p.fail("invalid UTF-8 in tag key", ks)
		}
		if vhi >= utf8.RuneSelf && !utf8.Valid(buf[vs:ve]) {
			return p.fail("invalid UTF-8 in tag value", vs)
		}
		pt.Tags = append(pt.Tags, model.Tag{
			Key:   p.token(ks, ke, kesc, cKeyEsc),
			Value: p.token(vs, ve, vesc, cKeyEsc),
		})
		i = ve
	}
	// The tag set ends at a space, a newline or the end of the input; only a space leads on.
	if i >= len(buf) || buf[i] != ' ' {
		return p.fail("missing fields", i)
	}
	if i = skipSpace(buf, i); i >= len(buf) || buf[i] == '\n' {
		return p.fail("missing fields", i)
	}

	// Field set.
	p.fieldsStart = i
	p.fieldMask = 0
	for {
		ks := i
		ke, kesc, khi := p.scan(ks, cKeyStop, cKeyEsc)
		if ke == ks {
			return p.fail("missing field key", ks)
		}
		if ke >= len(buf) || buf[ke] != '=' {
			return p.fail("missing field value", ke)
		}
		if khi >= utf8.RuneSelf && !utf8.Valid(buf[ks:ke]) {
			return p.fail("invalid UTF-8 in field key", ks)
		}
		n := len(pt.Fields)
		if n < cap(pt.Fields) {
			pt.Fields = pt.Fields[:n+1]
		} else {
			pt.Fields = append(pt.Fields, model.Field{})
		}
		f := &pt.Fields[n]
		*f = model.Field{Key: p.token(ks, ke, kesc, cKeyEsc)}
		if i = p.parseValue(ke+1, f); i < 0 {
			return -1
		}
		p.dedupField(pt)
		if i < len(buf) && buf[i] == ',' {
			i++
			continue
		}
		break
	}

	// Optional timestamp, then nothing but trailing whitespace.
	j := skipSpace(buf, i)
	pt.Time = p.defaultTime
	if j < len(buf) && buf[j] != '\n' {
		if j == i {
			return p.fail("invalid field format: unexpected character after field value", i)
		}
		if j = p.parseTime(j, pt); j < 0 {
			return -1
		}
		k := skipSpace(buf, j)
		if k < len(buf) && buf[k] != '\n' {
			if k == j {
				return p.fail("invalid timestamp", j)
			}
			return p.fail("trailing garbage after timestamp", k)
		}
		j = k
	}
	if j < len(buf) {
		j++ // the newline
	}

	if len(pt.Tags) > 1 && !sortTags(pt.Tags) {
		return p.fail("duplicate tag key", end)
	}
	return j
}

// skipSpace skips spaces, tabs and carriage returns.
func skipSpace(buf []byte, i int) int {
	for i < len(buf) && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r') {
		i++
	}
	return i
}

// sortTags insertion-sorts tags by key (tag sets are small, and often already sorted) and
// reports false if two tags share a key. Inserting a tag moves it left past every greater key
// and stops at the first key that is not greater, so an equal key is always met on the way:
// one comparison per step finds both order and duplicates.
func sortTags(tags []model.Tag) bool {
	for i := 1; i < len(tags); i++ {
		for j := i; j > 0; j-- {
			c := compareKeys(tags[j-1].Key, tags[j].Key)
			if c < 0 {
				break
			}
			if c == 0 {
				return false
			}
			tags[j-1], tags[j] = tags[j], tags[j-1]
		}
	}
	return true
}

// compareKeys is bytes.Compare with the first byte compared inline: tag keys mostly differ
// there, and the call into the runtime's compare costs more than the comparison itself.
func compareKeys(a, b []byte) int {
	if len(a) > 0 && len(b) > 0 && a[0] != b[0] {
		if a[0] < b[0] {
			return -1
		}
		return 1
	}
	return bytes.Compare(a, b)
}

// dedupField folds the field just appended into an earlier field of the same key, if any:
// the last value wins, as in InfluxDB.
func (p *Parser) dedupField(pt *model.Point) {
	n := len(pt.Fields) - 1
	key := pt.Fields[n].Key
	bit := uint64(1) << ((uint(len(key))*7 + uint(key[0]) + uint(key[len(key)-1])*3) & 63)
	if p.fieldMask&bit != 0 {
		for j := 0; j < n; j++ {
			if bytes.Equal(pt.Fields[j].Key, key) {
				pt.Fields[j] = pt.Fields[n]
				pt.Fields = pt.Fields[:n]
				return
			}
		}
	}
	p.fieldMask |= bit
}

// parseValue parses the field value at i into f and returns the offset after it, or -1.
func (p *Parser) parseValue(i int, f *model.Field) int {
	buf := p.buf
	if i >= len(buf) {
		return p.fail("missing field value", i)
	}
	if buf[i] == '"' {
		return p.parseString(i, f)
	}
	end := i
	for end < len(buf) && class[buf[end]]&cValStop == 0 {
		end++
	}
	if end == i {
		return p.fail("missing field value", i)
	}
	tok := buf[i:end]
	switch c := tok[0]; {
	case c == 't' || c == 'T' || c == 'f' || c == 'F':
		switch string(tok) {
		case "t", "T", "true", "True", "TRUE":
			f.Type, f.B = model.Boolean, true
		case "f", "F", "false", "False", "FALSE":
			f.Type, f.B = model.Boolean, false
		default:
			return p.fail("invalid boolean", i)
		}
	case tok[len(tok)-1] == 'i':
		v, msg := parseInt(tok[:len(tok)-1])
		if msg != "" {
			return p.fail(msg, i)
		}
		f.Type, f.I = model.Integer, v
	case tok[len(tok)-1] == 'u':
		v, msg := parseUint(tok[:len(tok)-1])
		if msg != "" {
			return p.fail(msg, i)
		}
		f.Type, f.U = model.Unsigned, v
	default:
		v, msg := parseFloat(tok)
		if msg != "" {
			return p.fail(msg, i)
		}
		f.Type, f.F = model.Float, v
	}
	return end
}

// parseString parses the quoted string whose opening quote is at i.
func (p *Parser) parseString(i int, f *model.Field) int {
	buf := p.buf
	start := i + 1
	end := start
	if q := bytes.IndexByte(buf[start:], '"'); q >= 0 && bytes.IndexByte(buf[start:start+q], '\\') < 0 {
		end = start + q // common case: no backslash before the closing quote
	} else if end = stringEnd(buf, start); end < 0 {
		p.errQuote = i
		return p.fail("invalid field format: unbalanced quotes", i)
	}
	s := buf[start:end:end]
	if !utf8.Valid(s) {
		return p.fail("invalid UTF-8 in string field", i)
	}
	p.strNL += bytes.Count(s, nl)
	if bytes.IndexByte(s, '\\') >= 0 {
		a := len(p.arena)
		for k := 0; k < len(s); k++ {
			c := s[k]
			if c == '\\' && k+1 < len(s) && (s[k+1] == '"' || s[k+1] == '\\') {
				k++
				c = s[k]
			}
			p.arena = append(p.arena, c)
		}
		s = p.arena[a:len(p.arena):len(p.arena)]
	}
	f.Type, f.S = model.String, s
	return end + 1
}

// parseInt parses the digits of an `i` integer. A non-empty string is the error message.
func parseInt(b []byte) (int64, string) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	u, msg := parseDigits(b, 1<<63, "integer")
	if msg != "" {
		return 0, msg
	}
	if neg {
		return -int64(u), "" // wraps correctly for -9223372036854775808
	}
	if u > math.MaxInt64 {
		return 0, "invalid integer: out of range"
	}
	return int64(u), ""
}

// parseUint parses the digits of a `u` unsigned integer.
func parseUint(b []byte) (uint64, string) {
	if len(b) > 0 && b[0] == '-' {
		return 0, "invalid unsigned: negative value"
	}
	return parseDigits(b, math.MaxUint64, "unsigned")
}

// parseDigits parses a non-empty run of decimal digits no greater than limit.
func parseDigits(b []byte, limit uint64, kind string) (uint64, string) {
	if len(b) == 0 {
		return 0, "invalid " + kind
	}
	var u uint64
	for _, c := range b {
		d := uint64(c - '0')
		if d > 9 {
			return 0, "invalid " + kind
		}
		if u > (limit-d)/10 {
			return 0, "invalid " + kind + ": out of range"
		}
		u = u*10 + d
	}
	return u, ""
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat parses `-?digits[.digits][e[+-]digits]` (either digit run may be empty, not
// both). Short decimals, which is nearly all sensor data, take the exact fast path: a mantissa
// below 2^53 times or divided by an exactly representable power of ten rounds once, so the
// result is the correctly rounded value. Anything else goes to strconv.ParseFloat on the
// already validated text. NaN, Inf and out-of-range values are rejected.
func parseFloat(b []byte) (float64, string) {
	const bad = "invalid number"
	i := 0
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	var mant uint64
	digits, nd, exp := 0, 0, 0
	trunc := false
	for ; i < len(b) && b[i]-'0' <= 9; i++ {
		digits++
		if nd < 19 {
			mant = mant*10 + uint64(b[i]-'0')
			if mant != 0 {
				nd++
			}
		} else {
			trunc = true
			exp++
		}
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && b[i]-'0' <= 9; i++ {
			digits++
			if nd < 19 {
				mant = mant*10 + uint64(b[i]-'0')
				if mant != 0 {
					nd++
				}
				exp--
			} else {
				trunc = true
			}
		}
	}
	if digits == 0 {
		return 0, bad
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		if i == len(b) {
			return 0, bad
		}
		e := 0
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			if e < 100000 {
				e = e*10 + int(b[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != len(b) {
		return 0, bad
	}
	if mant == 0 && !trunc {
		if neg {
			return math.Copysign(0, -1), ""
		}
		return 0, ""
	}
	if !trunc && mant < 1<<53 && exp >= -22 && exp <= 22 {
		f := float64(mant)
		if exp >= 0 {
			f *= pow10[exp]
		} else {
			f /= pow10[-exp]
		}
		if neg {
			f = -f
		}
		return f, ""
	}
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, "invalid number: out of range"
	}
	return f, ""
}

// parseTime parses the timestamp at i into pt.Time, scaled to nanoseconds, and returns the
// offset after it, or -1.
func (p *Parser) parseTime(i int, pt *model.Point) int {
	buf := p.buf
	end := i
	for end < len(buf) && class[buf[end]]&cValStop == 0 {
		end++
	}
	if end == i {
		return p.fail("invalid timestamp", i)
	}
	v, msg := parseInt(buf[i:end])
	switch msg {
	case "":
	case "invalid integer: out of range":
		return p.fail("invalid timestamp: out of range", i)
	default:
		return p.fail("invalid timestamp", i)
	}
	if v > MaxTime/p.mult || v < MinTime/p.mult {
		return p.fail("invalid timestamp: out of range", i)
	}
	v *= p.mult
	pt.Time = v
	return end
}
