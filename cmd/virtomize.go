package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/GehirnInc/crypt/sha512_crypt"
	"github.com/spf13/cobra"

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

// virtomizeClient builds the appliance client from the vendor's connection unit: host, user name, password and pinned
// certificate fingerprint from one source (the password is read only when a token must be minted).
func virtomizeClient(f *cmdutil.Factory) (*virtomize.Client, error) {
	unit, err := f.Unit("virtomize")
	if err != nil {
		return nil, err
	}
	host := unit.String("host")
	if _, err := virtomize.BaseURL(host); err != nil {
		return nil, unitHint(unit, err)
	}
	return newVirtomizeClient(f, unit.Unit, func() (string, error) {
		s, _, err := unit.Secret()
		return s, err
	})
}

// newVirtomizeClient builds the appliance client for a unit (the effective one, or the one auth login checks).
func newVirtomizeClient(f *cmdutil.Factory, unit *config.Unit, password func() (string, error)) (*virtomize.Client, error) {
	o, err := virtomizeHTTPOptions(f, unit)
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

// virtomizeHTTPOptions adds the unit's pinned fingerprint (virtomize.fingerprint) to the shared HTTP options. A pin
// replaces CA verification, so an insecure setting in the configuration does not weaken a pinned appliance; only
// --insecure on the command line skips the pin (with a warning).
func virtomizeHTTPOptions(f *cmdutil.Factory, unit *config.Unit) (api.Options, error) {
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

// opHook adds behaviour around one catalog operation: before may complete the call (a password read from stdin),
// after may continue the workflow (wait for an installation) and replace what is printed.
type opHook struct {
	before func(ctx context.Context, call *request.Call) error
	after  func(ctx context.Context, cl *virtomize.Client, call *request.Call, res any) (any, error)
}

// hookedBackend is the appliance client with per-operation hooks.
type hookedBackend struct {
	cl    *virtomize.Client
	hooks map[*request.Op]*opHook
}

func (b *hookedBackend) Invoke(ctx context.Context, call *request.Call) (any, error) {
	h := b.hooks[call.Op]
	if h != nil && h.before != nil {
		if err := h.before(ctx, call); err != nil {
			return nil, err
		}
	}
	res, err := b.cl.Invoke(ctx, call)
	if err != nil || h == nil || h.after == nil {
		return res, err
	}
	return h.after(ctx, b.cl, call, res)
}

func (b *hookedBackend) List(ctx context.Context, call *request.Call, o request.ListOptions, each func(any) error) error {
	return b.cl.List(ctx, call, o, each)
}

func (b *hookedBackend) Download(ctx context.Context, call *request.Call, o request.DownloadOptions) (*request.Download, error) {
	return b.cl.Download(ctx, call, o)
}

const virtomizeShort = "Virtomize appliance: virtual machines, clusters, networks, profiles, users and settings"

func newVirtomizeCmd(f *cmdutil.Factory) *cobra.Command {
	hooks := map[*request.Op]*opHook{}
	env := &engine.Env{
		F:    f,
		Noun: "Virtomize",
		Backend: func(ctx context.Context) (request.Backend, error) {
			cl, err := virtomizeClient(f)
			if err != nil {
				return nil, err
			}
			return &hookedBackend{cl: cl, hooks: hooks}, nil
		},
	}
	root := vcat.Root()
	cmd := env.Command(root)
	cmd.Short = virtomizeShort
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

	root.Walk(func(p []string, op *request.Op) {
		// Required query parameters (vmkey of vm-network delete) are checked before any confirmation prompt.
		var required []string
		for _, q := range op.Query {
			if q.Required {
				required = append(required, q.FlagName())
			}
		}
		if len(required) > 0 {
			c := findCmd(cmd, p[1:]...)
			c.PreRunE = func(c *cobra.Command, _ []string) error {
				for _, r := range required {
					if !c.Flags().Changed(r) {
						return usageErrorf("%s: --%s is required", c.CommandPath(), r)
					}
				}
				return nil
			}
		}
		if sf, ok := vcat.SecretField(op); ok {
			c := findCmd(cmd, p[1:]...)
			h := hookFor(hooks, op)
			h.before = passwordHook(f, c, op, sf)
		}
	})
	// Unwrap the lists of api-paths and logs so they render as tables (and stream through --jq as arrays).
	for _, u := range []struct {
		name, field string
		cols        []string
	}{{"api-paths", "paths", []string{"method", "path"}}, {"logs", "logs", []string{"timestamp", "service", "level", "message"}}} {
		u := u
		op := vcat.Find(root, u.name)
		op.Columns = u.cols
		hookFor(hooks, op).after = func(_ context.Context, _ *virtomize.Client, _ *request.Call, res any) (any, error) {
			if m, ok := res.(map[string]any); ok {
				if l, ok := m[u.field].([]any); ok {
					return l, nil
				}
			}
			return res, nil
		}
	}
	addInstallWorkflow(f, cmd, root, hooks)
	addCreateWorkflow(f, cmd, root, hooks)
	addProfileWorkflow(f, cmd, root, hooks)
	findCmd(cmd, "vm").AddCommand(newVMWaitCmd(f))
	addRotatedBackup(f, findCmd(cmd, "backup", "download"), vcat.Find(root, "backup", "download"))
	cmd.AddCommand(newVirtomizeSitefileCmds(f)...)
	return cmd
}

// addRotatedBackup gives backup download --dir DIR --keep N.
func addRotatedBackup(f *cmdutil.Factory, c *cobra.Command, op *request.Op) {
	var rf rotateFlags
	rf.register(c)
	c.Long = strings.TrimSpace(c.Long+"\n\n") + "\n\n" + strings.ReplaceAll(rotateHelp, "PREFIX", "virtomize-backup")
	c.Example = strings.TrimRight(c.Example, "\n") + "\n  infra virtomize backup download --dir /var/backups/virtomize --keep 14"
	plain := c.RunE
	c.RunE = func(c *cobra.Command, args []string) error {
		rotated, err := rf.check(c)
		if err != nil || !rotated {
			if err != nil {
				return err
			}
			return plain(c, args)
		}
		cl, err := virtomizeClient(f)
		if err != nil {
			return err
		}
		return rf.run(c.Context(), f, "virtomize-backup", func(ctx context.Context, rot download.Rotation) (*download.Result, error) {
			d, err := cl.Download(ctx, &request.Call{Op: op}, request.DownloadOptions{Path: filepath.Join(rot.Dir, rot.Name(".tar.gz")), NonEmpty: true})
			if err != nil {
				return nil, err
			}
			return &download.Result{File: d.File, Bytes: d.Bytes}, nil
		})
	}
}

func hookFor(hooks map[*request.Op]*opHook, op *request.Op) *opHook {
	if hooks[op] == nil {
		hooks[op] = &opHook{}
	}
	return hooks[op]
}

// findCmd returns the sub-command at path below c.
func findCmd(c *cobra.Command, path ...string) *cobra.Command {
	for _, name := range path {
		var next *cobra.Command
		for _, s := range c.Commands() {
			if s.Name() == name {
				next = s
			}
		}
		if next == nil {
			panic("virtomize: no command " + strings.Join(path, " "))
		}
		c = next
	}
	return c
}

// passwordFlags are the ways a secret parameter is given: never as an argument value.
type passwordFlags struct {
	stdin, prompt bool
}

func addPasswordFlags(c *cobra.Command, what string) *passwordFlags {
	p := &passwordFlags{}
	c.Flags().BoolVar(&p.stdin, "password-stdin", false, "read the "+what+" from stdin")
	c.Flags().BoolVar(&p.prompt, "password-prompt", false, "prompt for the "+what+" (without echo)")
	return p
}

// read returns the secret, "" when none was asked for; required secrets are prompted for on a terminal.
func (p *passwordFlags) read(ctx context.Context, f *cmdutil.Factory, what string, required bool) (string, error) {
	switch {
	case p.stdin && p.prompt:
		return "", usageErrorf("use either --password-stdin or --password-prompt")
	case p.stdin && f.G.KVIn:
		return "", usageErrorf("--password-stdin and -k both read stdin: give the fields as flags, or read the %s with --password-prompt", what)
	case p.stdin:
		b, err := cmdutil.ReadAll(ctx, io.LimitReader(f.IO.In, 1<<20))
		if err != nil {
			return "", fmt.Errorf("reading the %s from stdin: %w", what, err)
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return "", usageErrorf("--password-stdin: nothing was read from stdin")
		}
		return s, nil
	case p.prompt, required && f.IO.CanPrompt():
		return readSecret(ctx, f, what, false)
	case required:
		return "", usageErrorf("the %s is required: pipe it in with --password-stdin or use --password-prompt on a terminal (it is never taken as an argument)", what)
	}
	return "", nil
}

func passwordHook(f *cmdutil.Factory, c *cobra.Command, op *request.Op, sf request.Field) func(context.Context, *request.Call) error {
	what := "password"
	if op.Path == "/virtualmachines/{key}/install" {
		what = "root password"
	}
	pf := addPasswordFlags(c, what)
	if !strings.Contains(c.Long, "--password-stdin") {
		c.Long += fmt.Sprintf("\n\nThe %s (%s) is read with --password-stdin or --password-prompt, never from an argument.", what, sf.Help)
	}
	return func(ctx context.Context, call *request.Call) error {
		pw, err := pf.read(ctx, f, what, sf.Required)
		if err != nil || pw == "" {
			return err
		}
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
}

func addWaitFlags(c *cobra.Command, w *waitFlags) {
	c.Flags().BoolVar(&w.wait, "wait", false, "wait until the machine is deployed, powered on and has an address (limit: --timeout, default 30m)")
	c.Flags().DurationVar(&w.interval, "poll-interval", 5*time.Second, "how often to ask the appliance while waiting")
	_ = c.Flags().MarkHidden("poll-interval")
}

var readyColumns = []string{"key", "name", "powerstate", "ips"}

func addInstallWorkflow(f *cmdutil.Factory, cmd *cobra.Command, root *request.Group, hooks map[*request.Op]*opHook) {
	op := vcat.Find(root, "vm", "install")
	c := findCmd(cmd, "vm", "install")
	w := &waitFlags{}
	addWaitFlags(c, w)
	c.Example = `  printf '%s' "$ROOT_PW" | infra virtomize vm install 3 --password-stdin --wait
  infra virtomize vm install 3 --locale de_DE.UTF-8 --keyboard de --wait --timeout 45m`
	h := hookFor(hooks, op)
	h.after = func(ctx context.Context, cl *virtomize.Client, call *request.Call, res any) (any, error) {
		if !w.wait {
			return res, nil
		}
		op.Columns = readyColumns
		return waitReady(ctx, f, c, cl, call.PathParams["key"], w.interval)
	}
}

func addCreateWorkflow(f *cmdutil.Factory, cmd *cobra.Command, root *request.Group, hooks map[*request.Op]*opHook) {
	op := vcat.Find(root, "vm", "create")
	c := findCmd(cmd, "vm", "create")
	w := &waitFlags{}
	var install bool
	var networks []int
	var locale, keyboard string
	c.Flags().BoolVar(&install, "install", false, "start the installation once the machine is created")
	c.Flags().IntSliceVar(&networks, "network", nil, "attach the machine to network `KEY` before installing (repeat or comma-separate; addresses are assigned by the appliance)")
	c.Flags().StringVar(&locale, "locale", "", "with --install: locale of the installed system")
	c.Flags().StringVar(&keyboard, "keyboard", "", "with --install: keymap of the installed system")
	pf := addPasswordFlags(c, "root password")
	addWaitFlags(c, w)
	c.Example += "\n  infra virtomize vm create --name web1 --owner 1 --cpu 2 --ram 4GB --disc 40GB --oskey 1 --clusterkey 1 \\\n" +
		"      --datastore auto --network 1 --install --wait"
	h := hookFor(hooks, op)
	var rootPW string
	h.before = func(_ context.Context, call *request.Call) error {
		if w.wait && !install {
			return usageErrorf("--wait needs --install: a machine that is not installed never comes up")
		}
		if !install && (locale != "" || keyboard != "" || pf.stdin || pf.prompt) {
			return usageErrorf("--locale, --keyboard and the root password apply only with --install")
		}
		for _, n := range networks {
			if n < 1 {
				return usageErrorf("--network takes network keys (positive integers), got %d", n)
			}
		}
		pw, err := pf.read(c.Context(), f, "root password", false)
		if err != nil {
			return err
		}
		if pw != "" {
			if rootPW, err = hashRootPassword(pw); err != nil {
				return err
			}
		}
		return nil
	}
	h.after = func(ctx context.Context, cl *virtomize.Client, call *request.Call, res any) (any, error) {
		vm, _ := res.(map[string]any)
		key := fmt.Sprint(vm["key"])
		if vm == nil || key == "" || key == "<nil>" {
			return res, nil
		}
		for _, n := range networks {
			if _, err := cl.Do(ctx, "POST", "/virtualmachinenetworks", map[string]any{"vmkey": key, "netkey": n}); err != nil {
				return nil, fmt.Errorf("machine %s was created, but attaching network %d failed (attach with `infra virtomize vm-network create --vmkey %s --netkey %d`): %w", key, n, key, n, err)
			}
		}
		if !install {
			return res, nil
		}
		form := map[string]any{}
		for k, v := range map[string]string{"locale": locale, "keyboard": keyboard, "password": rootPW} {
			if v != "" {
				form[k] = v
			}
		}
		if _, err := cl.Do(ctx, "POST", "/virtualmachines/"+key+"/install", form); err != nil {
			return nil, fmt.Errorf("machine %s was created, but starting the installation failed (retry with `infra virtomize vm install %s`): %w", key, key, err)
		}
		if !w.wait {
			f.Infof("machine %s created; installation started (follow it with `infra virtomize vm wait %s`)", key, key)
			return res, nil
		}
		op.Columns = readyColumns
		return waitReady(ctx, f, c, cl, key, w.interval)
	}
}

func addProfileWorkflow(f *cmdutil.Factory, cmd *cobra.Command, root *request.Group, hooks map[*request.Op]*opHook) {
	op := vcat.Find(root, "profile", "create-vm")
	c := findCmd(cmd, "profile", "create-vm")
	w := &waitFlags{}
	addWaitFlags(c, w)
	h := hookFor(hooks, op)
	h.after = func(ctx context.Context, cl *virtomize.Client, call *request.Call, res any) (any, error) {
		m, _ := res.(map[string]any)
		if !w.wait || m == nil || m["key"] == nil {
			return res, nil
		}
		op.Columns = readyColumns
		return waitReady(ctx, f, c, cl, fmt.Sprint(m["key"]), w.interval)
	}
}

func newVMWaitCmd(f *cmdutil.Factory) *cobra.Command {
	w := &waitFlags{wait: true}
	c := &cobra.Command{
		Use:   "wait VM_KEY",
		Short: "Wait until a machine is deployed, powered on and has an address",
		Long: `Wait until a machine is deployed, powered on and has at least one address, then print its name, power state and
addresses. Polls /virtualmachines/KEY/info and the machine record; --timeout bounds the wait (default 30m).
Use it to resume waiting after an interrupted "vm install --wait".`,
		Example: "  infra virtomize vm wait 3 --timeout 20m",
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
			cl, err := virtomizeClient(f)
			if err != nil {
				return err
			}
			res, err := waitReady(c.Context(), f, c, cl, args[0], w.interval)
			if err != nil {
				return err
			}
			return f.Print(res, readyColumns)
		},
	}
	c.Flags().DurationVar(&w.interval, "poll-interval", 5*time.Second, "how often to ask the appliance")
	_ = c.Flags().MarkHidden("poll-interval")
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
// on a terminal (a line per phase change otherwise). The global --timeout bounds the whole wait (default 30m). On
// Ctrl-C the machine is left as it is and the command to resume waiting is printed.
func waitReady(ctx context.Context, f *cmdutil.Factory, c *cobra.Command, cl *virtomize.Client, key string, interval time.Duration) (map[string]any, error) {
	limit := 30 * time.Minute
	if fl := c.Flags().Lookup("timeout"); fl != nil && fl.Changed && f.G.Timeout > 0 {
		limit = f.G.Timeout
	}
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
			return nil, fmt.Errorf("machine %s is not ready after %s (last state: %s); it is left as it is. Keep waiting with:\n  %s --timeout 30m", key, limit, orDash(last), resume)
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
