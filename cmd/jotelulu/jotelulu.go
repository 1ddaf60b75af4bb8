// Package jotelulu holds the `infra jotelulu` commands: the catalog run by the engine, with context flags resolved
// from names, --wait and the firewall delete dispatch declared as hooks.
package jotelulu

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/infractl/infra/pkg/api"
	jot "github.com/infractl/infra/pkg/api/jotelulu"
	"github.com/infractl/infra/pkg/api/request"
	jotcat "github.com/infractl/infra/pkg/catalog/jotelulu"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/engine"
)

// joteluluOps returns the operation table in effect: the built-in one, or the built-in one with method and path
// taken from the OpenAPI document named by --spec or the profile's jotelulu.spec. It also returns the per-operation
// outcome of the spec and the file used ("" when none).
func joteluluOps(ctx context.Context, f *cmdutil.Factory, specFlag string) ([]jot.Op, []jot.SpecResult, map[string]jot.SpecOp, string, error) {
	path := specFlag
	if path == "" {
		cfg, err := f.Config()
		if err != nil {
			return nil, nil, nil, "", err
		}
		path = cfg.String("jotelulu.spec")
	}
	if path == "" {
		return jot.Ops(), nil, nil, "", nil
	}
	var o api.Options
	if jot.IsSpecURL(path) {
		var err error
		if o, err = f.HTTPOptions("jotelulu"); err != nil {
			return nil, nil, nil, path, err
		}
	}
	spec, err := jot.LoadSpec(ctx, o, path)
	if err != nil {
		if jot.IsSpecURL(path) {
			return nil, nil, nil, path, fmt.Errorf("--spec %s: %w", path, err)
		}
		return nil, nil, nil, path, &api.UsageError{Err: fmt.Errorf("--spec %s: %w", path, err)}
	}
	ops, res := jot.ApplySpec(jot.Ops(), spec)
	return ops, res, spec, path, nil
}

// Client builds the client from configuration: host from flags/env/config (no default), the token from the
// environment, --env-file or the credential store.
func Client(ctx context.Context, f *cmdutil.Factory, specFlag string) (*jot.Client, error) {
	unit, err := f.Unit("jotelulu")
	if err != nil {
		return nil, err
	}
	host := unit.String("host")
	if _, err := jot.BaseURL(host); err != nil {
		return nil, cmdutil.UnitHint(unit, err)
	}
	ops, res, _, path, err := joteluluOps(ctx, f, specFlag)
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		if r.Status == jot.SpecConflict {
			f.Warnf("spec %s: %s: %s", path, r.ID, r.Detail)
		}
	}
	token, _, err := unit.Secret()
	if err != nil {
		return nil, err
	}
	o, err := f.HTTPOptionsFor(unit.Unit)
	if err != nil {
		return nil, err
	}
	return jot.New(o, jot.Settings{Host: host, Token: token, Ops: ops})
}

// Short describes the jotelulu command in the root help.
const Short = "Jotelulu cloud: organizations, servers, networks, firewall and remote desktops"

// NewCmd builds `infra jotelulu`: the catalog commands with their context flags, and api-map.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var specFlag string
	cmd := &cobra.Command{
		Use:   "jotelulu",
		Short: Short,
		Long: `Drive the Jotelulu public API (/api-gateway/core/v1 and /api-gateway/servers/v1).

Settings: the API host is required and has no default (the public documentation names none):
INFRA_JOTELULU_HOST or ` + "`infra config set jotelulu.host https://HOST`" + `. The API token is a JWT from the Jotelulu
portal: ` + "`infra auth login jotelulu`" + ` stores it in the keyring, or set INFRA_JOTELULU_TOKEN.

Context: --organization defaults to the profile's jotelulu.organization, or to the only organization the token
sees. --organization, --subscription, --instance and --network take a name or an id; names are resolved by
listing, and a name that matches several objects is an error that lists them.

Only six method+path pairs are documented; the rest are inferred from the documented conventions.
` + "`infra jotelulu api-map`" + ` shows which is which. Load the vendor's OpenAPI document with --spec FILE (or
` + "`infra config set jotelulu.spec FILE`" + `) to take method and path from it.`,
		Args: cobra.NoArgs,
	}
	cmd.PersistentFlags().StringVar(&specFlag, "spec", "", "take method and path of each operation from this OpenAPI `FILE` (JSON or YAML), or from an http(s) URL fetched without credentials")
	cat := jotcat.New()
	env := &engine.Env{
		F:    f,
		Noun: "Jotelulu",
		Site: func() string { return f.SiteKey("jotelulu") },
		Backend: func(ctx context.Context) (request.Backend, error) {
			return Client(ctx, f, specFlag)
		},
		Hooks: func(op *request.Op) *engine.Hooks {
			sc := &scope{f: f, meta: cat.Meta[op.ID], op: op, spec: &specFlag}
			return sc.hooks()
		},
	}
	env.Need = engine.NeedNamed(f.Args) // only the groups the arguments name are built; the others stand in
	for _, g := range cat.Groups {
		cmd.AddCommand(env.Group(g))
	}
	cmd.AddCommand(newJoteluluAPIMapCmd(f, cat, &specFlag))
	return cmd
}

// scope holds the context flags of one command and resolves its calls.
type scope struct {
	f             *cmdutil.Factory
	meta          jotcat.Meta
	op            *request.Op
	spec          *string // --spec
	org           string
	sub           string
	inst          string
	network       string
	wait          bool
	waitTimeout   time.Duration
	pollInterval  time.Duration
	pollSet       bool
	passwordStdin bool
	password      string

	mu  sync.Mutex // guards res: bulk runs resolve from several goroutines
	res *resolver
}

func (s *scope) needs(param string) bool {
	for _, p := range s.meta.Context {
		if p == param {
			return true
		}
	}
	return false
}

// hooks are the engine hooks of the command: context flags, names resolved to ids, the firewall delete dispatched
// by protocol, and --wait.
func (s *scope) hooks() *engine.Hooks {
	h := &engine.Hooks{
		AdditionalFlags: s.flags,
		Configure:       s.completeSubscription,
		// -k and --json give the context too, by the flag's name or the path parameter's.
		InputFlags: map[string]string{
			"organization": "organization", jot.ParamOrganization: "organization",
			"subscription": "subscription", jot.ParamSubscription: "subscription",
			"instance": "instance", jot.ParamInstance: "instance",
			"network": "network", jot.ParamMainNetwork: "network",
		},
		Validate: func(ctx context.Context, inv *engine.Invocation) error {
			s.pollSet = inv.Changed("poll-interval")
			return s.check(ctx, s.f)
		},
		Resolve: func(ctx context.Context, inv *engine.Invocation, call *request.Call) error {
			return s.prepare(ctx, s.resolver(inv), call)
		},
		After: func(ctx context.Context, inv *engine.Invocation, call *request.Call, res any) (any, error) {
			if !s.wait {
				return res, nil
			}
			return s.waitFor(ctx, inv.Backend.(*jot.Client), call, res)
		},
	}
	if len(s.meta.Dispatch) > 0 {
		h.Run = func(ctx context.Context, inv *engine.Invocation, call *request.Call) (any, error) {
			return s.deleteRule(ctx, inv.Backend.(*jot.Client), call)
		}
	}
	return h
}

// completeSubscription completes --subscription with the subscriptions of the organization (--organization, the
// profile's, or the only one the token sees): ids, names as descriptions.
func (s *scope) completeSubscription(c *cobra.Command) {
	if c.Flags().Lookup("subscription") == nil {
		return
	}
	listOp := "listorganizationsubscriptions"
	if s.meta.Product == jotcat.RemoteDesktop {
		listOp = "listorganizationremotedesktopsubscriptions"
	}
	_ = c.RegisterFlagCompletionFunc("subscription", func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		out := s.f.Candidates(c.Context(), s.f.SiteKey("jotelulu"), listOp+"|"+s.org, "id", "name", func(ctx context.Context) ([]any, error) {
			cl, err := Client(ctx, s.f, *s.spec)
			if err != nil {
				return nil, err
			}
			org, err := (&resolver{f: s.f, c: cl, sc: s}).organization(ctx)
			if err != nil {
				return nil, err
			}
			data, err := cl.Call(ctx, listOp, map[string]string{jot.ParamOrganization: org}, nil, nil)
			items, _ := data.([]any)
			return items, err
		})
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

// resolver is the run's resolver over the vendor client (one per run, so the organization is looked up once).
func (s *scope) resolver(inv *engine.Invocation) *resolver {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.res == nil {
		s.res = &resolver{f: s.f, c: inv.Backend.(*jot.Client), sc: s}
	}
	return s.res
}

// flags adds the context flags the operation needs.
func (s *scope) flags(fs *pflag.FlagSet) {
	if !s.meta.Global {
		fs.StringVar(&s.org, "organization", "", "organization `NAME|ID` (default: the profile's jotelulu.organization, or the only one the token sees)")
	}
	subKind, instKind := "server subscription", "server instance"
	if s.meta.Product == jotcat.RemoteDesktop {
		subKind, instKind = "remote desktop subscription", "remote desktop instance"
	}
	if s.needs(jot.ParamSubscription) {
		fs.StringVar(&s.sub, "subscription", "", subKind+" `NAME|ID` (required)")
	}
	if s.needs(jot.ParamInstance) {
		fs.StringVar(&s.inst, "instance", "", instKind+" `NAME|ID` (required)")
	}
	if s.needs(jot.ParamMainNetwork) {
		fs.StringVar(&s.network, "network", "", "isolated network `NAME|ID` (its id or mainNetworkId; required)")
	}
	if s.meta.Wait != jotcat.NoWait {
		fs.BoolVar(&s.wait, "wait", false, "wait until the work finishes; exit non-zero when it ends in error or failed")
		fs.DurationVar(&s.waitTimeout, "wait-timeout", 30*time.Minute, "give up waiting after this `DURATION` (the work goes on)")
		fs.DurationVar(&s.pollInterval, "poll-interval", 5*time.Second, "time between progress checks while waiting")
		_ = fs.MarkHidden("poll-interval")
	}
	if s.meta.Secret != "" {
		fs.BoolVar(&s.passwordStdin, "password-stdin", false, "read the user's initial password from stdin (never from a flag)")
	}
}

// check validates the context flags before anything is sent.
func (s *scope) check(ctx context.Context, f *cmdutil.Factory) error {
	var missing []string
	if s.needs(jot.ParamSubscription) && strings.TrimSpace(s.sub) == "" {
		missing = append(missing, "--subscription")
	}
	if s.needs(jot.ParamInstance) && strings.TrimSpace(s.inst) == "" {
		missing = append(missing, "--instance")
	}
	if s.needs(jot.ParamMainNetwork) && strings.TrimSpace(s.network) == "" {
		missing = append(missing, "--network")
	}
	if len(missing) > 0 {
		return usageErrorf("missing %s (a name or an id)", strings.Join(missing, ", "))
	}
	if s.passwordStdin {
		if f.G.KVIn {
			return usageErrorf("--password-stdin and -k both read stdin; use one")
		}
		pw, err := f.IO.SecretFromStdin(ctx, "--password-stdin")
		if err != nil {
			return err
		}
		s.password = pw
	}
	if s.wait && s.waitTimeout <= 0 {
		return usageErrorf("--wait-timeout must be positive")
	}
	if s.meta.Wait == jotcat.NoWait {
		return nil
	}
	if v := f.Getenv("INFRA_JOTELULU_POLL_INTERVAL"); v != "" && !s.pollSet {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return usageErrorf("INFRA_JOTELULU_POLL_INTERVAL=%q is not a positive duration", v)
		}
		s.pollInterval = d
	}
	if s.pollInterval <= 0 {
		return usageErrorf("--poll-interval must be positive")
	}
	return nil
}

// contextFlags names the flag that gives each context path parameter; their values may be names, resolved by listing.
var contextFlags = sync.OnceValue(func() map[string]string {
	return map[string]string{
		jot.ParamOrganization: "--organization",
		jot.ParamSubscription: "--subscription",
		jot.ParamInstance:     "--instance",
		jot.ParamMainNetwork:  "--network",
	}
})

// checkIDs refuses path values that would change the request path (see jot.CheckID) before anything is sent, with a
// usage error naming the flag or argument. Before resolution (resolved=false) the positional ids and the context
// flags are checked; names that resolve by listing (context flags, instances, user e-mail addresses) only need to be
// valid names then. After resolution every value must be a valid id.
func (s *scope) checkIDs(op *request.Op, params map[string]string, resolved bool) error {
	label := map[string]string{}
	for _, a := range op.Args {
		label[a.Param] = a.Name
	}
	values := map[string]string{}
	for k, v := range params {
		values[k] = v
	}
	if !resolved {
		for k, v := range map[string]string{jot.ParamSubscription: s.sub, jot.ParamInstance: s.inst, jot.ParamMainNetwork: s.network, jot.ParamOrganization: s.org} {
			if s.needs(k) && v != "" {
				values[k] = strings.TrimSpace(v)
			}
		}
	}
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(values)) {
		name := label[k]
		if name == "" {
			name = contextFlags()[k]
		}
		if name == "" {
			name = k
		}
		check := jot.CheckID
		if _, byName := contextFlags()[k]; !resolved && (byName || k == jot.ParamUser) {
			check = jot.CheckName
		}
		if err := check(values[k]); err != nil {
			problems = append(problems, fmt.Sprintf("%s %q: %v", name, values[k], err))
		}
	}
	if len(problems) > 0 {
		return usageErrorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// prepare fills in and resolves the context of a call (the engine hands the hook its own copy).
func (s *scope) prepare(ctx context.Context, res *resolver, cl *request.Call) error {
	if err := validateBody(s.meta.Body, cl.Body); err != nil {
		return err
	}
	if err := s.checkIDs(cl.Op, cl.PathParams, false); err != nil {
		return err
	}
	if s.password != "" {
		cl.Body[s.meta.Secret] = s.password
	}
	if err := res.fill(ctx, cl.PathParams); err != nil {
		return err
	}
	if err := s.checkIDs(cl.Op, cl.PathParams, true); err != nil {
		return err
	}
	return res.body(ctx, s.meta.Body, cl.PathParams, cl.Body)
}

// deleteRule looks the rule up and deletes it with the operation for its protocol.
func (s *scope) deleteRule(ctx context.Context, c *jot.Client, cl *request.Call) (any, error) {
	id := cl.PathParams[jot.ParamFirewallRule]
	data, err := c.Call(ctx, "getfirewallinboundrules", cl.PathParams, nil, nil)
	if err != nil {
		return nil, err
	}
	items, _ := data.([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		if fmt.Sprint(m["id"]) != id {
			continue
		}
		proto := strings.ToUpper(fmt.Sprint(m["protocol"]))
		opID, ok := s.meta.Dispatch[proto]
		if !ok {
			return nil, fmt.Errorf("firewall rule %s has protocol %q, which no delete operation covers (ICMP, TCP or UDP)", id, proto)
		}
		if s.f.G.Debug {
			fmt.Fprintf(s.f.IO.ErrOut, "* firewall rule %s is %s: using %s\n", id, proto, opID)
		}
		return c.Call(ctx, opID, cl.PathParams, nil, nil)
	}
	return nil, &api.HTTPError{StatusCode: 404, Status: "404 Not Found", Method: "DELETE", URL: "firewall rule " + id,
		Message: fmt.Sprintf("no firewall rule %s on network %s (see `infra jotelulu firewall rule list`)", id, s.network)}
}

// validateBody checks the rules the reference states in prose, before anything is sent.
func validateBody(kind jotcat.Body, body map[string]any) error {
	has := func(k string) bool {
		v, ok := body[k]
		if !ok || v == nil {
			return false
		}
		if s, isStr := v.(string); isStr {
			return strings.TrimSpace(s) != ""
		}
		return true
	}
	var problems []string
	switch kind {
	case jotcat.AppDeployBody:
		if !has("applicationId") {
			var missing []string
			for _, k := range []struct{ field, flag string }{{"name", "--name"}, {"tagId", "--tag"}, {"directory", "--directory"}, {"executable", "--executable"}} {
				if !has(k.field) {
					missing = append(missing, k.flag)
				}
			}
			if len(missing) > 0 {
				problems = append(problems, "give --application ID to deploy from the catalog, or --name, --tag, --directory and --executable for a custom application (missing "+strings.Join(missing, ", ")+")")
			}
		}
	case jotcat.FirewallRuleBody:
		proto, _ := body["protocol"].(string)
		if proto == "ICMP" {
			for _, k := range []struct{ field, flag string }{{"icmpType", "--icmp-type"}, {"icmpCode", "--icmp-code"}} {
				if !has(k.field) {
					problems = append(problems, k.flag+" is required for ICMP rules")
				}
			}
			for _, k := range []struct{ field, flag string }{{"publicPort", "--public-port"}, {"privatePort", "--private-port"}, {"nicIp", "--nic-ip"}} {
				if has(k.field) {
					problems = append(problems, k.flag+" does not apply to ICMP rules")
				}
			}
		} else if proto != "" {
			for _, k := range []struct{ field, flag string }{{"publicPort", "--public-port"}, {"privatePort", "--private-port"}, {"nicIp", "--nic-ip"}} {
				if !has(k.field) {
					problems = append(problems, k.flag+" is required for "+proto+" rules")
				}
			}
			for _, k := range []struct{ field, flag string }{{"icmpType", "--icmp-type"}, {"icmpCode", "--icmp-code"}} {
				if has(k.field) {
					problems = append(problems, k.flag+" applies to ICMP rules only")
				}
			}
			for _, k := range []string{"publicPort", "privatePort"} {
				if n, err := toInt(body[k]); has(k) && (err != nil || n < 1 || n > 65535) {
					problems = append(problems, "--"+map[string]string{"publicPort": "public-port", "privatePort": "private-port"}[k]+" must be between 1 and 65535")
				}
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &api.UsageError{Err: &engine.FieldErrors{Problems: problems}}
}

func toInt(v any) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case int:
		return int64(n), nil
	case float64:
		return int64(n), nil
	case interface{ Int64() (int64, error) }:
		return n.Int64()
	}
	return 0, errors.New("not a number")
}
