package inspect

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/lineproto"
	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/fieldhub/fieldhub/internal/vfs"
)

func openEngine(t *testing.T) *tsdb.Engine {
	t.Helper()
	e, err := tsdb.Open(context.Background(), tsdb.Options{Dir: "/data", FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

const input = `# DDL
CREATE DATABASE "my db"
CREATE RETENTION POLICY week ON "my db" DURATION 168h REPLICATION 1 SHARD DURATION 24h
# DML
# CONTEXT-DATABASE:my db
# CONTEXT-RETENTION-POLICY:autogen
battery,device=bx\ 1,site=s\,1 charging=true,cycles=12i,firmware="1.4 \"beta\"",soc=81.5,temp=-0.0 1700000000000000001
battery,device=bx\ 1,site=s\,1 soc=0.1,u=18446744073709551615u 1700000000000000002
weird\,meas,k\=ey=v\ al f=1.7976931348623157e+308 -5
`

// TestExportImportRoundTrip imports an export-format file, exports it, imports
// the export into a fresh engine and exports again: both exports must be equal
// byte for byte (exact floats, escapes, every type).
func TestExportImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	e1 := openEngine(t)
	st, err := Import(ctx, e1, strings.NewReader(input), ImportOptions{})
	if err != nil || st.Rejected != 0 || st.Points != 3 {
		t.Fatalf("import: %+v %v", st, err)
	}
	var out1 bytes.Buffer
	if _, err := Export(ctx, e1, &out1, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	e2 := openEngine(t)
	if _, err := Import(ctx, e2, bytes.NewReader(out1.Bytes()), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var out2 bytes.Buffer
	if _, err := Export(ctx, e2, &out2, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	if out1.String() != out2.String() {
		t.Fatalf("round trip differs:\n%s\n---\n%s", out1.String(), out2.String())
	}
	for _, want := range []string{`CREATE RETENTION POLICY week ON "my db" DURATION 168h`, `soc=81.5`, `u=18446744073709551615u`, `-5`} {
		if !strings.Contains(out1.String(), want) {
			t.Errorf("export lacks %q:\n%s", want, out1.String())
		}
	}
	// The negative zero survives bit-exactly.
	var p lineproto.Parser
	p.Reset(out2.Bytes(), lineproto.Nanosecond, 0)
	var pt model.Point
	found := false
	for {
		ok, err := p.Next(&pt)
		if !ok {
			break
		}
		if err != nil {
			continue
		}
		for _, f := range pt.Fields {
			if string(f.Key) == "temp" && math.Signbit(f.F) && f.F == 0 {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("-0.0 did not survive export/import")
	}
}

func TestExportTimeRangeAndReport(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	if _, err := Import(ctx, e, strings.NewReader(input), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	st, err := Export(ctx, e, &out, ExportOptions{Database: "my db", Start: time.Unix(0, 1700000000000000002)})
	if err != nil || st.Points != 1 {
		t.Fatalf("export with --start: %d points, %v\n%s", st.Points, err, out.String())
	}
	r, err := BuildReport(e, vfs.NewMem(), "/")
	if err != nil {
		t.Fatal(err)
	}
	if r.Points != 3 || r.Values != 8 {
		t.Fatalf("report: %d points %d values", r.Points, r.Values)
	}
}

func TestImportReportsBadLines(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t)
	e.CreateDatabase(ctx, "db", nil)
	st, err := Import(ctx, e, strings.NewReader("m v=1 1\nm v= 2\nm v=\"s\" 3\n"), ImportOptions{Database: "db"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Points != 1 || st.Rejected != 2 || !strings.Contains(st.Errors[0], "line 2") {
		t.Fatalf("got %+v", st)
	}
	_ = tsdb.ErrCorrupt
}
