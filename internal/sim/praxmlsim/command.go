package praxmlsim

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type rep struct {
	id                      int
	username, public, priv  string
	typ                     string
	since                   time.Time
	presentations, sessions int
	showing                 int
}

type activeSession struct {
	lsid  string
	attrs map[string]string // code name → value (external_key included)
}

type client struct {
	id       string
	typ      string // representative, support_customer, presentation_attendee, push_agent
	hostname string
	platform string
	name     string
	repID    int
	lsid     string
	since    time.Time
}

// ApplianceGUID is the simulated appliance's GUID.
const ApplianceGUID = "8b2c5e1d0f7a4c3e9d6b1a2f3e4d5c6b"

// Seeded identifiers, from the API guide's examples.
const (
	SeedLSID1 = "c69a8e10bea9428f816cfababe9815fe"
	SeedLSID2 = "da4b510978a541d49398e88c66e28475"
)

// CustomFields are the custom session attributes configured on the simulated site (code name → display name).
var CustomFields = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"external_key":  "External Key",
		"custom_field1": "Custom Field 1",
		"custom_field2": "Custom Field 2",
	}
})

// Known configuration the import checks against.
var (
	JumpGroups      = []string{"remote_access", "servers"}
	Jumpoints       = []string{"London", "Network01"}
	JumpPolicies    = []string{"Notify", "after_hours_schedule"}
	SessionPolicies = []string{"Servers"}
)

func (h *Handler) seed() {
	t := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	h.reps = []rep{
		{id: 1, username: "admin", public: "Admin", priv: "Site Administrator", typ: "Normal", since: t, sessions: 1, showing: 1},
		{id: 7, username: "jsmith", public: "John Smith", priv: "John Smith (Ops)", typ: "Normal", since: t.Add(30 * time.Minute), sessions: 1, showing: 0},
		{id: 12, username: "vendor.ann", public: "Ann (Vendor)", priv: "Ann Vendor", typ: "Invited", since: t.Add(time.Hour)},
	}
	h.active[SeedLSID1] = &activeSession{lsid: SeedLSID1, attrs: map[string]string{"external_key": "INC-1001", "custom_field1": "db maintenance"}}
	h.active[SeedLSID2] = &activeSession{lsid: SeedLSID2, attrs: map[string]string{}}
	h.clients = []client{
		{id: "101", typ: "representative", hostname: "ADMIN-PC", platform: "Windows 11", repID: 1, since: t},
		{id: "102", typ: "representative", hostname: "jsmith-mbp", platform: "macOS 14", repID: 7, since: t.Add(30 * time.Minute)},
		{id: "103", typ: "support_customer", hostname: "ABCDEF02", platform: "Windows Server 2022", name: "ABCDEF02", lsid: SeedLSID1, since: t.Add(45 * time.Minute)},
		{id: "104", typ: "support_customer", hostname: "db-01", platform: "Linux", name: "db-01", lsid: SeedLSID2, since: t.Add(50 * time.Minute)},
		{id: "105", typ: "push_agent", hostname: "JUMP-LON-01", platform: "Windows Server 2019", name: "London", since: t.Add(-24 * time.Hour)},
	}
	h.history = seedHistory()
}

func (h *Handler) serveCommand(w http.ResponseWriter, r *http.Request) {
	q := r.Form
	action := q.Get("action")
	switch action {
	case "get_logged_in_reps":
		h.loggedInReps(w)
	case "set_session_attributes":
		h.setSessionAttributes(w, q)
	case "get_session_attributes":
		h.getSessionAttributes(w, q)
	case "import_jump_shortcut":
		h.importJumpShortcut(w, q)
	case "terminate_session":
		h.terminateSession(w, q)
	case "get_connected_client_list":
		h.connectedClientList(w, q)
	case "get_connected_clients":
		h.connectedClients(w, q)
	case "check_health":
		h.checkHealth(w)
	case "get_api_info":
		h.apiInfo(w)
	case "set_failover_role":
		h.setFailoverRole(w, q)
	case "":
		h.writeError(w, NSCommand, "Missing required parameter: action")
	default:
		h.writeError(w, NSCommand, "Invalid action: "+action)
	}
}

func (h *Handler) loggedInReps(w http.ResponseWriter) {
	h.mu.Lock()
	reps := append([]rep(nil), h.reps...)
	h.mu.Unlock()
	x := h.newXW(w, NSCommand)
	x.open("logged_in_reps")
	for _, r := range reps {
		x.open("rep", "id", strconv.Itoa(r.id))
		x.leaf("display_name", r.public)
		x.leaf("public_display_name", r.public)
		x.leaf("private_display_name", r.priv)
		x.leaf("type", r.typ)
		x.leaf("direct_link", `<a href="https://access.example.com/?id=`+strconv.Itoa(r.id)+`">`+r.public+`</a>`)
		x.leaf("logged_in_since", r.since.Format(time.RFC3339))
		x.leaf("presentation_count", strconv.Itoa(r.presentations))
		x.leaf("support_session_count", strconv.Itoa(r.sessions))
		x.leaf("showing_on_rep_list", strconv.Itoa(r.showing))
		x.close("rep")
	}
	x.close("logged_in_reps")
	_ = x.flush()
}

func lsidParam(q url.Values) string {
	// The guide spells the parameter lsid (and once, in a scanned example, "Isid").
	if v := q.Get("lsid"); v != "" {
		return v
	}
	return q.Get("Isid")
}

func (h *Handler) setSessionAttributes(w http.ResponseWriter, q url.Values) {
	lsid := lsidParam(q)
	if lsid == "" {
		h.writeError(w, NSCommand, "Missing required parameter: lsid")
		return
	}
	if msg := h.applyAttributes(lsid, q); msg != "" {
		h.writeError(w, NSCommand, msg)
		return
	}
	h.writeSuccess(w, "Session attributes were set")
}

// applyAttributes sets the session.custom.* parameters of q on an active session; it returns an error message.
func (h *Handler) applyAttributes(lsid string, q url.Values) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.active[lsid]
	if !ok {
		return "Session " + lsid + " is not active"
	}
	updates := map[string]string{}
	total := 0
	for k, v := range q {
		code, ok := strings.CutPrefix(k, "session.custom.")
		if !ok {
			continue
		}
		if _, known := CustomFields()[code]; !known {
			return "Unknown custom attribute: " + code
		}
		if len(v[0]) > 1024 {
			return "The value of " + code + " exceeds 1024 characters"
		}
		updates[code] = v[0]
	}
	for k, v := range s.attrs {
		if _, ch := updates[k]; !ch {
			total += len(v)
		}
	}
	for _, v := range updates {
		total += len(v)
	}
	if total > 10*1024 {
		return "The combined size of custom attributes exceeds 10KB"
	}
	for k, v := range updates {
		s.attrs[k] = v
	}
	return ""
}

func (h *Handler) getSessionAttributes(w http.ResponseWriter, q url.Values) {
	lsid := lsidParam(q)
	if lsid == "" {
		h.writeError(w, NSCommand, "Missing required parameter: lsid")
		return
	}
	attrs, ok := h.ActiveSession(lsid)
	if !ok {
		h.writeError(w, NSCommand, "Session "+lsid+" is not active")
		return
	}
	codes := make([]string, 0, len(attrs))
	for k := range attrs {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	x := h.newXW(w, NSCommand)
	x.open("custom_attributes")
	for _, c := range codes {
		x.leaf("custom_attribute", attrs[c], "display_name", CustomFields()[c], "code_name", c)
	}
	x.close("custom_attributes")
	_ = x.flush()
}

func (h *Handler) terminateSession(w http.ResponseWriter, q url.Values) {
	lsid := lsidParam(q)
	if lsid == "" {
		h.writeError(w, NSCommand, "Missing required parameter: lsid")
		return
	}
	h.mu.Lock()
	_, ok := h.active[lsid]
	if ok {
		delete(h.active, lsid)
		kept := h.clients[:0]
		for _, c := range h.clients {
			if c.lsid != lsid {
				kept = append(kept, c)
			}
		}
		h.clients = kept
	}
	h.mu.Unlock()
	if !ok {
		h.writeError(w, NSCommand, "Session "+lsid+" is not active")
		return
	}
	h.writeSuccess(w, "Successfully terminated")
}

var clientTypes = []string{"representative", "support_customer", "presentation_attendee", "push_agent"}

// typeFilter parses the type parameter; ok is false with the offending value.
func typeFilter(v string) (map[string]bool, string, bool) {
	want := map[string]bool{}
	if v == "" {
		v = "all"
	}
	for _, t := range strings.Split(v, ",") {
		t = strings.TrimSpace(t)
		switch t {
		case "all":
			for _, c := range clientTypes {
				want[c] = true
			}
		case "representative", "support_customer", "presentation_attendee", "push_agent":
			want[t] = true
		default:
			return nil, t, false
		}
	}
	return want, "", true
}

func (h *Handler) connectedClientList(w http.ResponseWriter, q url.Values) {
	want, bad, ok := typeFilter(q.Get("type"))
	if !ok {
		h.writeError(w, NSCommand, "Invalid client type: "+bad)
		return
	}
	summary := q.Get("summary_only") == "1"
	h.mu.Lock()
	clients := append([]client(nil), h.clients...)
	h.mu.Unlock()
	counts := map[string]int{}
	for _, c := range clients {
		if want[c.typ] {
			counts[c.typ]++
		}
	}
	x := h.newXW(w, NSCommand)
	x.open("connected_client_list")
	x.open("connected_client_summary")
	x.open("appliance_summary", "id", ApplianceGUID)
	for _, t := range clientTypes {
		if want[t] {
			x.leaf("count", strconv.Itoa(counts[t]), "type", t)
		}
	}
	if strings.Contains(","+q.Get("type")+",", ",all,") || q.Get("type") == "" {
		x.leaf("count", "0", "type", "pinned_client")
	}
	x.close("appliance_summary")
	x.close("connected_client_summary")
	if !summary {
		for _, c := range clients {
			if want[c.typ] {
				x.empty("connected_client", "type", c.typ, "id", c.id)
			}
		}
	}
	x.close("connected_client_list")
	_ = x.flush()
}

func (h *Handler) connectedClients(w http.ResponseWriter, q url.Values) {
	want, bad, ok := typeFilter(q.Get("type"))
	if !ok {
		h.writeError(w, NSCommand, "Invalid client type: "+bad)
		return
	}
	var ids map[string]bool
	if v := q.Get("id"); v != "" {
		ids = map[string]bool{}
		parts := strings.Split(v, ",")
		if len(parts) > 100 {
			h.writeError(w, NSCommand, "A maximum of 100 client IDs is supported")
			return
		}
		for _, id := range parts {
			ids[strings.TrimSpace(id)] = true
		}
	}
	conns := q.Get("include_connections") == "1"
	h.mu.Lock()
	clients := append([]client(nil), h.clients...)
	reps := map[int]rep{}
	for _, r := range h.reps {
		reps[r.id] = r
	}
	h.mu.Unlock()
	x := h.newXW(w, NSCommand)
	x.open("connected_clients")
	for _, c := range clients {
		if !want[c.typ] || (ids != nil && !ids[c.id]) {
			continue
		}
		el := "connected_" + c.typ
		x.open(el, "id", c.id)
		if conns {
			writeClientConnections(x, c)
		}
		x.leaf("hostname", c.hostname)
		x.leaf("platform", c.platform, "id", strings.ToLower(strings.Fields(c.platform)[0]))
		x.leaf("timezone_offset", "0")
		switch c.typ {
		case "representative":
			writeRepClient(x, reps[c.repID], c, clients)
		case "support_customer":
			x.leaf("name", c.name)
			x.leaf("non_interactive", "shelljump")
			x.leaf("lsid", c.lsid)
		default:
			x.leaf("name", c.name)
		}
		x.close(el)
	}
	x.close("connected_clients")
	_ = x.flush()
}

// writeClientConnections writes client c's connection to the appliance and its event log (include_connections=1).
func writeClientConnections(x *xw, c client) {
	x.open("client_connections")
	x.open("client_connection")
	x.leaf("appliance_id", ApplianceGUID)
	x.leaf("purpose", "primary")
	x.leaf("receive_traffic_node", "0")
	x.leaf("connected_since", c.since.Format(time.RFC3339), "ts", strconv.FormatInt(c.since.Unix(), 10))
	x.leaf("private_ip", "10.0.0."+c.id[len(c.id)-1:])
	x.close("client_connection")
	x.close("client_connections")
	x.open("event_log")
	x.leaf("event", "Connected to "+ApplianceGUID, "ts", strconv.FormatInt(c.since.Unix(), 10))
	x.close("event_log")
	x.leaf("connected_since", c.since.Format(time.RFC3339), "ts", strconv.FormatInt(c.since.Unix(), 10))
}

// writeRepClient writes the representative fields of client c (user r) and the seeded sessions it supports among
// clients.
func writeRepClient(x *xw, r rep, c client, clients []client) {
	x.leaf("user_id", strconv.Itoa(r.id))
	x.leaf("type", r.typ)
	x.leaf("username", r.username)
	x.leaf("public_display_name", r.public)
	x.leaf("private_display_name", r.priv)
	x.leaf("start_session_url", "https://access.example.com/?id="+strconv.Itoa(r.id))
	x.leaf("presentation_count", "0")
	x.leaf("support_session_count", strconv.Itoa(r.sessions))
	x.leaf("showing_on_rep_list", strconv.Itoa(r.showing))
	x.leaf("routing_idle", "0")
	x.leaf("routing_busy", "0")
	x.leaf("routing_enabled", "1")
	x.leaf("routing_available", "1")
	x.leaf("support_license", "full")
	x.open("support_session_lsids")
	for _, o := range clients {
		if o.typ == "support_customer" && c.repID == 1 && o.lsid == SeedLSID1 || o.typ == "support_customer" && c.repID == 7 && o.lsid == SeedLSID2 {
			x.leaf("lsid", o.lsid)
		}
	}
	x.close("support_session_lsids")
}

func (h *Handler) checkHealth(w http.ResponseWriter) {
	h.mu.Lock()
	role, herr := h.role, h.healthErr
	h.mu.Unlock()
	now := h.now().UTC()
	x := h.newXW(w, NSCommand)
	x.open("check_health")
	x.leaf("appliance", "access.example.com", "id", ApplianceGUID)
	x.leaf("version", "23.3.1 (build 12345)")
	if herr != "" {
		x.leaf("success", "0")
		x.leaf("error_message", herr)
	} else {
		x.leaf("success", "1")
	}
	x.leaf("failover_role", role)
	if role != "none" {
		x.open("enabled_shared_ips")
		x.leaf("ip", "10.0.0.10")
		x.close("enabled_shared_ips")
		x.leaf("last_data_sync_time", now.Add(-10*time.Minute).Format(time.RFC3339), "ts", strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10))
		x.leaf("last_data_sync_status", "Success")
	}
	x.close("check_health")
	_ = x.flush()
}

func (h *Handler) apiInfo(w http.ResponseWriter) {
	x := h.newXW(w, NSCommand)
	x.open("get_api_info")
	x.leaf("api_version", "1.22.2")
	x.leaf("timestamp", strconv.FormatInt(h.now().Unix(), 10))
	x.open("permissions")
	x.empty("permission", "perm_backup", "1", "perm_command", "full_access", "perm_configuration", "1",
		"perm_configuration_vault_account", "0", "perm_ecm", "0", "perm_reporting", "1", "perm_reporting_license", "1",
		"perm_reporting_vault", "1", "perm_vault_backup", "0", "perm_scim", "0")
	x.close("permissions")
	x.close("get_api_info")
	_ = x.flush()
}

func (h *Handler) setFailoverRole(w http.ResponseWriter, q url.Values) {
	role := q.Get("role")
	if role != "primary" && role != "backup" {
		if role == "" {
			h.writeError(w, NSCommand, "Missing required parameter: role")
		} else {
			h.writeError(w, NSCommand, "Invalid role: "+role)
		}
		return
	}
	for _, k := range []string{"data_sync_first", "force"} {
		if v := q.Get(k); v != "" && v != "0" && v != "1" {
			h.writeError(w, NSCommand, "Invalid value for "+k+": "+v)
			return
		}
	}
	h.mu.Lock()
	cur := h.role
	h.role = role
	h.mu.Unlock()
	if cur == role {
		h.writeError(w, NSCommand, "This appliance is already the "+role)
		return
	}
	if q.Get("data_sync_first") == "1" {
		h.writeSuccess(w, "Successfully started data sync. Role change will occur upon successful completion.")
		return
	}
	h.writeSuccess(w, "Successfully changed role")
}

// shortcut parameter rules: the hostname key decides the type.
var shortcutTypes = []struct {
	host     string
	required []string
	optional []string
}{
	{"local_jump_hostname", []string{"name", "group"}, []string{"tag", "comments", "jump_policy", "session_policy"}},
	{"remote_jump_hostname", []string{"name", "jumpoint", "group"}, []string{"tag", "comments", "jump_policy", "session_policy"}},
	{"remote_vnc_hostname", []string{"name", "jumpoint", "group"}, []string{"port", "tag", "comments", "jump_policy"}},
	{"remote_rdp_hostname", []string{"name", "jumpoint", "group"}, []string{"rdp_username", "domain", "display_size", "quality", "console", "ignore_untrusted", "tag", "comments", "jump_policy", "sql_server_hostname", "sql_server_port", "sql_server_database", "custom_app_name", "custom_app_params"}},
	{"shelljump_hostname", []string{"name", "jumpoint", "protocol", "group"}, []string{"shelljump_username", "port", "terminal", "keep_alive", "tag", "comments", "jump_policy", "session_policy"}},
	{"protocol_tunnel_hostname", []string{"name", "jumpoint", "tcp_tunnels", "group"}, []string{"local_address", "tag", "comments", "jump_policy"}},
	{"url", []string{"web_site_name", "jumpoint", "group"}, []string{"verify_certificate", "tag", "comments", "jump_policy", "session_policy"}},
}

func in(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func (h *Handler) importJumpShortcut(w http.ResponseWriter, q url.Values) {
	var spec *struct {
		host     string
		required []string
		optional []string
	}
	for i := range shortcutTypes {
		if q.Has(shortcutTypes[i].host) {
			if spec != nil {
				h.writeError(w, NSCommand, "Only one Jump Item type may be given per shortcut")
				return
			}
			spec = &shortcutTypes[i]
		}
	}
	if spec == nil {
		h.writeError(w, NSCommand, "Missing the hostname (or URL) of the Jump Item")
		return
	}
	for _, k := range spec.required {
		if strings.TrimSpace(q.Get(k)) == "" {
			h.writeError(w, NSCommand, "Missing required parameter: "+k)
			return
		}
	}
	rec := map[string]string{}
	for k, v := range q {
		if k == "action" {
			continue
		}
		if k != spec.host && !in(spec.required, k) && !in(spec.optional, k) {
			h.writeError(w, NSCommand, "Invalid parameter for this Jump Item type: "+k)
			return
		}
		rec[k] = v[0]
	}
	name := rec["name"]
	if name == "" {
		name = rec["web_site_name"]
	}
	switch {
	case len(name) > 128 || len(rec[spec.host]) > 128 && spec.host != "url":
		h.writeError(w, NSCommand, "The name and hostname may have at most 128 characters")
		return
	case !in(JumpGroups, rec["group"]):
		h.writeError(w, NSCommand, "Invalid Jump Group: "+rec["group"])
		return
	case spec.host != "local_jump_hostname" && !in(Jumpoints, rec["jumpoint"]):
		h.writeError(w, NSCommand, "Invalid Jumpoint: "+rec["jumpoint"])
		return
	case rec["jump_policy"] != "" && !in(JumpPolicies, rec["jump_policy"]):
		h.writeError(w, NSCommand, "Invalid Jump Policy: "+rec["jump_policy"])
		return
	case rec["session_policy"] != "" && !in(SessionPolicies, rec["session_policy"]):
		h.writeError(w, NSCommand, "Invalid session policy: "+rec["session_policy"])
		return
	case spec.host == "shelljump_hostname" && rec["protocol"] != "ssh" && rec["protocol"] != "telnet":
		h.writeError(w, NSCommand, "Invalid protocol: "+rec["protocol"])
		return
	case spec.host == "url" && !strings.HasPrefix(rec["url"], "http://") && !strings.HasPrefix(rec["url"], "https://"):
		h.writeError(w, NSCommand, "The URL must begin with http or https")
		return
	}
	if p, ok := rec["port"]; ok {
		n, err := strconv.Atoi(p)
		lo := 1
		if spec.host == "remote_vnc_hostname" {
			lo = 100
		}
		if err != nil || n < lo || n > 65535 {
			h.writeError(w, NSCommand, "Invalid port: "+p)
			return
		}
	}
	h.mu.Lock()
	h.shortcuts = append(h.shortcuts, rec)
	h.mu.Unlock()
	h.writeSuccess(w, "Successfully imported Jump Item shortcut")
}
