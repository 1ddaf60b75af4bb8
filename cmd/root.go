// Package cmd holds the infra command tree.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	jotelulucmd "github.com/infractl/infra/cmd/jotelulu"
	pracmd "github.com/infractl/infra/cmd/pra"
	virtomizecmd "github.com/infractl/infra/cmd/virtomize"
	"github.com/infractl/infra/internal/textdist"
	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/output"
)

// Build information, set with -ldflags "-X github.com/infractl/infra/cmd.version=… ".
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// Build returns the binary's version, commit and date, falling back to the module build info for `go install`.
func Build() cmdutil.BuildInfo {
	b := cmdutil.BuildInfo{Version: version, Commit: commit, Date: date}
	if b.Version != "dev" && b.Commit != "" && b.Date != "" {
		return b // set at link time (make build): the module build info would not change anything
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = strings.TrimPrefix(info.Main.Version, "v")
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			}
		}
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

// Main runs the command line and returns the process exit code. Ctrl-C and SIGTERM cancel the context of the
// command that runs (exit 130); the handler is installed when a command starts, so that --version, --help and
// completion, which print and exit, do not pay for the runtime's signal thread.
func Main() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stop func()
	ctx = context.WithValue(ctx, signalsKey{}, func() {
		if stop == nil {
			stop = cancelOnSignal(cancel, os.Interrupt, syscall.SIGTERM)
		}
	})
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	f := cmdutil.New(cmdutil.System(os.Getenv), Build(), os.Getenv)
	return Run(ctx, f, argsFor(os.Args[0], os.Args[1:]))
}

// signalsKey holds, in the context given to Run, the function that installs the signal handler (Main's).
type signalsKey struct{}

// cancelOnSignal calls cancel when one of sig arrives, as signal.NotifyContext does, until stop is called.
func cancelOnSignal(cancel context.CancelFunc, sig ...os.Signal) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sig...)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			cancel()
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// argsFor makes the binary a drop-in for BeyondTrust's btapi: invoked under that name (a symlink or a copy named
// btapi), it is `infra pra` with btapi's flags (-k, -K, --env-file), so btapi scripts run unchanged.
func argsFor(argv0 string, args []string) []string {
	name := strings.TrimSuffix(strings.ToLower(filepath.Base(argv0)), ".exe")
	if name == "btapi" {
		return append([]string{"pra"}, args...)
	}
	return args
}

// Run executes args against a factory; tests call it directly.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	if args == nil {
		args = []string{}
	}
	f.Args = args
	root := NewRoot(f)
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		err = fmt.Errorf("%w: %v", context.Canceled, err)
	}
	code := cmdutil.ExitCode(err)
	if code == cmdutil.ExitInterrupted {
		fmt.Fprintln(f.IO.ErrOut, "interrupted")
		return code
	}
	// The message may carry server text: secrets are scrubbed and terminal controls escaped.
	fmt.Fprintln(f.IO.ErrOut, "error: "+api.ForTerminal(err.Error()))
	var ue *api.UsageError
	if errors.As(err, &ue) && ue.Err != nil && isFlagError(ue.Err) {
		fmt.Fprintln(f.IO.ErrOut, "run with --help for usage")
	}
	return code
}

type flagError struct{ error }

func isFlagError(err error) bool {
	var fe flagError
	return errors.As(err, &fe)
}

// NewRoot builds the whole command tree.
func NewRoot(f *cmdutil.Factory) *cobra.Command {
	b := f.Build
	root := &cobra.Command{
		Use:   "infra",
		Short: "Drive infrastructure vendor APIs (BeyondTrust PRA, Virtomize, Jotelulu) from the shell",
		Long: `infra drives vendor APIs from a shell, a script or a CI pipeline:

  infra pra …        BeyondTrust Privileged Remote Access
  infra virtomize …  Virtomize appliance (virtual machines, clusters, networks, profiles)
  infra jotelulu …   Jotelulu cloud: servers, networks, firewall, remote desktops

Output goes to stdout (-o ` + strings.Join(output.Names(), "|") + `, --jq, --template); progress, warnings and prompts go to stderr.
Try it with no vendor account: infra sandbox serve.`,
		Version:       fmt.Sprintf("%s (commit %s, built %s)", b.Version, b.Commit, b.Date),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(c *cobra.Command, args []string) error {
			if install, ok := c.Context().Value(signalsKey{}).(func()); ok {
				install()
			}
			if err := collectGlobals(c, f); err != nil {
				return err
			}
			f.ResolveOutput(c)
			return nil
		},
	}
	root.SetVersionTemplate("infra version {{.Version}}\n")
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &api.UsageError{Err: flagError{err}}
	})
	addGlobalFlags(root, f.G)
	completeGlobalFlags(root, f)
	f.GlobalFlags = root.PersistentFlags()
	root.AddGroup(&cobra.Group{ID: "vendors", Title: "Vendors:"}, &cobra.Group{ID: "tools", Title: "Setup and tools:"})
	vendors := []*cobra.Command{
		lazyCommand(f, "virtomize", virtomizecmd.Short, virtomizecmd.NewCmd),
		lazyCommand(f, "jotelulu", jotelulucmd.Short, jotelulucmd.NewCmd),
		lazyCommand(f, "pra", pracmd.Short, pracmd.NewCmd), // which also builds only the resource groups the arguments name
	}
	for _, c := range vendors {
		c.GroupID = "vendors"
		root.AddCommand(c)
	}
	tools := []*cobra.Command{
		lazyCommand(f, "auth", authShort, newAuthCmd),
		lazyCommand(f, "config", configShort, newConfigCmd),
		lazyCommand(f, "api", apiShort, newAPICmd),
		lazyCommand(f, "mcp", mcpShort, newMCPCmd),
		lazyCommand(f, "sandbox", sandboxShort, newSandboxCmd),
		newVersionCmd(f), newCompletionCmd(root),
	}
	for _, c := range tools {
		c.GroupID = "tools"
		root.AddCommand(c)
	}
	root.SetHelpCommand(newHelpCmd())
	root.SetHelpCommandGroupID("tools")
	root.AddCommand(helpTopics(f)...)
	// Unknown sub-commands are usage errors (exit 2), not silent help.
	root.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return &api.UsageError{Err: fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath())}
		}
		return nil
	}
	root.RunE = func(c *cobra.Command, args []string) error { return c.Help() }
	markUnknownSubcommands(root)
	if f.IO.OutTTY && f.IO.Width > 0 {
		fitHelp(root, f.IO.Width)
	}
	return root
}

// lazyCommand builds the command tree of a vendor or tool only when the arguments name it (or when the whole tree is
// wanted, f.Args == nil); otherwise a stand-in with the same name and summary keeps it in the help listing and in the
// completion of command names. Start-up then does not grow with the commands that are not used.
func lazyCommand(f *cmdutil.Factory, name, short string, build func(*cmdutil.Factory) *cobra.Command) *cobra.Command {
	if wanted(f, name) {
		return build(f)
	}
	return &cobra.Command{Use: name, Short: short, Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error { return c.Help() }}
}

// wanted reports whether the arguments may need the command or help topic name built: they name it, or the whole tree
// is wanted (f.Args == nil).
func wanted(f *cmdutil.Factory, name string) bool {
	return f.Args == nil || slices.Contains(f.Args, name)
}

// groupHelp runs for a group command given no sub-command: bare, it prints the group's help (exit 0); with any flag
// (`infra pra jump-item list -o json`) the caller expected a result, so it is a usage error naming the sub-commands.
func groupHelp(c *cobra.Command, _ []string) error {
	if c.Flags().NFlag() == 0 {
		return c.Help()
	}
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	return &api.UsageError{Err: fmt.Errorf("%q needs one of its sub-commands: %s (see %s --help)",
		c.CommandPath(), strings.Join(names, ", "), c.CommandPath())}
}

// markUnknownSubcommands makes every group command reject unknown sub-commands with a usage error.
func markUnknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		if sub.HasSubCommands() {
			s := sub
			s.Args = func(cc *cobra.Command, args []string) error {
				if len(args) > 0 {
					msg := fmt.Sprintf("unknown command %q for %q", args[0], cc.CommandPath())
					if sug := suggestCommands(cc, args[0]); len(sug) > 0 {
						msg += "; did you mean " + strings.Join(sug, " or ") + "?"
					}
					return &api.UsageError{Err: errors.New(msg)}
				}
				return nil
			}
			if s.RunE == nil && s.Run == nil {
				s.RunE = groupHelp
			}
			markUnknownSubcommands(s)
		} else if sub.Args != nil {
			// cobra's own validators (NoArgs, ExactArgs…) return plain errors: make them usage errors (exit 2).
			orig := sub.Args
			sub.Args = func(cc *cobra.Command, args []string) error {
				err := orig(cc, args)
				var ue *api.UsageError
				if err != nil && !errors.As(err, &ue) {
					return &api.UsageError{Err: err}
				}
				return err
			}
		}
	}
}

// suggestCommands proposes sub-commands whose name or alias is close to typed.
func suggestCommands(c *cobra.Command, typed string) []string {
	var out []string
	for _, sub := range c.Commands() {
		if !sub.IsAvailableCommand() {
			continue
		}
		for _, n := range append([]string{sub.Name()}, sub.Aliases...) {
			limit := 1
			if len(typed) > 5 {
				limit = 2
			}
			if strings.HasPrefix(n, typed) || textdist.Levenshtein(strings.ToLower(typed), n) <= limit {
				out = append(out, sub.Name())
				break
			}
		}
	}
	return out
}
