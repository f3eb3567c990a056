package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/config"
	client "github.com/influxdata/influxdb1-client/v2"
)

// startServe runs serve on a free loopback port until the test ends.
func startServe(t *testing.T) string {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Storage.WALSync = "none"
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, processOptions{}, slog.New(slog.DiscardHandler), ready) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

// TestOfficialV1Client writes and queries through InfluxDB's official 1.x
// Go client (github.com/influxdata/influxdb1-client/v2) against a real server.
func TestOfficialV1Client(t *testing.T) {
	base := startServe(t)
	c, err := client.NewHTTPClient(client.HTTPConfig{Addr: base, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.Ping(5 * time.Second); err != nil {
		t.Fatalf("ping: %v", err)
	}
	mustQuery := func(q string) []client.Result {
		t.Helper()
		resp, err := c.Query(client.NewQuery(q, "farm", "s"))
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if resp.Error() != nil {
			t.Fatalf("%s: %v", q, resp.Error())
		}
		return resp.Results
	}
	mustQuery("CREATE DATABASE farm")
	bp, err := client.NewBatchPoints(client.BatchPointsConfig{Database: "farm", Precision: "s"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 120; i++ {
		for _, zone := range []string{"north", "south"} {
			p, err := client.NewPoint("soil", map[string]string{"site": "wall1", "zone": zone},
				map[string]any{"moisture": 30.0 + float64(i%10), "pump": i%2 == 0, "reading": int64(i)}, t0.Add(time.Duration(i)*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			bp.AddPoint(p)
		}
	}
	if err := c.Write(bp); err != nil {
		t.Fatalf("write: %v", err)
	}
	res := mustQuery("SELECT mean(moisture), max(reading), count(pump) FROM soil WHERE time >= '2026-03-01T00:00:00Z' AND time < '2026-03-01T02:00:00Z' GROUP BY time(1h), zone")
	if len(res) != 1 || len(res[0].Series) != 2 {
		t.Fatalf("series: %+v", res)
	}
	s := res[0].Series[0]
	if s.Tags["zone"] != "north" || len(s.Values) != 2 || len(s.Columns) != 4 {
		t.Fatalf("first series: %+v", s)
	}
	// The client decodes numbers as json.Number.
	row := s.Values[0]
	if row[0].(json.Number).String() != "1772323200" || row[1].(json.Number).String() != "34.5" ||
		row[2].(json.Number).String() != "59" || row[3].(json.Number).String() != "60" {
		t.Fatalf("first row: %v", row)
	}
	res = mustQuery("SELECT last(moisture) FROM soil GROUP BY zone")
	if len(res[0].Series) != 2 || res[0].Series[1].Values[0][1].(json.Number).String() != "39" {
		t.Fatalf("last: %+v", res[0].Series)
	}
	res = mustQuery("SHOW TAG VALUES FROM soil WITH KEY = zone")
	if len(res[0].Series) != 1 || len(res[0].Series[0].Values) != 2 {
		t.Fatalf("tag values: %+v", res[0].Series)
	}
	// A continuous query defined through the client is listed (it runs on the hub's clock).
	mustQuery(`CREATE CONTINUOUS QUERY moist_1h ON farm BEGIN SELECT mean(moisture) INTO soil_1h FROM soil GROUP BY time(1h), * END`)
	res = mustQuery("SHOW CONTINUOUS QUERIES")
	found := false
	for _, s := range res[0].Series {
		if s.Name == "farm" && len(s.Values) == 1 && s.Values[0][0] == "moist_1h" {
			found = true
		}
	}
	if !found {
		t.Fatalf("SHOW CONTINUOUS QUERIES: %+v", res[0].Series)
	}
	// SELECT ... INTO, then the downsampled data reads back.
	mustQuery("SELECT mean(moisture) AS moisture INTO soil_1h FROM soil WHERE time >= '2026-03-01T00:00:00Z' AND time < '2026-03-01T02:00:00Z' GROUP BY time(1h), *")
	res = mustQuery("SELECT moisture FROM soil_1h WHERE zone = 'south'")
	if len(res[0].Series) != 1 || len(res[0].Series[0].Values) != 2 {
		t.Fatalf("INTO result: %+v", res[0].Series)
	}
}
