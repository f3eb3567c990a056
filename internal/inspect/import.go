package inspect

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fieldhub/fieldhub/internal/lineproto"
	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

// ImportOptions configures Import.
type ImportOptions struct {
	// Database and Policy are used until the input names others with CONTEXT lines.
	Database, Policy string
	// Precision of timestamps in the DML (export writes nanoseconds).
	Precision lineproto.Precision
	// Progress, when set, is called after every committed batch.
	Progress func(ImportStats)
}

// ImportStats counts an import's outcome.
type ImportStats struct {
	Points, Values, Rejected int64
	// Errors holds the first rejected lines' messages (at most 20).
	Errors []string
}

const importChunk = 4 << 20

// Import reads InfluxDB export format (DDL then DML with CONTEXT lines) or
// plain line protocol and writes it to e. Bad lines are counted and reported,
// the rest is written.
func Import(ctx context.Context, e *tsdb.Engine, r io.Reader, opts ImportOptions) (ImportStats, error) {
	var st ImportStats
	br := bufio.NewReaderSize(r, 1<<20)
	db, rp := opts.Database, opts.Policy
	inDDL := false
	var chunk []byte
	lineNo, chunkStart := 0, 1
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := importLines(ctx, e, db, rp, chunk, chunkStart, opts.Precision, &st)
		chunk = chunk[:0]
		if err == nil && opts.Progress != nil {
			opts.Progress(st)
		}
		return err
	}
	for {
		line, rerr := br.ReadBytes('\n')
		if len(line) > 0 {
			lineNo++
			trimmed := bytes.TrimSpace(line)
			switch {
			case bytes.Equal(trimmed, []byte("# DDL")):
				inDDL = true
				continue
			case bytes.Equal(trimmed, []byte("# DML")):
				inDDL = false
				continue
			case bytes.HasPrefix(trimmed, []byte("# CONTEXT-DATABASE:")):
				if err := flush(); err != nil {
					return st, err
				}
				db = strings.TrimSpace(string(trimmed[len("# CONTEXT-DATABASE:"):]))
				chunkStart = lineNo + 1
				continue
			case bytes.HasPrefix(trimmed, []byte("# CONTEXT-RETENTION-POLICY:")):
				if err := flush(); err != nil {
					return st, err
				}
				rp = strings.TrimSpace(string(trimmed[len("# CONTEXT-RETENTION-POLICY:"):]))
				chunkStart = lineNo + 1
				continue
			case inDDL:
				if len(trimmed) == 0 || trimmed[0] == '#' {
					continue
				}
				if err := runDDL(ctx, e, string(trimmed)); err != nil {
					return st, fmt.Errorf("line %d: %w", lineNo, err)
				}
				continue
			}
			if len(chunk) == 0 {
				chunkStart = lineNo
			}
			chunk = append(chunk, line...)
			if len(chunk) >= importChunk {
				if err := flush(); err != nil {
					return st, err
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return st, rerr
		}
	}
	return st, flush()
}

func importLines(ctx context.Context, e *tsdb.Engine, db, rp string, buf []byte, firstLine int, prec lineproto.Precision, st *ImportStats) error {
	if db == "" {
		return errors.New("no database: pass one or start the input with # CONTEXT-DATABASE:")
	}
	var p lineproto.Parser
	p.Reset(buf, prec, time.Now().UnixNano())
	var pt model.Point
	b, err := e.NewBatch(db, rp)
	if err != nil {
		return err
	}
	defer func() { b.Release() }()
	commit := func() error {
		if err := e.Commit(ctx, b); err != nil {
			return err
		}
		st.Points += int64(b.Points())
		st.Values += int64(b.Values())
		b.Release()
		b, err = e.NewBatch(db, rp)
		return err
	}
	reject := func(msg string) {
		st.Rejected++
		if len(st.Errors) < 20 {
			st.Errors = append(st.Errors, msg)
		}
	}
	for {
		ok, perr := p.Next(&pt)
		if !ok {
			break
		}
		if perr != nil {
			var le *lineproto.LineError
			if errors.As(perr, &le) {
				le.Line += firstLine - 1
			}
			reject(perr.Error())
			continue
		}
		if err := b.Add(&pt); err != nil {
			reject(err.Error())
			continue
		}
		if b.Points() >= 5000 {
			for {
				err := commit()
				if !errors.Is(err, tsdb.ErrHeadFull) {
					if err != nil {
						return err
					}
					break
				}
				time.Sleep(50 * time.Millisecond) // let the flush catch up
			}
		}
	}
	for {
		err := commit()
		if !errors.Is(err, tsdb.ErrHeadFull) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runDDL executes the CREATE statements of an export's DDL section.
func runDDL(ctx context.Context, e *tsdb.Engine, q string) error {
	stmt, err := influxql.ParseStatement(q)
	if err != nil {
		return err
	}
	switch s := stmt.(type) {
	case *influxql.CreateDatabaseStatement:
		return e.CreateDatabase(ctx, s.Name, nil)
	case *influxql.CreateRetentionPolicyStatement:
		err := e.CreateRetentionPolicy(ctx, s.Database, tsdb.RetentionPolicySpec{
			Name: s.Name, Duration: s.Duration, PartitionDuration: s.ShardGroupDuration, ReplicaN: s.Replication,
		}, s.Default)
		if errors.Is(err, tsdb.ErrRetentionPolicyExists) {
			return nil // the database's own default policy, created with it
		}
		return err
	}
	return fmt.Errorf("unsupported statement in DDL section: %s", q)
}
