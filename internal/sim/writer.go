package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
)

// ErrAckLog reports that an acknowledged batch could not be recorded in the ack log. It
// stops the run: a durability check against an incomplete log would be meaningless.
var ErrAckLog = errors.New("ack log")

// WriterOptions configures Run. The zero value of every field except URL means its default.
type WriterOptions struct {
	// URL is the server's base URL, e.g. "http://127.0.0.1:8086".
	URL string
	// DB is the database (the db query parameter); empty sends none.
	DB string
	// Precision is announced in the precision parameter; it must match the generator's.
	Precision Precision
	// Token, if set, is sent as "Authorization: Token <Token>".
	Token string
	// Gzip compresses request bodies (Content-Encoding: gzip).
	Gzip bool
	// Writers is the number of concurrent HTTP writers (default 1).
	Writers int
	// BatchSize is the number of lines per request (default 5000).
	BatchSize int
	// MaxRetries bounds the retries of one batch after a 429, a 5xx or a transport error
	// (default 10); after that the batch counts as an error. Negative means no retries.
	MaxRetries int
	// MinBackoff and MaxBackoff bound the exponential backoff between retries when the
	// server gives no Retry-After (defaults 100 ms and 5 s). Retry-After is honoured up to
	// MaxRetryAfter (default 5 min).
	MinBackoff, MaxBackoff, MaxRetryAfter time.Duration
	// Client sends the requests; nil means a client with Writers idle connections and a
	// two-minute timeout.
	Client *http.Client
	// AckLog, if set, receives the uncompressed line protocol of every acknowledged batch,
	// appended whole (batches never interleave). If it has a Sync() error method, it is
	// synced before the next batch is counted, so the log never claims less than the
	// server acknowledged.
	AckLog io.Writer
	// Logger receives rejected batches and retries; nil discards.
	Logger *slog.Logger
	// Progress, if set, gets a progress line every ProgressInterval (default 2 s).
	Progress         io.Writer
	ProgressInterval time.Duration
}

func (o *WriterOptions) ensureDefaults() {
	if o.Precision == 0 {
		o.Precision = Nanosecond
	}
	if o.Writers <= 0 {
		o.Writers = 1
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 5000
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 10
	} else if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 5 * time.Minute
	}
	if o.Client == nil {
		o.Client = &http.Client{
			Timeout: 2 * time.Minute,
			Transport: &http.Transport{
				Proxy:               nil, // benchmarks talk to loopback; never via a proxy
				MaxIdleConnsPerHost: o.Writers,
				DisableCompression:  true,
			},
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 2 * time.Second
	}
}

// Validate reports whether o names a usable server.
func (o WriterOptions) Validate() error {
	u, err := url.Parse(o.URL)
	if err != nil {
		return fmt.Errorf("server url: %w: %w", ErrInvalidConfig, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("server url %q needs http(s)://host: %w", o.URL, ErrInvalidConfig)
	}
	return nil
}

// writeURL builds the /write endpoint with its query parameters.
func (o WriterOptions) writeURL() string {
	q := url.Values{}
	if o.DB != "" {
		q.Set("db", o.DB)
	}
	if p := o.Precision.QueryValue(); p != "" {
		q.Set("precision", p)
	}
	u := strings.TrimRight(o.URL, "/") + "/write"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// Stats counts what a run achieved. Points, Values, Batches and Bytes count acknowledged
// data only.
type Stats struct {
	Points  int64
	Values  int64
	Batches int64
	// Bytes is the uncompressed line protocol acknowledged.
	Bytes int64
	// Errors counts batches the server rejected (4xx other than 429) or that ran out of
	// retries; their points are not in Points.
	Errors int64
	// Retries counts re-sent requests.
	Retries int64
	// Wall is the time from the first request to the last acknowledgement.
	Wall time.Duration
}

// batch is one request's worth of lines. It is reused: a batch goes from the producer to a
// writer and back through the free list, so its buffer must not be retained elsewhere.
type batch struct {
	buf    []byte
	lines  int
	values int
}

// counters are updated by the writers and read by the progress reporter.
type counters struct {
	points, values, batches, bytes, errors, retries atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Points:  c.points.Load(),
		Values:  c.values.Load(),
		Batches: c.batches.Load(),
		Bytes:   c.bytes.Load(),
		Errors:  c.errors.Load(),
		Retries: c.retries.Load(),
	}
}

// Run sends everything gen produces to the server in batches over opts.Writers concurrent
// connections and returns what was acknowledged. It returns early with an error if ctx ends
// or the ack log fails; rejected batches are counted in Stats.Errors, not returned. Batches
// are cut from the stream in order (batch k holds lines k×B … (k+1)×B-1), but with several
// writers they may be acknowledged in any order.
func Run(ctx context.Context, gen Generator, opts WriterOptions) (Stats, error) {
	if err := opts.Validate(); err != nil {
		return Stats{}, err
	}
	opts.ensureDefaults()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var c counters
	// Two batches per writer plus one being filled keep every writer busy while the
	// producer works ahead, without buffering the whole data set.
	nbatch := 2*opts.Writers + 1
	free := make(chan *batch, nbatch)
	for range nbatch {
		free <- &batch{buf: make([]byte, 0, opts.BatchSize*256)}
	}
	full := make(chan *batch, nbatch)

	start := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() { produce(ctx, gen, opts.BatchSize, free, full) })

	var ackMu sync.Mutex // serialises ack log appends so batches never interleave
	w := writerCtx{opts: &opts, url: opts.writeURL(), c: &c, ackMu: &ackMu}
	var writers sync.WaitGroup
	for range opts.Writers {
		writers.Go(func() {
			wk := w.worker()
			for b := range full {
				if ctx.Err() == nil {
					if err := wk.send(ctx, b); err != nil {
						cancel(err)
					}
				}
				free <- b
			}
		})
	}

	stopProgress := make(chan struct{})
	if opts.Progress != nil {
		wg.Go(func() { reportProgress(opts.Progress, opts.ProgressInterval, start, &c, stopProgress) })
	}
	writers.Wait()
	close(stopProgress)
	wg.Wait()

	st := c.snapshot()
	st.Wall = time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return st, err
	}
	return st, nil
}

// produce cuts gen's stream into batches until it ends or ctx is done, then closes full.
func produce(ctx context.Context, gen Generator, size int, free <-chan *batch, full chan<- *batch) {
	defer close(full)
	for {
		var b *batch
		select {
		case b = <-free:
		case <-ctx.Done():
			return
		}
		b.buf, b.lines, b.values = b.buf[:0], 0, 0
		for b.lines < size {
			var n int
			var ok bool
			b.buf, n, ok = gen.Next(b.buf)
			if !ok {
				break
			}
			b.lines++
			b.values += n
		}
		if b.lines == 0 {
			return
		}
		select {
		case full <- b:
		case <-ctx.Done():
			return
		}
		if b.lines < size {
			return
		}
	}
}

// writerCtx is what all workers share.
type writerCtx struct {
	opts  *WriterOptions
	url   string
	c     *counters
	ackMu *sync.Mutex
}

// worker is one writer's private state; it is used by one goroutine only.
type worker struct {
	writerCtx
	gz   *gzip.Writer
	zbuf bytes.Buffer
	resp []byte // response body scratch
	rnd  *rand.Rand
}

func (w writerCtx) worker() *worker {
	wk := &worker{writerCtx: w, resp: make([]byte, 0, 4096)}
	// Backoff jitter only; it never touches the generated data, so a time seed is fine.
	wk.rnd = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x5eed))
	if w.opts.Gzip {
		wk.gz, _ = gzip.NewWriterLevel(&wk.zbuf, gzip.BestSpeed)
	}
	return wk
}

// send delivers one batch, retrying as the server asks. It returns an error only when the
// run must stop (ctx ended or the ack log failed).
func (w *worker) send(ctx context.Context, b *batch) error {
	body := b.buf
	if w.gz != nil {
		w.zbuf.Reset()
		w.gz.Reset(&w.zbuf)
		// Writes into a bytes.Buffer cannot fail.
		_, _ = w.gz.Write(b.buf)
		_ = w.gz.Close()
		body = w.zbuf.Bytes()
	}
	log := w.opts.Logger
	for attempt := 0; ; attempt++ {
		status, wait, err := w.post(ctx, body)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			log.Warn("write failed", "attempt", attempt+1, "err", err)
		case status >= 200 && status < 300:
			return w.ack(b)
		case status == http.StatusTooManyRequests || status >= 500:
			log.Warn("write deferred", "attempt", attempt+1, "status", status, "body", string(w.resp))
		default:
			w.c.errors.Add(1)
			log.Error("write rejected", "status", status, "lines", b.lines, "body", string(w.resp))
			return nil
		}
		if attempt >= w.opts.MaxRetries {
			w.c.errors.Add(1)
			log.Error("write abandoned", "attempts", attempt+1, "lines", b.lines)
			return nil
		}
		if wait <= 0 {
			wait = w.backoff(attempt)
		}
		w.c.retries.Add(1)
		if err := sleepCtx(ctx, wait); err != nil {
			return context.Cause(ctx)
		}
	}
}

// post makes one request. It returns the status, the Retry-After delay if the server sent
// one, and a transport error. The response body (truncated) is left in w.resp.
func (w *worker) post(ctx context.Context, body []byte) (int, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return 0, 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if w.gz != nil {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if w.opts.Token != "" {
		req.Header.Set("Authorization", "Token "+w.opts.Token)
	}
	resp, err := w.opts.Client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	// Keep the start of the body for error reports; a short body is not an error here.
	w.resp = w.resp[:cap(w.resp)]
	n, _ := io.ReadFull(resp.Body, w.resp)
	w.resp = w.resp[:n]
	// Drain the rest so the connection can be reused.
	_, _ = io.Copy(io.Discard, resp.Body)
	var wait time.Duration
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if d, ok := ParseRetryAfter(ra, time.Now()); ok {
			wait = min(d, w.opts.MaxRetryAfter)
		}
	}
	return resp.StatusCode, wait, nil
}

// ack counts an acknowledged batch and records it in the ack log.
func (w *worker) ack(b *batch) error {
	if al := w.opts.AckLog; al != nil {
		w.ackMu.Lock()
		_, err := al.Write(b.buf)
		if err == nil {
			if s, ok := al.(interface{ Sync() error }); ok {
				err = s.Sync()
			}
		}
		w.ackMu.Unlock()
		if err != nil {
			return fmt.Errorf("append acknowledged batch: %w: %w", ErrAckLog, err)
		}
	}
	w.c.points.Add(int64(b.lines))
	w.c.values.Add(int64(b.values))
	w.c.bytes.Add(int64(len(b.buf)))
	w.c.batches.Add(1)
	return nil
}

// backoff returns the delay before retry number attempt+1: exponential from MinBackoff,
// capped at MaxBackoff, with the upper half jittered so writers do not retry in lockstep.
func (w *worker) backoff(attempt int) time.Duration {
	d := w.opts.MinBackoff << min(attempt, 30)
	if d <= 0 || d > w.opts.MaxBackoff {
		d = w.opts.MaxBackoff
	}
	half := d / 2
	return half + time.Duration(w.rnd.Int64N(int64(half)+1))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reportProgress prints one line per interval until stop is closed. Rates are over the
// last interval, so a stalling server shows up at once.
func reportProgress(w io.Writer, every time.Duration, start time.Time, c *counters, stop <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	var prev Stats
	prevAt := start
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			s := c.snapshot()
			dt := now.Sub(prevAt).Seconds()
			fmt.Fprintf(w, "fieldsim: %6.1fs points=%d points/s=%.0f values/s=%.0f errors=%d retries=%d\n",
				now.Sub(start).Seconds(), s.Points,
				float64(s.Points-prev.Points)/dt, float64(s.Values-prev.Values)/dt,
				s.Errors, s.Retries)
			prev, prevAt = s, now
		}
	}
}
