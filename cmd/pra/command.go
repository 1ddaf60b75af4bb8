package pra

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/pra"
	"github.com/infractl/infra/pkg/cmdutil"
)

// praXMLCommands are the commands of the PRA command, reporting, backup and client scripting APIs (XML APIs beside
// the Configuration API).
func praXMLCommands(f *cmdutil.Factory) []*cobra.Command {
	cmds := []*cobra.Command{
		newPRAHealthCmd(f), newPRAAPIInfoCmd(f), newPRARepsCmd(f), newPRAClientsCmd(f), newPRASessionCmd(f),
		newPRAFailoverCmd(f), newPRAJumpShortcutCmd(f), newPRAReportCmd(f), newPRABackupCmd(f), newPRAScriptCmd(f),
		newPRAEventsCmd(f),
	}
	return cmds
}

// praRun wraps a command body: output options are checked first, then the client is built.
func praRun(f *cmdutil.Factory, run func(ctx context.Context, c *pra.Client, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := f.ValidateOutput(); err != nil {
			return err
		}
		cl, err := Client(cmd.Context(), f)
		if err != nil {
			return err
		}
		return run(cmd.Context(), cl, cmd, args)
	}
}

func newPRAHealthCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "health",
		Short: "Check the health of the appliance (command API check_health)",
		Long: `Show the appliance's health: hostname and GUID, software version, failover role and data sync status.

The exit code is 1 when the appliance reports a failed health check (<success>0</success>), so the command can
drive monitoring.`,
		Example: "  infra pra health\n  infra pra health -o json --jq .failover_role",
		Args:    noArgs,
		RunE: praRun(f, func(ctx context.Context, c *pra.Client, _ *cobra.Command, _ []string) error {
			m, err := c.CheckHealth(ctx)
			if err != nil {
				return err
			}
			if err := printXML(f, m, []string{"appliance", "appliance.id", "version", "success", "failover_role"}); err != nil {
				return err
			}
			if s, _ := m["success"].(string); s != "1" {
				msg, _ := m["error_message"].(string)
				if msg == "" {
					msg = "no error message given"
				}
				return fmt.Errorf("the appliance reports a failed health check: %s", msg)
			}
			return nil
		}),
	}
}

func newPRAAPIInfoCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "api-info",
		Short:   "Show the API version and the API account's permissions (command API get_api_info)",
		Example: "  infra pra api-info\n  infra pra api-info -o json --jq .permissions.perm_backup",
		Args:    noArgs,
		RunE: praRun(f, func(ctx context.Context, c *pra.Client, _ *cobra.Command, _ []string) error {
			m, err := c.APIInfo(ctx)
			if err != nil {
				return err
			}
			return printXML(f, m, []string{"api_version", "timestamp"})
		}),
	}
}

func newPRARepsCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "reps",
		Aliases: []string{"logged-in-reps"},
		Short:   "List the logged-in representatives (command API get_logged_in_reps)",
		Example: "  infra pra reps\n  infra pra reps -o csv --columns id,public_display_name,logged_in_since",
		Args:    noArgs,
		RunE: praRun(f, func(ctx context.Context, c *pra.Client, _ *cobra.Command, _ []string) error {
			rows, err := c.LoggedInReps(ctx)
			if err != nil {
				return err
			}
			if len(rows) == 0 && f.IO.OutTTY {
				f.Infof("no representatives are logged in")
			}
			return f.Print(rows, []string{"id", "public_display_name", "private_display_name", "type", "logged_in_since", "support_session_count", "showing_on_rep_list"})
		}),
	}
}

func newPRAClientsCmd(f *cmdutil.Factory) *cobra.Command {
	var types []string
	var summary bool
	cmd := &cobra.Command{
		Use:   "clients",
		Short: "List connected clients or their summary (command API get_connected_client_list)",
		Long: `List the clients connected to the appliance: representatives, support customers (endpoints), presentation
attendees and push agents (Jumpoints). --summary shows the count of each type per appliance instead.

Use 'infra pra clients show ID…' for the details of given clients.`,
		Example: "  infra pra clients\n  infra pra clients --type representative,push_agent\n  infra pra clients --summary -o json",
		Args:    noArgs,
		PreRunE: func(*cobra.Command, []string) error {
			return checkClientTypes(types)
		},
		RunE: praRun(f, func(ctx context.Context, c *pra.Client, _ *cobra.Command, _ []string) error {
			l, err := c.ConnectedClientList(ctx, splitList(types), summary)
			if err != nil {
				return err
			}
			if summary {
				return f.Print(pra.ClientSummaryRows(l), []string{"appliance_id", "type", "count"})
			}
			rows, _ := l["connected_client"].([]any)
			if rows == nil {
				rows = []any{}
			}
			if len(rows) == 0 && f.IO.OutTTY {
				f.Infof("no connected clients")
			}
			return f.Print(rows, []string{"id", "type"})
		}),
	}
	cmd.Flags().StringSliceVar(&types, "type", nil, "client types: all, representative, support_customer, presentation_attendee, push_agent (comma-separated)")
	cmd.Flags().BoolVar(&summary, "summary", false, "show only the count of clients of each type (summary_only=1)")
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions(pra.ClientTypes, cobra.ShellCompDirectiveNoFileComp))
	cmd.AddCommand(newPRAClientsShowCmd(f))
	return cmd
}

func checkClientTypes(types []string) error {
	if err := pra.CheckClientTypes(splitList(types)); err != nil {
		return &api.UsageError{Err: fmt.Errorf("--type: %w", err)}
	}
	return nil
}

func newPRAClientsShowCmd(f *cmdutil.Factory) *cobra.Command {
	var types []string
	var conns bool
	cmd := &cobra.Command{
		Use:   "show [ID…]",
		Short: "Show details of connected clients (command API get_connected_clients)",
		Long: `Show the details of connected clients: all of them, those of the given types, or those with the given IDs
(at most 100; IDs are valid only while the client is connected, see 'infra pra clients'). --connections adds each
client's connections to appliances and their event log.

Each client gets a "client_type" field named after its element (connected_representative → representative).`,
		Example: "  infra pra clients show 101 102\n  infra pra clients show --type representative --connections -o json",
		Args: func(_ *cobra.Command, args []string) error {
			ids := splitList(args)
			if len(ids) > pra.MaxClientIDs {
				return usageErrorf("at most %d client IDs can be given, got %d", pra.MaxClientIDs, len(ids))
			}
			for _, id := range ids {
				if strings.ContainsAny(id, " &=") {
					return usageErrorf("client ID %q is not valid", id)
				}
			}
			return checkClientTypes(types)
		},
		RunE: praRun(f, func(ctx context.Context, c *pra.Client, _ *cobra.Command, args []string) error {
			rows, err := c.ConnectedClients(ctx, splitList(types), splitList(args), conns)
			if err != nil {
				return err
			}
			if len(rows) == 0 && f.IO.OutTTY {
				f.Infof("no matching connected clients")
			}
			return printXML(f, rows, []string{"id", "client_type", "hostname", "platform", "name", "username", "lsid"})
		}),
	}
	cmd.Flags().StringSliceVar(&types, "type", nil, "client types: all, representative, support_customer, presentation_attendee, push_agent")
	cmd.Flags().BoolVar(&conns, "connections", false, "include connections to appliances and their event log (include_connections=1)")
	return cmd
}

// parseCustom reads --custom CODE=VALUE flags.
func parseCustom(vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok {
			return nil, fmt.Errorf("--custom %q: use CODE=VALUE", v)
		}
		k = strings.TrimPrefix(strings.TrimSpace(k), "session.custom.")
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("--custom %s given twice", k)
		}
		out[k] = val
	}
	return out, nil
}

func newPRASessionCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "session",
		Short: "Get or set attributes of active sessions, or terminate them (command API)",
		Args:  noArgs,
	}
	attrs := &cobra.Command{Use: "attributes", Aliases: []string{"attrs"}, Short: "Custom attributes of an active session", Args: cobra.NoArgs}
	attrs.AddCommand(newPRASessionAttrsGetCmd(f), newPRASessionAttrsSetCmd(f))
	cmd.AddCommand(attrs)
	cmd.AddCommand(newPRASessionTerminateCmd(f))
	return cmd
}

// newPRASessionAttrsGetCmd is "pra session attributes get LSID".
func newPRASessionAttrsGetCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get LSID",
		Short:   "Show the custom attributes of an active session (get_session_attributes)",
		Example: "  infra pra session attributes get c69a8e10bea9428f816cfababe9815fe",
		Args:    exactLSID,
		RunE: praRun(f, func(ctx context.Context, c *pra.Client, _ *cobra.Command, args []string) error {
			rows, err := c.SessionAttributes(ctx, args[0])
			if err != nil {
				return err
			}
			return f.Print(rows, []string{"code_name", "display_name", "value"})
		}),
	}
}

// newPRASessionAttrsSetCmd is "pra session attributes set LSID": the parameters are checked before the client is built.
func newPRASessionAttrsSetCmd(f *cmdutil.Factory) *cobra.Command {
	var extKey string
	var custom []string
	set := &cobra.Command{
		Use:   "set LSID",
		Short: "Set the external key and custom attributes of an active session (set_session_attributes)",
		Long: `Set the external key and custom attributes of an active session. Attributes not given keep their value; give
an empty value (--custom code=) to clear one. Custom fields must first be configured in /login > Management > API
Configuration. Each value may have 1024 characters, all of them together 10KB.`,
		Example: "  infra pra session attributes set c69a8e10bea9428f816cfababe9815fe --external-key ABC123\n" +
			"  infra pra session attributes set c69a8e10bea9428f816cfababe9815fe --custom custom_field1='Custom Value'",
		Args: exactLSID,
		RunE: func(cmd *cobra.Command, args []string) error {
			cm, err := parseCustom(custom)
			if err != nil {
				return &api.UsageError{Err: err}
			}
			var ek *string
			if cmd.Flags().Changed("external-key") {
				ek = &extKey
			}
			q, err := pra.SessionAttributeParams(args[0], ek, cm)
			if err != nil {
				return &api.UsageError{Err: fmt.Errorf("invalid session attributes:\n  %w", err)}
			}
			return praRun(f, func(ctx context.Context, c *pra.Client, _ *cobra.Command, _ []string) error {
				res, err := c.SetSessionAttributes(ctx, q)
				if err != nil {
					return err
				}
				return f.Print(res, nil)
			})(cmd, args)
		},
	}
	set.Flags().StringVar(&extKey, "external-key", "", "external key linking the session to another system, e.g. a ticket id (empty to clear)")
	set.Flags().StringArrayVar(&custom, "custom", nil, "custom attribute `CODE=VALUE` (repeatable)")
	return set
}

// newPRASessionTerminateCmd is "pra session terminate LSID…", confirmed first.
func newPRASessionTerminateCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "terminate LSID…",
		Short: "Terminate active sessions (terminate_session)",
		Long: `Terminate sessions in progress. This disconnects everyone in the session and cannot be undone: it asks for
confirmation on a terminal and needs --yes otherwise.`,
		Example: "  infra pra session terminate da4b510978a541d49398e88c66e28475 --yes",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("give the LSID of the session to terminate")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.ValidateOutput(); err != nil {
				return err
			}
			if err := confirmAction(cmd.Context(), f, fmt.Sprintf("terminate session %s", strings.Join(args, ", "))); err != nil {
				return err
			}
			return praRun(f, func(ctx context.Context, c *pra.Client, _ *cobra.Command, _ []string) error {
				return terminateSessions(ctx, f, c, args)
			})(cmd, args)
		},
	}
}

// terminateSessions terminates each session in turn. One session's failure is the command's error; with several,
// the others are still tried, the results printed and the failures joined.
func terminateSessions(ctx context.Context, f *cmdutil.Factory, c *pra.Client, ids []string) error {
	var errs []error
	var rows []any
	for _, id := range ids {
		res, err := c.TerminateSession(ctx, id)
		if err != nil {
			if len(ids) == 1 {
				return err
			}
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		res["lsid"] = id
		rows = append(rows, res)
	}
	if len(ids) == 1 {
		if err := f.Print(rows[0], []string{"lsid", "success"}); err != nil {
			return err
		}
	} else if len(rows) > 0 {
		if err := f.Print(rows, []string{"lsid", "success"}); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

func exactLSID(_ *cobra.Command, args []string) error {
	if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
		return usageErrorf("expected one session id (LSID), got %d argument(s)", len(args))
	}
	return nil
}

func newPRAFailoverCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "failover-role",
		Short: "Change the appliance's failover role (command API set_failover_role)",
		Args:  noArgs,
	}
	var sync, force bool
	set := &cobra.Command{
		Use:   "set primary|backup",
		Short: "Make this appliance the primary or the backup",
		Long: `Set the failover role of the appliance to primary or backup.

--data-sync-first syncs data with the peer first (all users on the current primary are disconnected during the sync);
--data-sync-first=false fails over without a final sync. --force (only when making the primary the backup) changes the
role even if the peer cannot be contacted. Asks for confirmation on a terminal; needs --yes otherwise.`,
		Example:   "  infra pra failover-role set backup --data-sync-first --yes\n  infra pra failover-role set backup --force --yes",
		ValidArgs: pra.FailoverRoles,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("expected the role: primary or backup")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var ds, fo *bool
			if cmd.Flags().Changed("data-sync-first") {
				ds = &sync
			}
			if cmd.Flags().Changed("force") {
				fo = &force
			}
			q, err := pra.FailoverParams(args[0], ds, fo)
			if err != nil {
				return &api.UsageError{Err: err}
			}
			if err := f.ValidateOutput(); err != nil {
				return err
			}
			if err := confirmAction(cmd.Context(), f, "set the failover role of the appliance to "+args[0]); err != nil {
				return err
			}
			return praRun(f, func(ctx context.Context, c *pra.Client, _ *cobra.Command, _ []string) error {
				res, err := c.SetFailoverRole(ctx, q)
				if err != nil {
					return err
				}
				return f.Print(res, nil)
			})(cmd, args)
		},
	}
	set.Flags().BoolVar(&sync, "data-sync-first", false, "sync data with the peer before failing over (data_sync_first=1; =false sends 0)")
	set.Flags().BoolVar(&force, "force", false, "become the backup even if the peer cannot be contacted (force=1)")
	cmd.AddCommand(set)
	return cmd
}

// printXML prints a converted XML answer. In table and CSV output nested elements are flattened (see
// pra.FlattenRow: hostname under "appliance", its GUID under "appliance.id"); JSON, YAML, kv, --jq and --template
// get the nested form.
func printXML(f *cmdutil.Factory, v any, cols []string) error {
	o, err := f.OutputOptions(cols)
	if err != nil {
		return err
	}
	if o.Tabular() {
		switch t := v.(type) {
		case map[string]any:
			v = pra.FlattenRow(t)
		case []any:
			rows := make([]any, len(t))
			for i, r := range t {
				if m, ok := r.(map[string]any); ok {
					rows[i] = pra.FlattenRow(m)
				} else {
					rows[i] = r
				}
			}
			v = rows
		}
	}
	return f.Print(v, cols)
}

var (
	confirmAction = cmdutil.ConfirmAction
	noArgs        = cmdutil.NoArgs
	splitList     = cmdutil.SplitList
)
