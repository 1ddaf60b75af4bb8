package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/sandbox"
	"github.com/infractl/infra/pkg/sim/faults"
	"github.com/infractl/infra/pkg/sim/jotelulusim"
	"github.com/infractl/infra/pkg/sim/prasim"
	"github.com/infractl/infra/pkg/sim/virtomizesim"
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

func newSandboxCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run embedded simulators of the vendor APIs to try infra and test scripts without an account",
		Args:  cobra.NoArgs,
	}
	var vendors []string
	var port int
	var tls, noSeed bool
	var envOut, faultSpec string
	var slow time.Duration
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve the simulators on 127.0.0.1 until interrupted, printing the settings to use",
		Long: `Serve in-memory simulators of the vendor APIs on the loopback interface. The settings to use are printed as
shell export lines on stdout (and written as a KEY=VALUE file with --env-out, usable with --env-file):

  eval "$(infra sandbox serve &)"          # or:
  infra sandbox serve --env-out sandbox.env &
  infra --env-file sandbox.env pra jump-group list

State lives in memory and is lost when the sandbox stops.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			rates, err := faults.Parse(faultSpec)
			if err != nil {
				return usageErrorf("--faults: %v", err)
			}
			vs, err := sandboxVendors(vendors, !noSeed)
			if err != nil {
				return err
			}
			var injectors []*faults.Injector
			if len(rates) > 0 {
				for i := range vs {
					cfg := faults.Config{Rates: rates, SlowDelay: slow, Seed: uint64(time.Now().UnixNano())}
					if r, ok := vs[i].Handler.(interface{ RevokeAllTokens() }); ok {
						cfg.RevokeTokens = r.RevokeAllTokens
					}
					inj := faults.Wrap(vs[i].Handler, cfg)
					injectors = append(injectors, inj)
					vs[i].Handler = inj
				}
				f.Warnf("injecting faults into API requests: %s", faultSpec)
			}
			o := sandbox.Options{TLS: tls}
			if port != 0 {
				o.Addr = fmt.Sprintf("127.0.0.1:%d", port)
			}
			if tls {
				dir, err := os.MkdirTemp("", "infra-sandbox-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				o.CertDir = dir
			}
			sb, err := sandbox.Start(c.Context(), vs, o)
			if err != nil {
				return err
			}
			defer sb.Close()
			env := sb.Env()
			keys := make([]string, 0, len(env))
			for k := range env {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var lines []string
			for _, k := range keys {
				lines = append(lines, k+"="+env[k])
			}
			if envOut != "" {
				tmp := envOut + ".tmp"
				if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
					return err
				}
				if err := os.Rename(tmp, envOut); err != nil {
					return err
				}
				defer os.Remove(envOut)
				abs, _ := filepath.Abs(envOut)
				f.Infof("settings written to %s (use --env-file %s)", abs, abs)
			}
			for _, l := range lines {
				fmt.Fprintln(f.IO.Out, "export "+l)
			}
			for _, v := range vendors {
				f.Infof("%s simulator at %s", v, sb.URL(v))
			}
			f.Infof("press Ctrl-C to stop")
			<-c.Context().Done()
			for i, inj := range injectors {
				if n := inj.Counts(); n != "" {
					f.Infof("%s faults injected: %s", vs[i].Name, n)
				}
			}
			f.Infof("sandbox stopped")
			return nil
		},
	}
	serve.Flags().StringSliceVar(&vendors, "vendor", []string{"pra"}, "simulators to serve (comma-separated)")
	serve.Flags().IntVar(&port, "port", 0, "first port to listen on (default: a free port per vendor)")
	serve.Flags().BoolVar(&tls, "tls", false, "serve HTTPS with a generated self-signed certificate (INFRA_CA_CERT points to it)")
	serve.Flags().BoolVar(&noSeed, "empty", false, "start without sample data")
	serve.Flags().StringVar(&envOut, "env-out", "", "also write the settings to `FILE` (KEY=VALUE, 0600), removed on exit")
	serve.Flags().StringVar(&faultSpec, "faults", "", "inject failures into API requests: `SPEC` like 10% (spread over every kind) or 429=5%,reset-after=2%,slow=1% (kinds: "+faultKinds()+")")
	serve.Flags().DurationVar(&slow, "slow-delay", 3*time.Second, "how late a slow fault answers")
	cmd.AddCommand(serve)
	return cmd
}
