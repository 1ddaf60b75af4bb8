package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/sandbox"
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

func newSandboxCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run embedded simulators of the vendor APIs to try infra and test scripts without an account",
		Args:  cobra.NoArgs,
	}
	var vendors []string
	var port int
	var tls, noSeed bool
	var envOut string
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
			vs, err := sandboxVendors(vendors, !noSeed)
			if err != nil {
				return err
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
			f.Infof("sandbox stopped")
			return nil
		},
	}
	serve.Flags().StringSliceVar(&vendors, "vendor", []string{"pra"}, "simulators to serve (comma-separated)")
	serve.Flags().IntVar(&port, "port", 0, "first port to listen on (default: a free port per vendor)")
	serve.Flags().BoolVar(&tls, "tls", false, "serve HTTPS with a generated self-signed certificate (INFRA_CA_CERT points to it)")
	serve.Flags().BoolVar(&noSeed, "empty", false, "start without sample data")
	serve.Flags().StringVar(&envOut, "env-out", "", "also write the settings to `FILE` (KEY=VALUE, 0600), removed on exit")
	cmd.AddCommand(serve)
	return cmd
}
