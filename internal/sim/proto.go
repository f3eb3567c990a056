package sim

import (
	"context"
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

// ErrServer reports a server answer that is not success.
var ErrServer = errors.New("server error")

// ParseRetryAfter interprets a Retry-After header value: either delay-seconds or an
// HTTP-date, relative to now. ok is false for anything else. A date in the past gives 0.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// CreateDatabase sends "CREATE DATABASE <db>" to the InfluxDB-compatible /query endpoint at
// baseURL. It is idempotent on InfluxDB. An error in the JSON results is returned.
func CreateDatabase(ctx context.Context, client *http.Client, baseURL, db, token string) error {
	if client == nil {
		client = http.DefaultClient
	}
	form := url.Values{"q": {"CREATE DATABASE " + quoteIdent(db)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		strings.TrimRight(baseURL, "/")+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("create database %q: %w", db, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("create database %q: %w", db, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("create database %q: read response: %w", db, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("create database %q: status %d: %s: %w", db, resp.StatusCode,
			strings.TrimSpace(string(body)), ErrServer)
	}
	var out struct {
		Error   string `json:"error"`
		Results []struct {
			Error string `json:"error"`
		} `json:"results"`
	}
	// A body that is not InfluxDB's JSON (an empty 204, say) counts as success: the
	// status already said so.
	if json.Unmarshal(body, &out) == nil {
		if out.Error != "" {
			return fmt.Errorf("create database %q: %s: %w", db, out.Error, ErrServer)
		}
		for _, r := range out.Results {
			if r.Error != "" {
				return fmt.Errorf("create database %q: %s: %w", db, r.Error, ErrServer)
			}
		}
	}
	return nil
}

// quoteIdent quotes an InfluxQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
