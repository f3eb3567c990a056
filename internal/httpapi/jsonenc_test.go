package httpapi

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzAppendResponse checks the reflection-free encoder byte for byte
// against encoding/json on responses built from the fuzzer's input.
func FuzzAppendResponse(f *testing.F) {
	f.Add("cpu", "host", "a<b>&\u2028\x01\"\\", 1.5, int64(-3), uint64(7), true, "err")
	f.Add("", "", "", 1e-7, int64(0), uint64(0), false, "")
	f.Add("m", "k", "\xff\xfe", 1e21, int64(math.MaxInt64), uint64(math.MaxUint64), true, "x")
	f.Fuzz(func(t *testing.T, name, tagK, s string, fl float64, i int64, u uint64, bo bool, errText string) {
		shared := []string{"time", s} // one slice in several rows, as the executor shares it
		resp := &Response{Results: []*Result{
			{StatementID: 0, Series: []*Row{{Name: name, Tags: map[string]string{tagK: s, "z": name},
				Columns: []string{"time", s, "b"}, Values: [][]any{{i, fl, u}, {nil, bo, s}, {int(i), -fl, 0.0}}, Partial: bo}},
				Messages: []*Message{{Level: "warning", Text: s}}},
			{StatementID: 1, Err: errText, Partial: !bo},
			{StatementID: 2, Series: []*Row{{Columns: nil}, {Name: s, Columns: shared, Values: [][]any{{fl}}}, {Columns: shared}, {Columns: shared[:1]}}},
		}, Err: errText}
		want, werr := json.Marshal(resp)
		got, gerr := appendResponse(nil, resp)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("errors differ: json %v, fast %v", werr, gerr)
		}
		if werr == nil && string(got) != string(want) {
			t.Fatalf("encodings differ:\n json %s\n fast %s", want, got)
		}
	})
}

func BenchmarkAppendResponse(b *testing.B) {
	row := &Row{Name: "cpu", Tags: map[string]string{"host": "h1"}, Columns: []string{"time", "a", "b", "c"}}
	for i := 0; i < 1000; i++ {
		row.Values = append(row.Values, []any{int64(1700000000000000000 + i), float64(i) * 1.1, int64(i), nil})
	}
	resp := &Response{Results: []*Result{{Series: []*Row{row}}}}
	b.Run("encoding/json", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := json.Marshal(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		buf := make([]byte, 0, 64<<10)
		for i := 0; i < b.N; i++ {
			var err error
			if buf, err = appendResponse(buf[:0], resp); err != nil {
				b.Fatal(err)
			}
		}
	})
}
