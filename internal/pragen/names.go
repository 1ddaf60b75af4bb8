package main

import (
	"fmt"
	"strings"
)

// naming overrides the derived command for operations whose path does not follow the resource/verb shape
// ("METHOD path" → "group... verb").
var naming = map[string]string{
	"GET /jump-client/installer/{installer_id}/{platform}": "jump-client installer download",
	"GET /cli/{platform}":                    "cli download",
	"GET /openapi.yaml":                      "openapi",
	"GET /jump-approval/{user_id}":           "jump-approval list",
	"GET /jump-approval/{user_id}/view/{id}": "jump-approval get",
}

// argNames overrides positional argument names ("path {param}" → NAME).
var argNames = map[string]string{
	"/jump-approval/{user_id}/view/{id} {id}": "REQUEST_ID",
}

// bodyFixes supply request bodies the document describes in prose but does not declare.
var bodyFixes = map[string][]field{
	// "Grants the user with the user_id given in the request body access to the Jumpoint".
	"POST /jumpoint/{id}/user": {{Name: "user_id", Type: "engine.Integer", Required: true, Min: i64(1), Max: i64(2147483647),
		Help: "ID of the user to allow on the Jumpoint"}},
}

func i64(v int64) *int64 { return &v }

// actionShort gives the help line of custom actions ("METHOD path" → text).
var actionShort = map[string]string{}

var verbAliases = map[string][]string{
	"list":   {"ls"},
	"get":    {"show"},
	"create": {"add"},
	"update": {"set"},
	"delete": {"remove", "rm"},
}

// groupAliases are extra names for resource groups (command path → aliases).
var groupAliases = map[string][]string{
	"jump-group":      {"jump-groups", "jg"},
	"jump-group user": {"users"},
}

var acronyms = map[string]string{
	"id": "ID", "ids": "IDs", "ip": "IP", "rdp": "RDP", "vnc": "VNC", "ssh": "SSH", "url": "URL", "fqdn": "FQDN",
	"psql": "PostgreSQL", "mysql": "MySQL", "cli": "CLI", "ecm": "ECM", "saml": "SAML", "ldap": "LDAP", "scim": "SCIM",
	"oidc": "OIDC", "aws": "AWS", "mfa": "MFA", "api": "API", "dns": "DNS", "tcp": "TCP", "udp": "UDP", "ca": "CA",
	"x509": "X.509", "csr": "CSR", "sql": "SQL", "nla": "NLA", "smb": "SMB", "os": "OS", "ttl": "TTL",
}

func words(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == '-' || r == ' ' || r == '.' })
	for i, w := range f {
		if a, ok := acronyms[strings.ToLower(w)]; ok {
			f[i] = a
		}
	}
	return f
}

func human(s string) string { return strings.Join(words(s), " ") }

func title(s string) string {
	w := words(s)
	for i, x := range w {
		if x != "" && x[0] >= 'a' && x[0] <= 'z' {
			w[i] = strings.ToUpper(x[:1]) + x[1:]
		}
	}
	return strings.Join(w, " ")
}

func fieldHelp(name string, f field) string {
	h := human(name)
	if strings.HasSuffix(name, "_id") && name != "id" {
		h = "ID of the " + human(strings.TrimSuffix(name, "_id"))
	} else if strings.HasSuffix(name, "_ids") {
		h = "IDs of the " + plural(human(strings.TrimSuffix(name, "_ids")))
	}
	if f.Default != "" {
		h += fmt.Sprintf(" [default %s]", f.Default)
	}
	return h
}

func filterHelp(name, typ string) string {
	if typ == "engine.String" {
		return "only items whose " + human(name) + " is this (exact, case-insensitive)"
	}
	return "only items whose " + human(name) + " is this"
}

func noun(o *op) string {
	if len(o.group) == 2 && o.group[0] == "jump-item" {
		return title(o.name) + " Jump Item"
	}
	if len(o.group) == 0 {
		return title(o.name)
	}
	return title(o.group[len(o.group)-1])
}

func parent(o *op) string {
	if len(o.group) >= 2 && o.group[0] != "jump-item" {
		return title(o.group[len(o.group)-2])
	}
	return ""
}

func plural(s string) string {
	switch {
	case strings.HasSuffix(s, "y") && !strings.HasSuffix(s, "ey"):
		return s[:len(s)-1] + "ies"
	case strings.HasSuffix(s, "s"):
		return s
	}
	return s + "s"
}

func (g *gen) short(o *op) string {
	if s, ok := actionShort[o.method+" "+o.path]; ok {
		return s
	}
	n, p := noun(o), parent(o)
	verb := o.name
	if len(o.group) == 2 && o.group[0] == "jump-item" {
		verb = o.group[1]
	}
	sub := p != "" && len(o.args) > 0
	switch verb {
	case "list":
		if sub && len(o.args) == 1 {
			return fmt.Sprintf("List the %s of a %s", plural(n), p)
		}
		return "List " + plural(n)
	case "get":
		if sub && len(o.args) >= 2 {
			return fmt.Sprintf("Show one %s of a %s", n, p)
		}
		return "Show one " + n
	case "create":
		if sub {
			return fmt.Sprintf("Add a %s to a %s", n, p)
		}
		return "Create a " + n
	case "update":
		if sub && len(o.args) >= 2 {
			return fmt.Sprintf("Change a %s of a %s", n, p)
		}
		return "Change a " + n
	case "delete":
		if sub && len(o.args) >= 2 {
			return fmt.Sprintf("Remove %s from a %s", plural(n), p)
		}
		return "Delete " + plural(n)
	case "copy":
		return "Copy a " + n
	}
	return fmt.Sprintf("%s (%s %s)", title(o.name), o.method, o.path)
}

func example(o *op) string { return "" }

// groupShorts describes resource groups (command path → text); others are derived from the name.
var groupShorts = map[string]string{
	"api-account":         "API accounts (read only)",
	"cli":                 "Download the btapi command-line tool",
	"endpoint-automation": "Endpoint automation: jobs, scripts, resources and endpoints",
	"group-policy":        "Group Policies: members and the Jump Groups, Jumpoints, Teams and Vault accounts they grant",
	"jump-approval":       "Jump approval requests",
	"jump-client":         "Jump Clients and their mass-deployment installers",
	"jump-group":          "Manage Jump Groups and the users granted access to them",
	"jump-item":           "Jump Items: Shell Jump, Remote RDP, Remote VNC, Web Jump and tunnel Jumps (verb first: jump-item list shell-jump)",
	"jump-item-role":      "Jump Item Roles (read only)",
	"jump-policy":         "Jump Policies and their schedules",
	"jumpoint":            "Jumpoints, their installers, nodes and users",
	"security-provider":   "Security providers",
	"session-policy":      "Session policies (read only)",
	"team":                "Teams and their users",
	"user":                "Users, their Group Policies and provisioning",
	"vault":               "Vault: accounts, account groups, account policies and endpoints",
	"vendor":              "Vendor groups and their users",
}

func groupShort(n *node) string {
	key := strings.Join(n.path, " ")
	if s, ok := groupShorts[key]; ok {
		return s
	}
	if len(n.path) == 2 && n.path[0] == "jump-item" {
		switch n.name {
		case "list":
			return "List the Jump Items of one type"
		case "get":
			return "Show one Jump Item"
		case "create":
			return "Create a Jump Item"
		case "update":
			return "Change a Jump Item"
		case "delete":
			return "Delete Jump Items"
		case "copy":
			return "Copy a Jump Item"
		}
	}
	if len(n.path) >= 2 {
		return fmt.Sprintf("%s of a %s", plural(title(n.name)), title(n.path[len(n.path)-2]))
	}
	return plural(title(n.name))
}
