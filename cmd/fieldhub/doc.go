// Command fieldhub is the Fieldhub server: `fieldhub serve` runs the storage
// engine behind the InfluxDB-compatible HTTP API, `fieldhub inspect` holds
// offline tools, `fieldhub version` prints the build version.
//
// This package only wires: flags and environment into internal/config, the
// config into tsdb.Options and httpapi.Options, and signals into a graceful
// shutdown. Subcommands live in the commands table in main.go, each with its
// own run function (and file, for anything bigger than a few lines); an
// unknown subcommand or flag prints usage and exits 2.
//
// Settings come from, in increasing precedence: built-in defaults, a YAML file
// (--config or FIELDHUB_CONFIG), FIELDHUB_* environment variables, and flags.
// A config error names the YAML key or environment variable at fault.
//
// Shutdown (SIGINT or SIGTERM): the listener stops accepting, in-flight
// requests get http.shutdown_timeout to finish (then their connections are
// cut), and only then is the engine closed, which flushes the in-memory head
// and closes every file.
package main
