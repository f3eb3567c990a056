package cli

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const twoSeries = `{"results":[{"statement_id":0,"series":[` +
	`{"name":"cpu","tags":{"host":"a","dc":"x"},"columns":["time","value","ok"],"values":[[1,0.5,true],[2,12,null]]},` +
	`{"name":"cpu","tags":{"host":"b","dc":"x"},"columns":["time","value","ok"],"values":[["2026-01-02T03:04:05Z",100,false]]}]}]}`

func TestFormats(t *testing.T) {
	tests := []struct {
		name, format, body, want string
	}{
		{"column two series", FormatColumn, twoSeries, `name: cpu
tags: dc=x, host=a
time value ok
---- ----- --
1    0.5   true
2    12    

name: cpu
tags: dc=x, host=b
time                 value ok
----                 ----- --
2026-01-02T03:04:05Z 100   false
`},
		{"column no tags", FormatColumn, `{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["_internal"],["db"]]}]}]}`,
			"name: databases\nname\n----\n_internal\ndb\n"},
		{"column two statements", FormatColumn, `{"results":[{"statement_id":0,"series":[{"columns":["a"],"values":[[1]]}]},{"statement_id":1,"series":[{"columns":["b"],"values":[[2]]}]}]}`,
			"a\n-\n1\n\nb\n-\n2\n"},
		{"column empty result", FormatColumn, `{"results":[{"statement_id":0}]}`, ""},
		{"column messages", FormatColumn, `{"results":[{"statement_id":0,"messages":[{"level":"warning","text":"deprecated"}]}]}`, "warning: deprecated.\n"},
		{"csv two series", FormatCSV, twoSeries, `name,tags,time,value,ok
cpu,"dc=x,host=a",1,0.5,true
cpu,"dc=x,host=a",2,12,
name,tags,time,value,ok
cpu,"dc=x,host=b",2026-01-02T03:04:05Z,100,false
`},
		{"csv no name", FormatCSV, `{"results":[{"statement_id":0,"series":[{"columns":["key","value"],"values":[["a,b","x\"y"]]}]}]}`,
			"key,value\n\"a,b\",\"x\"\"y\"\n"},
		{"big integers stay exact", FormatCSV, `{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[[1700000000000000001,9007199254740993]]}]}]}`,
			"name,time,v\nm,1700000000000000001,9007199254740993\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := DecodeResponse([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			switch tc.format {
			case FormatColumn:
				err = WriteColumn(&buf, resp)
			case FormatCSV:
				err = WriteCSV(&buf, resp)
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, buf.String()); d != "" {
				t.Errorf("output (-want +got):\n%s", d)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	body := []byte(`{"results":[{"statement_id":0}]}` + "\n")
	for _, tc := range []struct {
		pretty bool
		want   string
	}{
		{false, "{\"results\":[{\"statement_id\":0}]}\n"},
		{true, "{\n    \"results\": [\n        {\n            \"statement_id\": 0\n        }\n    ]\n}\n"},
	} {
		var buf bytes.Buffer
		if err := WriteJSON(&buf, body, tc.pretty); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, buf.String()); d != "" {
			t.Errorf("pretty=%v (-want +got):\n%s", tc.pretty, d)
		}
	}
}

func TestDecodeChunked(t *testing.T) {
	body := `{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[[1,1]],"partial":true}],"partial":true}]}
{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[[2,2]]}]}]}
{"results":[{"statement_id":1,"error":"boom"}]}
`
	resp, err := DecodeResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != 2 || len(resp.Results[0].Series) != 1 || len(resp.Results[0].Series[0].Values) != 2 {
		t.Fatalf("chunks not merged: %+v", resp)
	}
	if err := resp.Error(); err == nil || err.Error() != "boom" {
		t.Fatalf("Error() = %v, want boom", err)
	}
}
