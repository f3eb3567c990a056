package tsdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fieldhub/fieldhub/internal/model"
)

// walRecordVersion is the first byte of every WAL record the engine writes.
const walRecordVersion = 1

// maxFieldsPerPoint bounds a single point so one line cannot blow up a record.
const maxFieldsPerPoint = 1 << 16

// Batch collects validated points for one database and retention policy and
// encodes them as one WAL record. Build it with Engine.NewBatch, fill it with
// Add, write it with Engine.Commit and hand it back with Release. A Batch is
// not safe for concurrent use.
type Batch struct {
	e      *Engine
	db     *database
	rp     *retentionPolicy
	minT   int64 // oldest time the retention policy accepts
	defs   []byte
	ndefs  int
	fdefs  []byte
	nfdefs int
	pts    []byte
	npts   int
	nvals  int
	prevT  int64

	keyBuf     []byte
	lastM      []byte
	lastSchema *measurementSchema
	fds        []*fieldDef
	newSeries  map[*seriesEntry]struct{}
	newFields  map[*fieldDef]struct{}
	out        []byte
}

var batchPool = sync.Pool{New: func() any { return &Batch{} }}

// NewBatch starts a batch for database db and retention policy rp ("" means
// the database's default policy).
func (e *Engine) NewBatch(db, rp string) (*Batch, error) {
	d, p, err := e.lookup(db, rp)
	if err != nil {
		return nil, err
	}
	b := batchPool.Get().(*Batch)
	b.e, b.db, b.rp = e, d, p
	b.minT = math.MinInt64
	if dur := p.retention(); dur > 0 {
		b.minT = e.now().Add(-dur).UnixNano()
	}
	return b, nil
}

// Points is the number of points accepted so far.
func (b *Batch) Points() int { return b.npts }

// Values is the number of field values accepted so far.
func (b *Batch) Values() int { return b.nvals }

// Release returns the batch to a pool; it must not be used afterwards.
func (b *Batch) Release() {
	if cap(b.pts) > 64<<20 { // do not pin huge buffers
		return
	}
	b.defs, b.pts, b.fdefs, b.out = b.defs[:0], b.pts[:0], b.fdefs[:0], b.out[:0]
	b.ndefs, b.nfdefs, b.npts, b.nvals, b.prevT = 0, 0, 0, 0, 0
	b.lastM, b.lastSchema = b.lastM[:0], nil
	clear(b.newSeries)
	clear(b.newFields)
	b.e, b.db, b.rp = nil, nil, nil
	batchPool.Put(b)
}

// Add validates p and appends it to the batch. A rejected point (an error
// return) leaves the batch as it was, so the caller may report it and go on
// with the next point. p is copied; it may be reused after Add returns.
func (b *Batch) Add(p *model.Point) error {
	if len(p.Measurement) == 0 {
		return fmt.Errorf("%w: empty measurement", ErrInvalidName)
	}
	if len(p.Fields) == 0 {
		return fmt.Errorf("point of measurement %q has no fields", p.Measurement)
	}
	if len(p.Fields) > maxFieldsPerPoint {
		return fmt.Errorf("point of measurement %q has %d fields, more than %d", p.Measurement, len(p.Fields), maxFieldsPerPoint)
	}
	if p.Time < b.minT {
		return fmt.Errorf("%w: time %s is before %s", ErrOutsideRetention,
			time.Unix(0, p.Time).UTC().Format(time.RFC3339Nano), time.Unix(0, b.minT).UTC().Format(time.RFC3339))
	}
	var m *measurementSchema
	if b.lastSchema != nil && bytes.Equal(b.lastM, p.Measurement) {
		m = b.lastSchema
	} else {
		if !utf8.Valid(p.Measurement) {
			return fmt.Errorf("%w: measurement is not valid UTF-8", ErrInvalidName)
		}
		m = b.db.schema(p.Measurement)
		b.lastM = append(b.lastM[:0], p.Measurement...)
		b.lastSchema = m
	}
	// Resolve every field before encoding anything: a conflict rejects the whole point.
	b.fds = b.fds[:0]
	for i := range p.Fields {
		f := &p.Fields[i]
		fd := m.field(f.Key)
		if fd == nil {
			if len(f.Key) == 0 || !utf8.Valid(f.Key) {
				return fmt.Errorf("%w: field key %q of measurement %q", ErrInvalidName, f.Key, m.name)
			}
			if f.Type < model.Float || f.Type > model.String {
				return fmt.Errorf("field %q of measurement %q has invalid type %d", f.Key, m.name, f.Type)
			}
			fd = m.add(f.Key, f.Type)
		}
		if fd.typ != f.Type {
			return &FieldTypeConflictError{Measurement: m.name, Field: fd.name, Stored: fd.typ, Got: f.Type}
		}
		b.fds = append(b.fds, fd)
	}
	b.keyBuf = appendSeriesKey(b.keyBuf[:0], p.Measurement, p.Tags)
	se := b.db.series.lookup(b.keyBuf)
	if se == nil {
		for i := range p.Tags {
			if len(p.Tags[i].Key) == 0 || !utf8.Valid(p.Tags[i].Key) || !utf8.Valid(p.Tags[i].Value) {
				return fmt.Errorf("%w: tag %q of measurement %q", ErrInvalidName, p.Tags[i].Key, m.name)
			}
		}
		se = b.db.series.create(b.keyBuf, m)
	}
	if !se.logged.Load() {
		if b.newSeries == nil {
			b.newSeries = make(map[*seriesEntry]struct{})
		}
		if _, ok := b.newSeries[se]; !ok {
			b.newSeries[se] = struct{}{}
			b.defs = binary.AppendUvarint(b.defs, se.id)
			b.defs = binary.AppendUvarint(b.defs, uint64(len(se.key)))
			b.defs = append(b.defs, se.key...)
			b.ndefs++
		}
	}
	for _, fd := range b.fds {
		if fd.logged.Load() {
			continue
		}
		if b.newFields == nil {
			b.newFields = make(map[*fieldDef]struct{})
		}
		if _, ok := b.newFields[fd]; ok {
			continue
		}
		b.newFields[fd] = struct{}{}
		b.fdefs = binary.AppendUvarint(b.fdefs, uint64(len(m.name)))
		b.fdefs = append(b.fdefs, m.name...)
		b.fdefs = binary.AppendUvarint(b.fdefs, uint64(fd.idx))
		b.fdefs = append(b.fdefs, byte(fd.typ))
		b.fdefs = binary.AppendUvarint(b.fdefs, uint64(len(fd.name)))
		b.fdefs = append(b.fdefs, fd.name...)
		b.nfdefs++
	}
	b.pts = binary.AppendUvarint(b.pts, se.id)
	b.pts = binary.AppendVarint(b.pts, p.Time-b.prevT)
	b.prevT = p.Time
	b.pts = binary.AppendUvarint(b.pts, uint64(len(p.Fields)))
	for i, fd := range b.fds {
		b.pts = binary.AppendUvarint(b.pts, uint64(fd.idx))
		b.pts = appendValue(b.pts, &p.Fields[i])
	}
	b.npts++
	b.nvals += len(p.Fields)
	return nil
}

func appendValue(dst []byte, f *model.Field) []byte {
	switch f.Type {
	case model.Float:
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f.F))
	case model.Integer:
		return binary.AppendVarint(dst, f.I)
	case model.Unsigned:
		return binary.AppendUvarint(dst, f.U)
	case model.Boolean:
		if f.B {
			return append(dst, 1)
		}
		return append(dst, 0)
	case model.String:
		dst = binary.AppendUvarint(dst, uint64(len(f.S)))
		return append(dst, f.S...)
	}
	panic("BUG: appendValue of unvalidated type")
}

// record assembles the WAL record of the batch.
func (b *Batch) record() []byte {
	out := b.out[:0]
	out = append(out, walRecordVersion)
	out = binary.AppendUvarint(out, b.db.id)
	out = binary.AppendUvarint(out, b.rp.id)
	out = binary.AppendUvarint(out, uint64(b.ndefs))
	out = append(out, b.defs...)
	out = binary.AppendUvarint(out, uint64(b.nfdefs))
	out = append(out, b.fdefs...)
	out = binary.AppendUvarint(out, uint64(b.npts))
	out = append(out, b.pts...)
	b.out = out
	return out
}

// markLogged records that the batch's definitions are durable.
func (b *Batch) markLogged() {
	for se := range b.newSeries {
		se.logged.Store(true)
	}
	for fd := range b.newFields {
		fd.logged.Store(true)
	}
}
