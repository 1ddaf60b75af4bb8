package cmdutil

import (
	"context"
	"fmt"
	"strings"
)

// ReadSecret prompts without echo on a terminal or reads stdin with --secret-stdin.
func ReadSecret(ctx context.Context, f *Factory, what string, fromStdin bool) (string, error) {
	if fromStdin {
		return f.IO.SecretFromStdin(ctx, "--secret-stdin")
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
