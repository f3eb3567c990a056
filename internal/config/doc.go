// Package config holds Fieldhub's typed process configuration: a YAML file
// parsed into Config, overlaid by FIELDHUB_* environment variables and then by
// command-line flags (precedence: flags > env > file > defaults).
//
// The package never reads the environment, flags or files on its own
// initiative: callers pass a file's bytes (Parse) or path (Load) and an
// environment lookup function (ApplyEnv), so tests and embedders stay in
// control. Validate reports the first invalid setting and names its YAML key
// ("http.addr: must not be empty").
//
// Concurrency: a Config is a plain value; functions here keep no state and are
// safe for concurrent use.
package config
