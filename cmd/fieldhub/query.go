package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fieldhub/fieldhub/internal/cli"
)

// queryFlags are the flags of `fieldhub query`, named as the influx 1.x CLI's.
type queryFlags struct {
	host, url, database, rp, username, password, token string
	execute, format, precision                         string
	port, chunkSize                                    int
	ssl, unsafeSSL, pretty, chunked                    bool
}

func newQueryFlagSet(f *queryFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.host, "host", "localhost", "server host")
	fs.IntVar(&f.port, "port", 8086, "server port")
	fs.StringVar(&f.url, "url", "", "server URL, http:// or https:// (overrides -host and -port)")
	fs.BoolVar(&f.ssl, "ssl", false, "use https")
	fs.BoolVar(&f.unsafeSSL, "unsafeSsl", false, "do not verify the server's TLS certificate")
	fs.StringVar(&f.database, "database", "", "database to query")
	fs.StringVar(&f.database, "db", "", "database to query (same as -database)")
	fs.StringVar(&f.rp, "rp", "", "retention policy")
	fs.StringVar(&f.username, "username", "", "user name (asks for a password when none is given)")
	fs.StringVar(&f.password, "password", "", "password (env FIELDHUB_PASSWORD or INFLUX_PASSWORD)")
	fs.StringVar(&f.token, "token", "", "token, sent as Authorization: Token <token>")
	fs.StringVar(&f.execute, "execute", "", "run these statements (separated by ';') and exit")
	fs.StringVar(&f.format, "format", cli.FormatColumn, "output format: column, csv or json")
	fs.BoolVar(&f.pretty, "pretty", false, "indent json output")
	fs.StringVar(&f.precision, "precision", "ns", "time format: rfc3339, h, m, s, ms, u or ns")
	fs.BoolVar(&f.chunked, "chunked", false, "ask for chunked responses")
	fs.IntVar(&f.chunkSize, "chunk-size", 0, "rows per chunk; 0 = server default")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: fieldhub query [flags]\n\nAn InfluxQL shell (like the influx 1.x CLI); with -execute, runs statements and exits.\n\nflags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// baseURL builds the server URL from -url or -host/-port/-ssl.
func (f *queryFlags) baseURL() string {
	if f.url != "" {
		return f.url
	}
	scheme := "http"
	if f.ssl {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(f.host, strconv.Itoa(f.port))
}

// runQueryCommand is the dispatch-table entry of `fieldhub query`.
func runQueryCommand(args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	return runQuery(args, os.Stdin, stdout, stderr, lookupEnv)
}

// runQuery runs the shell reading from stdin, or the -execute statements.
func runQuery(args []string, stdin io.Reader, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	var f queryFlags
	fs := newQueryFlagSet(&f, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "query: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	f.format, f.precision = strings.ToLower(f.format), strings.ToLower(f.precision)
	if !cli.ValidFormat(f.format) {
		fmt.Fprintf(stderr, "query: unknown -format %q; use column, csv or json\n", f.format)
		return 2
	}
	if !cli.ValidPrecision(f.precision) {
		fmt.Fprintf(stderr, "query: unknown -precision %q; use rfc3339, h, m, s, ms, u or ns\n", f.precision)
		return 2
	}
	if f.password == "" {
		for _, k := range []string{"FIELDHUB_PASSWORD", "INFLUX_PASSWORD"} {
			if v, ok := lookupEnv(k); ok && v != "" {
				f.password = v
				break
			}
		}
	}
	stdinFile, _ := stdin.(*os.File)
	interactive := stdinFile != nil && cli.IsTerminal(int(stdinFile.Fd()))
	if f.username != "" && f.password == "" && interactive {
		p, err := cli.Password("password: ")
		if err != nil {
			fmt.Fprintf(stderr, "query: read password: %v\n", err)
			return 1
		}
		f.password = p
	}
	client, err := cli.NewClient(cli.ClientOptions{
		URL: f.baseURL(), Username: f.username, Password: f.password, Token: f.token, UnsafeSSL: f.unsafeSSL,
	})
	if err != nil {
		fmt.Fprintf(stderr, "query: %v\n", err)
		return 2
	}
	defer client.Close()
	sh := &cli.Shell{
		Client: client, Out: stdout, Err: stderr,
		Settings: cli.Settings{
			Database: f.database, RP: f.rp, Format: f.format, Pretty: f.pretty,
			Precision: f.precision, Chunked: f.chunked, ChunkSize: f.chunkSize,
		},
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if f.execute != "" {
		if err := sh.ExecuteStatements(ctx, f.execute); err != nil {
			fmt.Fprintf(stderr, "ERR: %v\n", err)
			return 1
		}
		return 0
	}
	srvVersion, err := client.Ping(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "Failed to connect to %s: %v\nPlease check your connection settings and ensure the server is running.\n", client.URL(), err)
		return 1
	}
	fmt.Fprintf(stdout, "Connected to %s version %s\n", client.URL(), srvVersion)
	var in cli.LineReader = cli.NewScannerReader(stdin)
	if interactive {
		stop() // Ctrl-C is handled by readline while the shell runs
		ctx = context.Background()
		fmt.Fprintf(stdout, "fieldhub query shell %s; type help for commands\n", version)
		term, err := cli.NewTerminal(stdinFile, stdout, historyFile(lookupEnv))
		if err != nil {
			fmt.Fprintf(stderr, "query: start terminal: %v\n", err)
			return 1
		}
		defer term.Close()
		sh.ReadPassword, sh.History = term.ReadPassword, term.History
		in = term
	}
	if err := sh.Run(ctx, in); err != nil {
		fmt.Fprintf(stderr, "query: %v\n", err)
		return 1
	}
	return 0
}

// historyFile is $FIELDHUB_HISTORY_FILE or ~/.fieldhub_history ("" when
// there is no home directory).
func historyFile(lookupEnv func(string) (string, bool)) string {
	if v, ok := lookupEnv("FIELDHUB_HISTORY_FILE"); ok && v != "" {
		return v
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".fieldhub_history")
}
