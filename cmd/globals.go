package cmd

import (
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/output"
)

func addGlobalFlags(root *cobra.Command, g *cmdutil.Globals) {
	pf := root.PersistentFlags()
	pf.StringVarP(&g.Output, "output", "o", "", "output format: "+output.NameList()+" (default "+string(output.Table)+")")
	pf.StringVar(&g.JQ, "jq", "", "filter the JSON output with a jq `EXPR`ession")
	pf.StringVar(&g.Template, "template", "", "format the JSON output with a Go text/template `TPL`")
	pf.StringSliceVar(&g.Columns, "columns", nil, "table/csv columns to show (comma-separated field names)")
	pf.BoolVar(&g.NoHeaders, "no-headers", false, "omit the header row in table and csv output")
	pf.BoolVar(&g.Wide, "wide", false, "on a terminal, show table cells whole instead of fitting rows to its width (same as -o wide)")
	pf.StringVar(&g.Profile, "profile", "", "configuration profile (site) to use (env INFRA_PROFILE)")
	pf.StringVar(&g.ConfigFile, "config", "", "configuration `FILE` (default $XDG_CONFIG_HOME/infra/config.yaml)")
	pf.BoolVar(&g.Sandbox, "sandbox", false, "use the running sandbox (infra sandbox serve) and nothing else: ignore INFRA_*/BT_* settings, profiles and the config file")
	pf.StringVar(&g.EnvFile, "env-file", "", "read KEY=VALUE settings from `FILE` (btapi compatible: BT_API_HOST, BT_CLIENT_ID, BT_CLIENT_SECRET, INFRA_*)")
	pf.BoolVar(&g.Debug, "debug", false, "trace HTTP requests and responses on stderr, secrets redacted")
	pf.BoolVar(&g.Insecure, "insecure", false, "skip TLS certificate verification (warns)")
	pf.StringVar(&g.CACert, "ca-cert", "", "trust the CA certificates in PEM `FILE`")
	pf.DurationVar(&g.Timeout, "timeout", 0, "timeout of each attempt, reading the answer included; for downloads and reports the longest gap without data (default 30s)")
	pf.BoolVar(&g.NoColor, "no-color", false, "disable colour (also NO_COLOR)")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "print only the result: no progress or status lines")
	pf.BoolVarP(&g.Yes, "yes", "y", false, "answer yes to confirmations (required for irreversible actions without a terminal)")
	pf.BoolVarP(&g.KVIn, "kv-in", "k", false, "read key=value input from stdin (btapi -k)")
	pf.BoolVarP(&g.KVOut, "kv-out", "K", false, "print key=value output, same as -o kv (btapi -K)")
}

// completeGlobalFlags completes -o from the output registry and --profile from the configuration file; nothing here
// reaches a network.
func completeGlobalFlags(root *cobra.Command, f *cmdutil.Factory) {
	_ = root.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, name := range output.Formats {
			out = append(out, string(name)+"\t"+output.Describe(name))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	_ = root.RegisterFlagCompletionFunc("profile", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		cfg, err := f.Config()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, p := range cfg.Profiles() {
			out = append(out, p.Name)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

// flagKeys maps global flags to configuration keys so that flags take precedence over every other source.
var flagKeys = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"output":   "output",
		"debug":    "debug",
		"insecure": "insecure",
		"ca-cert":  "ca_cert",
		"timeout":  "timeout",
		"no-color": "no_color",
	}
})

func collectGlobals(c *cobra.Command, f *cmdutil.Factory) error {
	g := f.G
	c.Flags().Visit(func(fl *pflag.Flag) {
		key, ok := flagKeys()[fl.Name]
		if !ok {
			return
		}
		switch fl.Name {
		case "timeout":
			g.Changed[key] = g.Timeout.String()
		case "debug", "insecure", "no-color":
			b, _ := strconv.ParseBool(fl.Value.String())
			g.Changed[key] = strconv.FormatBool(b)
		default:
			g.Changed[key] = fl.Value.String()
		}
	})
	if g.Timeout < 0 {
		g.Changed["timeout"] = (30 * time.Second).String()
	}
	return nil
}
