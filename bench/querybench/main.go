// Command querybench measures InfluxQL query latency on two servers that
// hold the same data (Fieldhub and InfluxDB 1.8), query by query, and checks
// that they return the same numbers. bench/query.sh loads the data and runs it.
//
//	go run ./bench/querybench -a http://127.0.0.1:8086 -b http://127.0.0.1:18086 -db bench -start 2024-01-01T00:00:00Z
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

type benchQuery struct {
	id, what, q string
}

func queries(start time.Time, hosts int) []benchQuery {
	ts := func(d time.Duration) string { return "'" + start.Add(d).Format(time.RFC3339) + "'" }
	fields := []string{"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait", "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"}
	agg := func(fn string, n int) string {
		var parts []string
		for _, f := range fields[:n] {
			parts = append(parts, fn+"("+f+")")
		}
		return strings.Join(parts, ", ")
	}
	var eight []string
	for i := 0; i < 8; i++ {
		eight = append(eight, fmt.Sprintf("hostname = 'host_%d'", (i*97)%hosts))
	}
	any := make([]string, 0, len(fields))
	for _, f := range fields {
		any = append(any, f+" > 99")
	}
	return []benchQuery{
		{"a", "max of 1 field, 1 host, 1 h by 1 m",
			"SELECT max(usage_user) FROM cpu WHERE hostname = 'host_1' AND time >= " + ts(12*time.Hour) + " AND time < " + ts(13*time.Hour) + " GROUP BY time(1m)"},
		{"b", "max of 5 fields, 8 hosts, 12 h by 1 h",
			"SELECT " + agg("max", 5) + " FROM cpu WHERE (" + strings.Join(eight, " OR ") + ") AND time >= " + ts(6*time.Hour) + " AND time < " + ts(18*time.Hour) + " GROUP BY time(1h)"},
		{"c", "mean of 10 fields, all hosts, 12 h by 1 h, by host",
			"SELECT " + agg("mean", 10) + " FROM cpu WHERE time >= " + ts(6*time.Hour) + " AND time < " + ts(18*time.Hour) + " GROUP BY time(1h), hostname"},
		{"d", "last point of every host",
			"SELECT last(*) FROM cpu GROUP BY hostname"},
		{"e", "hosts with any field above 99 in the last 12 h",
			"SELECT count(usage_user) FROM cpu WHERE (" + strings.Join(any, " OR ") + ") AND time >= " + ts(12*time.Hour) + " AND time < " + ts(24*time.Hour) + " GROUP BY hostname"},
		{"f", "mean of 10 fields, all hosts, 1 h by 1 m, by host",
			"SELECT " + agg("mean", 10) + " FROM cpu WHERE time >= " + ts(12*time.Hour) + " AND time < " + ts(13*time.Hour) + " GROUP BY time(1m), hostname"},
	}
}

func run(client *http.Client, base, db, q string) ([]byte, time.Duration, error) {
	u := base + "/query?" + url.Values{"db": {db}, "q": {q}, "epoch": {"ns"}}.Encode()
	t0 := time.Now()
	resp, err := client.Get(u)
	if err != nil {
		return nil, 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	}
	return body, d, nil
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func main() {
	a := flag.String("a", "http://127.0.0.1:8086", "first server (Fieldhub)")
	b := flag.String("b", "http://127.0.0.1:18086", "second server (InfluxDB 1.8)")
	aName := flag.String("a-name", "fieldhub", "name of the first server")
	bName := flag.String("b-name", "influxdb", "name of the second server")
	db := flag.String("db", "bench", "database")
	startS := flag.String("start", "2024-01-01T00:00:00Z", "start of the data")
	hosts := flag.Int("hosts", 1000, "hosts in the data")
	runs := flag.Int("runs", 15, "timed runs per query and server")
	warm := flag.Int("warmup", 2, "untimed runs first")
	only := flag.String("only", "", "comma-separated query ids to run (default all)")
	flag.Parse()
	start, err := time.Parse(time.RFC3339, *startS)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	client := &http.Client{Timeout: 10 * time.Minute}
	fmt.Printf("%-3s %-52s %12s %12s %8s  %s\n", "id", "query", *aName+" ms", *bName+" ms", "ratio", "results")
	failed := false
	for _, q := range queries(start, *hosts) {
		if *only != "" && !strings.Contains(","+*only+",", ","+q.id+",") {
			continue
		}
		var bodies [2][]byte
		var lat [2][]time.Duration
		for i := 0; i < *warm+*runs; i++ {
			// Alternate servers so both see the same machine state.
			for s, base := range []string{*a, *b} {
				body, d, err := run(client, base, *db, q.q)
				if err != nil {
					fmt.Fprintf(os.Stderr, "query %s on %s: %v\n", q.id, base, err)
					os.Exit(1)
				}
				bodies[s] = body
				if i >= *warm {
					lat[s] = append(lat[s], d)
				}
			}
		}
		ma, mb := median(lat[0]), median(lat[1])
		same := compare(bodies[0], bodies[1])
		if same != "same" {
			failed = true
		}
		fmt.Printf("%-3s %-52s %12.2f %12.2f %8.3f  %s\n", q.id, q.what, ms(ma), ms(mb), float64(ma)/float64(mb), same)
	}
	fmt.Printf("\nqueries:\n")
	for _, q := range queries(start, *hosts) {
		fmt.Printf("  %s: %s\n", q.id, q.q)
	}
	if failed {
		os.Exit(1)
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// compare checks two /query answers for the same series and numbers (9
// significant digits); rows at one timestamp are compared as a set.
func compare(x, y []byte) string {
	nx, err1 := normalize(x)
	ny, err2 := normalize(y)
	if err1 != nil || err2 != nil {
		return fmt.Sprintf("unparsable (%v %v)", err1, err2)
	}
	if len(nx) != len(ny) {
		return fmt.Sprintf("DIFFERENT: %d vs %d rows", len(nx), len(ny))
	}
	for i := range nx {
		if !closeRow(nx[i], ny[i]) {
			return fmt.Sprintf("DIFFERENT at row %d: %s vs %s", i, nx[i], ny[i])
		}
	}
	return "same"
}

type response struct {
	Results []struct {
		Series []struct {
			Name    string            `json:"name"`
			Tags    map[string]string `json:"tags"`
			Columns []string          `json:"columns"`
			Values  [][]any           `json:"values"`
		} `json:"series"`
		Err string `json:"error"`
	} `json:"results"`
	Err string `json:"error"`
}

// normalize flattens an answer into sorted "series|time|v1|v2..." rows.
func normalize(b []byte) ([]string, error) {
	var r response
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	if r.Err != "" {
		return nil, fmt.Errorf("%s", r.Err)
	}
	var out []string
	for _, res := range r.Results {
		if res.Err != "" {
			return nil, fmt.Errorf("%s", res.Err)
		}
		for _, s := range res.Series {
			keys := make([]string, 0, len(s.Tags))
			for k := range s.Tags {
				keys = append(keys, k+"="+s.Tags[k])
			}
			sort.Strings(keys)
			prefix := s.Name + "," + strings.Join(keys, ",") + "|" + strings.Join(s.Columns, ",")
			for _, v := range s.Values {
				parts := []string{prefix}
				for _, x := range v {
					switch n := x.(type) {
					case float64:
						parts = append(parts, strconv.FormatFloat(n, 'g', 9, 64))
					case nil:
						parts = append(parts, "null")
					default:
						parts = append(parts, fmt.Sprint(n))
					}
				}
				out = append(out, strings.Join(parts, "|"))
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func closeRow(a, b string) bool {
	if a == b {
		return true
	}
	pa, pb := strings.Split(a, "|"), strings.Split(b, "|")
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		if pa[i] == pb[i] {
			continue
		}
		x, err1 := strconv.ParseFloat(pa[i], 64)
		y, err2 := strconv.ParseFloat(pb[i], 64)
		if err1 != nil || err2 != nil || math.Abs(x-y) > 1e-9*math.Max(math.Abs(x), math.Abs(y)) {
			return false
		}
	}
	return true
}
