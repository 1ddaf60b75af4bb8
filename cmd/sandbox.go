package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/internal/sim/faults"
	"github.com/infractl/infra/internal/sim/jotelulusim"
	"github.com/infractl/infra/internal/sim/prasim"
	"github.com/infractl/infra/internal/sim/virtomizesim"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/sandbox"
)

// sandboxVendors builds the simulators that can be served.
func sandboxVendors(names []string, seed bool) ([]sandbox.Vendor, error) {
	var out []sandbox.Vendor
	for _, n := range names {
		switch n {
		case "pra":
			o := prasim.DefaultOptions()
			o.Seed = seed
			out = append(out, sandbox.PRA(o))
		case "virtomize":
			out = append(out, sandbox.Virtomize(virtomizesim.Options{Seed: seed}))
		case "jotelulu":
			out = append(out, sandbox.Jotelulu(jotelulusim.Options{Seed: seed}))
		default:
			return nil, usageErrorf("unknown sandbox vendor %q (available: pra, virtomize, jotelulu)", n)
		}
	}
	return out, nil
}

func faultKinds() string {
	var k []string
	for _, x := range faults.Kinds {
		k = append(k, string(x))
	}
	return strings.Join(k, ", ")
}

// The files of the running sandbox, in its state directory (cmdutil.Factory.SandboxDir).
const (
	sandboxPidFile = "sandbox.pid"
	sandboxLogFile = "sandbox.log" // what a detached sandbox prints
)

// serveOptions are the flags of `infra sandbox serve`.
type serveOptions struct {
	vendors   []string
	port      int
	tls       bool
	noSeed    bool
	detach    bool
	readyFD   int // set in the process a detached start runs: where to say the sandbox is ready
	envOut    string
	faultSpec string
	slow      time.Duration
}

// sandboxShort summarises `infra sandbox` in the command listing, before its tree is built.
const sandboxShort = "Run embedded simulators of the vendor APIs to try infra and test scripts without an account"

func newSandboxCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: sandboxShort,
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newSandboxServeCmd(f), newSandboxStopCmd(f))
	return cmd
}

func newSandboxServeCmd(f *cmdutil.Factory) *cobra.Command {
	var o serveOptions
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve the simulators on 127.0.0.1, in the foreground or detached (--detach)",
		Long: `Serve in-memory simulators of the vendor APIs on the loopback interface. The settings to use them (hosts and
credentials) are written, with mode 0600, to the sandbox's env file in the cache directory ($INFRA_CACHE_DIR/sandbox,
else $XDG_CACHE_HOME/infra/sandbox), and to FILE with --env-out; they are never printed. --sandbox makes any command
use them and nothing else (not the environment's INFRA_*/BT_* settings, profiles or the config file):

  infra sandbox serve --vendor pra,virtomize,jotelulu --detach   # returns once the simulators listen
  infra --sandbox pra jump-group list
  infra sandbox stop

With --detach the sandbox runs in the background (its messages go to sandbox.log in the same directory) and the command
returns once it is ready; without it, it serves until interrupted or stopped with ` + "`infra sandbox stop`" + `.
One sandbox runs at a time per cache directory. State lives in memory and is lost when the sandbox stops.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error { return runSandboxServe(c.Context(), f, o) },
	}
	fl := serve.Flags()
	fl.StringSliceVar(&o.vendors, "vendor", []string{"pra"}, "simulators to serve (comma-separated)")
	fl.IntVar(&o.port, "port", 0, "first port to listen on (default: a free port per vendor)")
	fl.BoolVar(&o.tls, "tls", false, "serve HTTPS with a generated self-signed certificate (INFRA_CA_CERT points to it)")
	fl.BoolVar(&o.noSeed, "empty", false, "start without sample data")
	fl.BoolVar(&o.detach, "detach", false, "run in the background and return once the simulators listen and the settings are written")
	fl.StringVar(&o.envOut, "env-out", "", "also write the settings to `FILE` (KEY=VALUE, 0600, for --env-file), removed on exit")
	fl.StringVar(&o.faultSpec, "faults", "", "inject failures into API requests: `SPEC` like 10% (spread over every kind) or 429=5%,reset-after=2%,slow=1% (kinds: "+faultKinds()+")")
	fl.DurationVar(&o.slow, "slow-delay", 3*time.Second, "how late a slow fault answers")
	fl.IntVar(&o.readyFD, "ready-fd", 0, "")
	_ = fl.MarkHidden("ready-fd")
	return serve
}

func runSandboxServe(ctx context.Context, f *cmdutil.Factory, o serveOptions) error {
	rates, err := faults.Parse(o.faultSpec)
	if err != nil {
		return usageErrorf("--faults: %v", err)
	}
	vs, err := sandboxVendors(o.vendors, !o.noSeed)
	if err != nil {
		return err
	}
	dir := f.SandboxDir()
	if pid, ok := runningSandbox(dir); ok {
		return fmt.Errorf("a sandbox is already running (pid %d, %s): stop it with `infra sandbox stop`", pid, filepath.Join(dir, sandboxPidFile))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("sandbox directory: %w", err)
	}
	if o.detach {
		return detachSandbox(f, dir)
	}
	injectors := injectFaults(f, vs, rates, o)
	so := sandbox.Options{TLS: o.tls}
	if o.port != 0 {
		so.Addr = fmt.Sprintf("127.0.0.1:%d", o.port)
	}
	if o.tls {
		so.CertDir = filepath.Join(dir, "tls")
		defer os.RemoveAll(so.CertDir)
	}
	sb, err := sandbox.Start(ctx, vs, so)
	if err != nil {
		return err
	}
	defer sb.Close()
	files, err := writeSandboxFiles(dir, o.envOut, sb.Env())
	defer removeFiles(files)
	if err != nil {
		return err
	}
	announceSandbox(f, sb, o, files[1])
	if o.readyFD > 0 {
		ready := os.NewFile(uintptr(o.readyFD), "ready")
		_, _ = io.WriteString(ready, "ready\n")
		_ = ready.Close()
	}
	<-ctx.Done()
	for i, inj := range injectors {
		if n := inj.Counts(); n != "" {
			f.Infof("%s faults injected: %s", vs[i].Name, n)
		}
	}
	f.Infof("sandbox stopped")
	return nil
}

// injectFaults wraps every simulator in a fault injector when rates are given.
func injectFaults(f *cmdutil.Factory, vs []sandbox.Vendor, rates map[faults.Kind]float64, o serveOptions) []*faults.Injector {
	if len(rates) == 0 {
		return nil
	}
	var injectors []*faults.Injector
	for i := range vs {
		cfg := faults.Config{Rates: rates, SlowDelay: o.slow, Seed: uint64(time.Now().UnixNano())}
		if r, ok := vs[i].Handler.(interface{ RevokeAllTokens() }); ok {
			cfg.RevokeTokens = r.RevokeAllTokens
		}
		inj := faults.Wrap(vs[i].Handler, cfg)
		injectors = append(injectors, inj)
		vs[i].Handler = inj
	}
	f.Warnf("injecting faults into API requests: %s", o.faultSpec)
	return injectors
}

// writeSandboxFiles writes the pid file, the sandbox's env file and the --env-out copy (each atomically, 0600), and
// returns the paths written, pid file first, env file second, for removal at exit.
func writeSandboxFiles(dir, envOut string, env map[string]string) ([]string, error) {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + env[k] + "\n")
	}
	envFile := filepath.Join(dir, cmdutil.SandboxEnvFile)
	targets := [][2]string{{filepath.Join(dir, sandboxPidFile), strconv.Itoa(os.Getpid()) + "\n"}, {envFile, b.String()}}
	if envOut != "" {
		abs, err := filepath.Abs(envOut)
		if err != nil {
			return nil, err
		}
		targets = append(targets, [2]string{abs, b.String()})
	}
	var written []string
	for _, t := range targets {
		tmp := t[0] + ".tmp"
		if err := os.WriteFile(tmp, []byte(t[1]), 0o600); err != nil {
			return written, err
		}
		if err := os.Rename(tmp, t[0]); err != nil {
			os.Remove(tmp)
			return written, err
		}
		written = append(written, t[0])
	}
	return written, nil
}

func removeFiles(paths []string) {
	for _, p := range paths {
		os.Remove(p)
	}
}

// announceSandbox says where the simulators listen and where their settings are; never the credentials.
func announceSandbox(f *cmdutil.Factory, sb *sandbox.Sandbox, o serveOptions, envFile string) {
	for _, v := range o.vendors {
		f.Infof("%s simulator at %s", v, sb.URL(v))
	}
	f.Infof("settings written to %s: use them with `infra --sandbox …` (or --env-file %s)", envFile, envFile)
	if o.envOut != "" {
		abs, _ := filepath.Abs(o.envOut)
		f.Infof("settings also written to %s (use --env-file %s)", abs, abs)
	}
	if f.IO.ErrTTY && inForeground(os.Stderr) {
		f.Infof("press Ctrl-C to stop")
	} else {
		f.Infof("stop it with `infra sandbox stop`")
	}
}

// detachSandbox starts `infra sandbox serve` again in the background, without --detach, and returns once it says it
// is ready (its simulators listen and its files are written) or has failed.
func detachSandbox(f *cmdutil.Factory, dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	logPath := filepath.Join(dir, sandboxLogFile)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	args := append([]string{os.Args[0]}, withoutFlag(f.Args, "detach")...)
	child := &exec.Cmd{Path: exe, Args: append(args, "--ready-fd=3"), Stdout: logf, Stderr: logf,
		ExtraFiles: []*os.File{w}, SysProcAttr: detachedAttr()}
	err = child.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("start the sandbox: %w", err)
	}
	line, _ := bufio.NewReader(r).ReadString('\n')
	if line != "ready\n" {
		_ = child.Wait()
		out, _ := os.ReadFile(logPath)
		return fmt.Errorf("the sandbox did not start:\n%s", strings.TrimSpace(string(out)))
	}
	pid := child.Process.Pid
	_ = child.Process.Release()
	envFile := filepath.Join(dir, cmdutil.SandboxEnvFile)
	f.Infof("sandbox running in the background (pid %d, messages in %s)", pid, logPath)
	f.Infof("settings written to %s: use them with `infra --sandbox …` (or --env-file %s)", envFile, envFile)
	f.Infof("stop it with `infra sandbox stop`")
	return nil
}

// withoutFlag removes --name and --name=value from args.
func withoutFlag(args []string, name string) []string {
	var out []string
	for _, a := range args {
		if a == "--"+name || strings.HasPrefix(a, "--"+name+"=") {
			continue
		}
		out = append(out, a)
	}
	return out
}

// runningSandbox returns the pid of the sandbox whose pid file is in dir, if that process still runs.
func runningSandbox(dir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dir, sandboxPidFile))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || !processAlive(pid) {
		return 0, false
	}
	return pid, true
}

func newSandboxStopCmd(f *cmdutil.Factory) *cobra.Command {
	var timeout time.Duration
	stop := &cobra.Command{
		Use:   "stop",
		Short: "Stop the sandbox started with `infra sandbox serve` and wait until it has exited",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			dir := f.SandboxDir()
			pidFile := filepath.Join(dir, sandboxPidFile)
			pid, ok := runningSandbox(dir)
			if !ok {
				if _, err := os.Stat(pidFile); errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("no sandbox is running (no %s)", pidFile)
				}
				removeFiles([]string{pidFile, filepath.Join(dir, cmdutil.SandboxEnvFile)})
				return fmt.Errorf("no sandbox is running (removed the stale %s)", pidFile)
			}
			if !isSandboxProcess(pid) {
				return fmt.Errorf("process %d named in %s is not an infra sandbox; remove the file if it is stale", pid, pidFile)
			}
			if err := terminate(pid); err != nil {
				return fmt.Errorf("stop the sandbox (pid %d): %w", pid, err)
			}
			deadline := time.Now().Add(timeout)
			for processAlive(pid) {
				if time.Now().After(deadline) {
					return fmt.Errorf("the sandbox (pid %d) is still running %s after being told to stop", pid, timeout)
				}
				time.Sleep(20 * time.Millisecond)
			}
			removeFiles([]string{pidFile, filepath.Join(dir, cmdutil.SandboxEnvFile)})
			f.Infof("sandbox stopped (pid %d)", pid)
			return nil
		},
	}
	stop.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for the sandbox to exit")
	return stop
}
