// Package cmdutil holds what every command needs: the IO streams, global flags and the factory that lazily builds
// configuration, credential stores and vendor clients, so commands can be tested without globals.
package cmdutil

import (
	"bytes"
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IOStreams are the standard streams and what is known about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	InTTY, OutTTY, ErrTTY bool
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
	return s
}

// Test returns in-memory streams for unit tests.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, NeverPrompt: true}, in, out, errOut
}

// CanPrompt reports whether interactive questions may be asked.
func (s *IOStreams) CanPrompt() bool { return s.InTTY && s.ErrTTY && !s.NeverPrompt }

func truthy(v string) bool {
	switch v {
	case "1", "true", "TRUE", "True", "yes", "on":
		return true
	}
	return false
}
