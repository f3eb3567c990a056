package tsdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/vfs"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// seriesEntry is one known series of a database.
type seriesEntry struct {
	id  uint64
	key string
	m   *measurementSchema
	// logged is set once the series' definition is durable in the WAL or the
	// series file, so later WAL records may refer to it by id alone.
	logged atomic.Bool
}

// seriesIndex maps series keys to dense ids for one database and keeps the
// inverted index: measurement → tag key → tag value → bitmap of series ids.
type seriesIndex struct {
	// mu guards the fields below; never held across disk I/O.
	mu       sync.RWMutex
	byKey    map[string]*seriesEntry
	byID     []*seriesEntry // index = id; [0] unused
	postings map[string]*measurementPostings
	// persisted is the highest id written to the series file.
	persisted uint64
}

// measurementPostings is the inverted index of one measurement.
type measurementPostings struct {
	all  *roaring.Bitmap
	tags map[string]map[string]*roaring.Bitmap
}

func newSeriesIndex() *seriesIndex {
	return &seriesIndex{
		byKey:    make(map[string]*seriesEntry),
		byID:     make([]*seriesEntry, 1, 1024),
		postings: make(map[string]*measurementPostings),
	}
}

// lookup returns the entry for key, or nil.
func (x *seriesIndex) lookup(key []byte) *seriesEntry {
	x.mu.RLock()
	e := x.byKey[string(key)]
	x.mu.RUnlock()
	return e
}

// byIDLocked returns the entry with id or nil; x.mu must be held (read).
func (x *seriesIndex) byIDLocked(id uint64) *seriesEntry {
	if id >= uint64(len(x.byID)) {
		return nil
	}
	return x.byID[id]
}

// get returns the entry with id or nil.
func (x *seriesIndex) get(id uint64) *seriesEntry {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.byIDLocked(id)
}

// create returns the entry for key, creating it with the next id when missing.
func (x *seriesIndex) create(key []byte, m *measurementSchema) *seriesEntry {
	x.mu.Lock()
	defer x.mu.Unlock()
	if e := x.byKey[string(key)]; e != nil {
		return e
	}
	return x.insertLocked(uint64(len(x.byID)), string(key), m)
}

// define inserts a series with a known id (from the WAL or series file). It is
// idempotent; a different key for a known id is corruption.
func (x *seriesIndex) define(id uint64, key string, m *measurementSchema) (*seriesEntry, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if e := x.byIDLocked(id); e != nil {
		if e.key != key {
			return nil, fmt.Errorf("%w: series id %d defined twice with different keys", ErrCorrupt, id)
		}
		return e, nil
	}
	if e := x.byKey[key]; e != nil {
		return nil, fmt.Errorf("%w: series key defined with ids %d and %d", ErrCorrupt, e.id, id)
	}
	// Ids are dense: one far beyond the known ones is garbage, and growing
	// byID to reach it would exhaust memory.
	if id == 0 || id > 1<<32-1 || id > uint64(len(x.byID))+1<<24 {
		return nil, fmt.Errorf("%w: series id %d out of range", ErrCorrupt, id)
	}
	if _, _, err := parseSeriesKey([]byte(key), nil); err != nil {
		return nil, err
	}
	return x.insertLocked(id, key, m), nil
}

func (x *seriesIndex) insertLocked(id uint64, key string, m *measurementSchema) *seriesEntry {
	for uint64(len(x.byID)) <= id {
		x.byID = append(x.byID, nil)
	}
	e := &seriesEntry{id: id, key: key, m: m}
	x.byID[id] = e
	x.byKey[key] = e
	meas, tags, err := parseSeriesKey([]byte(key), nil)
	if err != nil {
		panic("BUG: insert of malformed series key")
	}
	mp := x.postings[string(meas)]
	if mp == nil {
		mp = &measurementPostings{all: roaring.New(), tags: make(map[string]map[string]*roaring.Bitmap)}
		x.postings[string(meas)] = mp
	}
	mp.all.Add(uint32(id))
	for _, t := range tags {
		vals := mp.tags[string(t.Key)]
		if vals == nil {
			vals = make(map[string]*roaring.Bitmap)
			mp.tags[string(t.Key)] = vals
		}
		bm := vals[string(t.Value)]
		if bm == nil {
			bm = roaring.New()
			vals[string(t.Value)] = bm
		}
		bm.Add(uint32(id))
	}
	return e
}

// count is the number of series.
func (x *seriesIndex) count() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byKey)
}

// The series file (series.log in the database dir) is append-only: records
// of uvarint(id) uvarint(len) key, each followed by a CRC32-C of the record.
// It is appended and fsynced at every checkpoint, before the WAL segments
// that defined those series are removed.

const seriesFileName = "series.log"

// loadSeriesFile reads a series file; a torn tail (crash during append) is
// ignored because the WAL still holds those definitions.
func (x *seriesIndex) loadSeriesFile(fsys vfs.FS, path string, schemaFor func(key []byte) *measurementSchema) error {
	f, err := fsys.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	var rec []byte
	for {
		id, err := binary.ReadUvarint(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // torn tail
		}
		n, err := binary.ReadUvarint(r)
		if err != nil || n > 1<<20 {
			return nil
		}
		rec = rec[:0]
		rec = binary.AppendUvarint(rec, id)
		rec = binary.AppendUvarint(rec, n)
		start := len(rec)
		rec = append(rec, make([]byte, n+4)...)
		if _, err := io.ReadFull(r, rec[start:]); err != nil {
			return nil
		}
		body := rec[:len(rec)-4]
		if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(rec[len(rec)-4:]) {
			return fmt.Errorf("%w: series file %s: bad checksum for series %d", ErrCorrupt, path, id)
		}
		key := rec[start : start+int(n)]
		meas := seriesKeyMeasurement(key)
		if meas == nil {
			return fmt.Errorf("%w: series file %s: malformed key of series %d", ErrCorrupt, path, id)
		}
		e, err := x.define(id, string(key), schemaFor(meas))
		if err != nil {
			return fmt.Errorf("series file %s: %w", path, err)
		}
		e.logged.Store(true)
		if id > x.persisted {
			x.persisted = id
		}
	}
}

// persist appends every series with id > persisted to the series file and syncs it.
func (x *seriesIndex) persist(fsys vfs.FS, path string) error {
	x.mu.RLock()
	from := x.persisted + 1
	var entries []*seriesEntry
	for id := from; id < uint64(len(x.byID)); id++ {
		if e := x.byID[id]; e != nil {
			entries = append(entries, e)
		}
	}
	x.mu.RUnlock()
	if len(entries) == 0 {
		return nil
	}
	var f vfs.File
	f, err := fsys.OpenReadWrite(path)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = fsys.Create(path)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	var rec []byte
	for _, e := range entries {
		rec = binary.AppendUvarint(rec[:0], e.id)
		rec = binary.AppendUvarint(rec, uint64(len(e.key)))
		rec = append(rec, e.key...)
		rec = binary.LittleEndian.AppendUint32(rec, crc32.Checksum(rec, castagnoli))
		if _, err := w.Write(rec); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	x.mu.Lock()
	last := entries[len(entries)-1].id
	if last > x.persisted {
		x.persisted = last
	}
	x.mu.Unlock()
	for _, e := range entries {
		e.logged.Store(true)
	}
	return nil
}

// measurementSchema holds the field types of one measurement. Field lookups are
// lock-free (copy-on-write map) because they happen for every value written.
type measurementSchema struct {
	name   string
	fields atomic.Pointer[map[string]*fieldDef]
	// mu serialises additions to fields and list.
	mu   sync.Mutex
	list []*fieldDef // by idx
}

// fieldDef is one field of a measurement.
type fieldDef struct {
	idx  uint32
	typ  model.FieldType
	name string
	// logged: the definition is durable in the WAL or the schema file.
	logged atomic.Bool
}

func newMeasurementSchema(name string) *measurementSchema {
	m := &measurementSchema{name: name}
	empty := map[string]*fieldDef{}
	m.fields.Store(&empty)
	return m
}

// field returns the field named name or nil.
func (m *measurementSchema) field(name []byte) *fieldDef {
	return (*m.fields.Load())[string(name)]
}

// fieldByIdx returns the field with idx or nil.
func (m *measurementSchema) fieldByIdx(idx uint32) *fieldDef {
	m.mu.Lock()
	defer m.mu.Unlock()
	if int(idx) >= len(m.list) {
		return nil
	}
	return m.list[idx]
}

// add returns the field named name, adding it with typ when missing. The
// returned field's type may differ from typ (a concurrent writer won).
func (m *measurementSchema) add(name []byte, typ model.FieldType) *fieldDef {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.fields.Load()
	if f := old[string(name)]; f != nil {
		return f
	}
	f := &fieldDef{idx: uint32(len(m.list)), typ: typ, name: string(name)}
	return m.insertLocked(old, f)
}

// define adds a field with a known idx (from WAL or schema file); idempotent.
func (m *measurementSchema) define(idx uint32, name string, typ model.FieldType) (*fieldDef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.fields.Load()
	if f := old[name]; f != nil {
		if f.idx != idx || f.typ != typ {
			return nil, fmt.Errorf("%w: field %q of %q redefined", ErrCorrupt, name, m.name)
		}
		return f, nil
	}
	if int(idx) < len(m.list) && m.list[idx] != nil {
		return nil, fmt.Errorf("%w: field index %d of %q redefined", ErrCorrupt, idx, m.name)
	}
	if idx > 1<<20 {
		return nil, fmt.Errorf("%w: field index %d out of range", ErrCorrupt, idx)
	}
	return m.insertLocked(old, &fieldDef{idx: idx, typ: typ, name: name}), nil
}

func (m *measurementSchema) insertLocked(old map[string]*fieldDef, f *fieldDef) *fieldDef {
	next := make(map[string]*fieldDef, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[f.name] = f
	for len(m.list) <= int(f.idx) {
		m.list = append(m.list, nil)
	}
	m.list[f.idx] = f
	m.fields.Store(&next)
	return f
}

// listByIdx returns a copy of the fields indexed by idx (nil holes possible).
func (m *measurementSchema) listByIdx() []*fieldDef {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*fieldDef(nil), m.list...)
}

// snapshot returns the fields in idx order.
func (m *measurementSchema) snapshot() []*fieldDef {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*fieldDef, 0, len(m.list))
	for _, f := range m.list {
		if f != nil {
			out = append(out, f)
		}
	}
	return out
}
