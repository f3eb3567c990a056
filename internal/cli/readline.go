package cli

import (
	"bufio"
	"errors"
	"io"
	"os"

	"github.com/chzyer/readline"
)

// Terminal is a LineReader over github.com/chzyer/readline: line editing,
// the "> " prompt and persistent history in a file.
type Terminal struct {
	rl      *readline.Instance
	history string
}

// NewTerminal starts readline on stdin/stdout with history in historyFile
// (no history when empty).
func NewTerminal(stdin io.ReadCloser, stdout io.Writer, historyFile string) (*Terminal, error) {
	rl, err := readline.NewEx(&readline.Config{
		Prompt:          "> ",
		HistoryFile:     historyFile,
		Stdin:           stdin,
		Stdout:          stdout,
		InterruptPrompt: "^C",
		EOFPrompt:       "exit",
	})
	if err != nil {
		return nil, err
	}
	return &Terminal{rl: rl, history: historyFile}, nil
}

// Readline returns the next line; Ctrl-C clears the line, Ctrl-D is io.EOF.
func (t *Terminal) Readline() (string, error) {
	line, err := t.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", nil
	}
	return line, err
}

// ReadPassword reads a password without echo.
func (t *Terminal) ReadPassword(prompt string) (string, error) {
	b, err := t.rl.ReadPassword(prompt)
	return string(b), err
}

// History returns the lines of the history file, oldest first.
func (t *Terminal) History() []string {
	if t.history == "" {
		return nil
	}
	f, err := os.Open(t.history)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		out = append(out, s.Text())
	}
	return out
}

// Close restores the terminal.
func (t *Terminal) Close() error { return t.rl.Close() }

// IsTerminal reports whether fd is a terminal.
func IsTerminal(fd int) bool { return readline.IsTerminal(fd) }

// Password reads a password from the terminal without echo.
func Password(prompt string) (string, error) {
	b, err := readline.Password(prompt)
	return string(b), err
}
