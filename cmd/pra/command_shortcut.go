package pra

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/pra"
	"github.com/infractl/infra/pkg/cmdutil"
)

// shortcutFlags collects the union of the shortcut parameters' flags, with the types each applies to.
func shortcutFlags() (names []string, help map[string]string, boolFlag map[string]bool) {
	help = map[string]string{}
	boolFlag = map[string]bool{}
	types := map[string][]string{}
	for _, t := range pra.ShortcutTypes {
		for _, p := range t.Params {
			if _, ok := help[p.Flag]; !ok {
				names = append(names, p.Flag)
				help[p.Flag] = p.Help
			}
			types[p.Flag] = append(types[p.Flag], t.Name)
			if p.Kind == pra.PBool {
				boolFlag[p.Flag] = true
			}
		}
	}
	for _, n := range names {
		if boolFlag[n] {
			help[n] += "; --" + n + " alone means 1, --" + n + "=0 sends 0"
		}
		if len(types[n]) < len(pra.ShortcutTypes) {
			help[n] += " [" + strings.Join(types[n], ", ") + "]"
		}
	}
	return names, help, boolFlag
}

func newPRAJumpShortcutCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jump-shortcut",
		Short: "Import Jump shortcuts (command API import_jump_shortcut)",
		Args:  noArgs,
	}
	cmd.AddCommand(newPRAJumpShortcutImportCmd(f))
	return cmd
}

// shortcutOptions holds what "jump-shortcut import" parses from its flags.
type shortcutOptions struct {
	typ, csvFile string
	dryRun       bool
	names        []string           // parameter flags, in declaration order
	help         map[string]string  // by flag name
	boolFlag     map[string]bool    // flags that alone mean 1
	values       map[string]*string // by flag name
}

// shortcutTypesHelp lists each shortcut type with its required and optional flags, for the long help.
func shortcutTypesHelp() string {
	var lines []string
	for _, t := range pra.ShortcutTypes {
		var req, opt []string
		for _, p := range t.Params {
			if p.Required {
				req = append(req, "--"+p.Flag)
			} else {
				opt = append(opt, "--"+p.Flag)
			}
		}
		lines = append(lines, fmt.Sprintf("  %-16s required: %s\n  %-16s optional: %s", t.Name, strings.Join(req, " "), "", strings.Join(opt, " ")))
	}
	return strings.Join(lines, "\n")
}

// newPRAJumpShortcutImportCmd is "pra jump-shortcut import": one shortcut from flags or many from a CSV file, every
// one checked before anything is sent.
func newPRAJumpShortcutImportCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &shortcutOptions{values: map[string]*string{}}
	opts.names, opts.help, opts.boolFlag = shortcutFlags()
	imp := &cobra.Command{
		Use:   "import --type TYPE [flags] | --csv FILE",
		Short: "Create Jump shortcuts, one from flags or many from a CSV file",
		Long: `Create a Jump shortcut (Jump Item) of one of the types below, checking each type's required and optional
parameters before anything is sent. A shortcut cannot be put in a personal list of Jump Items: --group is the code
name of a shared Jump Group.

` + shortcutTypesHelp() + `

Bulk import: --csv FILE (- for stdin) reads a header row naming the columns, either flag names (hostname,
jump-policy) or the API's parameter names (local_jump_hostname, jump_policy), plus a "type" column unless --type
applies to every row. Empty cells are left out. Every row is checked first; if any row is invalid nothing is sent.
Rows are then imported in order; failures are reported per row and make the exit code 1.`,
		Example: `  infra pra jump-shortcut import --type local --name Endpoint --hostname ABCDEF02 --group remote_access
  infra pra jump-shortcut import --type shell --name Router --hostname 10.0.0.1 --jumpoint London --protocol ssh --group remote_access
  infra pra jump-shortcut import --type protocol-tunnel --name DB --hostname db01 --jumpoint London --group remote_access --tcp-tunnels 'auto->22;3306->3306'
  infra pra jump-shortcut import --csv shortcuts.csv --dry-run`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := f.ValidateOutput(); err != nil {
				return err
			}
			jobs, err := opts.jobs(f, c)
			if err != nil {
				return err
			}
			if opts.dryRun {
				return printShortcutDryRun(f, jobs, opts.csvFile != "")
			}
			return praRun(f, func(ctx context.Context, cl *pra.Client, _ *cobra.Command, _ []string) error {
				return importShortcuts(ctx, f, cl, jobs, opts.csvFile != "")
			})(c, nil)
		},
	}
	opts.registerFlags(imp)
	return imp
}

// registerFlags declares --type, --csv and --dry-run, then every parameter flag (in declaration order).
func (o *shortcutOptions) registerFlags(imp *cobra.Command) {
	fs := imp.Flags()
	fs.StringVar(&o.typ, "type", "", "shortcut type: "+strings.Join(pra.ShortcutTypeNames(), ", "))
	fs.StringVar(&o.csvFile, "csv", "", "import every row of a CSV `FILE` (- for stdin)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "check the input and show what would be sent, without sending")
	for _, n := range o.names {
		v := new(string)
		o.values[n] = v
		fs.StringVar(v, n, "", o.help[n])
		if o.boolFlag[n] {
			fs.Lookup(n).NoOptDefVal = "1"
		}
	}
	fs.SortFlags = false
	_ = imp.RegisterFlagCompletionFunc("type", cobra.FixedCompletions(pra.ShortcutTypeNames(), cobra.ShellCompDirectiveNoFileComp))
}

// jobs reads the checked shortcuts: every row of --csv (no parameter flag may be given then), or the one the flags
// describe.
func (o *shortcutOptions) jobs(f *cmdutil.Factory, c *cobra.Command) ([]shortcutJob, error) {
	if o.csvFile == "" {
		return o.flagJob(c)
	}
	var given []string
	for _, n := range o.names {
		if c.Flags().Changed(n) {
			given = append(given, "--"+n)
		}
	}
	if len(given) > 0 {
		return nil, usageErrorf("with --csv the parameters come from the file; remove %s", strings.Join(given, ", "))
	}
	return readShortcutCSV(f, o.csvFile, o.typ)
}

// flagJob checks the shortcut given by --type and the parameter flags, reporting every problem at once.
func (o *shortcutOptions) flagJob(c *cobra.Command) ([]shortcutJob, error) {
	if o.typ == "" {
		return nil, usageErrorf("--type is required: one of %s (or use --csv FILE)", strings.Join(pra.ShortcutTypeNames(), ", "))
	}
	t, ok := pra.FindShortcutType(o.typ)
	if !ok {
		return nil, usageErrorf("--type %q: use one of %s", o.typ, strings.Join(pra.ShortcutTypeNames(), ", "))
	}
	vals := map[string]string{}
	var problems []string
	for _, n := range o.names {
		if !c.Flags().Changed(n) {
			continue
		}
		if _, ok := t.Param(n); !ok {
			problems = append(problems, fmt.Sprintf("--%s: does not apply to %s shortcuts", n, t.Name))
			continue
		}
		vals[n] = *o.values[n]
	}
	q, more := pra.JumpShortcutParams(t, vals)
	problems = append(problems, more...)
	if len(problems) > 0 {
		return nil, &api.UsageError{Err: fmt.Errorf("invalid %s shortcut:\n  %s", t.Name, strings.Join(problems, "\n  "))}
	}
	return []shortcutJob{{row: 0, typ: t.Name, params: q}}, nil
}

// printShortcutDryRun shows what would be sent: one record for a shortcut from flags, a list for a CSV import.
func printShortcutDryRun(f *cmdutil.Factory, jobs []shortcutJob, bulk bool) error {
	var rows []any
	for _, j := range jobs {
		r := map[string]any{"type": j.typ, "name": jobName(j)}
		if j.row > 0 {
			r["row"] = j.row
		}
		ps := map[string]any{}
		for k := range j.params {
			ps[k] = j.params.Get(k)
		}
		r["params"] = ps
		rows = append(rows, r)
	}
	f.Infof("dry run: %d shortcut(s) valid, nothing sent", len(jobs))
	if !bulk {
		return f.Print(rows[0], []string{"type", "name", "params"})
	}
	return f.Print(rows, []string{"row", "type", "name", "params"})
}

type shortcutJob struct {
	row    int // CSV data row (1-based), 0 for flags
	typ    string
	params url.Values
}

func jobName(j shortcutJob) string {
	if v := j.params["name"]; len(v) > 0 {
		return v[0]
	}
	if v := j.params["web_site_name"]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// readShortcutCSV reads and checks every row; any problem fails the whole import before anything is sent.
func readShortcutCSV(f *cmdutil.Factory, file, defType string) ([]shortcutJob, error) {
	var r io.Reader
	if file == "-" {
		r = f.IO.In
	} else {
		fh, err := os.Open(file)
		if err != nil {
			return nil, &api.UsageError{Err: fmt.Errorf("--csv: %w", err)}
		}
		defer fh.Close()
		r = fh
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, usageErrorf("--csv %s: empty file, expected a header row", file)
		}
		return nil, usageErrorf("--csv %s: %v", file, err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	var jobs []shortcutJob
	var problems []string
	row := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		row++
		if err != nil {
			problems = append(problems, fmt.Sprintf("row %d: %v", row, err))
			break
		}
		vals := map[string]string{}
		typ := defType
		for i, h := range header {
			v := strings.TrimSpace(rec[i])
			if h == "type" {
				if v != "" {
					typ = v
				}
				continue
			}
			if v != "" {
				vals[h] = v
			}
		}
		t, ok := pra.FindShortcutType(typ)
		if !ok {
			if typ == "" {
				problems = append(problems, fmt.Sprintf("row %d: no type (add a type column or --type)", row))
			} else {
				problems = append(problems, fmt.Sprintf("row %d: type %q is not one of %s", row, typ, strings.Join(pra.ShortcutTypeNames(), ", ")))
			}
			continue
		}
		q, ps := pra.JumpShortcutParams(t, vals)
		for _, p := range ps {
			problems = append(problems, fmt.Sprintf("row %d: %s", row, p))
		}
		jobs = append(jobs, shortcutJob{row: row, typ: t.Name, params: q})
	}
	if len(problems) > 0 {
		return nil, &api.UsageError{Err: fmt.Errorf("--csv %s: nothing was imported:\n  %s", file, strings.Join(problems, "\n  "))}
	}
	if len(jobs) == 0 {
		return nil, usageErrorf("--csv %s: no data rows", file)
	}
	return jobs, nil
}

func importShortcuts(ctx context.Context, f *cmdutil.Factory, c *pra.Client, jobs []shortcutJob, bulk bool) error {
	if !bulk {
		res, err := c.ImportJumpShortcut(ctx, jobs[0].params)
		if err != nil {
			return err
		}
		res["type"], res["name"] = jobs[0].typ, jobName(jobs[0])
		return f.Print(res, []string{"type", "name", "success"})
	}
	var rows []any
	failed := 0
	for _, j := range jobs {
		r := map[string]any{"row": j.row, "type": j.typ, "name": jobName(j), "success": "", "error": ""}
		res, err := c.ImportJumpShortcut(ctx, j.params)
		if err != nil {
			var xe *pra.XMLError
			if !errors.As(err, &xe) {
				// Transport, auth or rate-limit problems: stop, the rest would fail the same way.
				if len(rows) > 0 {
					_ = f.Print(rows, []string{"row", "type", "name", "success", "error"})
				}
				return fmt.Errorf("row %d: %w (rows after it were not sent)", j.row, err)
			}
			failed++
			r["error"] = xe.Message
		} else {
			r["success"] = res["success"]
		}
		rows = append(rows, r)
	}
	if err := f.Print(rows, []string{"row", "type", "name", "success", "error"}); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d shortcuts were not imported (see the error column)", failed, len(jobs))
	}
	f.Infof("%d shortcut(s) imported", len(jobs))
	return nil
}
