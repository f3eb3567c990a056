package tsdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fieldhub/fieldhub/internal/vfs"
)

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Parts, Blocks, Values int64
	Bytes                 int64
	// Problems lists every corruption found, each naming its file.
	Problems []string
}

// Verify checks a data directory without opening an engine or changing any
// file: the catalog, every partition manifest, every part's index checksum and
// every block's checksum, and that every block decodes to the row and value
// counts its index promises. The WAL is checked separately (wal.Verify).
func Verify(ctx context.Context, fsys vfs.FS, dir string, progress func(path string)) (*VerifyReport, error) {
	if fsys == nil {
		fsys = vfs.Default
	}
	rep := &VerifyReport{}
	b, err := vfs.ReadFile(fsys, filepath.Join(dir, catalogFile))
	if errors.Is(err, fs.ErrNotExist) {
		return rep, nil
	}
	if err != nil {
		return nil, err
	}
	var st catalogState
	if err := jsonUnmarshal(b, &st); err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", catalogFile, err))
		return rep, nil
	}
	for _, ds := range st.Databases {
		dbDir := filepath.Join(dir, "db-"+strconv.FormatUint(ds.ID, 10))
		x := newSeriesIndex()
		d := newDatabase(ds.ID, ds.Name, dbDir)
		if err := x.loadSeriesFile(fsys, filepath.Join(dbDir, seriesFileName), d.schema); err != nil {
			rep.Problems = append(rep.Problems, err.Error())
		}
		for _, rs := range ds.Policies {
			rpDir := filepath.Join(dbDir, "rp-"+strconv.FormatUint(rs.ID, 10))
			entries, err := fsys.ReadDir(rpDir)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", rpDir, err))
				}
				continue
			}
			for _, de := range entries {
				if !de.IsDir() || !strings.HasPrefix(de.Name(), "p") {
					continue
				}
				pdir := filepath.Join(rpDir, de.Name())
				mb, err := vfs.ReadFile(fsys, filepath.Join(pdir, manifestName))
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				var ms manifestState
				if err == nil {
					err = jsonUnmarshal(mb, &ms)
				}
				if err != nil {
					rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", filepath.Join(pdir, manifestName), err))
					continue
				}
				for _, mp := range ms.Parts {
					if err := ctx.Err(); err != nil {
						return rep, err
					}
					path := filepath.Join(pdir, mp.Name)
					if progress != nil {
						progress(path)
					}
					verifyPart(fsys, path, rep)
				}
			}
		}
	}
	return rep, nil
}

func verifyPart(fsys vfs.FS, path string, rep *VerifyReport) {
	f, err := fsys.Open(path)
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", path, err))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", path, err))
		return
	}
	rep.Parts++
	rep.Bytes += st.Size()
	pi, err := readPartIndex(f, st.Size())
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", path, err))
		return
	}
	var buf []byte
	for i := range pi.blocks {
		bm := &pi.blocks[i]
		data, err := readBlock(f, bm, buf)
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		buf = data
		r, err := decodeBlock(pi, bm, data, nil)
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		rep.Blocks++
		for _, c := range r.cols {
			for j := 0; j < c.Len(); j++ {
				if c.IsValid(j) {
					rep.Values++
				}
			}
		}
	}
}
