package tsdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/vfs"
)

// database is one database: its series index, field schema and retention policies.
type database struct {
	id     uint64
	name   string
	dir    string
	series *seriesIndex
	// dropMu serialises DROP and DELETE (meta.go): their tombstones, the
	// series.drop file and the index changes that follow.
	dropMu sync.Mutex

	// schemaMu guards schemas; never held across disk I/O.
	schemaMu sync.RWMutex
	schemas  map[string]*measurementSchema

	// rps is replaced copy-on-write under Engine.mu.mu; readers load it through the engine.
	rps           map[string]*retentionPolicy
	defaultPolicy string
}

func newDatabase(id uint64, name, dir string) *database {
	return &database{
		id: id, name: name, dir: dir,
		series:  newSeriesIndex(),
		schemas: make(map[string]*measurementSchema),
		rps:     make(map[string]*retentionPolicy),
	}
}

// schema returns the schema of a measurement, creating it when missing.
func (d *database) schema(measurement []byte) *measurementSchema {
	d.schemaMu.RLock()
	m := d.schemas[string(measurement)]
	d.schemaMu.RUnlock()
	if m != nil {
		return m
	}
	d.schemaMu.Lock()
	defer d.schemaMu.Unlock()
	if m = d.schemas[string(measurement)]; m == nil {
		m = newMeasurementSchema(string(measurement))
		d.schemas[m.name] = m
	}
	return m
}

// lookupSchema returns the schema of a measurement or nil.
func (d *database) lookupSchema(measurement string) *measurementSchema {
	d.schemaMu.RLock()
	defer d.schemaMu.RUnlock()
	return d.schemas[measurement]
}

// measurements lists measurement names, sorted.
func (d *database) measurements() []string {
	d.schemaMu.RLock()
	defer d.schemaMu.RUnlock()
	out := make([]string, 0, len(d.schemas))
	for n := range d.schemas {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// The schema file (fields.json in the database dir) is rewritten atomically at
// every checkpoint.
const schemaFileName = "fields.json"

type schemaFileState struct {
	Measurements map[string][]schemaFieldState `json:"measurements"`
}

type schemaFieldState struct {
	Idx  uint32          `json:"idx"`
	Name string          `json:"name"`
	Type model.FieldType `json:"type"`
}

func (d *database) loadSchema(fsys vfs.FS) error {
	b, err := vfs.ReadFile(fsys, filepath.Join(d.dir, schemaFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var st schemaFileState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%w: schema file of database %q: %v", ErrCorrupt, d.name, err)
	}
	for mname, fields := range st.Measurements {
		m := d.schema([]byte(mname))
		for _, f := range fields {
			fd, err := m.define(f.Idx, f.Name, f.Type)
			if err != nil {
				return err
			}
			fd.logged.Store(true)
		}
	}
	return nil
}

func (d *database) persistSchema(fsys vfs.FS) error {
	d.schemaMu.RLock()
	ms := make([]*measurementSchema, 0, len(d.schemas))
	for _, m := range d.schemas {
		ms = append(ms, m)
	}
	d.schemaMu.RUnlock()
	st := schemaFileState{Measurements: make(map[string][]schemaFieldState, len(ms))}
	var all []*fieldDef
	for _, m := range ms {
		fields := m.snapshot()
		out := make([]schemaFieldState, 0, len(fields))
		for _, f := range fields {
			out = append(out, schemaFieldState{Idx: f.idx, Name: f.name, Type: f.typ})
		}
		st.Measurements[m.name] = out
		all = append(all, fields...)
	}
	b, err := json.Marshal(&st)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(fsys, filepath.Join(d.dir, schemaFileName), b); err != nil {
		return err
	}
	for _, f := range all {
		f.logged.Store(true)
	}
	return nil
}

// retentionPolicy is one retention policy of a database: its in-memory head and its partitions on disk.
type retentionPolicy struct {
	db                *database
	id                uint64
	name              string
	dir               string
	duration          time.Duration // 0 = forever; guarded by Engine.mu
	partitionDuration time.Duration
	replicaN          int
	cache             lvc

	// mu guards the fields below; never held across disk I/O.
	mu         sync.RWMutex
	active     *head
	frozen     []*head // being flushed; still visible to readers
	partitions map[int64]*partition
}

// partitionStart returns the start of the partition that holds t.
func (rp *retentionPolicy) partitionStart(t int64) int64 {
	w := int64(rp.partitionDuration)
	s := t - t%w
	if t < 0 && t%w != 0 {
		s -= w
	}
	return s
}
