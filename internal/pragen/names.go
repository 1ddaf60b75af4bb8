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
	"POST /jumpoint/{id}/user": {{Name: "user_id", Type: "request.Integer", Required: true, Min: i64(1), Max: i64(2147483647),
		Help: "ID of the user to allow on the Jumpoint"}},
	// "Adds a Vault account to the Vault account group": the body's only property, account_id, is marked read-only.
	"POST /vault/account-group/{id}/account": {{Name: "account_id", Type: "request.Integer", Required: true, Min: i64(1), Max: i64(2147483647),
		Help: "ID of the Vault account to add (it leaves the group it was in)"}},
	// "Adds a user to the Vault account group … The response body contains the new VaultAccountGroupUser resource": the
	// document gives the body schema of an account-group account instead.
	"POST /vault/account-group/{id}/user": {
		{Name: "role", Type: "request.String", Enum: []string{"inject", "inject_and_checkout"}, Default: "inject",
			Help: "role of the user on the account group [default inject]"},
		{Name: "user_id", Type: "request.Integer", Required: true, Min: i64(1), Max: i64(2147483647), Help: "ID of the user to add"},
	},
	// "Adds a specific shared Jump Group identified by shared_jump_group_id in the request body": required, yet marked
	// read-only.
	"POST /vault/account-group/{id}/jump-item-association/shared-jump-group": {{Name: "shared_jump_group_id", Type: "request.Integer",
		Required: true, Min: i64(1), Max: i64(2147483647), Help: "ID of the shared Jump Group"}},
}

// responseFixes name the schema of answers the document describes in prose but documents without content ("METHOD
// path" → component schema).
var responseFixes = map[string]string{
	// "Get a VendorUser resource representing the user with the given {user_id}": documented as a bare 200 OK.
	"GET /vendor/{id}/user/{user_id}": "VendorUser",
}

func i64(v int64) *int64 { return &v }

// actionShort gives the help line of custom actions and irregular operations ("METHOD path" → text).
var actionShort = map[string]string{
	"GET /cli/{platform}":                                                      "Download the btapi command-line tool for a platform",
	"GET /openapi.yaml":                                                        "Download the site's Configuration API OpenAPI document",
	"GET /jumpoint/{id}/installer":                                             "Download the installer of a Jumpoint",
	"GET /jumpoint/{id}/node":                                                  "Show the nodes of a Jumpoint",
	"GET /jump-client/installer/{installer_id}/{platform}":                     "Download a Jump Client mass-deployment installer for a platform",
	"POST /jump-client/installer":                                              "Create a Jump Client installer (then download it per platform)",
	"GET /jump-policy/{id}/schedule":                                           "Show the schedule of a Jump Policy",
	"POST /jump-approval/approve":                                              "Approve or deny a Jump request",
	"POST /jump-approval/request":                                              "Request approval to Jump to an item",
	"GET /jump-approval/{user_id}":                                             "List the Jump requests a user may approve",
	"GET /jump-approval/{user_id}/view/{id}":                                   "Show one Jump request a user may approve",
	"POST /group-policy/{id}/provision":                                        "Provision the members of a Group Policy",
	"POST /group-policy/{id}/copy":                                             "Copy a Group Policy",
	"POST /user/provision":                                                     "Provision a user from a security provider",
	"GET /user/{id}/group-policies":                                            "List the Group Policies a user belongs to",
	"PATCH /user/{id}/group-policy-changes":                                    "Add a user to or remove them from Group Policies",
	"POST /vault/account/{id}/check-in":                                        "Check a Vault account's credential back in",
	"POST /vault/account/{id}/check-out":                                       "Check out a Vault account's credential (printed on stdout)",
	"POST /vault/account/{id}/force-check-in":                                  "Force the check-in of a credential another user checked out",
	"POST /vault/account/{id}/rotate":                                          "Schedule a credential rotation for a Vault account",
	"POST /vault/endpoint/{id}/remote-rdp-jump-item-association":               "Associate a Vault endpoint with Remote RDP Jump Items",
	"GET /vault/endpoint/{id}/remote-rdp-jump-item-candidates":                 "List the Remote RDP Jump Items a Vault endpoint could be associated with",
	"GET /endpoint-automation/job/{id}/execution":                              "Show the executions of an endpoint automation job",
	"GET /endpoint-automation/script/{id}/resource":                            "Show the resources of an endpoint automation script",
	"POST /vendor/{id}/reactivate":                                             "Reactivate every user of a vendor group",
	"POST /vendor/{id}/user/{user_id}/reactivate":                              "Reactivate one vendor user",
	"POST /jump-client/{id}/copy":                                              "Copy a Jump Client",
	"GET /vault/account/{id}/jump-item-association":                            "Show which Jump Items a Vault account is associated with",
	"POST /vault/account/{id}/jump-item-association":                           "Define the Jump Item association of a Vault account",
	"PATCH /vault/account/{id}/jump-item-association":                          "Change the Jump Item association of a Vault account",
	"DELETE /vault/account/{id}/jump-item-association":                         "Remove the Jump Item association of a Vault account",
	"POST /vault/account/{id}/jump-item-association/jump-item":                 "Associate a Vault account with one more Jump Item",
	"DELETE /vault/account/{id}/jump-item-association/jump-item":               "Dissociate a Jump Item from a Vault account",
	"POST /vault/account/{id}/jump-item-association/shared-jump-group":         "Associate a Vault account with the Jump Items of a shared Jump Group",
	"DELETE /vault/account/{id}/jump-item-association/shared-jump-group":       "Dissociate a shared Jump Group from a Vault account",
	"GET /vault/account-group/{id}/jump-item-association":                      "Show which Jump Items a Vault account group is associated with",
	"POST /vault/account-group/{id}/jump-item-association":                     "Define the Jump Item association of a Vault account group",
	"PATCH /vault/account-group/{id}/jump-item-association":                    "Change the Jump Item association of a Vault account group",
	"DELETE /vault/account-group/{id}/jump-item-association":                   "Remove the Jump Item association of a Vault account group",
	"POST /vault/account-group/{id}/jump-item-association/jump-item":           "Associate a Vault account group with one more Jump Item",
	"DELETE /vault/account-group/{id}/jump-item-association/jump-item":         "Dissociate a Jump Item from a Vault account group",
	"POST /vault/account-group/{id}/jump-item-association/shared-jump-group":   "Associate a Vault account group with the Jump Items of a shared Jump Group",
	"DELETE /vault/account-group/{id}/jump-item-association/shared-jump-group": "Dissociate a shared Jump Group from a Vault account group",
}

// nouns name resources in help texts (group path, or jump-item type → noun).
var nouns = map[string]string{
	"shell-jump": "Shell Jump item", "remote-rdp": "Remote RDP item", "remote-vnc": "Remote VNC item", "web-jump": "Web Jump item",
	"protocol-tunnel-jump": "Protocol Tunnel Jump item", "mysql-tunnel-jump": "MySQL Tunnel Jump item",
	"psql-tunnel-jump": "PostgreSQL Tunnel Jump item", "network-tunnel-jump": "Network Tunnel Jump item",
	"vault account": "Vault account", "vault account-group": "Vault account group", "vault account-policy": "Vault account policy",
	"vault endpoint": "Vault endpoint", "jumpoint": "Jumpoint", "jump-item-role": "Jump Item Role", "jump-policy": "Jump Policy",
	"jump-group": "Jump Group", "group-policy": "Group Policy", "jump-client": "Jump Client", "jump-client installer": "Jump Client installer",
	"api-account": "API account", "security-provider": "security provider", "session-policy": "session policy", "team": "team",
	"user": "user", "vendor": "vendor group", "endpoint-automation job": "endpoint automation job",
	"endpoint-automation script": "endpoint automation script", "endpoint-automation resource": "endpoint automation resource",
	"endpoint-automation endpoint": "endpoint automation endpoint",
}

// plainWords are resource names that read as ordinary words in help texts (a user, not a User).
var plainWords = map[string]bool{"user": true, "member": true, "team": true, "account": true, "node": true}

// examples show the commands of the common tasks ("METHOD path" → example lines).
var examples = map[string]string{
	"GET /jump-item/shell-jump":                            "  infra pra jump-item list shell-jump --tag web\n  echo \"tag=i-0abc\" | infra pra -kK list jump-item/shell-jump",
	"POST /jump-item/shell-jump":                           "  infra pra jump-item add shell-jump --name web1 --hostname 10.0.0.5 --jump-group-id 1 --jumpoint-id 1 --protocol ssh",
	"POST /jump-item/remote-rdp/{id}/copy":                 "  infra pra jump-item copy remote-rdp 12 --name \"web1 (copy)\" --jump-group-id 3 --jump-group-type shared",
	"POST /group-policy/{id}/jump-group":                   "  infra pra group-policy jump-group add 3 --jump-group-id 7",
	"POST /vault/account/{id}/rotate":                      "  infra pra vault account rotate 42",
	"POST /vault/account/{id}/check-out":                   "  infra pra vault account check-out 42 --jq .password",
	"POST /vault/account":                                  "  printf 'type=ssh\\nname=\"vpc SSH\"\\nusername=ubuntu\\nprivate_key=\"%s\"\\n' \"$(cat key)\" | infra pra -k vault account create",
	"GET /jumpoint/{id}/installer":                         "  infra pra jumpoint installer 5\n  infra pra download jumpoint/5/installer | jq -r .file",
	"POST /jump-client/installer":                          "  infra pra jump-client installer create --jump-group-id 1 --tag web --valid-duration 60",
	"GET /jump-client/installer/{installer_id}/{platform}": "  infra pra jump-client installer download 0123456789abcdef0123456789abcdef linux-64",
	"GET /cli/{platform}":                                  "  infra pra cli download linux",
	"GET /openapi.yaml":                                    "  infra pra openapi --file openapi.yaml",
}

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
	if typ == "request.String" {
		return "only items whose " + human(name) + " is this (exact, case-insensitive)"
	}
	return "only items whose " + human(name) + " is this"
}

func noun(o *op) string {
	if len(o.group) == 2 && o.group[0] == "jump-item" {
		if n, ok := nouns[o.name]; ok {
			return n
		}
		return title(o.name) + " Jump Item"
	}
	if n, ok := nouns[strings.Join(o.group, " ")]; ok {
		return n
	}
	if last := o.group[len(o.group)-1]; plainWords[last] {
		return human(last)
	}
	if len(o.group) == 0 {
		return title(o.name)
	}
	return title(o.group[len(o.group)-1])
}

func parent(o *op) string {
	if len(o.group) >= 2 && o.group[0] != "jump-item" {
		if n, ok := nouns[strings.Join(o.group[:len(o.group)-1], " ")]; ok {
			return n
		}
		return title(o.group[len(o.group)-2])
	}
	return ""
}

// a prefixes a noun with its indefinite article.
func a(n string) string {
	l := strings.ToLower(n)
	if strings.HasPrefix(l, "user") || strings.HasPrefix(l, "uni") {
		return "a " + n
	}
	if n != "" && strings.ContainsRune("aeiouAEIOU", rune(n[0])) {
		return "an " + n
	}
	return "a " + n
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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
			return fmt.Sprintf("List the %s of %s", plural(n), a(p))
		}
		return "List " + plural(n)
	case "get":
		if sub && len(o.args) >= 2 {
			return fmt.Sprintf("Show one %s of %s", n, a(p))
		}
		return "Show one " + n
	case "create":
		if sub {
			return fmt.Sprintf("Add %s to %s", a(n), a(p))
		}
		return "Create " + a(n)
	case "update":
		if sub && len(o.args) >= 2 {
			return fmt.Sprintf("Change %s of %s", a(n), a(p))
		}
		return "Change " + a(n)
	case "delete":
		if sub && len(o.args) >= 2 {
			return fmt.Sprintf("Remove %s from %s", plural(n), a(p))
		}
		return "Delete " + plural(n)
	case "copy":
		return "Copy " + a(n)
	}
	return fmt.Sprintf("%s (%s %s)", title(o.name), o.method, o.path)
}

func example(o *op) string { return examples[o.method+" "+o.path] }

// groupShorts describes resource groups (command path → text); others are derived from the name.
var groupShorts = map[string]string{
	"vault account":                                               "Vault accounts: credentials, check-out, rotation, users and Jump Item associations",
	"vault account-group":                                         "Vault account groups, their accounts, users and Jump Item associations",
	"vault account-policy":                                        "Vault account policies",
	"vault endpoint":                                              "Vault endpoints and their Remote RDP Jump Item associations",
	"endpoint-automation job":                                     "Endpoint automation jobs and their executions",
	"endpoint-automation script":                                  "Endpoint automation scripts",
	"endpoint-automation resource":                                "Endpoint automation resources",
	"endpoint-automation endpoint":                                "Endpoints available to endpoint automation",
	"jump-client installer":                                       "Jump Client mass-deployment installers",
	"vault account jump-item-association":                         "The Jump Items a Vault account may be used with",
	"vault account jump-item-association jump-item":               "Jump Items associated with a Vault account one by one",
	"vault account jump-item-association shared-jump-group":       "Shared Jump Groups whose Jump Items a Vault account may be used with",
	"vault account-group jump-item-association":                   "The Jump Items a Vault account group may be used with",
	"vault account-group jump-item-association jump-item":         "Jump Items associated with a Vault account group one by one",
	"vault account-group jump-item-association shared-jump-group": "Shared Jump Groups whose Jump Items a Vault account group may be used with",
	"api-account":                                                 "API accounts (read only)",
	"cli":                                                         "Download the btapi command-line tool",
	"endpoint-automation":                                         "Endpoint automation: jobs, scripts, resources and endpoints",
	"group-policy":                                                "Group Policies: members and the Jump Groups, Jumpoints, Teams and Vault accounts they grant",
	"jump-approval":                                               "Jump approval requests",
	"jump-client":                                                 "Jump Clients and their mass-deployment installers",
	"jump-group":                                                  "Manage Jump Groups and the users granted access to them",
	"jump-item":                                                   "Jump Items: Shell Jump, Remote RDP, Remote VNC, Web Jump and tunnel Jumps (verb first: jump-item list shell-jump)",
	"jump-item-role":                                              "Jump Item Roles (read only)",
	"jump-policy":                                                 "Jump Policies and their schedules",
	"jumpoint":                                                    "Jumpoints, their installers, nodes and users",
	"security-provider":                                           "Security providers",
	"session-policy":                                              "Session policies (read only)",
	"team":                                                        "Teams and their users",
	"user":                                                        "Users, their Group Policies and provisioning",
	"vault":                                                       "Vault: accounts, account groups, account policies and endpoints",
	"vendor":                                                      "Vendor groups and their users",
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
	name := title(n.name)
	if v, ok := nouns[key]; ok {
		name = v
	}
	if len(n.path) >= 2 {
		p := title(n.path[len(n.path)-2])
		if v, ok := nouns[strings.Join(n.path[:len(n.path)-1], " ")]; ok {
			p = v
		}
		return fmt.Sprintf("%s of %s", upper(plural(name)), a(p))
	}
	return upper(plural(name))
}
