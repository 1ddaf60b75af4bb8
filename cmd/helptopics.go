package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/config"
	"github.com/infractl/infra/pkg/output"
)

// processEnv lists the variables that are not settings (settings come from the config registry).
var processEnv = [][2]string{
	{"INFRA_PROFILE", "profile to use when --profile is not given"},
	{"INFRA_CONFIG_DIR", "directory of config.yaml (default: the OS config directory + /infra)"},
	{"INFRA_CACHE_DIR", "directory of the token cache (default: the OS cache directory + /infra)"},
	{"INFRA_VIRTOMIZE_POLL_INTERVAL", "how often --wait polls a Virtomize appliance (Go duration)"},
	{"INFRA_JOTELULU_POLL_INTERVAL", "how often --wait polls Jotelulu (Go duration)"},
	{"INFRA_OPEN_COMMAND", "program that --open hands files to, instead of the desktop's opener"},
	{"NO_COLOR", "any value: never colour the output (https://no-color.org)"},
}

// helpTopics are `infra help TOPIC` pages: commands without a Run, which cobra lists as additional help topics. A
// page's text is written when it is shown; Long (read by the documentation generator) is filled only when the
// arguments name the topic or the whole tree is built.
func helpTopics(f *cmdutil.Factory) []*cobra.Command {
	topic := func(name, short string, long func() string) *cobra.Command {
		c := &cobra.Command{Use: name, Short: short}
		c.SetHelpFunc(func(c *cobra.Command, _ []string) { fmt.Fprint(c.OutOrStdout(), long()) })
		if wanted(f, name) {
			c.Long = long()
		}
		return c
	}
	return []*cobra.Command{
		topic("exit-codes", "The exit codes scripts can rely on", exitCodesHelp),
		topic("environment", "Environment variables infra reads", environmentHelp),
		topic("formats", "Output formats and how to pick fields", formatsHelp),
		topic("kv", "key=value input (-k) and output (-K), as btapi writes and reads them", kvHelp),
	}
}

func exitCodesHelp() string {
	var b strings.Builder
	b.WriteString("Exit codes are part of the interface; scripts can rely on them.\n\n")
	for _, e := range cmdutil.ExitCodes {
		fmt.Fprintf(&b, "  %3d  %s\n", e.Code, e.Meaning)
		if e.Example != "" {
			fmt.Fprintf(&b, "       e.g. %s\n", strings.ReplaceAll(e.Example, "`", ""))
		}
	}
	return b.String()
}

func environmentHelp() string {
	var b strings.Builder
	b.WriteString("Every setting can come from the environment (or from a file given with --env-file, which holds\n" +
		"KEY=VALUE lines). The variables of BeyondTrust's btapi (BT_API_HOST, BT_CLIENT_ID, BT_CLIENT_SECRET) are\n" +
		"accepted for PRA. `infra config list` shows each setting's effective value and where it comes from.\n\nSettings:\n")
	for _, o := range config.Options() {
		if len(o.Env) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %s\n      %s", strings.Join(o.Env, ", "), o.Description)
		if o.Sensitive {
			b.WriteString(" (secret)")
		}
		b.WriteString("\n")
	}
	b.WriteString("\nProcess:\n")
	for _, v := range processEnv {
		fmt.Fprintf(&b, "  %s\n      %s\n", v[0], v[1])
	}
	return b.String()
}

func formatsHelp() string {
	var b strings.Builder
	b.WriteString("-o FORMAT (or the output setting) picks how results are written to stdout:\n\n")
	width := 6
	for _, n := range output.Names() {
		width = max(width, len(n))
	}
	for _, f := range output.Formats {
		fmt.Fprintf(&b, "  %-*s %s\n", width, f, output.Describe(f))
	}
	b.WriteString(`
--columns a,b     the top-level fields shown by table and csv, in that order
--no-headers      table and csv without the header row
--jq EXPR         a jq expression applied to the JSON form; strings are printed raw
--template TPL    a Go text/template applied to the JSON form (functions: json, join, upper, lower)
-K                short for -o kv

--jq and --template are checked before any request is sent.
`)
	return b.String()
}

func kvHelp() string {
	return `-k reads key=value input on stdin exactly as btapi -k does; -K writes btapi's flattened form.

Input (-k):
  One key=value per line. Values may be double-quoted (name="My host") with \" and \\ escapes, and a quoted
  value may span lines (an SSH private key). Blank lines and # comments are ignored; errors name the line.
  Values are typed by the field: integers become JSON numbers, booleans accept true/false in any case,
  date-times are RFC 3339. key= (empty, unquoted) is null where the field allows it and an empty list for a
  list field. list__0=a and list__1=b build a list; deeper keys build nested objects
  (payload__cmd="ls -l", filter_rules__0__cidr=10.0.0.0/8).
  Sources merge in this order, later winning: --json FILE, -k on stdin, then flags.

Output (-K, -o kv):
  The list index, __, then nested keys: 0__id=5, 0__name="My host", 3__tags__0=x. Values are quoted only
  when needed; key= is null. The output parses back as -k input:

    infra pra jump-group get 3 -K | infra pra -k jump-group update 3

Example (the guide's clean-up):
    ID=$(echo "tag=$inst" | infra pra -kK list jump-item/shell-jump | perl -ne '/^0__id=(\d+)/ && print $1')
`
}

// newHelpCmd replaces cobra's help command, which prints the root help with exit 0 for an unknown topic: here an
// unknown command or topic is a usage error (exit 2) with suggestions.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command|topic]",
		Short: "Help about any command, or a topic: exit-codes, environment, formats, kv",
		RunE: func(c *cobra.Command, args []string) error {
			root := c.Root()
			target, rest, err := root.Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				msg := fmt.Sprintf("unknown help topic %q", strings.Join(args, " "))
				if sug := suggestTopics(root, args[len(args)-1]); len(sug) > 0 {
					msg += "; did you mean " + strings.Join(sug, " or ") + "?"
				}
				return &api.UsageError{Err: fmt.Errorf("%s (topics: exit-codes, environment, formats, kv; commands: infra --help)", msg)}
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}

// suggestTopics adds the help topics, which cobra does not count as available commands, to the usual suggestions.
func suggestTopics(root *cobra.Command, typed string) []string {
	out := suggestCommands(root, typed)
	for _, c := range root.Commands() {
		if c.IsAdditionalHelpTopicCommand() && (strings.HasPrefix(c.Name(), typed) || strings.HasPrefix(typed, c.Name())) {
			out = append(out, c.Name())
		}
	}
	return out
}
