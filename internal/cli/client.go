package cli

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrUnreachable is returned when the server does not answer at all.
var ErrUnreachable = errors.New("server unreachable")

// ClientOptions configure a Client. The zero value talks to http://localhost:8086.
type ClientOptions struct {
	URL       string // base URL, e.g. http://localhost:8086
	Username  string
	Password  string
	Token     string // sent as "Authorization: Token <token>"
	UnsafeSSL bool   // skip TLS certificate verification
	Timeout   time.Duration
}

// Client talks to a Fieldhub or InfluxDB 1.x server over HTTP.
type Client struct {
	opts ClientOptions
	base *url.URL
	http *http.Client
}

// NewClient validates the options and builds a client.
func NewClient(opts ClientOptions) (*Client, error) {
	if opts.URL == "" {
		opts.URL = "http://localhost:8086"
	}
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("parse url %q: %w", opts.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("url %q: scheme must be http or https", opts.URL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("url %q: missing host", opts.URL)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if opts.UnsafeSSL {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with -unsafeSsl
	}
	return &Client{opts: opts, base: u, http: &http.Client{Transport: tr, Timeout: opts.Timeout}}, nil
}

// URL returns the server's base URL.
func (c *Client) URL() string { return c.base.String() }

// SetAuth changes the credentials used from now on.
func (c *Client) SetAuth(user, pass string) { c.opts.Username, c.opts.Password = user, pass }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

func (c *Client) endpoint(path string, q url.Values) string {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = q.Encode()
	return u.String()
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body io.Reader, ctype string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint(path, q), body)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.opts.Token != "" {
		req.Header.Set("Authorization", "Token "+c.opts.Token)
	} else if c.opts.Username != "" {
		req.SetBasicAuth(c.opts.Username, c.opts.Password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	return resp, nil
}

// Ping checks the server and returns its X-Influxdb-Version.
func (c *Client) Ping(ctx context.Context) (string, error) {
	resp, err := c.do(ctx, http.MethodGet, "/ping", nil, nil, "")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("ping: %s", resp.Status)
	}
	return resp.Header.Get("X-Influxdb-Version"), nil
}

// QueryParams are the parameters of one /query request.
type QueryParams struct {
	Database  string
	RP        string
	Epoch     string // "" for RFC3339 times
	Chunked   bool
	ChunkSize int
	Pretty    bool
}

// QueryRaw sends q and returns the raw body (one JSON document, or several
// when chunked). A non-2xx answer whose body is not a JSON response is an error.
func (c *Client) QueryRaw(ctx context.Context, q string, p QueryParams) ([]byte, error) {
	v := url.Values{"q": {q}}
	if p.Database != "" {
		v.Set("db", p.Database)
	}
	if p.RP != "" {
		v.Set("rp", p.RP)
	}
	if p.Epoch != "" {
		v.Set("epoch", p.Epoch)
	}
	if p.Chunked {
		v.Set("chunked", "true")
		if p.ChunkSize > 0 {
			v.Set("chunk_size", strconv.Itoa(p.ChunkSize))
		}
	}
	if p.Pretty {
		v.Set("pretty", "true")
	}
	resp, err := c.do(ctx, http.MethodPost, "/query", nil, strings.NewReader(v.Encode()), "application/x-www-form-urlencoded")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read query response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error   string            `json:"error"`
			Results []json.RawMessage `json:"results"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return nil, errors.New(e.Error)
		}
		if len(e.Results) == 0 {
			return nil, fmt.Errorf("query: %s: %s", resp.Status, strings.TrimSpace(string(body)))
		}
	}
	return body, nil
}

// Query sends q and decodes the answer; chunked answers are merged.
func (c *Client) Query(ctx context.Context, q string, p QueryParams) (*Response, error) {
	p.Pretty = false
	body, err := c.QueryRaw(ctx, q, p)
	if err != nil {
		return nil, err
	}
	return DecodeResponse(body)
}

// Write sends line protocol to /write.
func (c *Client) Write(ctx context.Context, db, rp, precision string, lines string) error {
	v := url.Values{"db": {db}}
	if rp != "" {
		v.Set("rp", rp)
	}
	if precision != "" && precision != "rfc3339" {
		v.Set("precision", precision)
	}
	resp, err := c.do(ctx, http.MethodPost, "/write", v, strings.NewReader(lines), "text/plain; charset=utf-8")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return errors.New(e.Error)
	}
	return fmt.Errorf("write: %s", resp.Status)
}
