package inspect

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/fieldhub/fieldhub/internal/lineproto"
	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/tsdb"
)

// ExportOptions narrows an export; zero values export everything.
type ExportOptions struct {
	Database, Policy string
	// Start and End bound the exported time range (inclusive); zero means open.
	Start, End time.Time
}

// ExportStats counts what an export wrote.
type ExportStats struct {
	Points, Values int64
}

// Export writes the selected data as line protocol in InfluxDB's export
// format: a DDL section that recreates databases and policies, then per
// database and policy a CONTEXT header and its points with nanosecond
// timestamps, so Import (or `influx -import`) reads it back exactly.
func Export(ctx context.Context, e *tsdb.Engine, w io.Writer, opts ExportOptions) (ExportStats, error) {
	var st ExportStats
	bw := bufio.NewWriterSize(w, 1<<20)
	tmin, tmax := int64(math.MinInt64), int64(math.MaxInt64)
	if !opts.Start.IsZero() {
		tmin = opts.Start.UnixNano()
	}
	if !opts.End.IsZero() {
		tmax = opts.End.UnixNano()
	}
	type target struct {
		db string
		rp tsdb.RetentionPolicyInfo
	}
	var targets []target
	fmt.Fprintln(bw, "# DDL")
	for _, d := range e.Databases() {
		if opts.Database != "" && d.Name != opts.Database {
			continue
		}
		rps, err := e.RetentionPolicies(d.Name)
		if err != nil {
			return st, err
		}
		fmt.Fprintf(bw, "CREATE DATABASE %s\n", quoteIdent(d.Name))
		for _, rp := range rps {
			if opts.Policy != "" && rp.Name != opts.Policy {
				continue
			}
			def := ""
			if rp.Default {
				def = " DEFAULT"
			}
			fmt.Fprintf(bw, "CREATE RETENTION POLICY %s ON %s DURATION %s REPLICATION %d SHARD DURATION %s%s\n",
				quoteIdent(rp.Name), quoteIdent(d.Name), influxDuration(rp.Duration), rp.ReplicaN, influxDuration(rp.PartitionDuration), def)
			targets = append(targets, target{d.Name, rp})
		}
	}
	fmt.Fprintln(bw, "# DML")
	var line []byte
	var p model.Point
	for _, tg := range targets {
		fmt.Fprintf(bw, "# CONTEXT-DATABASE:%s\n# CONTEXT-RETENTION-POLICY:%s\n", tg.db, tg.rp.Name)
		ms, err := e.Measurements(tg.db)
		if err != nil {
			return st, err
		}
		for _, m := range ms {
			series, err := e.SelectSeries(ctx, tg.db, tg.rp.Name, m, nil, tmin, tmax)
			if err != nil {
				return st, err
			}
			byID := make(map[uint64]*tsdb.SeriesInfo, len(series))
			ids := make([]uint64, len(series))
			for i := range series {
				byID[series[i].ID] = &series[i]
				ids[i] = series[i].ID
			}
			sort.Slice(ids, func(i, j int) bool { return byID[ids[i]].Key() < byID[ids[j]].Key() })
			err = e.ReadSeries(ctx, tg.db, tg.rp.Name, ids, nil, tmin, tmax, func(b *tsdb.SeriesBatch) error {
				s := byID[b.SeriesID]
				p.Measurement = append(p.Measurement[:0], s.Measurement...)
				p.Tags = s.Tags
				for i, t := range b.Timestamps {
					p.Fields = p.Fields[:0]
					p.Time = t
					for ci := range b.Columns {
						c := &b.Columns[ci]
						if !c.IsValid(i) {
							continue
						}
						p.Fields = append(p.Fields, fieldOf(c, i))
					}
					if len(p.Fields) == 0 {
						continue
					}
					sort.Slice(p.Fields, func(a, b int) bool { return string(p.Fields[a].Key) < string(p.Fields[b].Key) })
					line = lineproto.AppendPoint(line[:0], &p)
					line = append(line, '\n')
					if _, err := bw.Write(line); err != nil {
						return err
					}
					st.Points++
					st.Values += int64(len(p.Fields))
				}
				return nil
			})
			if err != nil {
				return st, err
			}
		}
	}
	return st, bw.Flush()
}

func fieldOf(c *tsdb.Column, i int) model.Field {
	f := model.Field{Key: []byte(c.Name), Type: c.Type}
	switch c.Type {
	case model.Float:
		f.F = c.Floats[i]
	case model.Integer:
		f.I = c.Integers[i]
	case model.Unsigned:
		f.U = c.Unsigned[i]
	case model.Boolean:
		f.B = c.Bools[i]
	case model.String:
		f.S = c.Strings[i]
	}
	return f
}

// quoteIdent quotes an InfluxQL identifier when needed.
func quoteIdent(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			plain = false
		}
	}
	if plain {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// influxDuration formats a duration as InfluxQL accepts it: 0s for infinite, else hours/minutes.
func influxDuration(d time.Duration) string {
	if d == 0 {
		return "INF"
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
