// Package inspect implements the offline `fieldhub inspect` tools over a data
// directory: report (what is stored and how compactly), verify (every
// checksum, without changing a file), export (line protocol with the DDL to
// recreate databases) and import (the inverse). Export and import open the
// engine; report opens it too but changes nothing a normal start would not
// (WAL replay). Functions are not safe for concurrent use on the same data dir
// with a running hub.
package inspect
