package cmdutil

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
)

// ConfirmAction asks before an irreversible or disruptive action; --yes skips the question and is required without a
// terminal.
func ConfirmAction(ctx context.Context, f *Factory, what string) error {
	if f.G.Yes {
		return nil
	}
	if !f.IO.CanPrompt() {
		return UsageErrorf("%s: this cannot be undone; pass --yes to confirm when running without a terminal", what)
	}
	ok, err := f.IO.Confirm(ctx, strings.ToUpper(what[:1])+what[1:]+"?")
	if err != nil && ctx.Err() != nil {
		return err
	}
	if !ok {
		return UsageErrorf("cancelled")
	}
	return nil
}

// NoArgs rejects positional arguments with a usage error (exit 2).
func NoArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return UsageErrorf("unexpected argument %q for %q", args[0], c.CommandPath())
	}
	return nil
}

// SplitList splits repeated and comma-separated flag values.
func SplitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
