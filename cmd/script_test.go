package cmd_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/infractl/infra/cmd"
	"github.com/infractl/infra/internal/sim/faults"
	"github.com/infractl/infra/internal/sim/jotelulusim"
	"github.com/infractl/infra/internal/sim/prasim"
	"github.com/infractl/infra/internal/sim/virtomizesim"
	"github.com/infractl/infra/pkg/cmdutil"
)

// scriptCmd is a custom testscript command.
type scriptCmd = func(ts *testscript.TestScript, neg bool, args []string)

// Vendor test files extend the script environment from their own files: extraSetup runs after the simulators are
// started, extraCmds adds commands. Both are filled by init functions of *_test.go files.
var (
	extraSetup []func(env *testscript.Env) error
	extraCmds  = map[string]scriptCmd{}
)

func TestMain(m *testing.M) {
	// A race-enabled binary sleeps one second at exit by default (GORACE atexit_sleep_ms=1000). Every `exec infra`
	// of a script is such a binary under `go test -race`: without this, the suite spends most of its time asleep.
	os.Setenv("GORACE", raceOptions(os.Getenv("GORACE")))
	testscript.Main(scriptBinaryM{m}, map[string]func(){
		"infra": func() { os.Exit(cmd.Main()) },
		// The same binary under btapi's name: cmd.Main reads its name from os.Args[0].
		"btapi": func() { os.Exit(cmd.Main()) },
	})
}

const praSecret = "s3cr3t-sandbox-value"

// TestScripts runs the binary (re-executed test binary) against in-process simulators. Every script gets fresh
// simulators and an isolated config, cache and credential store.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, scriptParams("testdata/script"))
}

// TestRealKeyringScripts runs the keyring scripts against a real Secret Service (make keyring-test).
func TestRealKeyringScripts(t *testing.T) {
	if os.Getenv("INFRA_TEST_REAL_KEYRING") != "1" {
		t.Skip("set INFRA_TEST_REAL_KEYRING=1 inside a D-Bus session with gnome-keyring (make keyring-test)")
	}
	testscript.Run(t, scriptParams("testdata/keyring"))
}

func scriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: false,
		Setup: func(env *testscript.Env) error {
			sim := prasim.New(prasim.Options{ClientID: "sandbox-client", ClientSecret: praSecret, Seed: true})
			inj := faults.Wrap(sim, faults.Config{RevokeTokens: sim.RevokeAllTokens, SlowDelay: 600 * time.Millisecond, Seed: 7})
			srv := httptest.NewServer(inj)
			env.Defer(srv.Close)
			env.Values["prasim"] = sim
			env.Values["faults:pra"] = inj
			env.Setenv("PRA_URL", srv.URL)
			env.Setenv("PRA_SECRET", praSecret)
			env.Setenv("INFRA_PRA_HOST", srv.URL)
			env.Setenv("INFRA_PRA_CLIENT_ID", "sandbox-client")
			env.Setenv("INFRA_PRA_CLIENT_SECRET", praSecret)

			vsim := virtomizesim.New(virtomizesim.Options{Username: "admin", Password: "v1rt-sandbox-pass", Seed: true})
			vinj := faults.Wrap(vsim, faults.Config{SlowDelay: 600 * time.Millisecond, Seed: 11})
			env.Values["faults:virtomize"] = vinj
			vsrv := httptest.NewServer(vinj)
			env.Defer(vsrv.Close)
			env.Values["virtomizesim"] = vsim
			env.Setenv("VIRTOMIZE_URL", vsrv.URL)
			env.Setenv("INFRA_VIRTOMIZE_HOST", vsrv.URL)
			env.Setenv("INFRA_VIRTOMIZE_USERNAME", "admin")
			env.Setenv("INFRA_VIRTOMIZE_PASSWORD", "v1rt-sandbox-pass")

			jtoken := jotelulusim.MakeToken("sandbox", time.Now().Add(24*time.Hour))
			jsim := jotelulusim.New(jotelulusim.Options{Token: jtoken, Seed: true})
			jinj := faults.Wrap(jsim, faults.Config{SlowDelay: 600 * time.Millisecond, Seed: 13})
			env.Values["faults:jotelulu"] = jinj
			jsrv := httptest.NewServer(jinj)
			env.Defer(jsrv.Close)
			env.Values["jotelulusim"] = jsim
			env.Setenv("JOTELULU_URL", jsrv.URL)
			env.Setenv("INFRA_JOTELULU_HOST", jsrv.URL)
			env.Setenv("INFRA_JOTELULU_TOKEN", jtoken)

			// Sizes of the bulk proof (make proof raises them).
			for k, def := range map[string]string{"PROOF_PRA": "150", "PROOF_VMS": "40"} {
				if v := os.Getenv(k); v != "" {
					def = v
				}
				env.Setenv(k, def)
			}
			env.Setenv("GORACE", os.Getenv("GORACE"))
			// Scripts run the product's binary, built once (see scriptBinary); INFRA_TEST_SCRIPTS_RACE=1 runs them
			// with this race-enabled test binary instead, as testscript would by default.
			if dir, err := scriptBinary(); err != nil {
				return err
			} else if dir != "" {
				env.Setenv("PATH", dir+string(os.PathListSeparator)+env.Getenv("PATH"))
			}
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("INFRA_CONFIG_DIR", env.WorkDir+"/.config/infra")
			env.Setenv("INFRA_CACHE_DIR", env.WorkDir+"/.cache/infra")
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/.config")
			env.Setenv("INFRA_SECRET_STORE", "file")
			env.Setenv("NO_COLOR", "1")
			// The real-keyring scripts talk to the Secret Service of the surrounding D-Bus session.
			for _, k := range []string{"DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"} {
				if v := os.Getenv(k); v != "" {
					env.Setenv(k, v)
				}
			}
			for _, f := range extraSetup {
				if err := f(env); err != nil {
					return err
				}
			}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "bashcompletion" {
				_, err := os.Stat("/usr/share/bash-completion/bash_completion")
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: scriptCmds(map[string]scriptCmd{
			// minted N: the PRA simulator has minted exactly N tokens.
			"minted": func(ts *testscript.TestScript, neg bool, args []string) {
				sim := ts.Value("prasim").(*prasim.Server)
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				if got := sim.TokensMinted(); (got == want) == neg {
					ts.Fatalf("tokens minted: got %d, want %s%d", got, map[bool]string{true: "not ", false: ""}[neg], want)
				}
			},
			// seed-jump-groups N: add N jump groups to the PRA simulator.
			"seed-jump-groups": func(ts *testscript.TestScript, neg bool, args []string) {
				n, err := strconv.Atoi(args[0])
				ts.Check(err)
				ts.Value("prasim").(*prasim.Server).SeedJumpGroups(n)
			},
			// faults [VENDOR] SPEC: inject faults into a simulator's API requests (VENDOR defaults to pra; SPEC as
			// faults.Parse takes it; "off" stops them).
			"faults": func(ts *testscript.TestScript, neg bool, args []string) {
				vendor := "pra"
				if len(args) == 2 {
					vendor, args = args[0], args[1:]
				}
				if len(args) != 1 {
					ts.Fatalf("usage: faults [VENDOR] SPEC|off")
				}
				inj := ts.Value("faults:" + vendor).(*faults.Injector)
				if args[0] == "off" {
					inj.SetEnabled(false)
					ts.Logf("faults injected: %s", inj.Counts())
					return
				}
				rates, err := faults.Parse(args[0])
				ts.Check(err)
				inj.SetRates(rates)
				inj.SetEnabled(true)
			},
			// revoke-tokens: invalidate every token, as regenerating the client secret does.
			"revoke-tokens": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Value("prasim").(*prasim.Server).RevokeAllTokens()
			},
		}),
	}
}

// scriptCmds adds the vendor files' commands to the common ones.
func scriptCmds(m map[string]scriptCmd) map[string]scriptCmd {
	for k, v := range extraCmds {
		m[k] = v
	}
	return m
}

// TestRunUsesFactory proves commands run without globals: in-memory streams, injected environment.
func TestRunUsesFactory(t *testing.T) {
	io, _, out, errOut := cmdutil.Test()
	f := cmdutil.New(io, cmdutil.BuildInfo{Version: "1.2.3", Commit: "abc", Date: "2025-01-01"}, func(k string) string {
		if k == "INFRA_CONFIG_DIR" {
			return t.TempDir()
		}
		return ""
	})
	code := cmd.Run(context.Background(), f, []string{"version"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got, want := out.String(), "infra version 1.2.3 (commit abc, built 2025-01-01)\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	code = cmd.Run(context.Background(), f, []string{"no-such-command"})
	if code != 2 {
		t.Fatalf("unknown command: exit %d, want 2 (%s)", code, errOut)
	}
}

// raceOptions adds atexit_sleep_ms=0 to the GORACE options unless the developer set it.
func raceOptions(cur string) string {
	if strings.Contains(cur, "atexit_sleep_ms") {
		return cur
	}
	return strings.TrimSpace(cur + " atexit_sleep_ms=0")
}
