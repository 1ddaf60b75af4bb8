package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/config"
)

// configShort summarises `infra config` in the command listing, before its tree is built.
const configShort = "Show and change settings and profiles"

func newConfigCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: configShort,
		Long: `Settings live in $XDG_CONFIG_HOME/infra/config.yaml (or --config FILE, or $INFRA_CONFIG_DIR/config.yaml), written 0600.
Vendor settings are keyed "<vendor>.<setting>" (pra.host, virtomize.fingerprint) and belong to the selected profile
(--profile, INFRA_PROFILE); global settings (output, timeout, secret_store) apply everywhere.

Precedence, highest first: flag, environment (INFRA_…, BT_API_HOST/BT_CLIENT_ID/BT_CLIENT_SECRET), --env-file,
config file, default. Secrets never go in the file: use infra auth login, the environment or --env-file.`,
		Args: cobra.NoArgs,
	}
	set := newConfigEditCmd(f, "set KEY VALUE", "Save a setting in the configuration file (in the selected profile for vendor settings)",
		exactArgs(2, "KEY VALUE"), "set", func(cfg *config.Config, args []string) error {
			return cfg.Set(args[0], args[1])
		})
	unset := newConfigEditCmd(f, "unset KEY", "Remove a setting from the configuration file",
		exactArgs(1, "KEY"), "unset", func(cfg *config.Config, args []string) error {
			return cfg.Unset(args[0])
		})
	path := &cobra.Command{
		Use:   "path",
		Short: "Print the configuration file path",
		Args:  cobra.NoArgs,
		RunE: configRun(f, func(cfg *config.Config, args []string) error {
			fmt.Fprintln(f.IO.Out, cfg.Path())
			return nil
		}),
	}
	cmd.AddCommand(newConfigListCmd(f), newConfigGetCmd(f), set, unset, path, newConfigProfilesCmd(f))
	return cmd
}

// configKeys completes the setting keys that may be printed or saved (never a secret).
func configKeys(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, o := range config.Options() {
		if !o.Sensitive {
			out = append(out, o.Key+"\t"+o.Description)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// newConfigEditCmd is a command that changes the configuration file: edit runs on the loaded configuration (a
// refusal is a usage error) and the change is reported as verb.
func newConfigEditCmd(f *cmdutil.Factory, use, short string, args cobra.PositionalArgs, verb string, edit func(cfg *config.Config, args []string) error) *cobra.Command {
	return &cobra.Command{
		Use:               use,
		Short:             short,
		Args:              args,
		ValidArgsFunction: configKeys,
		RunE: configRun(f, func(cfg *config.Config, args []string) error {
			if err := edit(cfg, args); err != nil {
				return usageErrorf("%v", err)
			}
			f.Infof("%s %s in %s (profile %s)", verb, args[0], cfg.Path(), cfg.Profile())
			return nil
		}),
	}
}

// configRun loads the configuration, then runs the command body with it.
func configRun(f *cmdutil.Factory, run func(cfg *config.Config, args []string) error) func(*cobra.Command, []string) error {
	return func(_ *cobra.Command, args []string) error {
		cfg, err := f.Config()
		if err != nil {
			return err
		}
		return run(cfg, args)
	}
}

// newConfigListCmd is "config list": every effective setting with its source.
func newConfigListCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List effective settings of the selected profile and where each comes from",
		Args:    cobra.NoArgs,
		RunE: configRun(f, func(cfg *config.Config, args []string) error {
			var rows []map[string]any
			for _, v := range cfg.List() {
				rows = append(rows, map[string]any{"key": v.Key, "value": v.Value, "source": v.Source})
			}
			return f.Print(rows, []string{"key", "value", "source"})
		}),
	}
}

// newConfigGetCmd is "config get KEY": the bare value, or a record when an output format is asked for.
func newConfigGetCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "get KEY",
		Short:             "Print the effective value of a setting",
		Args:              exactArgs(1, "KEY"),
		ValidArgsFunction: configKeys,
		RunE: configRun(f, func(cfg *config.Config, args []string) error {
			v, err := cfg.Get(args[0])
			if err != nil {
				return usageErrorf("%v", err)
			}
			if v.Sensitive {
				return usageErrorf("%s is a secret and is never printed; see infra auth status", args[0])
			}
			if f.G.Output == "" && !f.G.KVOut && f.G.JQ == "" && f.G.Template == "" {
				fmt.Fprintln(f.IO.Out, v.Value)
				return nil
			}
			return f.Print(map[string]any{"key": v.Key, "value": v.Value, "source": v.Source}, []string{"key", "value", "source"})
		}),
	}
}

// newConfigProfilesCmd is "config profiles": each profile, whether it is selected, and each vendor's host.
func newConfigProfilesCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "profiles",
		Short: "List profiles and the vendors each configures",
		Args:  cobra.NoArgs,
		RunE: configRun(f, func(cfg *config.Config, args []string) error {
			var rows []map[string]any
			for _, p := range cfg.Profiles() {
				row := map[string]any{"name": p.Name, "current": p.Current}
				for _, v := range config.Vendors() {
					if s, ok := p.Vendors[v]; ok {
						row[v] = s["host"]
						if row[v] == "" {
							row[v] = "(configured)"
						}
					} else {
						row[v] = ""
					}
				}
				rows = append(rows, row)
			}
			return f.Print(rows, append([]string{"name", "current"}, config.Vendors()...))
		}),
	}
}

func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s: expected %s, got %d argument(s)", c.CommandPath(), names, len(args))
		}
		return nil
	}
}
