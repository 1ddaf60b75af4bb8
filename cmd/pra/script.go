package pra

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/pra"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/download"
)

// openFile hands a generated script to the desktop. Only a BRCS script is ever opened (never a file the desktop
// would run as a program or open with another application), and only a regular file, not a link.
func openFile(f *cmdutil.Factory, path string) error {
	if !brcsName(filepath.Base(path)) {
		return fmt.Errorf("--open: %s is not a BRCS script (.brcs or .brcs-SITE); it was saved but not opened", path)
	}
	if st, err := os.Lstat(path); err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("--open: %s is not a regular file; it was not opened", path)
	}
	return launch(f, path)
}

// openURL opens an http(s) URL in the browser.
func openURL(f *cmdutil.Factory, u string) error {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return fmt.Errorf("--open: %q is not an http(s) URL; it was not opened", u)
	}
	return launch(f, u)
}

// launch runs the platform's handler on target, with the secret variables removed from its environment. Tests
// replace the program through INFRA_OPEN_COMMAND.
func launch(f *cmdutil.Factory, target string) error {
	var name string
	var args []string
	if v := f.Getenv("INFRA_OPEN_COMMAND"); v != "" {
		name = v
	} else {
		switch runtime.GOOS {
		case "darwin":
			name = "open"
		case "windows":
			name, args = "rundll32", []string{"url.dll,FileProtocolHandler"}
		default:
			name = "xdg-open"
		}
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("--open: %s was not found, so %s cannot be opened here; open it yourself", name, target)
	}
	cmd := cmdutil.Command(path, append(args, target)...)
	cmd.Stdout, cmd.Stderr = f.IO.ErrOut, f.IO.ErrOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("--open: %s %s: %w", name, target, err)
	}
	return nil
}

// brcsName reports whether a file name has the extension of a BeyondTrust Console Script: ".brcs", or
// ".brcs-<companySiteName>" as the appliance names them (the site name holds letters, digits, '-' and '_' only, so
// no other extension such as ".com" can hide behind it).
func brcsName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	site, ok := strings.CutPrefix(ext, ".brcs")
	if !ok || len(name) == len(ext) {
		return false
	}
	if site == "" {
		return true
	}
	site, ok = strings.CutPrefix(site, "-")
	if !ok || site == "" {
		return false
	}
	for _, r := range site {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// scriptFileName is the name a generated script is saved under: the appliance's name when it is a BRCS script name,
// otherwise ACTION.brcs (a server that suggests "Invoice.bat" does not get an executable onto the desktop).
func scriptFileName(f *cmdutil.Factory, suggested, action string) string {
	name := download.Sanitize(suggested)
	if brcsName(name) {
		return name
	}
	fallback := action + ".brcs"
	if name != "" {
		f.Warnf("the appliance named the script %q, which is not a BRCS script name; saving it as %s", name, fallback)
	}
	return fallback
}

func newPRAScriptCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "script",
		Short: "Generate access console scripts (client scripting API, .brcs files)",
		Args:  noArgs,
	}
	cmd.AddCommand(newPRAScriptGenerateCmd(f))
	return cmd
}

// scriptFlag is one value flag of "script generate": the help of the first action that declares it and every action
// it applies to.
type scriptFlag struct {
	help    string
	actions []string
}

// scriptOptions holds what "script generate" parses from its flags.
type scriptOptions struct {
	target             fileTarget
	custom             []string
	open, pwStdin, web bool
	values             map[string]*string     // by flag name
	flags              map[string]*scriptFlag // by flag name
	order              []string               // flag names in declaration order
	needPW             bool                   // login with --username: the password is read before the request
	query              url.Values             // the request parameters, once validated
	action             *pra.ScriptAction
}

// scriptFlags gathers the value flags of every script action except the password (which is never a flag), in the
// order the actions declare them.
func scriptFlags() (map[string]*scriptFlag, []string) {
	infos := map[string]*scriptFlag{}
	var order []string
	for _, a := range pra.ScriptActions {
		for _, p := range a.Params {
			if p.Name == "password" {
				continue
			}
			fi, ok := infos[p.Flag]
			if !ok {
				fi = &scriptFlag{help: p.Help}
				infos[p.Flag] = fi
				order = append(order, p.Flag)
			}
			fi.actions = append(fi.actions, a.Name)
		}
	}
	return infos, order
}

// scriptActionsHelp lists each action with its short help and its flags, for the long help of "script generate".
func scriptActionsHelp() string {
	var lines []string
	for _, a := range pra.ScriptActions {
		var fl []string
		for _, p := range a.Params {
			s := "--" + p.Flag
			if p.Name == "password" {
				s = "--password-stdin"
			}
			if p.Required {
				s += " (required)"
			}
			fl = append(fl, s)
		}
		if a.Custom {
			fl = append(fl, "--custom CODE=VALUE")
		}
		lines = append(lines, fmt.Sprintf("  %-25s %s\n  %-25s %s", a.Name, a.Short, "", strings.Join(fl, " ")))
	}
	return strings.Join(lines, "\n")
}

// newPRAScriptGenerateCmd is "pra script generate ACTION": it checks the flags against the action, reads a login
// password if one is needed, then saves (or opens) the script or prints the web console URL.
func newPRAScriptGenerateCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &scriptOptions{values: map[string]*string{}}
	opts.flags, opts.order = scriptFlags()
	gen := &cobra.Command{
		Use:   "generate ACTION [flags]",
		Short: "Generate a BeyondTrust Console Script (BRCS) for the access console",
		Long: `Generate a BeyondTrust Console Script file that the access console runs (double-click it, or
bomgar-acc --run-script-file FILE). The appliance adds a login command first and delete_script_file last.

Actions and their parameters:

` + scriptActionsHelp() + `

The script is saved under the appliance's file name (brcs-<site> extension) in the current directory, or -f PATH;
-f - writes it to stdout. --open hands the saved file to the desktop (xdg-open, open, or the Windows file handler) so
the access console runs it.

login with --username reads the password from stdin (--password-stdin) or a prompt; it is never a flag. The generated
file contains the password in plain text (the guide's warning): keep it private.

--web-console (start_jump_item_session only) prints the URL that starts the session in the web access console
(type=web_console, operation=execute) instead of generating a file; --open opens it in the browser.`,
		Example: `  infra pra script generate start_jump_item_session --client-hostname ABCDEF02 --open
  infra pra script generate push_and_start_remote --target ABCDEF02 --jumpoint Network01 --custom custom_field1=123
  infra pra script generate start_shell_jump_session --target 10.0.0.1 --username jsmith --protocol telnet --port 40 -f - 
  printf '%s\n' "$PW" | infra pra script generate login --username admin --password-stdin -f login.brcs`,
		ValidArgs: pra.ScriptActionNames(),
		Args: oneNamedArg("action", pra.ScriptActionNames, func(name string) bool {
			_, ok := pra.FindScriptAction(name)
			return ok
		}),
		RunE: func(c *cobra.Command, args []string) error {
			if err := opts.prepare(c.Context(), f, c, args[0]); err != nil {
				return err
			}
			return praRun(f, func(ctx context.Context, cl *pra.Client, _ *cobra.Command, _ []string) error {
				return runScriptGenerate(ctx, f, cl, opts)
			})(c, args)
		},
	}
	opts.registerFlags(gen)
	return gen
}

// registerFlags declares the action value flags (in declaration order), then the command's own flags.
func (o *scriptOptions) registerFlags(gen *cobra.Command) {
	fs := gen.Flags()
	for _, fl := range o.order {
		v := new(string)
		o.values[fl] = v
		fs.StringVar(v, fl, "", o.flags[fl].help+" ["+strings.Join(o.flags[fl].actions, ", ")+"]")
		if fl == "console" {
			fs.Lookup(fl).NoOptDefVal = "1"
		}
	}
	fs.StringArrayVar(&o.custom, "custom", nil, "custom session attribute `CODE=VALUE` (repeatable)")
	fs.BoolVar(&o.pwStdin, "password-stdin", false, "login: read the password from the first line of stdin")
	fs.BoolVar(&o.open, "open", false, "open the saved script with the desktop's handler (the access console)")
	fs.BoolVar(&o.web, "web-console", false, "print the web access console URL instead of generating a file (start_jump_item_session)")
	o.target.flags(gen, "the script")
	fs.SortFlags = false
}

// actionValues collects the changed value flags by vendor parameter name, with a problem for each flag that does
// not apply to action a.
func (o *scriptOptions) actionValues(c *cobra.Command, a *pra.ScriptAction) (map[string]string, []string) {
	var problems []string
	vals := map[string]string{}
	for _, fl := range o.order {
		if !c.Flags().Changed(fl) {
			continue
		}
		var p *pra.Param
		for i := range a.Params {
			if a.Params[i].Flag == fl {
				p = &a.Params[i]
			}
		}
		if p == nil {
			problems = append(problems, fmt.Sprintf("--%s does not apply to %s (only to %s)", fl, a.Name, strings.Join(o.flags[fl].actions, ", ")))
			continue
		}
		vals[p.Name] = *o.values[fl]
	}
	return vals, problems
}

// flagProblems lists the command flags that do not fit action a or each other.
func (o *scriptOptions) flagProblems(c *cobra.Command, a *pra.ScriptAction) []string {
	var problems []string
	if o.pwStdin && a.Name != "login" {
		problems = append(problems, "--password-stdin applies only to login")
	}
	if o.web && a.Name != "start_jump_item_session" {
		problems = append(problems, "--web-console supports only start_jump_item_session")
	}
	if o.web && c.Flags().Changed("file") {
		problems = append(problems, "--web-console prints a URL; -f does not apply")
	}
	t := &o.target
	if o.open && t.path == "-" {
		problems = append(problems, "--open needs a file: it cannot open stdout")
	} else if o.open && !o.web && t.namesFile() && !brcsName(filepath.Base(t.path)) {
		problems = append(problems, fmt.Sprintf("--open opens only BRCS scripts: name the file with a .brcs extension (not %s)", filepath.Base(t.path)))
	}
	return problems
}

// prepare validates everything for action name and builds the request parameters, reading the login password (from
// stdin or a prompt) only once everything else is known to be valid. Every problem is reported at once.
func (o *scriptOptions) prepare(ctx context.Context, f *cmdutil.Factory, c *cobra.Command, name string) error {
	a, _ := pra.FindScriptAction(name)
	o.action = a
	vals, problems := o.actionValues(c, a)
	problems = append(problems, o.flagProblems(c, a)...)
	cm, err := parseCustom(o.custom)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if a.Name == "login" && (vals["username"] != "" || o.pwStdin) {
		if vals["username"] == "" {
			problems = append(problems, "--password-stdin needs --username")
		} else {
			vals["mechanism"] = "username_password"
		}
	}
	o.needPW = a.Name == "login" && vals["username"] != ""
	if o.needPW {
		vals["password"] = "pending" // read below, once everything else is known to be valid
	}
	q, err := pra.ScriptParams(a, vals, cm)
	if err != nil {
		problems = append(problems, strings.Split(err.Error(), "\n  ")...)
	}
	if len(problems) == 0 && o.needPW {
		pw, err := readScriptPassword(ctx, f, o.pwStdin)
		if err != nil {
			return err
		}
		q.Set("password", pw)
	}
	if len(problems) > 0 {
		return &api.UsageError{Err: fmt.Errorf("invalid %s script:\n  %s", a.Name, strings.Join(problems, "\n  "))}
	}
	o.query = q
	if err := f.ValidateOutput(); err != nil {
		return err
	}
	if err := o.target.precheck(); err != nil {
		return err
	}
	if o.needPW {
		f.Warnf("the generated script contains the password in plain text: keep it private and delete it after use")
	}
	return nil
}

// runScriptGenerate prints the web console URL, or generates the script and saves it, opening either on --open.
func runScriptGenerate(ctx context.Context, f *cmdutil.Factory, cl *pra.Client, o *scriptOptions) error {
	if o.web {
		u := cl.WebConsoleURL(o.query)
		fmt.Fprintln(f.IO.Out, u)
		if o.open {
			return openURL(f, u)
		}
		return nil
	}
	file, err := cl.ClientScript(ctx, o.query)
	if err != nil {
		return err
	}
	file.Name = scriptFileName(f, file.Name, o.action.Name)
	res, err := o.target.save(ctx, f, file, "script")
	if err != nil {
		return err
	}
	if o.open {
		return openFile(f, res.File)
	}
	return nil
}

func readScriptPassword(ctx context.Context, f *cmdutil.Factory, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := cmdutil.ReadLine(ctx, f.IO.In)
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if err != nil && line == "" {
			return "", usageErrorf("--password-stdin: no password on stdin")
		}
		pw := strings.TrimRight(line, "\r\n")
		if pw == "" {
			return "", usageErrorf("--password-stdin: the password is empty")
		}
		return pw, nil
	}
	if !f.IO.CanPrompt() {
		return "", usageErrorf("login with --username needs the password: pipe it with --password-stdin (it is never a flag)")
	}
	pw, err := f.IO.ReadSecret(ctx, "Password: ")
	if err != nil {
		return "", err
	}
	if pw == "" {
		return "", usageErrorf("empty password")
	}
	return pw, nil
}
