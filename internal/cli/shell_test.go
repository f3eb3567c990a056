package cli

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"CREATE DATABASE x; SHOW DATABASES", []string{"CREATE DATABASE x", "SHOW DATABASES"}},
		{"SHOW DATABASES;", []string{"SHOW DATABASES"}},
		{" ; ;", nil},
		{`SELECT * FROM "a;b" WHERE t = 'x;y'; SHOW MEASUREMENTS`, []string{`SELECT * FROM "a;b" WHERE t = 'x;y'`, "SHOW MEASUREMENTS"}},
		{`SELECT * FROM m WHERE t = 'it\'s;'`, []string{`SELECT * FROM m WHERE t = 'it\'s;'`}},
	}
	for _, tc := range tests {
		if d := cmp.Diff(tc.want, SplitStatements(tc.in)); d != "" {
			t.Errorf("SplitStatements(%q) (-want +got):\n%s", tc.in, d)
		}
	}
}

func TestParseUse(t *testing.T) {
	tests := []struct {
		in, db, rp string
		err        bool
	}{
		{"db", "db", "", false},
		{"db.rp", "db", "rp", false},
		{`"my.db".rp`, "my.db", "rp", false},
		{`"my.db"`, "my.db", "", false},
		{"a.b.c", "", "", true},
		{".rp", "", "", true},
		{"db.", "", "", true},
		{`"db`, "", "", true},
	}
	for _, tc := range tests {
		db, rp, err := ParseUse(tc.in)
		if (err != nil) != tc.err || db != tc.db || rp != tc.rp {
			t.Errorf("ParseUse(%q) = %q, %q, %v; want %q, %q, err=%v", tc.in, db, rp, err, tc.db, tc.rp, tc.err)
		}
	}
}

// TestShellCommands runs the commands that change settings, without a server.
func TestShellCommands(t *testing.T) {
	c, err := NewClient(ClientOptions{URL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line    string
		wantErr bool
		check   func(Settings) bool
	}{
		{"use db.rp", false, func(s Settings) bool { return s.Database == "db" && s.RP == "rp" }},
		{"USE other", false, func(s Settings) bool { return s.Database == "other" && s.RP == "" }},
		{"use", true, nil},
		{"precision s", false, func(s Settings) bool { return s.Precision == "s" && s.Epoch() == "s" }},
		{"precision RFC3339", false, func(s Settings) bool { return s.Epoch() == "" }},
		{"precision weeks", true, nil},
		{"format csv", false, func(s Settings) bool { return s.Format == FormatCSV }},
		{"format xml", true, nil},
		{"pretty", false, func(s Settings) bool { return s.Pretty }},
		{"chunked", false, func(s Settings) bool { return s.Chunked }},
		{"chunk size 100", false, func(s Settings) bool { return s.ChunkSize == 100 }},
		{"chunk size x", true, nil},
		{"chunk 5", true, nil},
		{"insert", true, nil},
		{"connect", true, nil},
	}
	sh := &Shell{Client: c, Settings: Settings{Format: FormatColumn, Precision: "ns"}}
	for _, tc := range tests {
		var out bytes.Buffer
		sh.Out, sh.Err = &out, &out
		err := sh.Execute(context.Background(), tc.line)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err = %v, want error %v", tc.line, err, tc.wantErr)
			continue
		}
		if tc.check != nil && !tc.check(sh.Settings) {
			t.Errorf("%q: settings %+v", tc.line, sh.Settings)
		}
	}
	if err := sh.Execute(context.Background(), "exit"); err != errExit {
		t.Errorf("exit: %v", err)
	}
	var out bytes.Buffer
	sh.Out = &out
	sh.Execute(context.Background(), "settings")
	if !bytes.Contains(out.Bytes(), []byte("Database          other")) {
		t.Errorf("settings:\n%s", out.String())
	}
}
