// Package model holds the small value types shared by the write path: a parsed
// point, its tags and typed fields. It has no behaviour beyond formatting and
// imports nothing of the project, so parsers (lineproto, later JSON/MQTT) and the
// storage engine can meet here without depending on each other.
//
// A Point produced by a parser usually aliases the parser's input buffer; such
// points are valid only until the parser's next call. Consumers that keep data
// must copy it.
package model
