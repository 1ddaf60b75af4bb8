// Package pra holds the `infra pra` commands: BeyondTrust PRA's Configuration API catalog run by the engine, btapi's
// generic verbs, the Command API (XML) commands, reports, events, backups and scripts.
package pra

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/pra"
	"github.com/infractl/infra/pkg/api/request"
	praCatalog "github.com/infractl/infra/pkg/catalog/pra"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/engine"
	"github.com/infractl/infra/pkg/output"
)

// Client builds the PRA client from the vendor's connection unit: host, client id and secret from one source (the
// environment, btapi's variables, --env-file, or the profile with its credential store entry).
func Client(ctx context.Context, f *cmdutil.Factory) (*pra.Client, error) {
	unit, err := f.Unit("pra")
	if err != nil {
		return nil, err
	}
	host := unit.String("host")
	if _, err := pra.BaseURL(host); err != nil {
		return nil, cmdutil.UnitHint(unit, err)
	}
	clientID := unit.String("client_id")
	if clientID == "" {
		return nil, cmdutil.UnitHint(unit, &api.UsageError{Err: errors.New("no PRA client id configured: set BT_CLIENT_ID or INFRA_PRA_CLIENT_ID, or run `infra auth login pra --client-id ID`")})
	}
	secret, _, err := unit.Secret()
	if err != nil {
		return nil, err
	}
	o, err := f.HTTPOptionsFor(unit.Unit)
	if err != nil {
		return nil, err
	}
	s := pra.Settings{
		Host:         host,
		ClientID:     clientID,
		ClientSecret: secret,
		Cache:        api.NewFileTokenCache(f.TokenCacheDir()),
		Stdout:       f.IO.Out,
	}
	if f.ShowProgress() {
		s.Progress = f.IO.ErrOut
	}
	return pra.New(o, s)
}

// Short describes the pra command in the root help (before the tree is built).
const Short = "BeyondTrust Privileged Remote Access: configuration, commands, reports and backups"

// NewCmd builds `infra pra`: the catalog commands, btapi's generic verbs and the XML API commands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	env := &engine.Env{
		F:     f,
		Noun:  "PRA",
		Rules: engine.Rules{UTCDateTimes: true},
		Backend: func(ctx context.Context) (request.Backend, error) {
			return Client(ctx, f)
		},
		// Credentials stay off the command line, where the process list and shell history would show them: the
		// flags of credential fields are hidden and refused; the values come from stdin (-k key=value or --json -).
		Site: func() string { return f.SiteKey("pra") },
	}
	hooks := &engine.Hooks{Secrets: praCatalog.SecretFields, Configure: func(c *cobra.Command) { completeJumpGroupID(env, c) }}
	env.Hooks = func(*request.Op) *engine.Hooks { return hooks }
	cmd := &cobra.Command{
		Use:   "pra",
		Short: Short,
		Long: `Drive a BeyondTrust Privileged Remote Access site.

Connection settings come from (highest first) flags, INFRA_PRA_* or BeyondTrust's BT_API_HOST, BT_CLIENT_ID and
BT_CLIENT_SECRET environment variables, --env-file, the configuration profile, and the credential store
(infra auth login pra). Tokens are cached and reused until shortly before they expire.

btapi-style scripting works too: infra pra -k add jump-group reads key=value pairs on stdin, -K prints key=value.`,
		Args: cobra.NoArgs,
	}
	env.Commands = func(g *request.Group) []*cobra.Command {
		if g.Name == praCatalog.JumpClientGroup {
			return []*cobra.Command{newPRAJumpClientPruneCmd(f, env, g)}
		}
		return nil
	}
	need := praCommandsNeeded(f.Args) // the vendor itself is built lazily by NewRoot; here only the named groups are
	root := praCatalog.Root()
	for _, op := range root.Ops {
		cmd.AddCommand(env.OpCommand(op, "PRA"))
	}
	for _, g := range root.Groups {
		if need.group(g) {
			cmd.AddCommand(env.Command(g))
			continue
		}
		// Named in help listings only; this process cannot reach its commands.
		cmd.AddCommand(&cobra.Command{Use: g.Name, Aliases: g.Aliases, Short: g.Short, Args: cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error { return c.Help() }})
	}
	for _, c := range genericVerbs(env, root) {
		c.GroupID = "btapi"
		cmd.AddCommand(c)
	}
	cmd.AddCommand(praXMLCommands(f)...)
	cmd.AddCommand(newPRASitefileCmds(f)...)
	cmd.AddGroup(&cobra.Group{ID: "btapi", Title: "btapi-style generic verbs (PATH like jump-item/shell-jump):"})
	return cmd
}

// praNeed says which PRA commands this process may run. Building the ~230 catalog commands with their flags costs a
// few milliseconds, which `infra version`, `infra virtomize …` and the like should not pay, and `infra pra jump-group
// list` needs only the jump-group commands. When the process is the infra executable, a resource's commands are built
// only if an argument names it (or one of its aliases), and none at all without a "pra" argument. Anything else (tests
// calling Run, documentation generators, renamed executables) builds the whole tree.
type praNeed struct {
	none  bool
	all   bool
	words map[string]bool
}

func (n praNeed) group(g *request.Group) bool {
	if n.all || n.words[g.Name] {
		return true
	}
	for _, a := range g.Aliases {
		if n.words[a] {
			return true
		}
	}
	return false
}

// praCommandsNeeded decides from the command-line arguments (without the program name) which PRA resource groups to
// build. Nil arguments (documentation generators, callers building the whole tree) mean all of them.
func praCommandsNeeded(args []string) praNeed {
	if args == nil {
		return praNeed{all: true}
	}
	words := map[string]bool{}
	for _, a := range args {
		words[a] = true
	}
	if !words["pra"] {
		return praNeed{none: true}
	}
	return praNeed{words: words}
}

// completeJumpGroupID completes --jump-group-id with the site's jump groups (ids, names as descriptions).
func completeJumpGroupID(env *engine.Env, c *cobra.Command) {
	if c.Flags().Lookup("jump-group-id") == nil {
		return
	}
	list := &request.Op{Name: "list", Method: "GET", Path: "/jump-group", Kind: request.KindList}
	_ = c.RegisterFlagCompletionFunc("jump-group-id", func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		call := &request.Call{Op: list, PathParams: map[string]string{}, Query: url.Values{}}
		out := env.F.Candidates(c.Context(), env.Site(), list.Path, "id", "name", func(ctx context.Context) ([]any, error) {
			return env.ListAll(ctx, call)
		})
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

// genericVerbs builds btapi's verbs: list|get|add|update|delete|download PATH [ID]. The PATH is matched against the
// catalog so input is typed and validated exactly like the typed commands.
func genericVerbs(env *engine.Env, root *request.Group) []*cobra.Command {
	type verb struct {
		name, method string
		kind         request.Kind
		withID       bool
		short        string
	}
	verbs := []verb{
		{"list", "GET", request.KindList, false, "List the resources at PATH (key=value input on stdin with -k becomes query filters)"},
		{"get", "GET", request.KindObject, true, "Show the resource PATH/ID"},
		{"add", "POST", request.KindObject, false, "Create a resource at PATH from flags-free key=value input (-k)"},
		{"update", "PATCH", request.KindObject, true, "Change the resource PATH/ID from key=value input (-k)"},
		{"delete", "DELETE", request.KindNone, true, "Delete the resource PATH/ID"},
		{"download", "GET", request.KindDownload, false, "Save the file at PATH (installers, cli/linux, openapi.yaml) and print {\"file\": …, \"bytes\": …}"},
	}
	// The operations in matching order, gathered when a verb runs: building the verbs (for help or another command)
	// does not need them.
	ops := sync.OnceValue(func() []*request.Op {
		ops := append([]*request.Op(nil), root.Ops...)
		for _, g := range root.Groups {
			g.Walk(func(_ []string, op *request.Op) { ops = append(ops, op) })
		}
		// Templates with more literal segments win: jump-client/installer is the installer list, not Jump Client
		// "installer".
		sort.SliceStable(ops, func(i, j int) bool { return literalSegments(ops[i].Path) > literalSegments(ops[j].Path) })
		return ops
	})
	var out []*cobra.Command
	for _, v := range verbs {
		v := v
		use := v.name + " PATH"
		if v.withID {
			use += " ID"
		}
		c := &cobra.Command{
			Use:   use,
			Short: v.short,
			Args: func(c *cobra.Command, args []string) error {
				want := 1
				if v.withID {
					want = 2
				}
				// "get jump-group/5" is accepted as well as "get jump-group 5".
				if v.withID && len(args) == 1 && strings.Contains(strings.Trim(args[0], "/"), "/") {
					return nil
				}
				if len(args) != want {
					return usageErrorf("%s: expected %s", c.CommandPath(), strings.TrimPrefix(use, v.name+" "))
				}
				return nil
			},
			RunE: func(c *cobra.Command, args []string) error {
				p := "/" + strings.Trim(strings.Join(args, "/"), "/")
				op, params := matchOp(ops(), v.method, p, v.kind)
				if op == nil {
					return usageErrorf("%s %s is not a known PRA Configuration API operation", v.method, p)
				}
				if (v.kind == request.KindDownload) != (op.Kind == request.KindDownload) {
					if v.kind == request.KindDownload {
						return usageErrorf("%s does not answer with a file: use `infra pra get %s`", p, strings.Trim(p, "/"))
					}
					return usageErrorf("%s answers with a file: use `infra pra download %s`", p, strings.Trim(p, "/"))
				}
				return runGeneric(c, env, op, params)
			},
		}
		cmdutil.SetDefaultFormat(c, output.JSON) // btapi's verbs print JSON, as btapi does
		if v.kind == request.KindList {
			c.Flags().Int("limit", 0, "stop after `N` items (0 = all)")
		}
		if v.kind == request.KindDownload {
			c.Flags().StringP("file", "f", "", "save to `PATH` (a file or directory; - for stdout); default: the server's file name in the current directory")
			c.Flags().Bool("force", false, "overwrite an existing file")
		}
		out = append(out, c)
	}
	return append(out, countVerb(env, ops))
}

// countVerb: `infra pra count PATH` asks for the size of a list with one HEAD request (X-BT-Pagination-Total) instead
// of fetching every page; key=value pairs on stdin (-k) are the list's filters.
func countVerb(env *engine.Env, ops func() []*request.Op) *cobra.Command {
	c := &cobra.Command{
		Use:     "count PATH",
		Short:   "Count the resources at PATH with one HEAD request (key=value filters on stdin with -k)",
		Example: "  infra pra count jump-item/shell-jump\n  echo tag=web | infra pra -k count jump-item/shell-jump --jq .count",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("%s: expected PATH", c.CommandPath())
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			f := env.F
			if err := f.ValidateOutput(); err != nil {
				return err
			}
			p := "/" + strings.Trim(args[0], "/")
			op, params := matchOp(ops(), "GET", p, request.KindList)
			if op == nil || op.Kind != request.KindList {
				return usageErrorf("%s is not a paginated PRA Configuration API list", p)
			}
			call := &request.Call{Op: op, PathParams: params, Query: url.Values{}}
			if f.G.KVIn {
				pairs, err := engine.ReadKV(f.IO.In)
				if err != nil {
					return &api.UsageError{Err: err}
				}
				var bad []string
				for _, kp := range pairs {
					if !hasField(op.Query, kp.Key) {
						bad = append(bad, kp.Key)
						continue
					}
					call.Query.Set(kp.Key, kp.Value)
				}
				if len(bad) > 0 {
					var known []string
					for _, q := range op.Query {
						known = append(known, q.Name)
					}
					return usageErrorf("%s: unknown filter(s) %s; this list takes: %s", p, strings.Join(bad, ", "), strings.Join(known, ", "))
				}
			}
			be, err := env.Backend(c.Context())
			if err != nil {
				return err
			}
			counter, ok := be.(interface {
				Count(context.Context, *request.Call) (int, error)
			})
			if !ok {
				return errors.New("this backend cannot count")
			}
			n, err := counter.Count(c.Context(), call)
			if err != nil {
				return err
			}
			return f.Print(map[string]any{"count": n}, []string{"count"})
		},
	}
	cmdutil.SetDefaultFormat(c, output.JSON)
	return c
}

func hasField(fields []request.Field, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

var tmplParam = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{([^}]+)\}`) })

func literalSegments(path string) int {
	n := 0
	for _, s := range strings.Split(strings.Trim(path, "/"), "/") {
		if !strings.HasPrefix(s, "{") {
			n++
		}
	}
	return n
}

// matchOp finds the catalog operation for METHOD path and extracts the path parameters.
func matchOp(ops []*request.Op, method, path string, kind request.Kind) (*request.Op, map[string]string) {
	for _, op := range ops {
		if op.Method != method {
			continue
		}
		names := tmplParam().FindAllStringSubmatch(op.Path, -1)
		pat := "^" + regexp.QuoteMeta(op.Path) + "$"
		for _, n := range names {
			pat = strings.Replace(pat, regexp.QuoteMeta(n[0]), `([^/]+)`, 1)
		}
		m := regexp.MustCompile(pat).FindStringSubmatch(path)
		if m == nil {
			continue
		}
		params := map[string]string{}
		for i, n := range names {
			v, _ := url.PathUnescape(m[i+1])
			params[n[1]] = v
		}
		return op, params
	}
	return nil, nil
}

// runGeneric runs a catalog operation with parameters from the path instead of positional arguments.
func runGeneric(c *cobra.Command, env *engine.Env, op *request.Op, params map[string]string) error {
	var lo request.ListOptions
	var dl request.DownloadOptions
	if l := c.Flags().Lookup("limit"); l != nil {
		lo.Limit, _ = c.Flags().GetInt("limit")
	}
	if l := c.Flags().Lookup("file"); l != nil {
		dl.Path, _ = c.Flags().GetString("file")
		dl.Force, _ = c.Flags().GetBool("force")
	}
	return env.RunPath(c.Context(), op, params, lo, dl)
}
