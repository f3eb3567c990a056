package query

import (
	"context"
	"errors"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/query/functions"
	"github.com/influxdata/influxql"
)

// callOutputType is the result type of a function for an input type.
func callOutputType(name string, in influxql.DataType) influxql.DataType {
	if functions.Lookup(name) == functions.Math {
		if in == influxql.Integer && (name == "abs" || name == "ceil" || name == "floor" || name == "round") {
			return influxql.Integer
		}
		return influxql.Float
	}
	return functions.OutputType(name, in)
}

// writeInto stores the rows of a SELECT ... INTO and reports how many points it wrote.
func (e *Executor) writeInto(ctx context.Context, s *influxql.SelectStatement, ec ExecutionContext, rows []*Row) (*Result, error) {
	t := s.Target.Measurement
	db, rp := t.Database, t.RetentionPolicy
	if db == "" {
		db = ec.Database
	}
	if db == "" {
		return nil, errors.New("database name required")
	}
	if rp == "" {
		def, err := e.defaultPolicy(db)
		if err != nil {
			return nil, err
		}
		rp = def
	}
	b, err := e.opts.Storage.NewBatch(db, rp)
	if err != nil {
		return nil, dbNotFound(err, db)
	}
	defer b.Release()
	var written int64
	var pt model.Point
	for _, r := range rows {
		name := t.Name
		if t.IsTarget && name == "" || name == "" {
			name = r.Name // the :MEASUREMENT back-reference
		}
		pt.Measurement = []byte(name)
		pt.Tags = pt.Tags[:0]
		for _, k := range sortedKeys(r.Tags) {
			if v := r.Tags[k]; v != "" {
				pt.Tags = append(pt.Tags, model.Tag{Key: []byte(k), Value: []byte(v)})
			}
		}
		for _, vals := range r.Values {
			tm, _ := vals[0].(int64)
			pt.Time = tm
			pt.Fields = pt.Fields[:0]
			for ci := 1; ci < len(vals); ci++ {
				f := model.Field{Key: []byte(r.Columns[ci])}
				switch v := vals[ci].(type) {
				case float64:
					f.Type, f.F = model.Float, v
				case int64:
					f.Type, f.I = model.Integer, v
				case uint64:
					f.Type, f.U = model.Unsigned, v
				case bool:
					f.Type, f.B = model.Boolean, v
				case string:
					f.Type, f.S = model.String, []byte(v)
				default:
					continue
				}
				pt.Fields = append(pt.Fields, f)
			}
			if len(pt.Fields) == 0 {
				continue
			}
			if err := b.Add(&pt); err != nil {
				return nil, err
			}
			written++
		}
	}
	if written > 0 {
		if err := e.opts.Storage.Commit(ctx, b); err != nil {
			return nil, err
		}
	}
	return &Result{Series: []*Row{{Name: "result", Columns: []string{"time", "written"}, Values: [][]any{{int64(0), written}}}}}, nil
}
