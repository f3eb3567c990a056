package lineproto

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fieldhub/fieldhub/internal/model"
)

// parseAll parses in and returns copies of the points and the error strings.
func parseAll(in string, prec Precision, def int64) ([]model.Point, []string) {
	var p Parser
	p.Reset([]byte(in), prec, def)
	var pts []model.Point
	var errs []string
	var pt model.Point
	for {
		ok, err := p.Next(&pt)
		if !ok {
			return pts, errs
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		pts = append(pts, clonePoint(&pt))
	}
}

// clonePoint deep-copies pt so it outlives the parser's next call.
func clonePoint(pt *model.Point) model.Point {
	c := model.Point{Measurement: append([]byte{}, pt.Measurement...), Time: pt.Time}
	for _, t := range pt.Tags {
		c.Tags = append(c.Tags, model.Tag{Key: append([]byte{}, t.Key...), Value: append([]byte{}, t.Value...)})
	}
	for _, f := range pt.Fields {
		f.Key = append([]byte{}, f.Key...)
		if f.S != nil {
			f.S = append([]byte{}, f.S...)
		}
		c.Fields = append(c.Fields, f)
	}
	return c
}

// pointOpts compares floats bit for bit (so -0 and 0 differ) and treats nil and empty alike.
var pointOpts = cmp.Options{
	cmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }),
	cmpopts.EquateEmpty(),
}

func tag(k, v string) model.Tag { return model.Tag{Key: []byte(k), Value: []byte(v)} }
func ff(k string, v float64) model.Field {
	return model.Field{Key: []byte(k), Type: model.Float, F: v}
}
func fi(k string, v int64) model.Field {
	return model.Field{Key: []byte(k), Type: model.Integer, I: v}
}
func fu(k string, v uint64) model.Field {
	return model.Field{Key: []byte(k), Type: model.Unsigned, U: v}
}
func fb(k string, v bool) model.Field {
	return model.Field{Key: []byte(k), Type: model.Boolean, B: v}
}
func fs(k, v string) model.Field {
	return model.Field{Key: []byte(k), Type: model.String, S: []byte(v)}
}
func pt(m string, tags []model.Tag, t int64, fields ...model.Field) model.Point {
	return model.Point{Measurement: []byte(m), Tags: tags, Fields: fields, Time: t}
}

func TestParseValid(t *testing.T) {
	const def = 42
	tests := []struct {
		name string
		in   string
		want []model.Point
	}{
		{"minimal", "m v=1", []model.Point{pt("m", nil, def, ff("v", 1))}},
		{"timestamp", "m v=1 1700000000000000000", []model.Point{pt("m", nil, 1700000000000000000, ff("v", 1))}},
		{"negative timestamp", "m v=1 -5", []model.Point{pt("m", nil, -5, ff("v", 1))}},
		{"tags sorted", "cpu,host=a,b=2,region=x usage=0.5 10",
			[]model.Point{pt("cpu", []model.Tag{tag("b", "2"), tag("host", "a"), tag("region", "x")}, 10, ff("usage", 0.5))}},
		{"all types", `m f=-1.5e3,i=-42i,u=42u,bt=t,bT=True,bf=FALSE,s="hi" 1`,
			[]model.Point{pt("m", nil, 1, ff("f", -1500), fi("i", -42), fu("u", 42), fb("bt", true), fb("bT", true), fb("bf", false), fs("s", "hi"))}},
		{"float forms", "m a=.5,b=1.,c=-0,d=1E+2,e=2e-3,f=007,g=12345678901234567890123",
			[]model.Point{pt("m", nil, def, ff("a", .5), ff("b", 1), ff("c", math.Copysign(0, -1)), ff("d", 100), ff("e", 2e-3), ff("f", 7), ff("g", 12345678901234567890123))}},
		{"int limits", "m a=9223372036854775807i,b=-9223372036854775808i,c=18446744073709551615u",
			[]model.Point{pt("m", nil, def, fi("a", math.MaxInt64), fi("b", math.MinInt64), fu("c", math.MaxUint64))}},
		{"all booleans", "m a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE",
			[]model.Point{pt("m", nil, def, fb("a", true), fb("b", true), fb("c", true), fb("d", true), fb("e", true),
				fb("f", false), fb("g", false), fb("h", false), fb("i", false), fb("j", false))}},
		{"measurement escapes", `my\ meas\,x\=y v=1`, []model.Point{pt(`my meas,x\=y`, nil, def, ff("v", 1))}},
		{"key escapes", `m,t\ k\,\==v\ a\,\=l f\ k\,\==1`,
			[]model.Point{pt("m", []model.Tag{tag("t k,=", "v a,=l")}, def, ff("f k,=", 1))}},
		{"other backslashes literal", `m\a,t\a=v\\x f\b=1`,
			[]model.Point{pt(`m\a`, []model.Tag{tag(`t\a`, `v\\x`)}, def, ff(`f\b`, 1))}},
		{"backslash before escape", `m,t=v\\\ x f=1`, []model.Point{pt("m", []model.Tag{tag("t", `v\\ x`)}, def, ff("f", 1))}},
		{"string escapes", `m s="a \"q\" b\\c \d"`, []model.Point{pt("m", nil, def, fs("s", `a "q" b\c \d`))}},
		{"string with separators", `m s="a, b=c d",v=1`, []model.Point{pt("m", nil, def, fs("s", "a, b=c d"), ff("v", 1))}},
		{"empty string", `m s=""`, []model.Point{pt("m", nil, def, fs("s", ""))}},
		{"multi-line string", "m s=\"a\nb\" 1\nn v=2 2",
			[]model.Point{pt("m", nil, 1, fs("s", "a\nb")), pt("n", nil, 2, ff("v", 2))}},
		{"repeated field last wins", "m a=1,b=2,a=3i", []model.Point{pt("m", nil, def, fi("a", 3), ff("b", 2))}},
		{"comments blanks crlf", "# c\r\n\r\n  \nm v=1 1\r\n#x\nn v=2 2  \t\r\n\n",
			[]model.Point{pt("m", nil, 1, ff("v", 1)), pt("n", nil, 2, ff("v", 2))}},
		{"utf8", "wetter,ort=Zürich temp=1,notiz=\"héllo ☃\"",
			[]model.Point{pt("wetter", []model.Tag{tag("ort", "Zürich")}, def, ff("temp", 1), fs("notiz", "héllo ☃"))}},
		{"multiple spaces", "m,t=1   v=1   7", []model.Point{pt("m", []model.Tag{tag("t", "1")}, 7, ff("v", 1))}},
		{"equals in measurement", "a=b v=1", []model.Point{pt("a=b", nil, def, ff("v", 1))}},
		{"quote in field key", `m a"b=1`, []model.Point{pt("m", nil, def, ff(`a"b`, 1))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := parseAll(tc.in, Nanosecond, def)
			if len(errs) > 0 {
				t.Fatalf("unexpected errors: %q", errs)
			}
			if d := cmp.Diff(tc.want, got, pointOpts); d != "" {
				t.Errorf("points (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		in  string
		msg string // LineError.Msg for the (only) bad line
		col int    // LineError.Column
	}{
		{",t=1 v=1", "missing measurement", 1},
		{"m", "missing fields", 2},
		{"m ", "missing fields", 3},
		{"m,t=1", "missing fields", 6},
		{"m,t v=1", "missing tag value", 4},
		{"m,t= v=1", "missing tag value", 5},
		{"m,=v f=1", "missing tag key", 3},
		{"m,t=a=b v=1", "invalid tag format: unescaped '=' in tag value", 6},
		{"m,b=1,a=2,b=3 v=1", "duplicate tag key", 2},
		{"m,a=1,a=2 v=1", "duplicate tag key", 2},
		{"m,a=1,b=2,c=3,a=4 v=1", "duplicate tag key", 2},
		{"m,c=1,b=2,a=3,c=4 v=1", "duplicate tag key", 2},
		{"m,a\\ b=1,a\\ b=2 v=1", "duplicate tag key", 2},
		{"m v", "missing field value", 4},
		{"m v=", "missing field value", 5},
		{"m v=,w=1", "missing field value", 5},
		{"m =1", "missing field key", 3},
		{"m v=1,", "missing field key", 7},
		{"m v=1x", "invalid number", 5},
		{"m v=+1", "invalid number", 5},
		{"m v=.", "invalid number", 5},
		{"m v=1e", "invalid number", 5},
		{"m v=NaN", "invalid number", 5},
		{"m v=Inf", "invalid number", 5},
		{"m v=1e999", "invalid number: out of range", 5},
		{"m v=0x10", "invalid number", 5},
		{"m v=1_000", "invalid number", 5},
		{"m v=9223372036854775808i", "invalid integer: out of range", 5},
		{"m v=-9223372036854775809i", "invalid integer: out of range", 5},
		{"m v=1.5i", "invalid integer", 5},
		{"m v=i", "invalid integer", 5},
		{"m v=-1u", "invalid unsigned: negative value", 5},
		{"m v=18446744073709551616u", "invalid unsigned: out of range", 5},
		{"m v=tru", "invalid boolean", 5},
		{"m v=tRUE", "invalid boolean", 5},
		{`cpu,host=a value="x`, `invalid field format: unbalanced quotes`, 18},
		{`m v="x\"`, `invalid field format: unbalanced quotes`, 5},
		{`m v="x"y`, `invalid field format: unexpected character after field value`, 8},
		{"m v=1 12a", "invalid timestamp", 7},
		{"m v=1 1.5", "invalid timestamp", 7},
		{"m v=1 -", "invalid timestamp", 7},
		{"m v=1 99999999999999999999", "invalid timestamp: out of range", 7},
		{"m v=1 9223372036854775807", "invalid timestamp: out of range", 7},
		{"m v=1 -9223372036854775807", "invalid timestamp: out of range", 7},
		{"m v=1 +5", "invalid timestamp", 7},
		{"m v=1 1 2", "trailing garbage after timestamp", 9},
		{"m v=1 1,", "invalid timestamp", 8},
		{"m\xff v=1", "invalid UTF-8 in measurement", 1},
		{"m,\xff=1 v=1", "invalid UTF-8 in tag key", 3},
		{"m,t=\xff v=1", "invalid UTF-8 in tag value", 5},
		{"m \xff=1", "invalid UTF-8 in field key", 3},
		{"m s=\"\xff\"", "invalid UTF-8 in string field", 5},
		{"m,t=v\\", "missing fields", 7},
		{"m\\", "missing fields", 3},
		{"m v\\", "missing field value", 5},
		{"m,t=v\\ f=1", "invalid tag format: unescaped '=' in tag value", 9},
		{"m, t=1 v=1", "missing tag key", 3},
		{"m\tv=1", "missing fields", 6},
		{"m v=1,w", "missing field value", 8},
		{"m v=1 ,w=2", "invalid timestamp", 7},
		{"m v=--1", "invalid number", 5},
		{"m v=1..2", "invalid number", 5},
		{"m v=1.2.3", "invalid number", 5},
		{"m v=1e5i", "invalid integer", 5},
		{"m v=-", "invalid number", 5},
		{"m v=+Inf", "invalid number", 5},
		{"m v=-Inf", "invalid number", 5},
		{"m v=nan", "invalid number", 5},
		{"m v=1u5", "invalid number", 5},
		{`m v="a" junk`, "invalid timestamp", 9},
		{"m v=1 1\r\rx", "trailing garbage after timestamp", 10},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, errs := parseAll(tc.in+"\nok v=1 1", Nanosecond, 0)
			want := fmt.Sprintf("line 1: %s (at column %d): %q", tc.msg, tc.col, tc.in)
			if len(errs) != 1 || errs[0] != want {
				t.Errorf("errors = %q\nwant     [%q]", errs, want)
			}
			// The parser resumes on the next line.
			wantPts := []model.Point{pt("ok", nil, 1, ff("v", 1))}
			if d := cmp.Diff(wantPts, got, pointOpts); d != "" {
				t.Errorf("points after the bad line (-want +got):\n%s", d)
			}
		})
	}
}

// TestLineError checks the error's exact form, its fields, and how the text is cut.
func TestLineError(t *testing.T) {
	in := "# header\n\ncpu,host=a v=1\n" + `cpu,host=a value="x` + "\nm v=1 " + strings.Repeat("9", 200) + "\r\n"
	var p Parser
	p.Reset([]byte(in), Nanosecond, 0)
	var pt model.Point
	var errs []error
	for {
		ok, err := p.Next(&pt)
		if !ok {
			break
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) != 2 {
		t.Fatalf("errors = %v, want 2", errs)
	}
	if got, want := errs[0].Error(), `line 4: invalid field format: unbalanced quotes (at column 18): "cpu,host=a value=\"x"`; got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	var le *LineError
	if !errors.As(errs[1], &le) || !errors.Is(errs[1], ErrSyntax) {
		t.Fatalf("error %v is not a *LineError wrapping ErrSyntax", errs[1])
	}
	want := LineError{Line: 5, Column: 7, Msg: "invalid timestamp: out of range", Text: "m v=1 " + strings.Repeat("9", maxErrorText-6)}
	if d := cmp.Diff(want, *le); d != "" {
		t.Errorf("LineError (-want +got):\n%s", d)
	}
	// A cut never splits a multi-byte character.
	_, strs := parseAll(strings.Repeat("é", 60)+" v", Nanosecond, 0)
	if len(strs) != 1 || !strings.HasSuffix(strs[0], `"`+strings.Repeat("é", 50)+`"`) {
		t.Errorf("error for a long UTF-8 line = %q, want its text cut after 50 characters", strs)
	}
}

func TestLineNumbersAndRecovery(t *testing.T) {
	in := "# header\n" + // 1
		"good v=1 1\n" + // 2
		"bad v=x\n" + // 3
		"\n" + // 4
		"str s=\"two\nlines\" 2\n" + // 5-6
		"bad2,t=1\r\n" + // 7
		"bad3 v=xx,s=\"a\nb\" 4\n" + // 8-9: the error skips the whole multi-line string
		"after v=3 3\n" + // 10
		"q v=\"unterminated\n" + // 11: costs only this line
		"last v=4 4" // 12
	got, errs := parseAll(in, Nanosecond, 0)
	wantErrs := []string{
		`line 3: invalid number (at column 7): "bad v=x"`,
		`line 7: missing fields (at column 10): "bad2,t=1"`,
		`line 8: invalid number (at column 8): "bad3 v=xx,s=\"a"`,
		`line 11: invalid field format: unbalanced quotes (at column 5): "q v=\"unterminated"`,
	}
	if d := cmp.Diff(wantErrs, errs); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
	var names []string
	for _, p := range got {
		names = append(names, string(p.Measurement))
	}
	if d := cmp.Diff([]string{"good", "str", "after", "last"}, names); d != "" {
		t.Errorf("parsed measurements (-want +got):\n%s", d)
	}

	var p Parser
	p.Reset([]byte("m v=\"a\nb\"\nbad\n"), Nanosecond, 0)
	var pt model.Point
	if ok, err := p.Next(&pt); !ok || err != nil {
		t.Fatalf("first line: ok=%v err=%v", ok, err)
	}
	_, err := p.Next(&pt)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 3 || !errors.Is(err, ErrSyntax) {
		t.Errorf("error after a two-line string = %#v, want a *LineError on line 3 wrapping ErrSyntax", err)
	}
	if ok, _ := p.Next(&pt); ok {
		t.Error("Next after the last line returned ok")
	}
}

func TestPrecision(t *testing.T) {
	tests := []struct {
		name string
		want Precision
		mult int64
	}{
		{"", Nanosecond, 1}, {"n", Nanosecond, 1}, {"ns", Nanosecond, 1},
		{"u", Microsecond, 1e3}, {"us", Microsecond, 1e3}, {"µ", Microsecond, 1e3}, {"µs", Microsecond, 1e3},
		{"ms", Millisecond, 1e6}, {"s", Second, 1e9}, {"m", Minute, 60e9}, {"h", Hour, 3600e9},
	}
	for _, tc := range tests {
		prec, err := ParsePrecision(tc.name)
		if err != nil || prec != tc.want {
			t.Errorf("ParsePrecision(%q) = %v, %v; want %v", tc.name, prec, err, tc.want)
			continue
		}
		got, errs := parseAll("m v=1 3\nm v=1", prec, 1e13+7)
		if len(errs) > 0 || len(got) != 2 {
			t.Fatalf("precision %q: points %v errors %q", tc.name, got, errs)
		}
		if got[0].Time != 3*tc.mult {
			t.Errorf("precision %q: time = %d, want %d", tc.name, got[0].Time, 3*tc.mult)
		}
		if want := (1e13 + 7) / tc.mult * tc.mult; got[1].Time != want {
			t.Errorf("precision %q: default time = %d, want %d (truncated)", tc.name, got[1].Time, want)
		}
	}
	for _, bad := range []string{"x", "NS", "sec", "µss"} {
		_, err := ParsePrecision(bad)
		if !errors.Is(err, ErrInvalidPrecision) || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParsePrecision(%q) error = %v, want one naming the value and wrapping ErrInvalidPrecision", bad, err)
		}
	}
	// Scaling that overflows int64 is an error, not a wrapped time.
	_, errs := parseAll("m v=1 9223372036854775807", Second, 0)
	if len(errs) != 1 || !strings.Contains(errs[0], "invalid timestamp: out of range") {
		t.Errorf("overflowing timestamp: errors = %q", errs)
	}
	if got, errs := parseAll("m v=1 -9223372036", Second, 0); len(errs) != 0 || got[0].Time != -9223372036e9 {
		t.Errorf("large negative timestamp in seconds: %v %q", got, errs)
	}
}

// TestPointAliasing checks that tokens without escapes alias the input and that returned
// slices have no spare capacity for a caller's append to overwrite.
func TestPointAliasing(t *testing.T) {
	buf := []byte(`m,t=v f=1,s="x"` + "\n" + `m\ x,t\ k=v f=2`)
	var p Parser
	p.Reset(buf, Nanosecond, 0)
	var pt model.Point
	if ok, err := p.Next(&pt); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if &pt.Measurement[0] != &buf[0] || &pt.Tags[0].Value[0] != &buf[4] {
		t.Error("unescaped tokens do not alias the input")
	}
	if cap(pt.Measurement) != len(pt.Measurement) || cap(pt.Fields[1].S) != len(pt.Fields[1].S) {
		t.Error("tokens have spare capacity")
	}
	if ok, err := p.Next(&pt); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if string(pt.Measurement) != "m x" || string(pt.Tags[0].Key) != "t k" || cap(pt.Tags[0].Key) != 3 {
		t.Errorf("escaped tokens: %q %q", pt.Measurement, pt.Tags[0].Key)
	}
}

func TestParseZeroAlloc(t *testing.T) {
	buf := []byte(`cpu,host=a\ b,region=x\,y usage=1.5,n=3i,u=4u,ok=t,msg="say \"hi\"" 1` + "\n" +
		"cpu,zz=1,aa=2 v=-0.25e-3,v=2 2\n# comment\n")
	var p Parser
	var pt model.Point
	run := func() {
		p.Reset(buf, Nanosecond, 0)
		for {
			ok, err := p.Next(&pt)
			if !ok {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	run() // warm up the scratch slices
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("allocations per buffer = %v, want 0", n)
	}
}

// TestRecovery checks where parsing resumes after an invalid line: a quoted string may span
// lines, a stray quote costs one line only, and a quote that does not start a field value
// is an ordinary character.
func TestRecovery(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		lines []int    // lines of the errors
		names []string // measurements parsed
	}{
		{"error in tags, string spans lines", "bad,t=a=b s=\"x\ny\" 1\nok v=1 1", []int{1}, []string{"ok"}},
		{"error in measurement, string spans lines", "b\xffd s=\"x\ny\",v=1 1\nok v=1 1", []int{1}, []string{"ok"}},
		{"escaped space in series key", "bad,t=a=b\\ s=\"x\ny\" 1\nok v=1 1", []int{1, 2}, []string{"ok"}},
		{"quote inside a field key", "bad v=xx,a\"b=1\nok s=\"q\" 1\nok2 v=1", []int{1}, []string{"ok", "ok2"}},
		{"unterminated quote", "bad v=\"open\nok v=1\nok2 v=2", []int{1}, []string{"ok", "ok2"}},
		// As in InfluxDB, a quote pairs with the next one even lines later.
		{"stray quote pairs with a later one", "bad v=\"open\nok v=1\nok2 v=\"closed\"", []int{1}, nil},
		{"error after a multi-line string", "bad s=\"a\nb\",v=x\nok v=1", []int{1}, []string{"ok"}},
		{"missing fields before a newline", "bad,t=1\nok v=1", []int{1}, []string{"ok"}},
		{"error at end of input", "ok v=1\nbad v=", []int{2}, []string{"ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p Parser
			p.Reset([]byte(tc.in), Nanosecond, 0)
			var pt model.Point
			var lines []int
			var names []string
			for {
				ok, err := p.Next(&pt)
				if !ok {
					break
				}
				var le *LineError
				switch {
				case errors.As(err, &le):
					lines = append(lines, le.Line)
				case err != nil:
					t.Fatalf("error %v is not a *LineError", err)
				default:
					names = append(names, string(pt.Measurement))
				}
			}
			if d := cmp.Diff(tc.lines, lines); d != "" {
				t.Errorf("error lines (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.names, names); d != "" {
				t.Errorf("parsed measurements (-want +got):\n%s", d)
			}
		})
	}
}

// TestParserLine checks that Line names the first line of each point, across comments,
// blank lines, CRLF endings and strings that span lines.
func TestParserLine(t *testing.T) {
	in := "# c\r\na v=1\r\n\r\nb s=\"x\ny\"\nbad\nc v=2"
	var p Parser
	var pt model.Point
	if p.Line() != 0 {
		t.Errorf("Line before Next = %d, want 0", p.Line())
	}
	p.Reset([]byte(in), Nanosecond, 0)
	var got []int
	for {
		ok, _ := p.Next(&pt)
		if !ok {
			break
		}
		got = append(got, p.Line())
	}
	if d := cmp.Diff([]int{2, 4, 6, 7}, got); d != "" {
		t.Errorf("lines (-want +got):\n%s", d)
	}
}
