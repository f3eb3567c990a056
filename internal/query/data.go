package query

import (
	"context"
	"math"
	"sort"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/query/functions"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/influxdata/influxql"
)

// Point is the value type the executor computes with.
type Point = functions.Point

// null is a null value.
var null = Point{Type: influxql.Unknown, Aux: -1}

// column is one field's values of one series, aligned with the series'
// timestamps. Exactly one typed slice is used; valid is nil when no row is null.
type column struct {
	typ   influxql.DataType
	f     []float64
	i     []int64
	u     []uint64
	b     []bool
	s     []string
	valid []bool
}

// at returns row r as a Point (null when the row has no value).
func (c *column) at(r int, t int64) Point {
	if c == nil || c.typ == influxql.Unknown || (c.valid != nil && !c.valid[r]) {
		return Point{Time: t, Aux: -1}
	}
	p := Point{Time: t, Type: c.typ, Aux: -1}
	switch c.typ {
	case influxql.Float:
		p.F = c.f[r]
	case influxql.Integer:
		p.I = c.i[r]
	case influxql.Unsigned:
		p.U = c.u[r]
	case influxql.Boolean:
		p.B = c.b[r]
	case influxql.String:
		p.S = c.s[r]
	}
	return p
}

func (c *column) isValid(r int) bool {
	return c != nil && c.typ != influxql.Unknown && (c.valid == nil || c.valid[r])
}

// appendPoint appends p (possibly null) as the next row; n is the row count before.
func (c *column) appendPoint(p Point, n int) {
	if p.Type == influxql.Unknown {
		if c.valid == nil {
			c.valid = make([]bool, n, n+1)
			for k := range c.valid {
				c.valid[k] = true
			}
		}
		c.valid = append(c.valid, false)
		c.appendZero()
		return
	}
	if c.typ == influxql.Unknown {
		c.typ = p.Type
		c.padTo(n)
	}
	if p.Type != c.typ {
		// A column holds one type; a conflicting value (possible across
		// measurements of a subquery) is converted where InfluxQL would.
		p = castPoint(p, c.typ)
		if p.Type == influxql.Unknown {
			c.appendPoint(p, n)
			return
		}
	}
	if c.valid != nil {
		c.valid = append(c.valid, true)
	}
	switch c.typ {
	case influxql.Float:
		c.f = append(c.f, p.F)
	case influxql.Integer:
		c.i = append(c.i, p.I)
	case influxql.Unsigned:
		c.u = append(c.u, p.U)
	case influxql.Boolean:
		c.b = append(c.b, p.B)
	case influxql.String:
		c.s = append(c.s, p.S)
	}
}

// padTo fills a column that was all-null so far with n null rows.
func (c *column) padTo(n int) {
	if n == 0 {
		return
	}
	if c.valid == nil {
		c.valid = make([]bool, n)
	}
	for k := 0; k < n; k++ {
		c.appendZero()
	}
}

func (c *column) appendZero() {
	switch c.typ {
	case influxql.Float:
		c.f = append(c.f, 0)
	case influxql.Integer:
		c.i = append(c.i, 0)
	case influxql.Unsigned:
		c.u = append(c.u, 0)
	case influxql.Boolean:
		c.b = append(c.b, false)
	case influxql.String:
		c.s = append(c.s, "")
	}
}

// appendTSDB appends the rows of a storage column.
func (c *column) appendTSDB(src *tsdb.Column, n int) {
	typ := dataType(src.Type)
	if c.typ == influxql.Unknown && typ != influxql.Unknown {
		c.typ = typ
		c.padTo(n)
	}
	rows := src.Len()
	if src.Valid != nil || c.valid != nil {
		if c.valid == nil {
			c.valid = make([]bool, n, n+rows)
			for k := range c.valid {
				c.valid[k] = true
			}
		}
		for r := 0; r < rows; r++ {
			c.valid = append(c.valid, src.IsValid(r))
		}
	}
	switch src.Type {
	case model.Float:
		c.f = append(c.f, src.Floats...)
	case model.Integer:
		c.i = append(c.i, src.Integers...)
	case model.Unsigned:
		c.u = append(c.u, src.Unsigned...)
	case model.Boolean:
		c.b = append(c.b, src.Bools...)
	case model.String:
		for _, s := range src.Strings {
			c.s = append(c.s, string(s))
		}
	}
}

// seriesData is one series' rows in ascending time.
type seriesData struct {
	name string
	tags map[string]string
	ts   []int64
	cols []column // by field index of the plan
}

// tag returns the value of tag k ("" when absent).
func (s *seriesData) tag(k string) string { return s.tags[k] }

// tagMap converts storage tags.
func tagMap(tags []model.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[string(t.Key)] = string(t.Value)
	}
	return m
}

// loadSeries reads the given series' rows of fields within [tmin, tmax].
// points counts the values read, for the max-select-point guard.
func (e *Executor) loadSeries(ctx context.Context, m *influxql.Measurement, series []tsdb.SeriesInfo, fields []string, tmin, tmax int64, points *int64) ([]*seriesData, error) {
	out := make([]*seriesData, len(series))
	idx := make(map[uint64]int, len(series))
	ids := make([]uint64, len(series))
	for i, s := range series {
		out[i] = &seriesData{name: m.Name, tags: tagMap(s.Tags), cols: make([]column, len(fields))}
		idx[s.ID] = i
		ids[i] = s.ID
	}
	if len(fields) == 0 {
		return out, nil
	}
	fieldIdx := make(map[string]int, len(fields))
	for i, f := range fields {
		fieldIdx[f] = i
	}
	err := e.opts.Storage.ReadSeries(ctx, m.Database, m.RetentionPolicy, ids, fields, tmin, tmax, func(b *tsdb.SeriesBatch) error {
		sd := out[idx[b.SeriesID]]
		n := len(sd.ts)
		sd.ts = append(sd.ts, b.Timestamps...)
		seen := make([]bool, len(fields))
		for ci := range b.Columns {
			c := &b.Columns[ci]
			fi, ok := fieldIdx[c.Name]
			if !ok {
				continue
			}
			seen[fi] = true
			sd.cols[fi].appendTSDB(c, n)
		}
		rows := len(b.Timestamps)
		for fi, ok := range seen {
			if !ok {
				col := &sd.cols[fi]
				for r := 0; r < rows; r++ {
					col.appendPoint(null, n+r)
				}
			}
		}
		if e.opts.MaxSelectPoints > 0 {
			*points += int64(rows * len(b.Columns))
			if *points > e.opts.MaxSelectPoints {
				return &limitError{msg: "max-select-point limit exceeded: (" + itoa(*points) + "/" + itoa(e.opts.MaxSelectPoints) + ")"}
			}
		}
		return nil
	})
	return out, err
}

// limitError is a guard that stopped a query.
type limitError struct{ msg string }

func (l *limitError) Error() string { return l.msg }

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// rowRef addresses one row of one series of a group.
type rowRef struct {
	s, r int32
}

// mergeRows orders the rows of every series by time; rows at the same time
// keep the series order (series are sorted by key), like InfluxDB's merge.
func mergeRows(series []*seriesData, keep predFunc) []rowRef {
	n := 0
	for _, s := range series {
		n += len(s.ts)
	}
	out := make([]rowRef, 0, n)
	for si, s := range series {
		for r := range s.ts {
			if keep == nil || keep(s, r) {
				out = append(out, rowRef{int32(si), int32(r)})
			}
		}
	}
	if len(series) > 1 {
		sort.SliceStable(out, func(a, b int) bool {
			return series[out[a].s].ts[out[a].r] < series[out[b].s].ts[out[b].r]
		})
	}
	return out
}

// castPoint converts p to typ as InfluxQL's ::float / ::integer casts do;
// impossible casts give a null.
func castPoint(p Point, typ influxql.DataType) Point {
	if p.Type == typ || p.Type == influxql.Unknown {
		return p
	}
	out := Point{Time: p.Time, Aux: p.Aux, Type: typ}
	switch typ {
	case influxql.Float:
		switch p.Type {
		case influxql.Integer:
			out.F = float64(p.I)
		case influxql.Unsigned:
			out.F = float64(p.U)
		default:
			return Point{Time: p.Time, Aux: p.Aux}
		}
	case influxql.Integer:
		switch p.Type {
		case influxql.Float:
			if math.IsNaN(p.F) || math.IsInf(p.F, 0) {
				return Point{Time: p.Time, Aux: p.Aux}
			}
			out.I = int64(p.F)
		case influxql.Unsigned:
			out.I = int64(p.U)
		default:
			return Point{Time: p.Time, Aux: p.Aux}
		}
	case influxql.Unsigned:
		switch p.Type {
		case influxql.Float:
			out.U = uint64(p.F)
		case influxql.Integer:
			out.U = uint64(p.I)
		default:
			return Point{Time: p.Time, Aux: p.Aux}
		}
	default:
		return Point{Time: p.Time, Aux: p.Aux}
	}
	return out
}

// pointValue converts a Point to its JSON value (nil for null, NaN and ±Inf).
func pointValue(p Point) any {
	switch p.Type {
	case influxql.Float:
		if math.IsNaN(p.F) || math.IsInf(p.F, 0) {
			return nil
		}
		return p.F
	case influxql.Integer:
		return p.I
	case influxql.Unsigned:
		return p.U
	case influxql.Boolean:
		return p.B
	case influxql.String:
		return p.S
	}
	return nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
