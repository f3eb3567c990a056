package query

import (
	"context"
	"errors"
	"fmt"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

// expandSources resolves the FROM clause: every measurement gets its
// database and retention policy, and regular expressions become the
// measurements they match. Subqueries are kept as they are.
func (e *Executor) expandSources(sources influxql.Sources, ec ExecutionContext) (influxql.Sources, error) {
	var out influxql.Sources
	for _, src := range sources {
		switch s := src.(type) {
		case *influxql.SubQuery:
			inner := s.Statement.Clone()
			srcs, err := e.expandSources(inner.Sources, ec)
			if err != nil {
				return nil, err
			}
			inner.Sources = srcs
			out = append(out, &influxql.SubQuery{Statement: inner})
		case *influxql.Measurement:
			db, rp := s.Database, s.RetentionPolicy
			if db == "" {
				db = ec.Database
			}
			if db == "" {
				return nil, errors.New("database name required")
			}
			if rp == "" && db == ec.Database {
				rp = ec.RetentionPolicy
			}
			if rp == "" {
				def, err := e.defaultPolicy(db)
				if err != nil {
					return nil, err
				}
				rp = def
			}
			if s.Regex == nil {
				out = append(out, &influxql.Measurement{Database: db, RetentionPolicy: rp, Name: s.Name})
				continue
			}
			names, err := e.opts.Storage.Measurements(db)
			if err != nil {
				return nil, dbNotFound(err, db)
			}
			for _, n := range names {
				if s.Regex.Val.MatchString(n) {
					out = append(out, &influxql.Measurement{Database: db, RetentionPolicy: rp, Name: n})
				}
			}
		default:
			return nil, fmt.Errorf("unsupported source %s", src)
		}
	}
	return out, nil
}

// defaultPolicy returns the default retention policy of db.
func (e *Executor) defaultPolicy(db string) (string, error) {
	for _, d := range e.opts.Storage.Databases() {
		if d.Name == db {
			if d.DefaultPolicy == "" {
				return "", fmt.Errorf("retention policy not found: %s", db)
			}
			return d.DefaultPolicy, nil
		}
	}
	return "", fmt.Errorf("database not found: %s", db)
}

// dbNotFound rewrites a missing database or policy error in InfluxDB's words.
func dbNotFound(err error, db string) error {
	if errors.Is(err, tsdb.ErrDatabaseNotFound) {
		return fmt.Errorf("database not found: %s", db)
	}
	return err
}

// rpNotFound rewrites a storage lookup error of db/rp in InfluxDB's words.
func rpNotFound(err error, db, rp string) error {
	if errors.Is(err, tsdb.ErrRetentionPolicyNotFound) {
		return fmt.Errorf("retention policy not found: %s", rp)
	}
	return dbNotFound(err, db)
}

// dataType converts a storage field type to InfluxQL's.
func dataType(t model.FieldType) influxql.DataType {
	switch t {
	case model.Float:
		return influxql.Float
	case model.Integer:
		return influxql.Integer
	case model.Unsigned:
		return influxql.Unsigned
	case model.Boolean:
		return influxql.Boolean
	case model.String:
		return influxql.String
	}
	return influxql.Unknown
}

// measurementSchema is what the planner knows about one measurement.
type measurementSchema struct {
	fields map[string]influxql.DataType
	// tagKeys are the tag keys of the series with data in the query's time range, sorted.
	tagKeys []string
}

// fieldMapper answers influxql's type and wildcard questions from storage.
// It caches one schema per measurement for the statement.
type fieldMapper struct {
	e          *Executor
	ctx        context.Context
	tmin, tmax int64
	schemas    map[string]*measurementSchema
	err        error
}

func mkey(m *influxql.Measurement) string {
	return m.Database + "\x00" + m.RetentionPolicy + "\x00" + m.Name
}

// schema loads (once) the fields of m and, when withTags, its tag keys.
func (fm *fieldMapper) schema(m *influxql.Measurement, withTags bool) (*measurementSchema, error) {
	if fm.schemas == nil {
		fm.schemas = map[string]*measurementSchema{}
	}
	k := mkey(m)
	sc := fm.schemas[k]
	if sc == nil {
		fields, err := fm.e.opts.Storage.Fields(m.Database, m.Name)
		if err != nil {
			return nil, dbNotFound(err, m.Database)
		}
		sc = &measurementSchema{fields: make(map[string]influxql.DataType, len(fields))}
		for _, f := range fields {
			sc.fields[f.Name] = dataType(f.Type)
		}
		fm.schemas[k] = sc
	}
	if withTags && sc.tagKeys == nil {
		// From the index postings: no series key is parsed.
		keys, err := fm.e.opts.Storage.TagKeys(fm.ctx, m.Database, []string{m.Name}, nil, fm.tmin, fm.tmax)
		if err != nil {
			return nil, rpNotFound(err, m.Database, m.RetentionPolicy)
		}
		sc.tagKeys = []string{}
		if len(keys) > 0 && keys[0] != nil {
			sc.tagKeys = keys[0]
		}
	}
	return sc, nil
}

// FieldDimensions implements influxql.FieldMapper.
func (fm *fieldMapper) FieldDimensions(m *influxql.Measurement) (map[string]influxql.DataType, map[string]struct{}, error) {
	sc, err := fm.schema(m, true)
	if err != nil {
		return nil, nil, err
	}
	fields := make(map[string]influxql.DataType, len(sc.fields))
	for k, v := range sc.fields {
		fields[k] = v
	}
	dims := make(map[string]struct{}, len(sc.tagKeys))
	for _, k := range sc.tagKeys {
		dims[k] = struct{}{}
	}
	return fields, dims, nil
}

// MapType implements influxql.TypeMapper: a field's type, Tag for a tag key.
func (fm *fieldMapper) MapType(m *influxql.Measurement, field string) influxql.DataType {
	sc, err := fm.schema(m, false)
	if err != nil {
		if fm.err == nil {
			fm.err = err
		}
		return influxql.Unknown
	}
	if t, ok := sc.fields[field]; ok {
		return t
	}
	if field == "time" {
		return influxql.Time
	}
	return influxql.Tag
}

// CallType implements influxql.CallTypeMapper.
func (fm *fieldMapper) CallType(name string, args []influxql.DataType) (influxql.DataType, error) {
	in := influxql.Unknown
	if len(args) > 0 {
		in = args[0]
	}
	return callOutputType(name, in), nil
}
