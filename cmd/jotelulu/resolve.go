package jotelulu

import (
	"errors"

	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/infractl/infra/pkg/api"

	jot "github.com/infractl/infra/pkg/api/jotelulu"
	jotcat "github.com/infractl/infra/pkg/catalog/jotelulu"
	"github.com/infractl/infra/pkg/cmdutil"
)

// resolver turns the names given for organizations, subscriptions, instances, networks and (by e-mail) users into
// ids by listing them. A value that matches an id is used as it is; one that matches nothing is passed on, so the
// API answers for it (404 and all).
type resolver struct {
	f   *cmdutil.Factory
	c   *jot.Client
	sc  *scope
	mu  sync.Mutex // guards org: bulk runs resolve from several goroutines
	org string     // resolved organization id
}

type resolveSpec struct {
	kind   string   // for messages
	listOp string   // operation that lists the candidates
	idKeys []string // fields matched exactly; the first one is returned unless want says otherwise
	names  []string // fields matched as names (exactly, then ignoring case)
	want   string   // field returned; default idKeys[0]
}

func (r *resolver) match(ctx context.Context, rs resolveSpec, params map[string]string, value string) (string, error) {
	data, err := r.c.Call(ctx, rs.listOp, params, nil, nil)
	if err != nil {
		return "", err
	}
	items, _ := data.([]any)
	want := rs.want
	if want == "" {
		want = rs.idKeys[0]
	}
	get := func(m map[string]any, k string) string {
		if v, ok := m[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	for _, it := range items {
		m, _ := it.(map[string]any)
		for _, k := range rs.idKeys {
			if get(m, k) == value {
				return get(m, want), nil
			}
		}
	}
	for _, fold := range []bool{false, true} {
		var hits []map[string]any
		for _, it := range items {
			m, _ := it.(map[string]any)
			for _, k := range rs.names {
				n := get(m, k)
				if n != "" && (n == value || fold && strings.EqualFold(n, value)) {
					hits = append(hits, m)
					break
				}
			}
		}
		switch {
		case len(hits) == 1:
			return get(hits[0], want), nil
		case len(hits) > 1:
			var list []string
			for _, h := range hits {
				list = append(list, fmt.Sprintf("%s (%s)", get(h, rs.idKeys[0]), get(h, rs.names[0])))
			}
			sort.Strings(list)
			return "", usageErrorf("%s %q is ambiguous: it matches %s; pass the id instead", rs.kind, value, strings.Join(list, ", "))
		}
	}
	return value, nil
}

// organization resolves --organization, the profile default, or the only organization the token sees.
func (r *resolver) organization(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.org != "" {
		return r.org, nil
	}
	value := strings.TrimSpace(r.sc.org)
	if value == "" {
		cfg, err := r.f.Config()
		if err != nil {
			return "", err
		}
		value = strings.TrimSpace(cfg.String("jotelulu.organization"))
	}
	rs := resolveSpec{kind: "organization", listOp: "listcoreuserorganizations", idKeys: []string{"id"}, names: []string{"name"}}
	if value != "" {
		id, err := r.match(ctx, rs, nil, value)
		if err != nil {
			return "", err
		}
		r.org = id
		return id, nil
	}
	data, err := r.c.Call(ctx, rs.listOp, nil, nil, nil)
	if err != nil {
		return "", err
	}
	items, _ := data.([]any)
	switch len(items) {
	case 0:
		return "", usageErrorf("the API token sees no organization; pass --organization")
	case 1:
		m, _ := items[0].(map[string]any)
		r.org = fmt.Sprint(m["id"])
		return r.org, nil
	}
	var list []string
	for _, it := range items {
		m, _ := it.(map[string]any)
		list = append(list, fmt.Sprintf("%v (%v)", m["id"], m["name"]))
	}
	return "", usageErrorf("the API token sees %d organizations: pass --organization, or set a default with `infra config set jotelulu.organization ID`; choose from %s",
		len(items), strings.Join(list, ", "))
}

func (r *resolver) rd() bool { return r.sc.meta.Product == jotcat.RemoteDesktop }

// fill puts the context flags into params and resolves every context parameter to an id.
func (r *resolver) fill(ctx context.Context, params map[string]string) error {
	needOrg := r.sc.needs(jot.ParamOrganization)
	for k, v := range map[string]string{jot.ParamSubscription: r.sc.sub, jot.ParamInstance: r.sc.inst, jot.ParamMainNetwork: r.sc.network} {
		if r.sc.needs(k) {
			params[k] = strings.TrimSpace(v)
		}
	}
	if needOrg {
		id, err := r.organization(ctx)
		if err != nil {
			return err
		}
		params[jot.ParamOrganization] = id
	}
	if sub, ok := params[jot.ParamSubscription]; ok {
		org, err := r.organization(ctx)
		if err == nil {
			p := map[string]string{jot.ParamOrganization: org}
			rs := resolveSpec{kind: "server subscription", listOp: "listorganizationsubscriptions", idKeys: []string{"id"}, names: []string{"name"}}
			if r.rd() {
				rs = resolveSpec{kind: "remote desktop subscription", listOp: "listorganizationremotedesktopsubscriptions", idKeys: []string{"id"}, names: []string{"name"}}
			}
			if params[jot.ParamSubscription], err = r.match(ctx, rs, p, sub); err != nil {
				return err
			}
		} else if r.sc.org != "" || !isUsage(err) {
			return err
		}
		// Without a known organization a subscription name cannot be looked up: the value is used as an id.
	}
	if inst, ok := params[jot.ParamInstance]; ok {
		rs := resolveSpec{kind: "server instance", listOp: "listserversubscriptioninstances", idKeys: []string{"id"}, names: []string{"name"}}
		if r.rd() {
			rs = resolveSpec{kind: "remote desktop instance", listOp: "listremotedesktopsubscriptioninstances", idKeys: []string{"id"}, names: []string{"name"}}
		}
		id, err := r.match(ctx, rs, params, inst)
		if err != nil {
			return err
		}
		params[jot.ParamInstance] = id
	}
	if u, ok := params[jot.ParamUser]; ok && r.rd() && strings.Contains(u, "@") {
		id, err := r.rdUserByEmail(ctx, params, u)
		if err != nil {
			return err
		}
		params[jot.ParamUser] = id
	}
	if nw, ok := params[jot.ParamMainNetwork]; ok {
		id, err := r.network(ctx, params, nw, "mainNetworkId")
		if err != nil {
			return err
		}
		params[jot.ParamMainNetwork] = id
	}
	return nil
}

func (r *resolver) network(ctx context.Context, params map[string]string, value, want string) (string, error) {
	rs := resolveSpec{kind: "isolated network", listOp: "listisolatednetworks", idKeys: []string{"id", "mainNetworkId"}, names: []string{"name"}, want: want}
	return r.match(ctx, rs, params, value)
}

// body resolves names given in request fields that carry ids.
func (r *resolver) body(ctx context.Context, kind jotcat.Body, params map[string]string, body map[string]any) error {
	if body == nil {
		return nil
	}
	str := func(k string) (string, bool) {
		s, ok := body[k].(string)
		return s, ok && s != ""
	}
	switch kind {
	case jotcat.NetworkBody:
		if v, ok := str("isolatedNetworkId"); ok {
			id, err := r.network(ctx, params, v, "id")
			if err != nil {
				return err
			}
			body["isolatedNetworkId"] = id
		}
	case jotcat.AppDeployBody:
		if v, ok := str("instanceId"); ok {
			rs := resolveSpec{kind: "remote desktop instance", listOp: "listremotedesktopsubscriptioninstances", idKeys: []string{"id"}, names: []string{"name"}}
			id, err := r.match(ctx, rs, params, v)
			if err != nil {
				return err
			}
			body["instanceId"] = id
		}
	case jotcat.OrgUsersBody:
		for _, k := range []string{"userIds", "users", "admins"} {
			if err := r.emails(ctx, body, k, resolveSpec{kind: "organization user", listOp: "listcoreorganizationusers",
				idKeys: []string{"id"}, names: []string{"email"}}, func() (map[string]string, error) {
				org, err := r.organization(ctx)
				return map[string]string{jot.ParamOrganization: org}, err
			}); err != nil {
				return err
			}
		}
	case jotcat.AppUsersBody:
		if err := r.emails(ctx, body, "userIds", resolveSpec{kind: "remote desktop user", listOp: "listinstanceusers",
			idKeys: []string{"id"}, names: []string{"email"}}, func() (map[string]string, error) {
			return r.appInstance(ctx, params)
		}); err != nil {
			return err
		}
	}
	return nil
}

// emails replaces the e-mail addresses in a list of user ids by the users' ids; ids are left alone.
func (r *resolver) emails(ctx context.Context, body map[string]any, key string, rs resolveSpec, params func() (map[string]string, error)) error {
	list, _ := body[key].([]any)
	var p map[string]string
	for i, v := range list {
		s, _ := v.(string)
		if !strings.Contains(s, "@") {
			continue
		}
		if p == nil {
			var err error
			if p, err = params(); err != nil {
				return err
			}
		}
		id, err := r.match(ctx, rs, p, s)
		if err != nil {
			return err
		}
		if id == s {
			return usageErrorf("no %s with e-mail %s", rs.kind, s)
		}
		list[i] = id
	}
	return nil
}

// appInstance finds the instance an installed application runs on (remote desktop users are listed per instance).
func (r *resolver) appInstance(ctx context.Context, params map[string]string) (map[string]string, error) {
	data, err := r.c.Call(ctx, "listsubscriptionapplications", params, nil, nil)
	if err != nil {
		return nil, err
	}
	items, _ := data.([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		if fmt.Sprint(m["id"]) == params[jot.ParamApplication] {
			return map[string]string{jot.ParamSubscription: params[jot.ParamSubscription], jot.ParamInstance: fmt.Sprint(m["instanceId"])}, nil
		}
	}
	return nil, usageErrorf("application %s is not installed in subscription %s; give user ids instead of e-mail addresses", params[jot.ParamApplication], params[jot.ParamSubscription])
}

func isUsage(err error) bool {
	var ue *api.UsageError
	return errors.As(err, &ue)
}

// rdUserByEmail finds the remote desktop user with the e-mail address: on the instance of the call, on the
// instance the application of the call runs on, or else on every instance of the subscription.
func (r *resolver) rdUserByEmail(ctx context.Context, params map[string]string, email string) (string, error) {
	sub := params[jot.ParamSubscription]
	var instances []string
	switch {
	case params[jot.ParamInstance] != "":
		instances = []string{params[jot.ParamInstance]}
	case params[jot.ParamApplication] != "":
		p, err := r.appInstance(ctx, params)
		if err != nil {
			return "", err
		}
		instances = []string{p[jot.ParamInstance]}
	default:
		data, err := r.c.Call(ctx, "listremotedesktopsubscriptioninstances", map[string]string{jot.ParamSubscription: sub}, nil, nil)
		if err != nil {
			return "", err
		}
		items, _ := data.([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			instances = append(instances, fmt.Sprint(m["id"]))
		}
	}
	var ids []string
	for _, inst := range instances {
		data, err := r.c.Call(ctx, "listinstanceusers", map[string]string{jot.ParamSubscription: sub, jot.ParamInstance: inst}, nil, nil)
		if err != nil {
			return "", err
		}
		items, _ := data.([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			if e, _ := m["email"].(string); strings.EqualFold(e, email) {
				ids = append(ids, fmt.Sprint(m["id"]))
			}
		}
	}
	switch len(ids) {
	case 0:
		return "", usageErrorf("no remote desktop user with e-mail %s in subscription %s", email, sub)
	case 1:
		return ids[0], nil
	}
	return "", usageErrorf("remote desktop user %q is ambiguous: it matches %s; pass the id instead", email, strings.Join(ids, ", "))
}
