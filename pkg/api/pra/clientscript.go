package pra

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// ScriptAction is one command the client scripting API can put in a BeyondTrust Console Script (BRCS) file.
type ScriptAction struct {
	Name   string
	Short  string
	Params []Param
	// Custom says the action takes session.custom.CODE=VALUE attributes.
	Custom bool
	// WebConsole says the action may run in the web access console (type=web_console, operation=execute).
	WebConsole bool
}

func s255(name, flag, help string) Param { return Param{Name: name, Flag: flag, Max: 255, Help: help} }

// ScriptActions are the six actions of the client scripting API (API guide, "Access Console Scripting and Client
// Scripting API"). start_rdp_session's parameters are not spelled out by the 23.3 guide; the ones here follow
// start_shell_jump_session and the RDP Jump Item fields (target, jumpoint, username, domain, display_size, quality,
// console).
var ScriptActions = []ScriptAction{
	{Name: "login", Short: "log into the access console (optionally with given credentials)", Params: []Param{
		{Name: "mechanism", Flag: "mechanism", Kind: PEnum, Enum: []string{"username_password"}, Help: "username_password (the only mechanism)"},
		{Name: "username", Flag: "username", Help: "account to log in with"},
		{Name: "password", Flag: "password", Help: "read with --password-stdin or a prompt, never from the command line"},
	}},
	{Name: "start_jump_item_session", Short: "start a session with a Jump Item found by search criteria", Custom: true, WebConsole: true, Params: []Param{
		{Name: "jump.method", Flag: "jump-method", Kind: PEnum, Enum: []string{"push", "local_push", "pinned", "rdp", "vnc", "shelljump"}, Help: "only Jump Items using this method: push, local_push, pinned, rdp, vnc, shelljump"},
		s255("credential_id", "credential-id", "only the Jump Item with this credential id"),
		{Name: "search_string", Flag: "search", Help: "search criteria (needed when no --client-* field is given)"},
		s255("client.comments", "client-comments", "Jump Items whose comments contain this"),
		s255("client.hostname", "client-hostname", "Jump Items whose hostname contains this"),
		s255("client.private_ip", "client-private-ip", "Jump Clients whose private IP contains this"),
		s255("client.public_ip", "client-public-ip", "Jump Clients whose public IP contains this"),
		s255("client.tag", "client-tag", "Jump Items whose tag contains this"),
	}},
	{Name: "push_and_start_local", Short: "push the endpoint client to a computer on the local network (Local Jump)", Custom: true, Params: []Param{
		{Name: "hostname", Flag: "hostname", Required: true, Max: 255, Help: "hostname of the target computer"},
	}},
	{Name: "push_and_start_remote", Short: "push the endpoint client through a Jumpoint (Remote Jump)", Custom: true, Params: []Param{
		{Name: "target", Flag: "target", Required: true, Help: "hostname or IP address of the target"},
		{Name: "jumpoint", Flag: "jumpoint", Help: "Jumpoint on the target's subnet"},
	}},
	{Name: "start_rdp_session", Short: "start a Remote Desktop Protocol session through a Jumpoint", Custom: true, Params: []Param{
		{Name: "target", Flag: "target", Required: true, Help: "hostname or IP address of the target"},
		{Name: "jumpoint", Flag: "jumpoint", Help: "Jumpoint on the target's subnet"},
		{Name: "username", Flag: "username", Help: "username to sign in as"},
		{Name: "domain", Flag: "domain", Help: "domain of the target"},
		{Name: "display_size", Flag: "display-size", Kind: PDisplaySize, Help: "primary, all or WIDTHxHEIGHT"},
		{Name: "quality", Flag: "quality", Kind: PEnum, Enum: []string{"low", "best_perf", "perf_and_qual", "best_qual", "video_opt"}, Help: "low, best_perf, perf_and_qual, best_qual or video_opt"},
		{Name: "console", Flag: "console", Kind: PBool, Help: "1: console session"},
	}},
	{Name: "start_shell_jump_session", Short: "start an SSH or Telnet Shell Jump session", Custom: true, Params: []Param{
		{Name: "target", Flag: "target", Required: true, Help: "hostname or IP address of the target"},
		{Name: "jumpoint", Flag: "jumpoint", Help: "Jumpoint on the target's subnet"},
		{Name: "username", Flag: "username", Help: "username to authenticate with"},
		{Name: "protocol", Flag: "protocol", Kind: PEnum, Enum: []string{"ssh", "telnet"}, Help: "ssh (default) or telnet"},
		{Name: "port", Flag: "port", Kind: PInt, Min: 1, Max: 65535, Help: "port (default 22)"},
		{Name: "terminal", Flag: "terminal", Kind: PEnum, Enum: []string{"xterm", "vt100"}, Help: "xterm (default) or vt100"},
	}},
}

// FindScriptAction returns the action called name ("-" may replace "_").
func FindScriptAction(name string) (*ScriptAction, bool) {
	n := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "-", "_")
	for i := range ScriptActions {
		if ScriptActions[i].Name == n {
			return &ScriptActions[i], true
		}
	}
	return nil, false
}

// ScriptActionNames lists the action names.
func ScriptActionNames() []string {
	out := make([]string, len(ScriptActions))
	for i, a := range ScriptActions {
		out[i] = a.Name
	}
	return out
}

// ScriptParams checks the values (by vendor parameter name) and custom attributes for action a and returns the
// request parameters (type=rep, operation=generate, action=…), or every problem found.
func ScriptParams(a *ScriptAction, values map[string]string, custom map[string]string) (url.Values, error) {
	var ps problems
	q := url.Values{"type": {"rep"}, "operation": {"generate"}, "action": {a.Name}}
	for _, p := range a.Params {
		v, ok := values[p.Name]
		if !ps.present(&p, v, ok, a.Name) {
			continue
		}
		out, err := CheckParam(&p, v)
		if err != nil {
			ps.add("%s (--%s): %v", p.Name, p.Flag, err)
			continue
		}
		q.Set(p.Name, out)
	}
	for k := range values {
		found := false
		for _, p := range a.Params {
			if p.Name == k {
				found = true
			}
		}
		if !found {
			ps.add("%s: not a parameter of %s", k, a.Name)
		}
	}
	ps.checkActionSet(a, q)
	ps.customFields(a, custom, q)
	if len(ps) > 0 {
		sort.Strings(ps)
		return nil, ps.err()
	}
	return q, nil
}

// checkActionSet checks the parameters that go together for action a: login's mechanism, username and password,
// and start_jump_item_session's search criteria.
func (ps *problems) checkActionSet(a *ScriptAction, q url.Values) {
	switch a.Name {
	case "login":
		n := 0
		for _, k := range []string{"mechanism", "username", "password"} {
			if q.Has(k) {
				n++
			}
		}
		if n > 0 && n < 3 {
			ps.add("login: mechanism, username and password go together: give --username and a password (--password-stdin); the mechanism is username_password")
		}
	case "start_jump_item_session":
		any := q.Has("search_string")
		for k := range q {
			if strings.HasPrefix(k, "client.") {
				any = true
			}
		}
		if !any {
			ps.add("start_jump_item_session: give --search or at least one --client-* criterion (hostname, comments, tag, private-ip, public-ip)")
		}
	}
}

// customFields checks the custom session attributes (only for an action that takes them; code names, each value's
// length and the total size) and sets them as session.custom.CODE in q, in code order.
func (ps *problems) customFields(a *ScriptAction, custom map[string]string, q url.Values) {
	if len(custom) > 0 && !a.Custom {
		ps.add("--custom: %s takes no custom session attributes", a.Name)
	}
	codes := make([]string, 0, len(custom))
	for k := range custom {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	total := 0
	for _, k := range codes {
		if !validCodeName(k) {
			ps.add("custom field %q: code names use letters, digits and underscores", k)
		}
		if len(custom[k]) > MaxCustomFieldLen {
			ps.add("custom field %s: %d characters, at most %d", k, len(custom[k]), MaxCustomFieldLen)
		}
		total += len(custom[k])
		q.Set("session.custom."+k, custom[k])
	}
	if total > MaxCustomTotalSize {
		ps.add("custom fields total %d bytes, at most %d (10KB)", total, MaxCustomTotalSize)
	}
}

// MaxScriptSize bounds a generated script read into memory (scripts hold at most 10 commands).
const MaxScriptSize = 1 << 20

// ClientScript generates a BRCS file. It is sent as a POST so that login credentials travel in the body (and are
// redacted from --debug traces), never in a URL.
func (c *Client) ClientScript(ctx context.Context, q url.Values) (*File, error) {
	fallback := q.Get("action") + ".brcs"
	f, err := c.openFile(ctx, http.MethodPost, ClientScriptPath, q, "client_script", q.Get("action"), NSCommand, fallback)
	if err != nil {
		return nil, err
	}
	f.Body = io.LimitReader(f.Body, MaxScriptSize)
	return f, nil
}

// WebConsoleURL is the client scripting URL that runs start_jump_item_session in the web access console; it is
// opened in a browser where the user is logged in (type=web_console, operation=execute).
func (c *Client) WebConsoleURL(q url.Values) string {
	p := url.Values{}
	for k, v := range q {
		p[k] = v
	}
	p.Set("type", "web_console")
	p.Set("operation", "execute")
	u := c.core.BaseURL()
	u.Path = strings.TrimRight(u.Path, "/") + ClientScriptPath
	u.RawQuery = p.Encode()
	return u.String()
}
