package tsdb

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/fieldhub/fieldhub/internal/model"
)

// recordReader decodes a WAL record written by Batch.record.
type recordReader struct {
	b   []byte
	err error
}

func (r *recordReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: bad varint in WAL record", ErrCorrupt)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: bad varint in WAL record", ErrCorrupt)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("%w: WAL record length %d past end", ErrCorrupt, n)
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func (r *recordReader) byte1() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = fmt.Errorf("%w: WAL record ends early", ErrCorrupt)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *recordReader) u64() uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.err = fmt.Errorf("%w: WAL record ends early", ErrCorrupt)
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

// applyRecord decodes one WAL record and appends its points to the retention
// policy's active head. rp is the batch's policy on the write path and nil on
// replay, where it is looked up by id (records of dropped databases or
// policies are skipped). It returns the number of points and values applied.
func (e *Engine) applyRecord(rec []byte, rp *retentionPolicy) (applied, values int, err error) {
	r := recordReader{b: rec}
	if v := r.byte1(); r.err == nil && v != walRecordVersion {
		return 0, 0, fmt.Errorf("%w: unknown WAL record version %d", ErrCorrupt, v)
	}
	dbID, rpID := r.uvarint(), r.uvarint()
	if r.err != nil {
		return 0, 0, r.err
	}
	if rp == nil {
		rp = e.policyByID(dbID, rpID)
		if rp == nil {
			return 0, 0, nil // dropped since
		}
	}
	d := rp.db
	nd := r.uvarint()
	for i := uint64(0); i < nd && r.err == nil; i++ {
		id, key := r.uvarint(), r.bytes()
		if r.err != nil {
			break
		}
		meas := seriesKeyMeasurement(key)
		if meas == nil {
			return 0, 0, fmt.Errorf("%w: malformed series key in WAL record", ErrCorrupt)
		}
		se, err := d.series.define(id, string(key), d.schema(meas))
		if err != nil {
			return 0, 0, err
		}
		se.logged.Store(true)
	}
	nf := r.uvarint()
	for i := uint64(0); i < nf && r.err == nil; i++ {
		meas, idx, typ, name := r.bytes(), r.uvarint(), model.FieldType(r.byte1()), r.bytes()
		if r.err != nil {
			break
		}
		if typ < model.Float || typ > model.String || idx > math.MaxUint32 {
			return 0, 0, fmt.Errorf("%w: bad field definition in WAL record", ErrCorrupt)
		}
		fd, err := d.schema(meas).define(uint32(idx), string(name), typ)
		if err != nil {
			return 0, 0, err
		}
		fd.logged.Store(true)
	}
	npts := r.uvarint()
	if r.err != nil {
		return 0, 0, r.err
	}
	h := rp.activeHead()
	var (
		t      int64
		hp     *headPartition
		curM   *measurementSchema
		fields []*fieldDef
		added  int64
		vals   []headValue
	)
	defer func() {
		if hp != nil {
			hp.mu.Unlock()
		}
		h.addBytes(added)
	}()
	d.series.mu.RLock()
	defer d.series.mu.RUnlock()
	for i := uint64(0); i < npts; i++ {
		id := r.uvarint()
		t += r.varint()
		nfields := r.uvarint()
		if r.err != nil {
			return applied, values, r.err
		}
		se := d.series.byIDLocked(id)
		if se == nil {
			return applied, values, fmt.Errorf("%w: WAL record refers to unknown series %d", ErrCorrupt, id)
		}
		if se.m != curM {
			curM = se.m
			fields = curM.listByIdx()
		}
		start := rp.partitionStart(t)
		if hp == nil || hp.start != start {
			if hp != nil {
				hp.mu.Unlock()
			}
			hp = h.partition(start)
			hp.mu.Lock()
		}
		sb := hp.series[id]
		if sb == nil {
			sb = newHeadSeries(se.m)
			hp.series[id] = sb
			added += seriesBufOverhead
		}
		vals = vals[:0]
		for j := uint64(0); j < nfields; j++ {
			idx := r.uvarint()
			if r.err != nil {
				return applied, values, r.err
			}
			fd := fieldAt(curM, &fields, idx)
			if fd == nil {
				return applied, values, fmt.Errorf("%w: WAL record refers to unknown field %d of %q", ErrCorrupt, idx, curM.name)
			}
			v := headValue{f: fd}
			switch fd.typ {
			case model.Float:
				v.bits = r.u64()
			case model.Integer:
				v.bits = uint64(r.varint())
			case model.Unsigned:
				v.bits = r.uvarint()
			case model.Boolean:
				v.bits = uint64(r.byte1() & 1)
			case model.String:
				v.str = r.bytes()
			}
			if r.err != nil {
				return applied, values, r.err
			}
			vals = append(vals, v)
		}
		added += sb.appendRowLocked(t, vals)
		applied++
		values += int(nfields)
	}
	return applied, values, nil
}

// seriesBufOverhead approximates a new series' head cost: the headSeries
// struct plus its slot in the partition's map.
const seriesBufOverhead = int64(unsafe.Sizeof(headSeries{})) + 48

// fieldAt returns field idx of m, refreshing the cached snapshot when a newer field appears.
func fieldAt(m *measurementSchema, cache *[]*fieldDef, idx uint64) *fieldDef {
	if idx < uint64(len(*cache)) && (*cache)[idx] != nil && (*cache)[idx].idx == uint32(idx) {
		return (*cache)[idx]
	}
	*cache = m.listByIdx()
	if idx < uint64(len(*cache)) {
		return (*cache)[idx]
	}
	return nil
}
