package tsdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/fieldhub/fieldhub/internal/vfs"
)

// partition is one time window of a retention policy on disk: a set of
// immutable parts listed by its manifest, and tombstones not yet applied.
type partition struct {
	rp         *retentionPolicy
	start, end int64
	dir        string

	// ioMu serialises changes of the part set (flush, compaction, delete); it
	// is held across disk I/O, so readers never take it.
	ioMu sync.Mutex
	// mu guards the fields below; never held across disk I/O.
	mu         sync.RWMutex
	parts      []*part // sorted by seq
	tombstones []tombstone
	nextSeq    uint64
	compacting bool
	dropped    bool
	// lastFlush is when a flush last added a part (unix ns); 0 after open.
	lastFlush int64
}

// part is an open part file.
type part struct {
	seq   uint64
	level int
	name  string
	path  string
	fs    vfs.FS
	f     vfs.File
	idx   *partIndex
	size  int64
	// series is the set of series ids with blocks in this part.
	series   *roaring.Bitmap
	minT     int64
	maxT     int64
	refs     atomic.Int32 // 1 for the partition's reference plus readers
	obsolete atomic.Bool  // replaced by compaction or dropped; remove when unreferenced
}

// tombstone deletes the rows of some series within [min, max] from every part
// with seq < seq. It lives in the manifest until a compaction that merges all
// those parts applies it.
type tombstone struct {
	Seq    uint64   `json:"seq"`
	Min    int64    `json:"min"`
	Max    int64    `json:"max"`
	Series []uint64 `json:"series"`
	set    *roaring.Bitmap
}

func (t *tombstone) covers(id uint64, ts int64, seq uint64) bool {
	return seq < t.Seq && ts >= t.Min && ts <= t.Max && t.set.Contains(uint32(id))
}

const manifestName = "MANIFEST"

type manifestState struct {
	NextSeq    uint64         `json:"next_seq"`
	Parts      []manifestPart `json:"parts"`
	Tombstones []tombstone    `json:"tombstones,omitempty"`
}

type manifestPart struct {
	Name  string `json:"name"`
	Seq   uint64 `json:"seq"`
	Level int    `json:"level"`
}

func partitionDirName(start int64) string {
	return "p" + strconv.FormatInt(start, 10)
}

func partName(seq uint64, level int, fileID uint64) string {
	return fmt.Sprintf("%016d-L%d-%d.part", seq, level, fileID)
}

// openPartition loads a partition dir: its manifest and parts; files not in
// the manifest (interrupted flushes or compactions) are removed.
func openPartition(fsys vfs.FS, rp *retentionPolicy, dir string, start int64) (*partition, error) {
	p := &partition{rp: rp, start: start, end: start + int64(rp.partitionDuration), dir: dir, nextSeq: 1}
	b, err := vfs.ReadFile(fsys, filepath.Join(dir, manifestName))
	var st manifestState
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("%w: manifest %s: %v", ErrCorrupt, dir, err)
		}
	}
	if st.NextSeq > 0 {
		p.nextSeq = st.NextSeq
	}
	keep := map[string]bool{manifestName: true}
	for _, mp := range st.Parts {
		pt, err := openPart(fsys, filepath.Join(dir, mp.Name), mp.Seq, mp.Level)
		if err != nil {
			for _, q := range p.parts {
				q.f.Close()
			}
			return nil, fmt.Errorf("open part %s: %w", filepath.Join(dir, mp.Name), err)
		}
		p.parts = append(p.parts, pt)
		keep[mp.Name] = true
	}
	sort.Slice(p.parts, func(i, j int) bool { return p.parts[i].seq < p.parts[j].seq })
	for _, t := range st.Tombstones {
		t.set = roaring.New()
		for _, id := range t.Series {
			t.set.Add(uint32(id))
		}
		p.tombstones = append(p.tombstones, t)
	}
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, de := range entries {
		if !keep[de.Name()] {
			if err := fsys.RemoveAll(filepath.Join(dir, de.Name())); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

func openPart(fsys vfs.FS, path string, seq uint64, level int) (*part, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	idx, err := readPartIndex(f, st.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	pt := &part{seq: seq, level: level, name: filepath.Base(path), path: path, fs: fsys, f: f, idx: idx, size: st.Size(), series: roaring.New()}
	pt.minT, pt.maxT = 1<<63-1, -1<<63
	for i := range idx.blocks {
		bm := &idx.blocks[i]
		pt.series.Add(uint32(bm.series))
		pt.minT, pt.maxT = min(pt.minT, bm.minT), max(pt.maxT, bm.maxT)
	}
	pt.refs.Store(1)
	return pt, nil
}

// acquire takes a reader reference.
func (pt *part) acquire() { pt.refs.Add(1) }

// release drops a reference; the last one closes (and, if obsolete, removes) the file.
func (pt *part) release() {
	if pt.refs.Add(-1) == 0 {
		pt.f.Close()
		if pt.obsolete.Load() {
			pt.fs.Remove(pt.path)
		}
	}
}

// blocksOf returns the blocks of series id (sorted by time).
func (pt *part) blocksOf(id uint64) []blockMeta {
	bs := pt.idx.blocks
	i := sort.Search(len(bs), func(i int) bool { return bs[i].series >= id })
	j := i
	for j < len(bs) && bs[j].series == id {
		j++
	}
	return bs[i:j]
}

// snapshot returns the partition's parts (each acquired) and tombstones.
func (p *partition) snapshot() ([]*part, []tombstone) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	parts := append([]*part(nil), p.parts...)
	for _, pt := range parts {
		pt.acquire()
	}
	return parts, append([]tombstone(nil), p.tombstones...)
}

func releaseAll(parts []*part) {
	for _, pt := range parts {
		pt.release()
	}
}

// writeManifestLocked persists the manifest; p.mu must be held (it does I/O,
// but only the partition's own small file, and flush/compaction are the only writers).
func (p *partition) manifestLocked() []byte {
	st := manifestState{NextSeq: p.nextSeq, Tombstones: p.tombstones}
	for _, pt := range p.parts {
		st.Parts = append(st.Parts, manifestPart{Name: pt.name, Seq: pt.seq, Level: pt.level})
	}
	b, err := json.Marshal(&st)
	if err != nil {
		panic("BUG: marshal manifest: " + err.Error())
	}
	return b
}

// diskSize is the bytes of the partition's parts.
func (p *partition) diskSize() int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var n int64
	for _, pt := range p.parts {
		n += pt.size
	}
	return n
}

// isPartFile reports whether name looks like a part file.
func isPartFile(name string) bool { return strings.HasSuffix(name, ".part") }
