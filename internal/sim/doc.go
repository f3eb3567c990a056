// Package sim generates realistic time-series workloads as InfluxDB line protocol and
// writes them to an InfluxDB-compatible HTTP /write endpoint. It backs the fieldsim load
// generator and the benchmark scripts in bench/.
//
// # Workloads
//
// A Generator produces one line at a time, deterministically from Config: the same Config
// (workload, scale, seed, bounds, precision) always yields byte-identical output, on every
// platform and Go release, because the package uses its own random number generator.
//
//   - "cpu" follows the Time Series Benchmark Suite's cpu-only case: Scale hosts with ten
//     fixed tags and ten float fields (usage_user … usage_guest_nice) that are bounded random
//     walks with two decimals, one point per host every 10 s, time-ordered across hosts.
//   - "battery" is an IoT fleet of Scale battery boxes (tags device, site, zone) with typed
//     fields soc, voltage, current, temperature (floats), cycles (integer), charging (bool)
//     and firmware (string), read every 60 s ± 10 s; 1% of readings are delivered late,
//     minutes to hours after they were taken.
//
// Generators build lines with strconv.Append* into the caller's buffer from precomputed
// series prefixes, so generation is allocation-free in steady state and cheap next to the
// server under test.
//
// # Writing
//
// Run cuts a generator's stream into batches and sends them over several concurrent
// connections, retrying 429 and 5xx answers (honouring Retry-After) and transport errors
// with backoff, counting other 4xx answers as errors, and optionally appending every
// acknowledged batch to an fsynced ack log for durability tests. ProcessCPU reads a
// server's CPU time from /proc so callers can report values per server CPU-second.
//
// # Concurrency and buffers
//
// A Generator is not safe for concurrent use; Run drives it from a single goroutine, which
// is what keeps the output deterministic regardless of the number of writers. Next only
// appends to the slice it is given and keeps no reference to it. Run is safe to call
// concurrently with other Runs; it owns every goroutine it starts and returns only after
// all of them have exited. Batch buffers are recycled between requests and are never
// handed to callers; the ack log receives each batch's bytes during the Write call only.
package sim
