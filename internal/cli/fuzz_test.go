package cli

import (
	"strings"
	"testing"
)

func FuzzSplitStatements(f *testing.F) {
	f.Add(`CREATE DATABASE x; SHOW DATABASES`)
	f.Add(`SELECT * FROM "a;b" WHERE t = 'it\'s;'; SHOW MEASUREMENTS`)
	f.Fuzz(func(t *testing.T, in string) {
		for _, st := range SplitStatements(in) {
			if st == "" || st != strings.TrimSpace(st) {
				t.Fatalf("statement %q of %q is empty or untrimmed", st, in)
			}
		}
		// Splitting is idempotent on statements without ';'.
		if !strings.Contains(in, ";") && strings.TrimSpace(in) != "" {
			if got := SplitStatements(in); len(got) != 1 || got[0] != strings.TrimSpace(in) {
				t.Fatalf("SplitStatements(%q) = %q", in, got)
			}
		}
	})
}

func FuzzParseUse(f *testing.F) {
	f.Add(`"my.db".rp`)
	f.Fuzz(func(t *testing.T, in string) {
		db, rp, err := ParseUse(in)
		if err == nil && db == "" {
			t.Fatalf("ParseUse(%q) = empty database, rp %q", in, rp)
		}
	})
}
