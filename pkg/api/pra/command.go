package pra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Command API actions (API guide, "Command API").
const (
	ActionLoggedInReps        = "get_logged_in_reps"
	ActionSetSessionAttrs     = "set_session_attributes"
	ActionGetSessionAttrs     = "get_session_attributes"
	ActionImportJumpShortcut  = "import_jump_shortcut"
	ActionTerminateSession    = "terminate_session"
	ActionConnectedClientList = "get_connected_client_list"
	ActionConnectedClients    = "get_connected_clients"
	ActionCheckHealth         = "check_health"
	ActionAPIInfo             = "get_api_info"
	ActionSetFailoverRole     = "set_failover_role"
)

// CommandActions lists the ten actions this client implements.
var CommandActions = []string{
	ActionLoggedInReps, ActionSetSessionAttrs, ActionGetSessionAttrs, ActionImportJumpShortcut, ActionTerminateSession,
	ActionConnectedClientList, ActionConnectedClients, ActionCheckHealth, ActionAPIInfo, ActionSetFailoverRole,
}

// ClientTypes are the values of the type parameter of get_connected_client_list and get_connected_clients.
var ClientTypes = []string{"all", "representative", "support_customer", "presentation_attendee", "push_agent"}

// Limits stated by the guide for session attributes.
const (
	MaxCustomFieldLen  = 1024
	MaxCustomTotalSize = 10 * 1024
	MaxClientIDs       = 100
)

// Command runs one command API action and returns the converted answer (see decodeElement). Read-only actions are
// sent with GET, the others as a form-encoded POST.
func (c *Client) Command(ctx context.Context, action string, params url.Values) (string, any, error) {
	q := url.Values{}
	for k, v := range params {
		q[k] = v
	}
	q.Set("action", action)
	method := http.MethodPost
	switch action {
	case ActionLoggedInReps, ActionGetSessionAttrs, ActionConnectedClientList, ActionConnectedClients, ActionCheckHealth, ActionAPIInfo:
		method = http.MethodGet
	}
	resp, err := c.xmlRequest(ctx, method, CommandPath, q)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	root, v, err := document(resp.Body, "command", action, NSCommand)
	if err != nil {
		return "", nil, err
	}
	if err := checkRoot(action, root, v); err != nil {
		return "", nil, err
	}
	return root, v, nil
}

// commandRoots are the root elements the guide names for each action's answer.
var commandRoots = map[string]string{
	ActionLoggedInReps:        "logged_in_reps",
	ActionGetSessionAttrs:     "custom_attributes",
	ActionSetSessionAttrs:     "success",
	ActionImportJumpShortcut:  "success",
	ActionTerminateSession:    "success",
	ActionSetFailoverRole:     "success",
	ActionConnectedClientList: "connected_client_list",
	ActionConnectedClients:    "connected_clients",
}

// checkRoot refuses an answer that is not the one documented for the action. The guide does not name the root of
// check_health and get_api_info, so their answers are recognised by a documented child instead.
func checkRoot(action, root string, v any) error {
	if want, ok := commandRoots[action]; ok {
		if root != want {
			return fmt.Errorf("command API %s: expected <%s>, the appliance sent <%s>", action, want, root)
		}
		return nil
	}
	m, _ := v.(map[string]any)
	need := map[string]string{ActionCheckHealth: "success", ActionAPIInfo: "api_version"}[action]
	if need != "" {
		if _, ok := m[need]; !ok {
			return fmt.Errorf("command API %s: the answer <%s> has no <%s>", action, root, need)
		}
	}
	return nil
}

// list returns the child list named item of a converted element.
func list(v any, item string) []any {
	m, _ := v.(map[string]any)
	l, _ := m[item].([]any)
	if l == nil {
		return []any{}
	}
	return l
}

// success returns {"success": message} for actions answering <success>.
func success(root string, v any, action string) (map[string]any, error) {
	if root != "success" {
		return nil, fmt.Errorf("command API %s: expected <success>, got <%s>", action, root)
	}
	return map[string]any{"success": textOf(v)}, nil
}

// LoggedInReps returns one object per <rep> of get_logged_in_reps.
func (c *Client) LoggedInReps(ctx context.Context) ([]any, error) {
	_, v, err := c.Command(ctx, ActionLoggedInReps, nil)
	if err != nil {
		return nil, err
	}
	return list(v, "rep"), nil
}

// SessionAttributes returns the <custom_attribute> elements of an active session.
func (c *Client) SessionAttributes(ctx context.Context, lsid string) ([]any, error) {
	_, v, err := c.Command(ctx, ActionGetSessionAttrs, url.Values{"lsid": {lsid}})
	if err != nil {
		return nil, err
	}
	return list(v, "custom_attribute"), nil
}

// SessionAttributeParams builds and checks the parameters of set_session_attributes: the external key (nil to
// leave it) and custom fields by code name. Every problem is reported at once.
func SessionAttributeParams(lsid string, externalKey *string, custom map[string]string) (url.Values, error) {
	var problems []string
	if strings.TrimSpace(lsid) == "" {
		problems = append(problems, "LSID: required")
	}
	q := url.Values{"lsid": {lsid}}
	total := 0
	if externalKey != nil {
		if len(*externalKey) > MaxCustomFieldLen {
			problems = append(problems, fmt.Sprintf("external key: %d characters, at most %d", len(*externalKey), MaxCustomFieldLen))
		}
		q.Set("session.custom.external_key", *externalKey)
		total += len(*externalKey)
	}
	codes := make([]string, 0, len(custom))
	for k := range custom {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	for _, k := range codes {
		v := custom[k]
		switch {
		case k == "":
			problems = append(problems, "custom field: empty code name")
		case !validCodeName(k):
			problems = append(problems, fmt.Sprintf("custom field %q: code names use letters, digits and underscores", k))
		case k == "external_key" && externalKey != nil:
			problems = append(problems, "custom field external_key: use --external-key once")
		}
		if len(v) > MaxCustomFieldLen {
			problems = append(problems, fmt.Sprintf("custom field %s: %d characters, at most %d", k, len(v), MaxCustomFieldLen))
		}
		q.Set("session.custom."+k, v)
		total += len(v)
	}
	if externalKey == nil && len(custom) == 0 {
		problems = append(problems, "nothing to set: give --external-key and/or --custom CODE=VALUE")
	}
	if total > MaxCustomTotalSize {
		problems = append(problems, fmt.Sprintf("custom fields total %d bytes, at most %d (10KB) including the external key", total, MaxCustomTotalSize))
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n  "))
	}
	return q, nil
}

func validCodeName(s string) bool {
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// SetSessionAttributes sends set_session_attributes with parameters from SessionAttributeParams.
func (c *Client) SetSessionAttributes(ctx context.Context, params url.Values) (map[string]any, error) {
	root, v, err := c.Command(ctx, ActionSetSessionAttrs, params)
	if err != nil {
		return nil, err
	}
	return success(root, v, ActionSetSessionAttrs)
}

// TerminateSession ends an active session.
func (c *Client) TerminateSession(ctx context.Context, lsid string) (map[string]any, error) {
	root, v, err := c.Command(ctx, ActionTerminateSession, url.Values{"lsid": {lsid}})
	if err != nil {
		return nil, err
	}
	return success(root, v, ActionTerminateSession)
}

// CheckClientTypes validates a type list for the connected-client actions.
func CheckClientTypes(types []string) error {
	for _, t := range types {
		ok := false
		for _, k := range ClientTypes {
			if t == k {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("client type %q is not one of %s", t, strings.Join(ClientTypes, ", "))
		}
	}
	return nil
}

// ConnectedClientList runs get_connected_client_list and returns the converted <connected_client_list>.
func (c *Client) ConnectedClientList(ctx context.Context, types []string, summaryOnly bool) (map[string]any, error) {
	q := url.Values{}
	if len(types) > 0 {
		q.Set("type", strings.Join(types, ","))
	}
	if summaryOnly {
		q.Set("summary_only", "1")
	}
	_, v, err := c.Command(ctx, ActionConnectedClientList, q)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// ClientSummaryRows flattens connected_client_summary into one row per appliance and client type:
// {"appliance_id", "type", "count"}.
func ClientSummaryRows(list map[string]any) []any {
	rows := []any{}
	sum, _ := list["connected_client_summary"].(map[string]any)
	apps, _ := sum["appliance_summary"].([]any)
	for _, a := range apps {
		am, _ := a.(map[string]any)
		id, _ := am["id"].(string)
		counts, _ := am["count"].([]any)
		for _, cnt := range counts {
			cm, _ := cnt.(map[string]any)
			t, _ := cm["type"].(string)
			rows = append(rows, map[string]any{"appliance_id": id, "type": t, "count": textOf(cnt)})
		}
	}
	return rows
}

// ConnectedClients runs get_connected_clients and returns one object per connected client; each gets a
// "client_type" field from its element name (connected_representative → representative, the type values of
// get_connected_client_list); "type" is left to the representative's own <type> (Normal or Invited).
func (c *Client) ConnectedClients(ctx context.Context, types, ids []string, connections bool) ([]any, error) {
	q := url.Values{}
	if len(types) > 0 {
		q.Set("type", strings.Join(types, ","))
	}
	if len(ids) > 0 {
		q.Set("id", strings.Join(ids, ","))
	}
	if connections {
		q.Set("include_connections", "1")
	}
	_, v, err := c.Command(ctx, ActionConnectedClients, q)
	if err != nil {
		return nil, err
	}
	out := []any{}
	m, _ := v.(map[string]any)
	for _, el := range listChildren["connected_clients"] {
		items, _ := m[el].([]any)
		for _, it := range items {
			im, ok := it.(map[string]any)
			if !ok {
				im = map[string]any{}
			}
			im["client_type"] = strings.TrimPrefix(el, "connected_")
			out = append(out, im)
		}
	}
	return out, nil
}

// CheckHealth runs check_health and returns the converted answer.
func (c *Client) CheckHealth(ctx context.Context) (map[string]any, error) {
	_, v, err := c.Command(ctx, ActionCheckHealth, nil)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	if m == nil {
		return nil, errors.New("command API check_health: empty answer")
	}
	return m, nil
}

// APIInfo runs get_api_info. The <permissions> are merged into one object of permission name → value, whether the
// appliance sends them as attributes of <permission>, as <permission name= value=> pairs or as child elements.
func (c *Client) APIInfo(ctx context.Context) (map[string]any, error) {
	_, v, err := c.Command(ctx, ActionAPIInfo, nil)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	if m == nil {
		return nil, errors.New("command API get_api_info: empty answer")
	}
	if p, ok := m["permissions"].(map[string]any); ok {
		perms := map[string]any{}
		items, _ := p["permission"].([]any)
		for _, it := range items {
			im, ok := it.(map[string]any)
			if !ok {
				continue
			}
			if n, ok := im["name"].(string); ok && len(im) <= 2 {
				perms[n] = textOf(im)
				if val, ok := im["value"].(string); ok {
					perms[n] = val
				}
				continue
			}
			for k, val := range im {
				perms[k] = val
			}
		}
		for k, val := range p {
			if k != "permission" {
				perms[k] = val
			}
		}
		m["permissions"] = perms
	}
	return m, nil
}

// FailoverRoles are the roles set_failover_role accepts.
var FailoverRoles = []string{"primary", "backup"}

// FailoverParams builds and checks set_failover_role's parameters. dataSyncFirst and force are nil when not given.
func FailoverParams(role string, dataSyncFirst, force *bool) (url.Values, error) {
	if role != "primary" && role != "backup" {
		return nil, fmt.Errorf("role %q: must be primary or backup", role)
	}
	q := url.Values{"role": {role}}
	if dataSyncFirst != nil {
		q.Set("data_sync_first", boolParam(*dataSyncFirst))
	}
	if force != nil {
		if role != "backup" {
			return nil, errors.New("--force applies only when setting the role to backup (on the primary appliance)")
		}
		q.Set("force", boolParam(*force))
	}
	return q, nil
}

func boolParam(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// SetFailoverRole sends set_failover_role with parameters from FailoverParams.
func (c *Client) SetFailoverRole(ctx context.Context, params url.Values) (map[string]any, error) {
	root, v, err := c.Command(ctx, ActionSetFailoverRole, params)
	if err != nil {
		return nil, err
	}
	return success(root, v, ActionSetFailoverRole)
}

// ImportJumpShortcut sends import_jump_shortcut with parameters from JumpShortcutParams.
func (c *Client) ImportJumpShortcut(ctx context.Context, params url.Values) (map[string]any, error) {
	root, v, err := c.Command(ctx, ActionImportJumpShortcut, params)
	if err != nil {
		return nil, err
	}
	return success(root, v, ActionImportJumpShortcut)
}
