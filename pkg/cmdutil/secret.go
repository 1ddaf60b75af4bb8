package cmdutil

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// ReadSecret prompts without echo on a terminal or reads stdin with --secret-stdin.
func ReadSecret(ctx context.Context, f *Factory, what string, fromStdin bool) (string, error) {
	if fromStdin {
		b, err := ReadAll(ctx, io.LimitReader(f.IO.In, 1<<20))
		if err != nil {
			return "", err
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return "", UsageErrorf("--secret-stdin: nothing was read from stdin")
		}
		return s, nil
	}
	if !f.IO.CanPrompt() {
		return "", UsageErrorf("no terminal to prompt for the %s: pipe it in with --secret-stdin", what)
	}
	s, err := f.IO.ReadSecret(ctx, strings.ToUpper(what[:1])+what[1:]+": ")
	if err != nil {
		return "", fmt.Errorf("reading the %s: %w", what, err)
	}
	if s == "" {
		return "", UsageErrorf("empty %s", what)
	}
	return s, nil
}
