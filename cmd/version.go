package cmd

import (
	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/cmdutil"
)

func newVersionCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			b := f.Build
			if f.G.Output == "" && !f.G.KVOut && f.G.JQ == "" && f.G.Template == "" {
				f.IO.Out.Write([]byte("infra version " + b.Version + " (commit " + b.Commit + ", built " + b.Date + ")\n"))
				return nil
			}
			return f.Print(map[string]any{"version": b.Version, "commit": b.Commit, "date": b.Date}, []string{"version", "commit", "date"})
		},
	}
}

func newCompletionCmd(root *cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:       "completion bash|zsh|fish|powershell",
		Short:     "Print a shell completion script",
		Long:      "Print a completion script for your shell. For bash: source <(infra completion bash)",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(c *cobra.Command, args []string) error {
			out := c.OutOrStdout()
			switch args[0] {
			case "bash":
				return GenBashCompletion(root, out)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return usageErrorf("unknown shell %q (bash, zsh, fish or powershell)", args[0])
		},
	}
	return c
}
