// Package virtomize holds the `infra virtomize` commands: the appliance catalog run by the engine, with the
// password, install-and-wait and rotated backup workflows declared as hooks of their operations.
package virtomize

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/GehirnInc/crypt/sha512_crypt"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/api/virtomize"
	vcat "github.com/infractl/infra/pkg/catalog/virtomize"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/config"
	"github.com/infractl/infra/pkg/download"
	"github.com/infractl/infra/pkg/engine"
	"github.com/infractl/infra/pkg/progress"
)

// Client builds the appliance client from the vendor's connection unit: host, user name, password and pinned
// certificate fingerprint from one source (the password is read only when a token must be minted).
func Client(f *cmdutil.Factory) (*virtomize.Client, error) {
	unit, err := f.Unit("virtomize")
	if err != nil {
		return nil, err
	}
	host := unit.String("host")
	if _, err := virtomize.BaseURL(host); err != nil {
		return nil, cmdutil.UnitHint(unit, err)
	}
	return NewClient(f, unit.Unit, func() (string, error) {
		s, _, err := unit.Secret()
		return s, err
	})
}

// NewClient builds the appliance client for a unit (the effective one, or the one auth login checks).
func NewClient(f *cmdutil.Factory, unit *config.Unit, password func() (string, error)) (*virtomize.Client, error) {
	o, err := HTTPOptions(f, unit)
	if err != nil {
		return nil, err
	}
	var prog io.Writer
	if f.ShowProgress() {
		prog = f.IO.ErrOut
	}
	return virtomize.New(o, virtomize.Settings{
		Host:         unit.String("host"),
		Username:     unit.String("username"),
		PasswordFunc: password,
		Cache:        api.NewFileTokenCache(f.TokenCacheDir()),
		Progress:     prog,
		Stdout:       f.IO.Out,
	})
}

// HTTPOptions adds the unit's pinned fingerprint (virtomize.fingerprint) to the shared HTTP options. A pin
// replaces CA verification, so an insecure setting in the configuration does not weaken a pinned appliance; only
// --insecure on the command line skips the pin (with a warning).
func HTTPOptions(f *cmdutil.Factory, unit *config.Unit) (api.Options, error) {
	o, err := f.HTTPOptionsFor(unit)
	if err != nil {
		return api.Options{}, err
	}
	pin := unit.String("fingerprint")
	if pin == "" {
		return o, nil
	}
	if f.G.Changed["insecure"] == "true" {
		f.Warnf("--insecure: not checking the pinned certificate of the Virtomize appliance")
		return o, nil
	}
	p, err := api.NormalizePin(pin)
	if err != nil {
		return api.Options{}, &api.UsageError{Err: fmt.Errorf("virtomize.fingerprint: %v", err)}
	}
	o.PinSHA256 = p
	o.Insecure = false
	return o, nil
}

// Short describes the virtomize command in the root help.
const Short = "Virtomize appliance: virtual machines, clusters, networks, profiles, users and settings"

// NewCmd builds `infra virtomize`: one command per appliance operation, with the workflows declared as hooks.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	root := vcat.Root()
	vh := newVirtomizeHooks(f, root)
	env := &engine.Env{
		F:    f,
		Noun: "Virtomize",
		// Required query parameters (vmkey of vm-network delete) are checked before any confirmation prompt.
		Rules: engine.Rules{RequiredQuery: true},
		Site:  func() string { return f.SiteKey("virtomize") },
		Backend: func(ctx context.Context) (request.Backend, error) {
			return Client(f)
		},
		Hooks:    vh.hooks,
		Commands: vh.commands,
		Need:     engine.NeedNamed(f.Args), // only the groups the arguments name are built; the others stand in
	}
	cmd := env.Command(root)
	cmd.Short = Short
	cmd.Long = `Drive a Virtomize appliance (REST API /rest/v1).

Connection settings come from (highest first) flags, INFRA_VIRTOMIZE_HOST, INFRA_VIRTOMIZE_USERNAME and
INFRA_VIRTOMIZE_PASSWORD, --env-file, the configuration profile and the credential store (infra auth login virtomize).
Tokens from /token are cached and reused until shortly before they expire.

Appliances usually present a self-signed certificate. Instead of --insecure, pin it once:
  infra auth login virtomize --host 10.0.0.5 --client-id admin
shows the certificate's SHA-256 fingerprint and, once confirmed, every later connection checks it.

Every appliance operation has a command; infra virtomize api-paths lists what the appliance serves. Workflows:
  infra virtomize vm create … --network 1 --install --wait   create, attach, install and wait for an address
  infra virtomize vm install KEY --password-stdin --wait     install and wait until the machine is up
  infra virtomize profile create-vm KEY --name web --owner 1 --wait`
	cmd.Example = `  infra virtomize vm list
  infra virtomize vm info 3 -o json
  printf '%s' "$ROOT_PW" | infra virtomize vm install 3 --password-stdin --wait`
	return cmd
}

// virtomizeHooks declares what the Virtomize commands add to the catalog operations, by operation.
type virtomizeHooks struct {
	f                                 *cmdutil.Factory
	install, create, createVM, backup *request.Op
	vmGroup, root                     *request.Group
	unwrap                            map[*request.Op]unwrapList
}

// unwrapList takes the list out of an answer object so it renders as a table (and streams through --jq as an array).
type unwrapList struct {
	field string
	cols  []string
}

func newVirtomizeHooks(f *cmdutil.Factory, root *request.Group) *virtomizeHooks {
	vh := &virtomizeHooks{
		f:        f,
		root:     root,
		install:  vcat.Find(root, "vm", "install"),
		create:   vcat.Find(root, "vm", "create"),
		createVM: vcat.Find(root, "profile", "create-vm"),
		backup:   vcat.Find(root, "backup", "download"),
		unwrap: map[*request.Op]unwrapList{
			vcat.Find(root, "api-paths"): {"paths", []string{"method", "path"}},
			vcat.Find(root, "logs"):      {"logs", []string{"timestamp", "service", "level", "message"}},
		},
	}
	for _, g := range root.Groups {
		if slices.Contains(g.Ops, vh.install) {
			vh.vmGroup = g
		}
	}
	return vh
}

// hooks builds the hooks of one operation's command (fresh for each command: they hold its flag values).
func (vh *virtomizeHooks) hooks(op *request.Op) *engine.Hooks {
	h := &engine.Hooks{}
	if sf, ok := vcat.SecretField(op); ok {
		vh.passwordHook(h, op, sf)
	}
	switch op {
	case vh.install:
		vh.installWorkflow(h)
	case vh.create:
		vh.createWorkflow(h)
	case vh.createVM:
		vh.profileWorkflow(h)
	case vh.backup:
		vh.rotatedBackup(h)
	}
	if u, ok := vh.unwrap[op]; ok {
		h.Columns = u.cols
		h.After = func(_ context.Context, _ *engine.Invocation, _ *request.Call, res any) (any, error) {
			if m, ok := res.(map[string]any); ok {
				if l, ok := m[u.field].([]any); ok {
					return l, nil
				}
			}
			return res, nil
		}
	}
	return h
}

// commands adds vm wait to the vm group, and export, plan and apply to the appliance's root.
func (vh *virtomizeHooks) commands(g *request.Group) []*cobra.Command {
	switch g {
	case vh.vmGroup:
		return []*cobra.Command{newVMWaitCmd(vh.f)}
	case vh.root:
		return newVirtomizeSitefileCmds(vh.f)
	}
	return nil
}

// then runs first, then next: hooks declared for one operation add their flags and help after the others'.
func then[T any](first, next func(T)) func(T) {
	if first == nil {
		return next
	}
	return func(x T) {
		first(x)
		next(x)
	}
}

func addFlags(h *engine.Hooks, fn func(fs *pflag.FlagSet)) {
	h.AdditionalFlags = then(h.AdditionalFlags, fn)
}

func configure(h *engine.Hooks, fn func(c *cobra.Command)) { h.Configure = then(h.Configure, fn) }

// rotatedBackup gives backup download --dir DIR --keep N.
func (vh *virtomizeHooks) rotatedBackup(h *engine.Hooks) {
	var rf cmdutil.RotateFlags
	op, f := vh.backup, vh.f
	addFlags(h, rf.Register)
	configure(h, func(c *cobra.Command) {
		c.Long = strings.TrimSpace(c.Long+"\n\n") + "\n\n" + strings.ReplaceAll(cmdutil.RotateHelp, "PREFIX", "virtomize-backup")
		c.Example = strings.TrimRight(c.Example, "\n") + "\n  infra virtomize backup download --dir /var/backups/virtomize --keep 14"
	})
	h.Intercept = func(ctx context.Context, inv *engine.Invocation) (bool, error) {
		rotated, err := rf.Check(inv.Cmd.Flags())
		if err != nil || !rotated {
			return err != nil, err
		}
		cl, err := Client(f)
		if err != nil {
			return true, err
		}
		return true, rf.Run(ctx, f, "virtomize-backup", func(ctx context.Context, rot download.Rotation) (*download.Result, error) {
			d, err := cl.Download(ctx, &request.Call{Op: op}, request.DownloadOptions{Path: filepath.Join(rot.Dir, rot.Name(".tar.gz")), NonEmpty: true})
			if err != nil {
				return nil, err
			}
			return &download.Result{File: d.File, Bytes: d.Bytes}, nil
		})
	}
}

// passwordFlags are the ways a secret parameter is given: never as an argument value.
type passwordFlags struct {
	stdin, prompt bool
}

func (p *passwordFlags) register(fs *pflag.FlagSet, what string) {
	fs.BoolVar(&p.stdin, "password-stdin", false, "read the "+what+" from stdin")
	fs.BoolVar(&p.prompt, "password-prompt", false, "prompt for the "+what+" (without echo)")
}

// read returns the secret, "" when none was asked for; required secrets are prompted for on a terminal.
func (p *passwordFlags) read(ctx context.Context, f *cmdutil.Factory, what string, required bool) (string, error) {
	switch {
	case p.stdin && p.prompt:
		return "", usageErrorf("use either --password-stdin or --password-prompt")
	case p.stdin && f.G.KVIn:
		return "", usageErrorf("--password-stdin and -k both read stdin: give the fields as flags, or read the %s with --password-prompt", what)
	case p.stdin:
		return f.IO.SecretFromStdin(ctx, "--password-stdin")
	case p.prompt, required && f.IO.CanPrompt():
		return cmdutil.ReadSecret(ctx, f, what, false)
	case required:
		return "", usageErrorf("the %s is required: pipe it in with --password-stdin or use --password-prompt on a terminal (it is never taken as an argument)", what)
	}
	return "", nil
}

// passwordHook reads the operation's password parameter with --password-stdin or --password-prompt into the body.
func (vh *virtomizeHooks) passwordHook(h *engine.Hooks, op *request.Op, sf request.Field) {
	what := "password"
	if op == vh.install {
		what = "root password"
	}
	pf := &passwordFlags{}
	h.SecretFields = []request.Field{sf}
	addFlags(h, func(fs *pflag.FlagSet) { pf.register(fs, what) })
	configure(h, func(c *cobra.Command) {
		if !strings.Contains(c.Long, "--password-stdin") {
			c.Long += fmt.Sprintf("\n\nThe %s (%s) is read with --password-stdin or --password-prompt, or given as the field %s "+
				"of -k, --json or --from-file input; never from an argument.", what, sf.Help, sf.Name)
		}
	})
	h.Before = func(ctx context.Context, _ *engine.Invocation, call *request.Call) error {
		pw, given := call.Body[sf.Name].(string)
		var err error
		switch {
		case given && (pf.stdin || pf.prompt):
			return usageErrorf("the %s is in the input (%s) and asked for with --password-stdin or --password-prompt: give it once", what, sf.Name)
		case !given:
			if pw, err = pf.read(ctx, vh.f, what, sf.Required); err != nil || pw == "" {
				return err
			}
		}
		api.RegisterSecret(pw)
		if what == "root password" {
			if pw, err = hashRootPassword(pw); err != nil {
				return err
			}
		}
		if call.Body == nil {
			call.Body = map[string]any{}
		}
		call.Body[sf.Name] = pw
		return nil
	}
}

// hashRootPassword turns a plain password into SHA-512 crypt ($6$…), which the appliance expects; a $6$ hash is
// passed through.
func hashRootPassword(pw string) (string, error) {
	if strings.HasPrefix(pw, "$6$") {
		if strings.Count(pw, "$") < 3 {
			return "", usageErrorf("the root password looks like a SHA-512 crypt hash but is incomplete")
		}
		return pw, nil
	}
	if strings.HasPrefix(pw, "$") && strings.Count(pw, "$") >= 3 {
		return "", usageErrorf("the root password is a crypt hash of another kind: the appliance needs SHA-512 crypt ($6$…), or give the plain password to have it hashed")
	}
	h, err := sha512_crypt.New().Generate([]byte(pw), nil)
	if err != nil {
		return "", fmt.Errorf("hashing the root password: %w", err)
	}
	return h, nil
}

// waitFlags are the flags of the install workflows.
type waitFlags struct {
	wait     bool
	interval time.Duration
	timeout  time.Duration
}

func (w *waitFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&w.wait, "wait", false, "wait until the machine is deployed, powered on and has an address (limit: --wait-timeout)")
	w.registerLimits(fs)
}

// registerLimits adds --wait-timeout and the hidden --poll-interval.
func (w *waitFlags) registerLimits(fs *pflag.FlagSet) {
	fs.DurationVar(&w.timeout, "wait-timeout", 30*time.Minute, "give up waiting after this `DURATION` (the appliance carries on)")
	fs.DurationVar(&w.interval, "poll-interval", 5*time.Second, "how often to ask the appliance while waiting")
	_ = fs.MarkHidden("poll-interval")
}

// limit is how long to wait: --wait-timeout, or the global --timeout when only it is given (its former meaning
// here, kept with a warning: --timeout is the limit of each request).
func (w *waitFlags) limit(f *cmdutil.Factory, c *cobra.Command) time.Duration {
	if fl := c.Flags().Lookup("wait-timeout"); fl != nil && fl.Changed {
		return w.timeout
	}
	if fl := c.Flags().Lookup("timeout"); fl != nil && fl.Changed && f.G.Timeout > 0 {
		f.Warnf("--timeout as the limit of the wait is deprecated: use --wait-timeout %s (--timeout limits each request)", f.G.Timeout)
		return f.G.Timeout
	}
	if w.timeout > 0 {
		return w.timeout
	}
	return 30 * time.Minute
}

var readyColumns = []string{"key", "name", "powerstate", "ips"}

// waitAfter waits for the machine the answer names (key says which) when --wait is given, and prints it ready.
func (vh *virtomizeHooks) waitAfter(h *engine.Hooks, key func(call *request.Call, res any) string) {
	w := &waitFlags{}
	addFlags(h, w.register)
	h.After = func(ctx context.Context, inv *engine.Invocation, call *request.Call, res any) (any, error) {
		k := key(call, res)
		if !w.wait || k == "" {
			return res, nil
		}
		inv.Columns = readyColumns
		return waitReady(ctx, vh.f, inv.Cmd, inv.Backend.(*virtomize.Client), k, w)
	}
}

func (vh *virtomizeHooks) installWorkflow(h *engine.Hooks) {
	vh.waitAfter(h, func(call *request.Call, _ any) string { return call.PathParams["key"] })
	configure(h, func(c *cobra.Command) {
		c.Example = `  printf '%s' "$ROOT_PW" | infra virtomize vm install 3 --password-stdin --wait
  infra virtomize vm install 3 --locale de_DE.UTF-8 --keyboard de --wait --wait-timeout 45m`
	})
}

func (vh *virtomizeHooks) profileWorkflow(h *engine.Hooks) {
	vh.waitAfter(h, func(_ *request.Call, res any) string {
		if m, _ := res.(map[string]any); m != nil && m["key"] != nil {
			return fmt.Sprint(m["key"])
		}
		return ""
	})
}

// createWorkflow: vm create --network KEY --install [--wait] attaches, installs and waits.
func (vh *virtomizeHooks) createWorkflow(h *engine.Hooks) {
	cw := &createWorkflow{f: vh.f, pf: &passwordFlags{}, w: &waitFlags{}}
	addFlags(h, cw.register)
	configure(h, func(c *cobra.Command) {
		c.Example += "\n  infra virtomize vm create --name web1 --owner 1 --cpu 2 --ram 4GB --disc 40GB --oskey 1 --clusterkey 1 \\\n" +
			"      --datastore auto --network 1 --install --wait"
	})
	h.Before = cw.before
	h.After = cw.after
}

type createWorkflow struct {
	f                *cmdutil.Factory
	pf               *passwordFlags
	w                *waitFlags
	install          bool
	networks         []int
	locale, keyboard string
	rootPW           string
}

func (cw *createWorkflow) register(fs *pflag.FlagSet) {
	fs.BoolVar(&cw.install, "install", false, "start the installation once the machine is created")
	fs.IntSliceVar(&cw.networks, "network", nil, "attach the machine to network `KEY` before installing (repeat or comma-separate; addresses are assigned by the appliance)")
	fs.StringVar(&cw.locale, "locale", "", "with --install: locale of the installed system")
	fs.StringVar(&cw.keyboard, "keyboard", "", "with --install: keymap of the installed system")
	cw.pf.register(fs, "root password")
	cw.w.register(fs)
}

func (cw *createWorkflow) before(ctx context.Context, _ *engine.Invocation, _ *request.Call) error {
	if cw.w.wait && !cw.install {
		return usageErrorf("--wait needs --install: a machine that is not installed never comes up")
	}
	if !cw.install && (cw.locale != "" || cw.keyboard != "" || cw.pf.stdin || cw.pf.prompt) {
		return usageErrorf("--locale, --keyboard and the root password apply only with --install")
	}
	for _, n := range cw.networks {
		if n < 1 {
			return usageErrorf("--network takes network keys (positive integers), got %d", n)
		}
	}
	pw, err := cw.pf.read(ctx, cw.f, "root password", false)
	if err != nil {
		return err
	}
	if pw != "" {
		if cw.rootPW, err = hashRootPassword(pw); err != nil {
			return err
		}
	}
	return nil
}

func (cw *createWorkflow) after(ctx context.Context, inv *engine.Invocation, _ *request.Call, res any) (any, error) {
	cl := inv.Backend.(*virtomize.Client)
	vm, _ := res.(map[string]any)
	key := fmt.Sprint(vm["key"])
	if vm == nil || key == "" || key == "<nil>" {
		return res, nil
	}
	for _, n := range cw.networks {
		if _, err := cl.Do(ctx, "POST", "/virtualmachinenetworks", map[string]any{"vmkey": key, "netkey": n}); err != nil {
			return nil, fmt.Errorf("machine %s was created, but attaching network %d failed (attach with `infra virtomize vm-network create --vmkey %s --netkey %d`): %w", key, n, key, n, err)
		}
	}
	if !cw.install {
		return res, nil
	}
	form := map[string]any{}
	for k, v := range map[string]string{"locale": cw.locale, "keyboard": cw.keyboard, "password": cw.rootPW} {
		if v != "" {
			form[k] = v
		}
	}
	if _, err := cl.Do(ctx, "POST", "/virtualmachines/"+key+"/install", form); err != nil {
		return nil, fmt.Errorf("machine %s was created, but starting the installation failed (retry with `infra virtomize vm install %s`): %w", key, key, err)
	}
	if !cw.w.wait {
		cw.f.Infof("machine %s created; installation started (follow it with `infra virtomize vm wait %s`)", key, key)
		return res, nil
	}
	inv.Columns = readyColumns
	return waitReady(ctx, cw.f, inv.Cmd, cl, key, cw.w)
}

func newVMWaitCmd(f *cmdutil.Factory) *cobra.Command {
	w := &waitFlags{wait: true}
	c := &cobra.Command{
		Use:   "wait VM_KEY",
		Short: "Wait until a machine is deployed, powered on and has an address",
		Long: `Wait until a machine is deployed, powered on and has at least one address, then print its name, power state and
addresses. Polls /virtualmachines/KEY/info and the machine record; --wait-timeout bounds the wait (default 30m).
Use it to resume waiting after an interrupted "vm install --wait".`,
		Example: "  infra virtomize vm wait 3 --wait-timeout 20m",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("%s: expected VM_KEY", c.CommandPath())
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := f.ValidateOutput(); err != nil {
				return err
			}
			if err := checkKey("VM_KEY", args[0]); err != nil {
				return err
			}
			cl, err := Client(f)
			if err != nil {
				return err
			}
			res, err := waitReady(c.Context(), f, c, cl, args[0], w)
			if err != nil {
				return err
			}
			return f.Print(res, readyColumns)
		},
	}
	w.registerLimits(c.Flags())
	return c
}

func checkKey(name, v string) error {
	n := 0
	for _, r := range v {
		if r < '0' || r > '9' || n > 1e8 {
			return usageErrorf("%s must be a positive integer, got %q", name, v)
		}
		n = n*10 + int(r-'0')
	}
	if n < 1 {
		return usageErrorf("%s must be a positive integer, got %q", name, v)
	}
	return nil
}

// waitReady polls the machine until it is deployed, powered on and has an address, showing the phase and elapsed time
// on a terminal (a line per phase change otherwise). --wait-timeout bounds the whole wait (default 30m). On Ctrl-C
// the machine is left as it is and the command to resume waiting is printed.
func waitReady(ctx context.Context, f *cmdutil.Factory, c *cobra.Command, cl *virtomize.Client, key string, w *waitFlags) (map[string]any, error) {
	limit, interval := w.limit(f, c), w.interval
	if fl := c.Flags().Lookup("poll-interval"); fl == nil || !fl.Changed {
		// INFRA_VIRTOMIZE_POLL_INTERVAL changes the default (slow links, tests).
		if d, err := time.ParseDuration(f.Getenv("INFRA_VIRTOMIZE_POLL_INTERVAL")); err == nil && d > 0 {
			interval = d
		}
	}
	if interval <= 0 {
		interval = 5 * time.Second
	}
	resume := fmt.Sprintf("infra virtomize vm wait %s", key)
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	status := progress.NewStatus(f.IO.ErrOut, f.ShowProgress())
	defer status.Done()
	start := time.Now()
	last := ""
	stopped := func(err error) (map[string]any, error) {
		status.Done()
		if ctx.Err() != nil {
			fmt.Fprintf(f.IO.ErrOut, "stopped waiting; machine %s is left as it is (the appliance carries on). Resume waiting with:\n  %s\n", key, resume)
			return nil, context.Canceled
		}
		if errors.Is(err, context.DeadlineExceeded) || wctx.Err() != nil {
			return nil, fmt.Errorf("machine %s is not ready after %s (last state: %s); it is left as it is. Keep waiting with:\n  %s --wait-timeout 30m", key, limit, orDash(last), resume)
		}
		return nil, err
	}
	for {
		info, err := cl.Do(wctx, "GET", "/virtualmachines/"+key+"/info", nil)
		if err != nil {
			return stopped(err)
		}
		rec, err := cl.Do(wctx, "GET", "/virtualmachines/"+key, nil)
		if err != nil {
			return stopped(err)
		}
		im, _ := info.(map[string]any)
		vm, _ := rec.(map[string]any)
		deployed, _ := vm["deployed"].(bool)
		power, _ := im["powerstate"].(string)
		ips, _ := im["ips"].([]any)
		name, _ := im["name"].(string)
		var phase string
		switch {
		case !deployed:
			phase = "installing"
		case power != "poweredOn":
			phase = "deployed, powered off (" + orDash(power) + ")"
		case len(ips) == 0:
			phase = "powered on, waiting for an address"
		default:
			phase = "ready"
		}
		if phase != last {
			if !f.ShowProgress() {
				f.Infof("machine %s (%s): %s after %s", key, name, phase, time.Since(start).Round(time.Second))
			}
			last = phase
		}
		status.Update(fmt.Sprintf("machine %s (%s): %s", key, name, phase))
		if phase == "ready" {
			if ips == nil {
				ips = []any{}
			}
			return map[string]any{"key": vm["key"], "name": name, "powerstate": power, "ips": ips, "deployed": deployed}, nil
		}
		t := time.NewTimer(interval)
		select {
		case <-wctx.Done():
			t.Stop()
			return stopped(wctx.Err())
		case <-t.C:
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
