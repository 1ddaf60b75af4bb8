package pra

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ParamKind says how a parameter value is checked.
type ParamKind int

// Parameter kinds.
const (
	PString      ParamKind = iota // text up to Max characters (0 = no stated limit)
	PInt                          // integer in [Min, Max]
	PBool                         // 1 or 0 (true/false/yes/no accepted and sent as 1/0)
	PEnum                         // one of Enum (case-insensitive, sent as listed)
	PDisplaySize                  // primary, all or WIDTHxHEIGHT
	PURL                          // http:// or https:// URL
	PTunnels                      // LOCAL->REMOTE[;LOCAL->REMOTE…], LOCAL a port or auto
	PLoopback                     // an address in 127.0.0.0/8
)

// Param describes one documented parameter.
type Param struct {
	Name     string // the vendor's parameter name
	Flag     string // the CLI flag (without --)
	Required bool
	Kind     ParamKind
	Min, Max int
	Enum     []string
	Help     string
}

// ShortcutType is one kind of Jump shortcut import_jump_shortcut can create.
type ShortcutType struct {
	Name   string // CLI name: local, remote, vnc, rdp, shell, protocol-tunnel, web
	Title  string
	Params []Param
}

func name128(flag string) Param {
	return Param{Name: "name", Flag: flag, Required: true, Max: 128, Help: "name of the endpoint, shown in session tabs"}
}
func host128(vendor string) Param {
	return Param{Name: vendor, Flag: "hostname", Required: true, Max: 128, Help: "hostname of the endpoint"}
}

var (
	pGroup    = Param{Name: "group", Flag: "group", Required: true, Help: "code name of the Jump Group"}
	pJumpoint = Param{Name: "jumpoint", Flag: "jumpoint", Required: true, Help: "code name of the Jumpoint"}
	pTag      = Param{Name: "tag", Flag: "tag", Max: 1024, Help: "tag to organise Jump Items"}
	pComments = Param{Name: "comments", Flag: "comments", Max: 1024, Help: "comments"}
	pJumpPol  = Param{Name: "jump_policy", Flag: "jump-policy", Help: "code name of a Jump Policy"}
	pSessPol  = Param{Name: "session_policy", Flag: "session-policy", Help: "code name of a session policy"}
)

// ShortcutTypes are the Jump shortcut types of import_jump_shortcut with the required and optional parameters the
// API guide lists for each.
var ShortcutTypes = []ShortcutType{
	{Name: "local", Title: "Local Jump", Params: []Param{
		name128("name"), host128("local_jump_hostname"), pGroup, pTag, pComments, pJumpPol, pSessPol}},
	{Name: "remote", Title: "Remote Jump", Params: []Param{
		name128("name"), host128("remote_jump_hostname"), pJumpoint, pGroup, pTag, pComments, pJumpPol, pSessPol}},
	{Name: "vnc", Title: "VNC", Params: []Param{
		host128("remote_vnc_hostname"), pJumpoint, name128("name"), pGroup,
		{Name: "port", Flag: "port", Kind: PInt, Min: 100, Max: 65535, Help: "port (default 5900)"},
		pTag, pComments, pJumpPol}},
	{Name: "rdp", Title: "Remote Desktop Protocol", Params: []Param{
		name128("name"), host128("remote_rdp_hostname"), pJumpoint, pGroup,
		{Name: "rdp_username", Flag: "username", Help: "username to sign in as"},
		{Name: "domain", Flag: "domain", Help: "domain of the endpoint"},
		{Name: "display_size", Flag: "display-size", Kind: PDisplaySize, Help: "primary (default), all or WIDTHxHEIGHT"},
		{Name: "quality", Flag: "quality", Kind: PEnum, Enum: []string{"low", "best_perf", "perf_and_qual", "best_qual", "video_opt"}, Help: "low, best_perf (default), perf_and_qual, best_qual or video_opt"},
		{Name: "console", Flag: "console", Kind: PBool, Help: "1: console session, 0: new session (default)"},
		{Name: "ignore_untrusted", Flag: "ignore-untrusted", Kind: PBool, Help: "1: ignore certificate warnings"},
		pTag, pComments, pJumpPol,
		{Name: "sql_server_hostname", Flag: "sql-server-hostname", Max: 64, Help: "SQL Server host for SQL Server Management Studio"},
		{Name: "sql_server_port", Flag: "sql-server-port", Kind: PInt, Min: 1, Max: 65535, Help: "SQL Server port (default 1433)"},
		{Name: "sql_server_database", Flag: "sql-server-database", Max: 520, Help: "SQL Server database"},
		{Name: "custom_app_name", Flag: "custom-app-name", Max: 520, Help: "remote application name"},
		{Name: "custom_app_params", Flag: "custom-app-params", Max: 16000, Help: "remote application parameters"}}},
	{Name: "shell", Title: "Shell Jump", Params: []Param{
		name128("name"), host128("shelljump_hostname"), pJumpoint,
		{Name: "protocol", Flag: "protocol", Required: true, Kind: PEnum, Enum: []string{"ssh", "telnet"}, Help: "ssh or telnet"},
		pGroup,
		{Name: "shelljump_username", Flag: "username", Help: "username to sign in as"},
		{Name: "port", Flag: "port", Kind: PInt, Min: 1, Max: 65535, Help: "port (default 22 for ssh, 23 for telnet)"},
		{Name: "terminal", Flag: "terminal", Kind: PEnum, Enum: []string{"xterm", "vt100"}, Help: "xterm (default) or vt100"},
		{Name: "keep_alive", Flag: "keep-alive", Kind: PInt, Min: 0, Max: 300, Help: "seconds between keep-alive packets, 0-300 (0 disables)"},
		pTag, pComments, pJumpPol, pSessPol}},
	{Name: "protocol-tunnel", Title: "Protocol Tunnel Jump", Params: []Param{
		host128("protocol_tunnel_hostname"), pJumpoint,
		{Name: "tcp_tunnels", Flag: "tcp-tunnels", Required: true, Kind: PTunnels, Help: "LOCAL->REMOTE port mappings separated by ; (LOCAL may be auto), e.g. auto->22;3306->3306"},
		name128("name"), pGroup,
		{Name: "local_address", Flag: "local-address", Kind: PLoopback, Help: "local address in 127.x.x.x (default 127.0.0.1)"},
		pTag, pComments, pJumpPol}},
	{Name: "web", Title: "Web Jump", Params: []Param{
		{Name: "web_site_name", Flag: "name", Required: true, Max: 128, Help: "name of the endpoint, shown in session tabs"},
		pJumpoint,
		{Name: "url", Flag: "url", Required: true, Kind: PURL, Help: "URL of the web site (http or https)"},
		pGroup,
		{Name: "verify_certificate", Flag: "verify-certificate", Kind: PBool, Help: "1: validate the site certificate before the session starts"},
		pTag, pComments, pJumpPol, pSessPol}},
}

// ShortcutTypeNames lists the type names.
func ShortcutTypeNames() []string {
	out := make([]string, len(ShortcutTypes))
	for i, t := range ShortcutTypes {
		out[i] = t.Name
	}
	return out
}

// FindShortcutType returns the type called name (case-insensitive; "protocol_tunnel" and "tunnel" work too).
func FindShortcutType(name string) (*ShortcutType, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.ReplaceAll(n, "_", "-")
	if n == "tunnel" {
		n = "protocol-tunnel"
	}
	for i := range ShortcutTypes {
		if ShortcutTypes[i].Name == n {
			return &ShortcutTypes[i], true
		}
	}
	return nil, false
}

// Param returns the parameter with the given vendor name or flag name.
func (t *ShortcutType) Param(key string) (*Param, bool) {
	for i := range t.Params {
		p := &t.Params[i]
		if p.Name == key || p.Flag == key || strings.ReplaceAll(p.Flag, "-", "_") == key {
			return p, true
		}
	}
	return nil, false
}

// Compiled on first use: the counted repetitions make them the costliest work a start-up would otherwise do.
var (
	reDisplay = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[1-9][0-9]{1,4}x[1-9][0-9]{1,4}$`) })
	reTunnel  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(auto|[0-9]{1,5})->([0-9]{1,5})$`) })
)

// CheckParam validates one value and returns what is sent.
func CheckParam(p *Param, v string) (string, error) {
	switch p.Kind {
	case PString:
		if p.Max > 0 && len([]rune(v)) > p.Max {
			return "", fmt.Errorf("%d characters, at most %d", len([]rune(v)), p.Max)
		}
		return v, nil
	case PInt:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return "", fmt.Errorf("%q is not an integer", v)
		}
		if n < p.Min || n > p.Max {
			return "", fmt.Errorf("%d is outside %d-%d", n, p.Min, p.Max)
		}
		return strconv.Itoa(n), nil
	case PBool:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "true", "yes", "on":
			return "1", nil
		case "0", "false", "no", "off":
			return "0", nil
		}
		return "", fmt.Errorf("%q: use 1 or 0", v)
	case PEnum:
		for _, e := range p.Enum {
			if strings.EqualFold(e, strings.TrimSpace(v)) {
				return e, nil
			}
		}
		return "", fmt.Errorf("%q is not one of %s", v, strings.Join(p.Enum, ", "))
	case PDisplaySize:
		s := strings.ToLower(strings.TrimSpace(v))
		if s == "primary" || s == "all" || reDisplay().MatchString(s) {
			return s, nil
		}
		return "", fmt.Errorf("%q: use primary, all or WIDTHxHEIGHT such as 1280x720", v)
	case PURL:
		u, err := url.Parse(strings.TrimSpace(v))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("%q: the URL must begin with http:// or https://", v)
		}
		return strings.TrimSpace(v), nil
	case PTunnels:
		s := strings.TrimSpace(v)
		if s == "" {
			return "", fmt.Errorf("at least one tunnel LOCAL->REMOTE is needed")
		}
		for _, t := range strings.Split(s, ";") {
			m := reTunnel().FindStringSubmatch(strings.TrimSpace(t))
			if m == nil {
				return "", fmt.Errorf("tunnel %q: use LOCAL->REMOTE with ports (LOCAL may be auto), e.g. auto->22", t)
			}
			for _, port := range m[1:] {
				if port == "auto" {
					continue
				}
				if n, _ := strconv.Atoi(port); n < 1 || n > 65535 {
					return "", fmt.Errorf("tunnel %q: port %s is outside 1-65535", t, port)
				}
			}
		}
		return s, nil
	case PLoopback:
		ip := net.ParseIP(strings.TrimSpace(v))
		if ip == nil || ip.To4() == nil || ip.To4()[0] != 127 {
			return "", fmt.Errorf("%q: must be an address in 127.x.x.x", v)
		}
		return ip.String(), nil
	}
	return v, nil
}

// JumpShortcutParams checks the values (keyed by vendor parameter name or flag name) for shortcut type t and returns
// the parameters to send, or every problem found.
func JumpShortcutParams(t *ShortcutType, values map[string]string) (url.Values, []string) {
	q := url.Values{}
	var problems []string
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	seen := map[string]bool{}
	for _, k := range keys {
		p, ok := t.Param(k)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: not a parameter of %s shortcuts (%s)", k, t.Name, paramList(t)))
			continue
		}
		if seen[p.Name] {
			problems = append(problems, fmt.Sprintf("%s: given twice", p.Name))
			continue
		}
		seen[p.Name] = true
		v := values[k]
		if p.Required && strings.TrimSpace(v) == "" {
			problems = append(problems, fmt.Sprintf("%s (--%s): must not be empty", p.Name, p.Flag))
			continue
		}
		out, err := CheckParam(p, v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s (--%s): %v", p.Name, p.Flag, err))
			continue
		}
		q.Set(p.Name, out)
	}
	for _, p := range t.Params {
		if p.Required && !seen[p.Name] {
			problems = append(problems, fmt.Sprintf("%s (--%s): required for %s shortcuts", p.Name, p.Flag, t.Name))
		}
	}
	return q, problems
}

func paramList(t *ShortcutType) string {
	var names []string
	for _, p := range t.Params {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}
