package cmd

import (
	"io"
	"path/filepath"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/mcp"
)

// mcpSecretVendor is the vendor part of the credential store entries --secret FIELD=keyring:NAME reads
// (service "infra", user "mcp:NAME").
const mcpSecretVendor = "mcp"

// mcpGlobals are the global flags that choose the server's own configuration; every call runs with them.
var mcpGlobals = []string{"profile", "config", "env-file", "sandbox", "ca-cert", "insecure", "timeout"}

// mcpShort summarises `infra mcp` in the command listing, before its tree is built.
const mcpShort = "Serve the vendor catalogs to AI agents over the Model Context Protocol"

func newMCPCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: mcpShort,
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newMCPServeCmd(f))
	return cmd
}

func newMCPServeCmd(f *cmdutil.Factory) *cobra.Command {
	var (
		vendors     []string
		allowWrite  bool
		auditFile   string
		httpAddr    string
		allowRemote bool
		secretSpecs []string
		siteFiles   []string
	)
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve every catalog operation as MCP tools (stdio, or streamable HTTP with --http)",
		Long: `Serve the operations of the catalogs as Model Context Protocol tools, for an AI agent:

  find_operations     search operations by words, vendor and resource
  describe_operation  what an operation does and the JSON Schema of its input (types, enums, required fields)
  call_operation      run it, validated as the command line validates it; its JSON, a page at a time
  pra_report          run a PRA report as a stream and summarise it
  virtomize_vm_install_and_wait  install a machine and wait for its address

Calls run in this process exactly as the commands do, with the same settings (--profile, --config, --env-file,
--sandbox), clients, token cache, retries and rate limits, shared by every call.

Safe by default: only operations that read (GET) run unless --allow-write is given; irreversible ones (deletes and
the like) also need the user's confirmation through the client (MCP elicitation) and are refused without it.
Secrets are never returned (passwords, tokens and private keys read [REDACTED]) and never taken from the agent:
secret fields are filled by the server from --secret FIELD=env:VARIABLE, FIELD=file:PATH or FIELD=keyring:NAME
(the credential store entry "mcp:NAME" of service "infra"). Connection settings and credentials come only from
the server's configuration.

--audit FILE appends one JSON line per call (time, tool, operation, redacted arguments, outcome, duration) to a file
only its owner can read, synced after every line.

By default the server speaks MCP on stdin and stdout. --http ADDR serves streamable HTTP at /mcp instead, on the
loopback address unless --allow-remote; a bearer token is printed once on stderr and required on every request.
See docs/mcp.md for client set-up.`,
		Example: `  infra mcp serve
  infra mcp serve --vendor pra --audit ~/.local/state/infra-mcp.log
  infra --profile lab mcp serve --allow-write --secret password=env:LAB_ROOT_PASSWORD
  infra mcp serve --http 127.0.0.1:8765`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			for i, v := range vendors {
				vendors[i] = strings.ToLower(strings.TrimSpace(v))
			}
			secrets := map[string]mcp.SecretSource{}
			for _, spec := range secretSpecs {
				field, src, err := mcp.ParseSecret(spec, f.Getenv, func(name string) (string, error) {
					st, err := f.SecretStore()
					if err != nil {
						return "", err
					}
					return st.Get(mcpSecretVendor, name)
				})
				if err != nil {
					return err
				}
				secrets[field] = src
			}
			// Settings are checked now, not at the first call.
			if _, err := f.Config(); err != nil {
				return err
			}
			var audit *mcp.Auditor
			if auditFile != "" {
				var err error
				if audit, err = mcp.OpenAudit(auditFile); err != nil {
					return usageErrorf("--audit: %v", err)
				}
				defer audit.Close()
			}
			srv, err := mcp.New(mcp.Options{
				Vendors:    vendors,
				AllowWrite: allowWrite,
				Executor:   mcpExecutor(f, c),
				Audit:      audit,
				Secrets:    secrets,
				SiteFiles:  siteFileNames(siteFiles),
				Version:    f.Build.Version,
			})
			if err != nil {
				return err
			}
			if httpAddr != "" {
				return srv.ServeHTTP(c.Context(), mcp.HTTPOptions{Addr: httpAddr, AllowRemote: allowRemote, Announce: f.IO.ErrOut})
			}
			if allowRemote {
				return usageErrorf("--allow-remote applies to --http only")
			}
			return srv.ServeStdio(c.Context(), &sdk.IOTransport{Reader: readCloser{f.IO.In}, Writer: writeCloser{f.IO.Out}})
		},
	}
	fl := c.Flags()
	fl.StringSliceVar(&vendors, "vendor", nil, "serve only these vendors (pra, virtomize, jotelulu; default all)")
	fl.BoolVar(&allowWrite, "allow-write", false, "allow operations that change data (default: read-only)")
	fl.StringVar(&auditFile, "audit", "", "append one JSON line per call to `FILE` (created 0600, synced per line)")
	fl.StringVar(&httpAddr, "http", "", "serve streamable HTTP on `ADDR` (host:port; :port binds 127.0.0.1) instead of stdio")
	fl.BoolVar(&allowRemote, "allow-remote", false, "with --http: allow an address that is not loopback")
	fl.StringArrayVar(&siteFiles, "site-file", nil, "offer pra_plan for this PRA site `FILE` (repeatable); the model names it by its base name, never by a path")
	fl.StringArrayVar(&secretSpecs, "secret", nil, "fill a secret field from the server's side: `SPEC` is FIELD=env:VAR, FIELD=file:PATH or FIELD=keyring:NAME (repeatable)")
	return c
}

// mcpExecutor runs each call as a command of this binary, in this process, with a fresh factory over in-memory
// streams that carries the server's settings, its transport and one request pace shared by all calls.
func mcpExecutor(f *cmdutil.Factory, c *cobra.Command) *mcp.CLIExecutor {
	var globals []string
	c.Flags().Visit(func(fl *pflag.Flag) {
		for _, g := range mcpGlobals {
			if fl.Name == g {
				globals = append(globals, "--"+fl.Name+"="+fl.Value.String())
			}
		}
	})
	shared := &api.SharedLimits{}
	return &mcp.CLIExecutor{
		Run:     Run,
		Root:    NewRoot,
		Globals: globals,
		NewFactory: func(io *cmdutil.IOStreams) *cmdutil.Factory {
			nf := cmdutil.New(io, f.Build, f.Getenv)
			nf.Transport = f.Transport
			nf.KeyringTimeout = f.KeyringTimeout
			nf.SharedLimits = shared
			return nf
		},
	}
}

// The stdio transport closes what it is given; the process's streams stay open for the rest of the command.
type readCloser struct{ r io.Reader }

func (r readCloser) Read(p []byte) (int, error) { return r.r.Read(p) }
func (readCloser) Close() error                 { return nil }

type writeCloser struct{ w io.Writer }

func (w writeCloser) Write(p []byte) (int, error) { return w.w.Write(p) }
func (writeCloser) Close() error                  { return nil }

// siteFileNames names each site file by its base name for pra_plan (nil when none).
func siteFileNames(paths []string) map[string]string {
	if len(paths) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, p := range paths {
		m[filepath.Base(p)] = p
	}
	return m
}
