// Package cmdutil holds what every command needs: the IO streams, global flags and the factory that lazily builds
// configuration, credential stores and vendor clients, so commands can be tested without globals.
package cmdutil

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"
)

// IOStreams are the standard streams and what is known about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	InTTY, OutTTY, ErrTTY bool
	// Width is the width of the terminal in columns: COLUMNS when set, else the size of stdout's terminal; 0 when
	// unknown (stdout is not a terminal). Tables and help are fitted to it on a terminal.
	Width int
	// NeverPrompt is set by INFRA_PROMPT_DISABLED or when stdin is not a terminal.
	NeverPrompt bool
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// System returns the process's streams. INFRA_FORCE_TTY=1 makes stdout and stderr count as terminals (tests, pagers).
func System(getenv func(string) string) *IOStreams {
	s := &IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		InTTY:  isTerminal(os.Stdin),
		OutTTY: isTerminal(os.Stdout),
		ErrTTY: isTerminal(os.Stderr),
	}
	if v := getenv("INFRA_FORCE_TTY"); v != "" && v != "0" && v != "false" {
		s.OutTTY, s.ErrTTY = true, true
	}
	s.NeverPrompt = !s.InTTY || truthy(getenv("INFRA_PROMPT_DISABLED"))
	s.Width = termWidth(getenv("COLUMNS"), os.Stdout)
	return s
}

// Test returns in-memory streams for unit tests.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, NeverPrompt: true}, in, out, errOut
}

// CanPrompt reports whether interactive questions may be asked.
func (s *IOStreams) CanPrompt() bool { return s.InTTY && s.ErrTTY && !s.NeverPrompt }

// termWidth is the terminal width: COLUMNS when it is a positive number, else the size of out when it is a terminal.
func termWidth(columns string, out *os.File) int {
	if n, err := strconv.Atoi(strings.TrimSpace(columns)); err == nil && n > 0 {
		return n
	}
	if w, _, err := term.GetSize(int(out.Fd())); err == nil && w > 0 {
		return w
	}
	return 0
}

func truthy(v string) bool {
	switch v {
	case "1", "true", "TRUE", "True", "yes", "on":
		return true
	}
	return false
}
