package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/fieldhub/fieldhub/internal/lineproto"
	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/tsdb"
	"github.com/klauspost/compress/gzip"
)

// maxReportedProblems caps the problems listed in a partial-write error.
const maxReportedProblems = 10

// maxPooledBody keeps one huge request from pinning its buffer in the pool forever.
const maxPooledBody = 8 << 20

// writeState is the per-request scratch memory of a write, pooled so that a
// steady stream of writes allocates almost nothing.
type writeState struct {
	body   []byte
	gz     *gzip.Reader
	parser lineproto.Parser
	pt     model.Point
	msg    []byte // partial-write message under construction
	cr     countingReader
}

var writePool = sync.Pool{New: func() any { return new(writeState) }}

// countingReader counts the bytes read from the wire (for the bytes-received
// metric), caps them at limit, and remembers a read error so that a failing
// connection is not blamed on the gzip layer above it.
type countingReader struct {
	r       io.Reader
	n       int64
	limit   int64
	lastErr error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.limit {
		err = errBodyTooLarge
	}
	if err != nil && err != io.EOF {
		c.lastErr = err
	}
	return n, err
}

// errBodyTooLarge marks a body (decompressed or not) over the limit.
var errBodyTooLarge = errors.New("request body too large")

// encodingError marks a body that cannot be decoded: bad gzip or an unsupported Content-Encoding.
type encodingError struct{ err error }

func (e *encodingError) Error() string { return e.err.Error() }
func (e *encodingError) Unwrap() error { return e.err }

func (a *API) serveWrite(w http.ResponseWriter, r *http.Request, v2 bool) {
	if r.Method != http.MethodPost {
		a.methodNotAllowed(w, "POST")
		return
	}
	q := r.URL.Query()
	var db, rp string
	var prec lineproto.Precision
	var err error
	if v2 {
		bucket := q.Get("bucket")
		if bucket == "" {
			a.writeFail(w, http.StatusBadRequest, reasonBadRequest, "bucket is required")
			return
		}
		db, rp, _ = strings.Cut(bucket, "/")
		switch p := q.Get("precision"); p {
		case "", "ns", "us", "ms", "s":
			prec, _ = lineproto.ParsePrecision(p)
		default:
			err = fmt.Errorf("invalid precision %q (want ns, us, ms or s)", p)
		}
	} else {
		db, rp = q.Get("db"), q.Get("rp")
		if p := q.Get("precision"); p != "" {
			if prec, err = lineproto.ParsePrecision(p); err != nil {
				err = fmt.Errorf("invalid precision %q (want n, ns, u, us, ms, s, m or h)", p)
			}
		}
	}
	if db == "" {
		a.writeFail(w, http.StatusBadRequest, reasonBadRequest, "database is required")
		return
	}
	if err != nil {
		a.writeFail(w, http.StatusBadRequest, reasonBadRequest, err.Error())
		return
	}
	if !a.authorize(w, r, ActionWrite, db) {
		a.metrics.writeError(reasonUnauthorized, 1)
		return
	}
	// Refuse before reading the body: a full head would only make us buffer it for nothing.
	if err := a.engine.CheckWritable(); err != nil {
		a.commitFail(w, err)
		return
	}
	b, err := a.engine.NewBatch(db, rp)
	if err != nil {
		switch {
		case errors.Is(err, tsdb.ErrDatabaseNotFound):
			a.writeFail(w, http.StatusNotFound, reasonNotFound, fmt.Sprintf("database not found: %q", db))
		case errors.Is(err, tsdb.ErrRetentionPolicyNotFound):
			a.writeFail(w, http.StatusNotFound, reasonNotFound, fmt.Sprintf("retention policy not found: %q", rp))
		default:
			a.commitFail(w, err)
		}
		return
	}
	defer b.Release()
	if r.ContentLength > a.opts.MaxBodySize {
		a.writeFail(w, http.StatusRequestEntityTooLarge, reasonTooLarge,
			fmt.Sprintf("request body too large: %d bytes, limit %d", r.ContentLength, a.opts.MaxBodySize))
		return
	}

	st := writePool.Get().(*writeState)
	defer func() {
		st.cr.r = nil
		if cap(st.body) > maxPooledBody {
			st.body = nil
		}
		writePool.Put(st)
	}()
	if err := a.readBody(st, r); err != nil {
		var ee *encodingError
		switch {
		case errors.Is(err, errBodyTooLarge):
			a.writeFail(w, http.StatusRequestEntityTooLarge, reasonTooLarge,
				fmt.Sprintf("request body too large: limit %d bytes", a.opts.MaxBodySize))
		case errors.As(err, &ee):
			a.writeFail(w, http.StatusBadRequest, reasonBadRequest, ee.Error())
		default:
			a.writeFail(w, http.StatusBadRequest, reasonClientGone, "read request body: "+err.Error())
		}
		return
	}
	if len(st.body) == 0 {
		// InfluxDB 1.8 accepts an empty write as a no-op.
		w.WriteHeader(http.StatusNoContent)
		return
	}

	dropped, reported := a.parseInto(st, b, prec)
	if err := a.engine.Commit(r.Context(), b); err != nil {
		a.commitFail(w, err)
		return
	}
	a.metrics.written(b.Points(), b.Values(), st.cr.n)
	if dropped > 0 {
		a.metrics.partialWrite()
		if dropped > reported {
			st.msg = fmt.Appendf(st.msg, "; and %d more", dropped-reported)
		}
		st.msg = append(st.msg, " dropped="...)
		st.msg = strconv.AppendInt(st.msg, int64(dropped), 10)
		a.writeFail(w, http.StatusBadRequest, "", string(st.msg))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// readBody reads r's body, gunzipping it if needed, into st.body, enforcing
// MaxBodySize on both the wire bytes and the decompressed bytes.
func (a *API) readBody(st *writeState, r *http.Request) error {
	max := a.opts.MaxBodySize
	st.cr = countingReader{r: r.Body, limit: max}
	var src io.Reader = &st.cr
	if enc := r.Header.Get("Content-Encoding"); enc != "" && enc != "identity" {
		if !strings.EqualFold(enc, "gzip") {
			return &encodingError{fmt.Errorf("unsupported Content-Encoding %q (want gzip or identity)", enc)}
		}
		if st.gz == nil {
			gz, err := gzip.NewReader(src)
			if err != nil {
				if errors.Is(err, errBodyTooLarge) {
					return err
				}
				return gunzipErr(err)
			}
			st.gz = gz
		} else if err := st.gz.Reset(src); err != nil {
			if errors.Is(err, errBodyTooLarge) {
				return err
			}
			return gunzipErr(err)
		}
		src = st.gz
	}
	buf := st.body[:0]
	if r.ContentLength > 0 && src == io.Reader(&st.cr) && int64(cap(buf)) < r.ContentLength {
		buf = make([]byte, 0, r.ContentLength+1) // +1 so the final read sees EOF without growing
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			st.body = buf[:0]
			return errBodyTooLarge
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			st.body = buf[:0]
			if errors.Is(err, errBodyTooLarge) || errors.Is(st.cr.lastErr, errBodyTooLarge) {
				return errBodyTooLarge
			}
			if src != io.Reader(&st.cr) && st.cr.lastErr == nil {
				return gunzipErr(err)
			}
			return err
		}
	}
	st.body = buf
	return nil
}

func gunzipErr(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &encodingError{fmt.Errorf("invalid gzip body: %w", err)}
}

// parseInto parses st.body into b. It returns how many lines or points were
// dropped and how many of those st.msg describes.
func (a *API) parseInto(st *writeState, b *tsdb.Batch, prec lineproto.Precision) (dropped, reported int) {
	p := &st.parser
	p.Reset(st.body, prec, a.opts.Now().UnixNano())
	st.msg = append(st.msg[:0], "partial write: "...)
	var lc lineCounter
	var nParse, nConflict, nRetention, nInvalid int
	for {
		ok, err := p.Next(&st.pt)
		if !ok {
			break
		}
		if err != nil {
			nParse++
			if dropped++; reported < maxReportedProblems {
				if reported > 0 {
					st.msg = append(st.msg, "; "...)
				}
				st.msg = append(st.msg, err.Error()...)
				reported++
			}
			continue
		}
		err = b.Add(&st.pt)
		if err == nil {
			continue
		}
		var fc *tsdb.FieldTypeConflictError
		switch {
		case errors.As(err, &fc):
			nConflict++
		case errors.Is(err, tsdb.ErrOutsideRetention):
			nRetention++
		default:
			nInvalid++
		}
		if dropped++; reported < maxReportedProblems {
			if reported > 0 {
				st.msg = append(st.msg, "; "...)
			}
			st.msg = append(st.msg, "line "...)
			if line := lc.lineOf(st.body, &st.pt); line > 0 {
				st.msg = strconv.AppendInt(st.msg, int64(line), 10)
			} else {
				st.msg = append(st.msg, '?')
			}
			st.msg = append(st.msg, ": "...)
			st.msg = append(st.msg, err.Error()...)
			reported++
		}
	}
	a.metrics.writeError(reasonParse, nParse)
	a.metrics.writeError(reasonFieldConflict, nConflict)
	a.metrics.writeError(reasonRetention, nRetention)
	a.metrics.writeError(reasonInvalidPoint, nInvalid)
	return dropped, reported
}

// lineCounter finds the line number of a parsed point. The parser does not
// report it for valid lines, but tokens without escapes alias the body, so
// walking the body until an element's address equals a token's first byte
// finds the point's offset. Points come in body order, so each walk resumes
// where the previous one stopped and the walks cost O(len(body)) overall.
type lineCounter struct {
	off  int // offset up to which newlines were counted
	line int // 1-based line number at off
}

func (lc *lineCounter) lineOf(buf []byte, pt *model.Point) int {
	if lc.line == 0 {
		lc.line = 1
	}
	// Candidates on the point's first physical line: the measurement, the
	// first tag key, the first field key; any of them may have been unescaped
	// into the parser's arena, in which case it matches nothing.
	var cand [3]*byte
	if len(pt.Measurement) > 0 {
		cand[0] = &pt.Measurement[0]
	}
	if len(pt.Tags) > 0 && len(pt.Tags[0].Key) > 0 {
		cand[1] = &pt.Tags[0].Key[0]
	}
	if len(pt.Fields) > 0 && len(pt.Fields[0].Key) > 0 {
		cand[2] = &pt.Fields[0].Key[0]
	}
	line := lc.line
	for i := lc.off; i < len(buf); i++ {
		if p := &buf[i]; p == cand[0] || p == cand[1] || p == cand[2] {
			lc.off, lc.line = i, line
			return line
		}
		if buf[i] == '\n' {
			line++
		}
	}
	return 0 // every token was escaped; leave the cursor where it was
}

// writeFail writes an error response and counts it under reason ("" = already counted).
func (a *API) writeFail(w http.ResponseWriter, status int, reason, msg string) {
	if reason != "" {
		a.metrics.writeError(reason, 1)
	}
	a.httpError(w, status, msg)
}

// commitFail maps an engine error to a response.
func (a *API) commitFail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, tsdb.ErrHeadFull):
		w.Header().Set("Retry-After", "1")
		a.writeFail(w, http.StatusServiceUnavailable, reasonHeadFull, err.Error())
	case errors.Is(err, tsdb.ErrClosed):
		a.writeFail(w, http.StatusServiceUnavailable, reasonUnavailable, "server is shutting down")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		a.writeFail(w, http.StatusServiceUnavailable, reasonClientGone, "write cancelled: "+err.Error())
	default:
		a.log.Error("write failed", "err", err)
		a.writeFail(w, http.StatusInternalServerError, reasonInternal, err.Error())
	}
}
