// Command fieldsim is a load generator that writes realistic, deterministic time-series data
// to an InfluxDB-compatible HTTP /write endpoint and reports the throughput achieved and,
// given the server's PID, the server CPU it cost.
//
//	fieldsim --url http://127.0.0.1:8086 --db bench --workload cpu --scale 1000 \
//	    --writers 2 --batch 5000 --points-per-series 360 --server-pid $(pidof influxd)
//
// The same flags always produce byte-identical line protocol (see internal/sim).
//
// It only wires flags to internal/sim: sim.New builds the generator, sim.Run sends it with
// --writers concurrent connections, and the summary goes to stdout (text or --json) while
// progress and rejected batches go to stderr. The exit status is 0 when every batch was
// acknowledged, 1 when a batch failed or the run was interrupted, 2 for bad flags.
package main
