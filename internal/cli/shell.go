package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// Settings are the session settings the shell commands change.
type Settings struct {
	Database  string
	RP        string
	Format    string // column, csv or json
	Pretty    bool
	Precision string // rfc3339, h, m, s, ms, u, ns
	Chunked   bool
	ChunkSize int
}

// Epoch returns the epoch query parameter of the precision ("" for rfc3339).
func (s Settings) Epoch() string {
	if s.Precision == "" || s.Precision == "rfc3339" {
		return ""
	}
	return s.Precision
}

// ValidPrecision reports whether p is a precision the shell accepts.
func ValidPrecision(p string) bool {
	switch p {
	case "rfc3339", "h", "m", "s", "ms", "u", "ns":
		return true
	}
	return false
}

// ValidFormat reports whether f is an output format the shell accepts.
func ValidFormat(f string) bool { return f == FormatColumn || f == FormatCSV || f == FormatJSON }

// LineReader is where the shell reads its input: a readline instance on a
// terminal, a bufio.Scanner in tests. io.EOF ends the session.
type LineReader interface {
	Readline() (string, error)
}

// ScannerReader adapts an io.Reader to a LineReader (no terminal, no history).
type ScannerReader struct{ s *bufio.Scanner }

// NewScannerReader reads lines from r.
func NewScannerReader(r io.Reader) *ScannerReader { return &ScannerReader{s: bufio.NewScanner(r)} }

// Readline returns the next line or io.EOF.
func (r *ScannerReader) Readline() (string, error) {
	if r.s.Scan() {
		return r.s.Text(), nil
	}
	if err := r.s.Err(); err != nil {
		return "", err
	}
	return "", io.EOF
}

// Shell runs queries and commands against a server.
type Shell struct {
	Client   *Client
	Settings Settings
	Out      io.Writer
	Err      io.Writer
	// NewClient makes the client of `connect host:port`; nil keeps the
	// current client's credentials and builds a plain one.
	NewClient func(url string) (*Client, error)
	// ReadPassword asks for a password for `auth`; nil reads a line from the input.
	ReadPassword func(prompt string) (string, error)
	// History returns the remembered lines for `history`; may be nil.
	History func() []string

	in LineReader
}

// errExit ends the REPL.
var errExit = errors.New("exit")

// Run reads lines from in until EOF, exit or quit.
func (s *Shell) Run(ctx context.Context, in LineReader) error {
	s.in = in
	for {
		line, err := in.Readline()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.Execute(ctx, line); errors.Is(err, errExit) {
			return nil
		} else if err != nil {
			fmt.Fprintf(s.Err, "ERR: %v\n", err)
		}
	}
}

// ExecuteStatements runs a -execute argument: statements split on ';'
// outside quotes, each sent as a query. It stops at the first error.
func (s *Shell) ExecuteStatements(ctx context.Context, text string) error {
	for _, st := range SplitStatements(text) {
		if err := s.Query(ctx, st); err != nil {
			return err
		}
	}
	return nil
}

// SplitStatements splits on ';' outside single- and double-quoted strings
// (backslash escapes inside them); empty statements are dropped.
func SplitStatements(text string) []string {
	var out []string
	var cur strings.Builder
	var quote byte
	esc := false
	// Byte-wise: every delimiter is ASCII, and invalid UTF-8 passes through unchanged.
	for i := 0; i < len(text); i++ {
		r := text[i]
		switch {
		case esc:
			esc = false
		case quote != 0 && r == '\\':
			esc = true
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '\'' || r == '"'):
			quote = r
		case quote == 0 && r == ';':
			if st := strings.TrimSpace(cur.String()); st != "" {
				out = append(out, st)
			}
			cur.Reset()
			continue
		}
		cur.WriteByte(r)
	}
	if st := strings.TrimSpace(cur.String()); st != "" {
		out = append(out, st)
	}
	return out
}

// Execute runs one input line: a shell command or a query.
func (s *Shell) Execute(ctx context.Context, line string) error {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil
	}
	fields := strings.Fields(line)
	cmd := strings.ToLower(fields[0])
	args := fields[1:]
	switch cmd {
	case "exit", "quit":
		return errExit
	case "help":
		fmt.Fprint(s.Out, helpText)
		return nil
	case "use":
		return s.use(args)
	case "precision":
		if len(args) != 1 || !ValidPrecision(strings.ToLower(args[0])) {
			return errors.New("unknown precision; use rfc3339, h, m, s, ms, u or ns")
		}
		s.Settings.Precision = strings.ToLower(args[0])
		return nil
	case "format":
		if len(args) != 1 || !ValidFormat(strings.ToLower(args[0])) {
			return errors.New("unknown format; use column, csv or json")
		}
		s.Settings.Format = strings.ToLower(args[0])
		return nil
	case "pretty":
		s.Settings.Pretty = !s.Settings.Pretty
		fmt.Fprintf(s.Out, "Pretty print %s\n", onOff(s.Settings.Pretty))
		return nil
	case "chunked":
		s.Settings.Chunked = !s.Settings.Chunked
		fmt.Fprintf(s.Out, "chunked responses %s\n", onOff(s.Settings.Chunked))
		return nil
	case "chunk":
		if len(args) != 2 || strings.ToLower(args[0]) != "size" {
			return errors.New("usage: chunk size <n>")
		}
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 0 {
			return fmt.Errorf("invalid chunk size %q", args[1])
		}
		s.Settings.ChunkSize = n
		fmt.Fprintf(s.Out, "chunk size set to %d\n", n)
		return nil
	case "settings":
		s.printSettings()
		return nil
	case "connect":
		return s.connect(ctx, args)
	case "auth":
		return s.auth(args)
	case "history":
		if s.History != nil {
			for _, h := range s.History() {
				fmt.Fprintln(s.Out, h)
			}
		}
		return nil
	case "insert":
		return s.insert(ctx, strings.TrimSpace(line[len(fields[0]):]))
	}
	return s.Query(ctx, line)
}

func onOff(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

// use sets the database (and retention policy) as "use db" or "use db.rp";
// double-quoted names may contain dots.
func (s *Shell) use(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: use <database>[.<retention policy>]")
	}
	db, rp, err := ParseUse(args[0])
	if err != nil {
		return err
	}
	s.Settings.Database, s.Settings.RP = db, rp
	if rp != "" {
		fmt.Fprintf(s.Out, "Using database %s\nUsing retention policy %s\n", db, rp)
	} else {
		fmt.Fprintf(s.Out, "Using database %s\n", db)
	}
	return nil
}

// ParseUse splits the argument of `use` into database and retention policy.
func ParseUse(arg string) (db, rp string, err error) {
	var parts []string
	var cur strings.Builder
	inQuote := false
	for _, r := range arg {
		switch {
		case r == '"':
			inQuote = !inQuote
		case r == '.' && !inQuote:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	if inQuote {
		return "", "", fmt.Errorf("unterminated quote in %q", arg)
	}
	parts = append(parts, cur.String())
	if len(parts) > 2 || parts[0] == "" || (len(parts) == 2 && parts[1] == "") {
		return "", "", fmt.Errorf("invalid database %q; use db or db.rp", arg)
	}
	if len(parts) == 2 {
		return parts[0], parts[1], nil
	}
	return parts[0], "", nil
}

func (s *Shell) printSettings() {
	fmt.Fprintf(s.Out, "Setting           Value\n--------          --------\n")
	row := func(k, v string) { fmt.Fprintf(s.Out, "%-17s %s\n", k, v) }
	row("URL", s.Client.URL())
	row("Username", s.Client.opts.Username)
	row("Database", s.Settings.Database)
	row("RetentionPolicy", s.Settings.RP)
	row("Pretty", strconv.FormatBool(s.Settings.Pretty))
	row("Format", s.Settings.Format)
	row("Precision", s.Settings.Precision)
	row("Chunked", strconv.FormatBool(s.Settings.Chunked))
	row("Chunk Size", strconv.Itoa(s.Settings.ChunkSize))
}

func (s *Shell) connect(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: connect <host:port>")
	}
	addr := args[0]
	if !strings.Contains(addr, "://") {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, "8086")
		}
		scheme := "http"
		if s.Client != nil && s.Client.base.Scheme == "https" {
			scheme = "https"
		}
		addr = scheme + "://" + addr
	}
	var c *Client
	var err error
	if s.NewClient != nil {
		c, err = s.NewClient(addr)
	} else {
		opts := ClientOptions{}
		if s.Client != nil {
			opts = s.Client.opts
		}
		opts.URL = addr
		c, err = NewClient(opts)
	}
	if err != nil {
		return err
	}
	v, err := c.Ping(ctx)
	if err != nil {
		return fmt.Errorf("failed to connect to %s: %w", c.URL(), err)
	}
	if s.Client != nil {
		s.Client.Close()
	}
	s.Client = c
	fmt.Fprintf(s.Out, "Connected to %s version %s\n", c.URL(), v)
	return nil
}

func (s *Shell) auth(args []string) error {
	var user, pass string
	if len(args) > 0 {
		user = args[0]
	} else {
		fmt.Fprint(s.Out, "username: ")
		l, err := s.readLine()
		if err != nil {
			return err
		}
		user = strings.TrimSpace(l)
	}
	var err error
	if s.ReadPassword != nil {
		pass, err = s.ReadPassword("password: ")
	} else {
		fmt.Fprint(s.Out, "password: ")
		pass, err = s.readLine()
	}
	if err != nil {
		return err
	}
	s.Client.SetAuth(user, pass)
	return nil
}

func (s *Shell) readLine() (string, error) {
	if s.in == nil {
		return "", errors.New("no input to read from")
	}
	return s.in.Readline()
}

// insert writes line protocol: "insert <lp>" or "insert into <rp> <lp>"
// ("insert into db.rp <lp>" also names the database).
func (s *Shell) insert(ctx context.Context, rest string) error {
	db, rp := s.Settings.Database, s.Settings.RP
	if f := strings.Fields(rest); len(f) >= 3 && strings.EqualFold(f[0], "into") {
		target := f[1]
		rest = strings.TrimSpace(rest[strings.Index(rest, target)+len(target):])
		d, r, err := ParseUse(target)
		if err != nil {
			return err
		}
		if r == "" {
			rp = d
		} else {
			db, rp = d, r
		}
	}
	if rest == "" {
		return errors.New("usage: insert [into <rp>] <line protocol>")
	}
	if db == "" {
		return errors.New("database is required; run: use <database>")
	}
	precision := s.Settings.Precision
	if precision == "rfc3339" {
		precision = ""
	}
	return s.Client.Write(ctx, db, rp, precision, rest)
}

// Query sends q with the session settings and prints the answer in the
// current format. A statement error is returned after printing the rest.
func (s *Shell) Query(ctx context.Context, q string) error {
	p := QueryParams{
		Database: s.Settings.Database, RP: s.Settings.RP, Epoch: s.Settings.Epoch(),
		Chunked: s.Settings.Chunked, ChunkSize: s.Settings.ChunkSize,
	}
	if s.Settings.Format == FormatJSON {
		p.Pretty = false
		body, err := s.Client.QueryRaw(ctx, q, p)
		if err != nil {
			return err
		}
		if err := WriteJSON(s.Out, body, s.Settings.Pretty); err != nil {
			return err
		}
		resp, err := DecodeResponse(body)
		if err != nil {
			return err
		}
		return resp.Error()
	}
	resp, err := s.Client.Query(ctx, q, p)
	if err != nil {
		return err
	}
	if err := resp.Error(); err != nil {
		return err
	}
	if s.Settings.Format == FormatCSV {
		return WriteCSV(s.Out, resp)
	}
	return WriteColumn(s.Out, resp)
}

const helpText = `Usage:
        connect <host:port>   connects to another node specified by host:port
        auth                  prompts for username and password
        pretty                toggles pretty print for the json format
        chunked               turns on chunked responses from server
        chunk size <size>     sets the size of the chunked responses. Set to 0 to reset to the default chunked size
        use <db_name>         sets current database
        format <format>       specifies the format of the server responses: json, csv, or column
        precision <format>    specifies the format of the timestamp: rfc3339, h, m, s, ms, u or ns
        history               displays command history
        settings              outputs the current settings for the shell
        insert <point>        inserts a point in line protocol into the current database
        insert into <rp> <point>  inserts a point into the given retention policy
        exit/quit/ctrl+d      quits the fieldhub query shell

        show databases        show database names
        show series           show series information
        show measurements     show measurement information
        show tag keys         show tag key information
        show field keys       show field key information

        A full list of InfluxQL commands can be found at:
        https://docs.influxdata.com/influxdb/v1.8/query_language/spec/
`
