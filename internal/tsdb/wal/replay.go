package wal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/fieldhub/fieldhub/internal/vfs"
)

// scanner reads the records of segment files, reusing its buffers across
// records and segments.
type scanner struct {
	fsys vfs.FS
	br   *bufio.Reader
	body []byte // stored bytes of the current record
	dec  []byte // decompressed payload of the current record
}

// scanResult is the outcome of scanning one segment.
type scanResult struct {
	records int64
	good    int64 // offset just past the last good record
	size    int64 // file size
	damage  error // why scanning stopped before size; wraps ErrCorrupt
}

// scan calls fn (when not nil) with each good record of the segment at path,
// in order, until the end or the first damaged record. err is an I/O error,
// ctx's error or fn's; damage is reported in the result, not as err.
func (s *scanner) scan(ctx context.Context, path string, fn func(payload []byte) error) (scanResult, error) {
	var res scanResult
	f, err := s.fsys.Open(path)
	if err != nil {
		return res, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return res, err
	}
	res.size = st.Size()
	if s.br == nil {
		s.br = bufio.NewReaderSize(nil, 256<<10)
	}
	s.br.Reset(io.NewSectionReader(f, 0, res.size))
	var hdr [headerLen]byte
	for res.good < res.size {
		if res.records%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		left := res.size - res.good
		if left < headerLen {
			res.damage = fmt.Errorf("%w: torn header, %d bytes left", ErrCorrupt, left)
			return res, nil
		}
		if _, err := io.ReadFull(s.br, hdr[:]); err != nil {
			return res, s.readErr(&res, err)
		}
		h := parseHeader(hdr[:])
		if int64(h.length) > left-headerLen || int64(h.length) > int64(maxStored) {
			res.damage = fmt.Errorf("%w: length %d runs past the segment end (%d bytes left)", ErrCorrupt, h.length, left-headerLen)
			return res, nil
		}
		if cap(s.body) < int(h.length) {
			s.body = make([]byte, h.length)
		}
		body := s.body[:h.length]
		if _, err := io.ReadFull(s.br, body); err != nil {
			return res, s.readErr(&res, err)
		}
		payload, derr := decodeBody(h, body, &s.dec)
		if derr != nil {
			res.damage = derr
			return res, nil
		}
		if fn != nil {
			if err := fn(payload); err != nil {
				return res, err
			}
		}
		res.records++
		res.good += headerLen + int64(h.length)
	}
	return res, nil
}

// readErr classifies a failed read: running out of file means the segment
// shrank under us, which is damage like any torn tail; anything else is I/O.
func (s *scanner) readErr(res *scanResult, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		res.damage = fmt.Errorf("%w: segment ended early", ErrCorrupt)
		return nil
	}
	return err
}

// Replay calls fn with every record of the segments that existed at Open, in
// append order. At the first damaged record (short, bad length, bad checksum,
// unknown flags, undecodable) it truncates that segment after the last good
// record, removes every later segment, logs one warning saying what it
// dropped, and returns nil with Truncated set. It returns an error only for
// I/O failures, ctx cancellation or an error from fn (which stops the replay
// and changes nothing). The payload passed to fn is valid only during the call.
func (w *WAL) Replay(ctx context.Context, fn func(payload []byte) error) (ReplayStats, error) {
	var st ReplayStats
	w.mu.Lock()
	if w.mu.closed {
		w.mu.Unlock()
		return st, ErrClosed
	}
	var segs []uint64
	for _, n := range w.mu.segments {
		if n < w.mu.replayEnd {
			segs = append(segs, n)
		}
	}
	w.mu.Unlock()

	s := scanner{fsys: w.opts.FS}
	for i, n := range segs {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		res, err := s.scan(ctx, w.path(n), fn)
		st.Records += res.records
		st.Bytes += res.good
		if err != nil {
			return st, fmt.Errorf("replay wal segment %d: %w", n, err)
		}
		st.Segments++
		if res.damage == nil {
			continue
		}
		later := segs[i+1:]
		dropped := res.size - res.good
		w.mu.Lock()
		for _, m := range later {
			dropped += w.mu.sizes[m]
		}
		w.mu.Unlock()
		if err := w.truncate(n, res.good, later); err != nil {
			return st, err
		}
		st.Truncated = true
		st.DroppedBytes = dropped
		w.opts.Logger.Warn("wal damaged, truncated at the last good record",
			"segment", segmentName(n), "offset", res.good, "dropped_bytes", dropped,
			"later_segments_removed", len(later), "reason", res.damage.Error())
		return st, nil
	}
	return st, nil
}

// truncate cuts segment n to size and removes the later segments, durably.
func (w *WAL) truncate(n uint64, size int64, later []uint64) error {
	f, err := w.opts.FS.OpenReadWrite(w.path(n))
	if err != nil {
		return fmt.Errorf("truncate wal segment %d: %w", n, err)
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("truncate wal segment %d at %d: %w", n, size, err)
	}
	w.mu.Lock()
	w.mu.sizes[n] = size
	w.mu.Unlock()
	for _, m := range later {
		if err := w.opts.FS.Remove(w.path(m)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove wal segment %d after damage: %w", m, err)
		}
		w.forgetSegment(m)
	}
	if err := w.opts.FS.SyncDir(w.opts.Dir); err != nil {
		return fmt.Errorf("sync wal dir after truncation: %w", err)
	}
	return nil
}

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Segments, Records int64
	// Problems describes each damaged segment: where the damage starts and why.
	Problems []string
}

// Verify checks every record of every segment in dir without changing
// anything. Damage is listed in the report; the error is for I/O failures
// (a missing dir wraps fs.ErrNotExist).
func Verify(ctx context.Context, fsys vfs.FS, dir string) (VerifyReport, error) {
	var rep VerifyReport
	segs, err := listSegments(fsys, dir)
	if err != nil {
		return rep, err
	}
	s := scanner{fsys: fsys}
	for _, n := range segs {
		res, err := s.scan(ctx, filepath.Join(dir, segmentName(n)), nil)
		rep.Records += res.records
		if err != nil {
			return rep, fmt.Errorf("verify wal segment %d: %w", n, err)
		}
		rep.Segments++
		if res.damage != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("wal segment %s at offset %d: %v (%d bytes from there to the end)",
				segmentName(n), res.good, res.damage, res.size-res.good))
		}
	}
	return rep, nil
}
