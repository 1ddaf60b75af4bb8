// Package jotelulu declares the Jotelulu commands as engine groups: every one of the 33 operations of the public
// API (pkg/api/jotelulu) placed under the resource users manage, with typed field flags.
//
// Path parameters that name the context of a command (organization, subscription, instance, network) are not
// positional arguments: the command layer adds --organization, --subscription, --instance and --network flags,
// resolves names to ids and fills them in. The engine paths therefore write parameters as :name rather than
// {name}; the client takes the real method and path from the operation table by operation id.
package jotelulu

import (
	"slices"
	"strings"
	"sync"
	"unicode"

	jot "github.com/infractl/infra/pkg/api/jotelulu"
	"github.com/infractl/infra/pkg/api/request"
)

// Product says which listing resolves the subscriptions and instances of an operation.
type Product int

// Products.
const (
	Core          Product = iota // organizations and their users
	Servers                      // server subscriptions, instances, networks, firewall
	RemoteDesktop                // remote desktop subscriptions, instances, users, applications
)

// Wait says what --wait polls after an asynchronous operation.
type Wait int

// Wait kinds.
const (
	NoWait           Wait = iota
	WaitSubscription      // the new remote desktop subscription's instances: creating -> deployed | error
	WaitInstance          // one remote desktop instance: creating -> deployed | error
	WaitApplication       // one instance application: installing/updating -> installed | failed
)

// DeleteFirewallRule is the engine operation id of `firewall rule delete`, which the command layer dispatches to
// deletefirewallinboundruleicmp or deletefirewallinboundruletcpudp by the rule's protocol.
const DeleteFirewallRule = "deletefirewallinboundrule"

// Body says what the command layer checks and resolves in an operation's body before anything is sent: a rule the
// reference states in prose, or fields that take names (or e-mail addresses) instead of ids.
type Body int

// Body kinds.
const (
	PlainBody        Body = iota
	AppDeployBody         // a catalog application, or every field of a custom one; instanceId may be a name
	FirewallRuleBody      // the fields of ICMP rules or of TCP/UDP rules
	NetworkBody           // isolatedNetworkId may be a network name
	OrgUsersBody          // userIds, users and admins may be e-mail addresses of organization users
	AppUsersBody          // userIds may be e-mail addresses of the users of the instance the application runs on
)

// Meta is what the command layer needs to know about an engine operation besides the engine's own fields.
type Meta struct {
	Product Product
	// Context lists the path parameters given by flags rather than arguments, in resolution order.
	Context []string
	Wait    Wait
	// Dispatch maps a firewall rule protocol to the operation that deletes it (only for DeleteFirewallRule).
	Dispatch map[string]string
	// APIOps are the table operations the command may send (one, or two for a dispatching delete).
	APIOps []string
	// Global: the operation is not scoped to an organization (no --organization flag).
	Global bool
	// Secret is a body field read from stdin with --password-stdin, never from a flag ("" for none).
	Secret string
	// Body says what is checked and resolved in the request body.
	Body Body
}

type cmdSpec struct {
	path    []string // group names then the verb
	opID    string
	args    []request.Arg
	columns []string
	short   string
	example string
	confirm bool
	wait    Wait
	flags   map[string]string // body field -> flag name
	omit    []string          // body fields not offered as flags
	product Product
	global  bool   // not scoped to an organization
	secret  string // body field read from stdin
	body    Body
}

var (
	argNIC      = request.Arg{Param: jot.ParamNIC, Name: "NIC_ID", Help: "network interface id"}
	argRule     = request.Arg{Param: jot.ParamFirewallRule, Name: "RULE_ID", Help: "firewall rule id"}
	argInstance = request.Arg{Param: jot.ParamInstance, Name: "INSTANCE", Help: "remote desktop instance name or id"}
	argUser     = request.Arg{Param: jot.ParamUser, Name: "USER", Help: "remote desktop user id or e-mail address"}
	argApp      = request.Arg{Param: jot.ParamApplication, Name: "APP_ID", Help: "installed application id (see rd app list)"}
)

func specs() []cmdSpec {
	return []cmdSpec{
		{path: []string{"org", "list"}, opID: "listcoreuserorganizations", columns: []string{"id", "name"}, product: Core, global: true,
			example: "  infra jotelulu org list"},
		{path: []string{"org", "user", "list"}, opID: "listcoreorganizationusers", product: Core,
			columns: []string{"id", "email", "name", "lastName", "position", "twoFactorAuthRequired"}},
		{path: []string{"org", "user", "create"}, opID: "createcoreorganizationuser", product: Core, omit: []string{"password"}, secret: "password",
			columns: []string{"id", "email", "name", "lastName", "position", "twoFactorAuthRequired"},
			example: "  infra jotelulu org user create --email eva@acme.example --name Eva --last-name Sanz --timezone Europe/Madrid\n" +
				"  printf '%s' \"$PASSWORD\" | infra jotelulu org user create --email eva@acme.example --password-stdin"},

		{path: []string{"server", "subscription", "list"}, opID: "listorganizationsubscriptions", product: Servers,
			columns: []string{"id", "name", "createdAt", "updatedAt"}},
		{path: []string{"server", "instance", "list"}, opID: "listserversubscriptioninstances", product: Servers,
			columns: []string{"id", "name", "state", "zone", "templateId", "offeringId"},
			example: "  infra jotelulu server instance list --subscription Production --state running"},
		{path: []string{"server", "nic", "list"}, opID: "listserverinstancenics", product: Servers,
			columns: []string{"id", "ip", "macAddress", "isolatedNetworkId", "isDefault"}},
		{path: []string{"server", "nic", "create"}, opID: "createserverinstancenics", body: NetworkBody, product: Servers,
			flags:   map[string]string{"isolatedNetworkId": "network", "ip": "ip"},
			columns: []string{"id", "ip", "macAddress", "isolatedNetworkId", "isDefault"},
			example: "  infra jotelulu server nic create --subscription Production --instance web-01 --network frontend"},
		{path: []string{"server", "nic", "ips"}, opID: "listprivatenetworkipfromnic", product: Servers, args: []request.Arg{argNIC},
			columns: []string{"id", "nicId", "ip"}},

		{path: []string{"network", "isolated", "list"}, opID: "listisolatednetworks", product: Servers,
			columns: []string{"id", "name", "cidr", "gateway", "mainNetworkId", "zone"}},
		{path: []string{"network", "isolated", "create"}, opID: "createisolatednetwork", product: Servers,
			columns: []string{"id", "name", "cidr", "gateway", "mainNetworkId", "zone"},
			example: "  infra jotelulu network isolated create --subscription Production --name dmz --network 10.30.0.0 --netmask 255.255.255.0 --gateway 10.30.0.1"},
		{path: []string{"network", "public-ip", "list"}, opID: "getsubscriptionpublicips", product: Servers,
			columns: []string{"id", "ip", "isolatedNetworkId", "sourceNat", "staticNat", "zone"}},
		{path: []string{"network", "public-ip", "create"}, opID: "createsubscriptionpublicip", body: NetworkBody, product: Servers,
			flags:   map[string]string{"isolatedNetworkId": "network"},
			columns: []string{"id", "ip", "isolatedNetworkId", "sourceNat", "staticNat", "zone"},
			example: "  infra jotelulu network public-ip create --subscription Production --network backend"},

		{path: []string{"firewall", "rule", "list"}, opID: "getfirewallinboundrules", product: Servers,
			columns: []string{"id", "protocol", "sourceIp", "publicPort", "privatePort", "nicIp", "icmpType", "icmpCode"}},
		{path: []string{"firewall", "rule", "create"}, opID: "createfirewallinboundrule", body: FirewallRuleBody, product: Servers,
			columns: []string{"id", "protocol", "sourceIp", "publicPort", "privatePort", "nicIp", "icmpType", "icmpCode"},
			example: "  infra jotelulu firewall rule create --subscription Production --network backend \\\n" +
				"      --protocol TCP --source-ip 203.0.113.0/24 --public-port 8443 --private-port 443 --nic-ip 10.10.0.10\n" +
				"  infra jotelulu firewall rule create --subscription Production --network backend --protocol ICMP --source-ip 0.0.0.0/0 --icmp-type 8 --icmp-code 0"},
		{path: []string{"firewall", "rule", "delete"}, opID: DeleteFirewallRule, product: Servers, args: []request.Arg{argRule}, confirm: true,
			short:   "Delete an inbound firewall rule (and, for TCP/UDP, its port forwarding)",
			example: "  infra jotelulu firewall rule delete 7701 --subscription Production --network backend --yes"},

		{path: []string{"rd", "subscription", "list"}, opID: "listorganizationremotedesktopsubscriptions", product: RemoteDesktop,
			columns: []string{"id", "name", "state", "accessType", "concurrentUsers", "instanceIds"}},
		{path: []string{"rd", "subscription", "create"}, opID: "createremotedesktopsubscription", body: OrgUsersBody, product: RemoteDesktop, wait: WaitSubscription,
			columns: []string{"id", "name", "state", "accessType", "concurrentUsers", "instanceIds"},
			example: "  infra jotelulu rd subscription create --name Sales --concurrent-users 10 --users 7101,7102 --admins 7101 --wait"},
		{path: []string{"rd", "instance", "list"}, opID: "listremotedesktopsubscriptioninstances", product: RemoteDesktop,
			columns: []string{"id", "name", "state", "createdAt", "updatedAt"}},
		{path: []string{"rd", "instance", "progress"}, opID: "getinstanceprogress", product: RemoteDesktop, args: []request.Arg{argInstance},
			columns: []string{"instanceId", "state", "stage", "percentage", "message"}},
		{path: []string{"rd", "instance", "retry"}, opID: "retryfailedinstance", product: RemoteDesktop, args: []request.Arg{argInstance}, wait: WaitInstance,
			columns: []string{"id", "name", "state", "updatedAt"},
			example: "  infra jotelulu rd instance retry office-02 --subscription Office --wait"},
		{path: []string{"rd", "user", "list"}, opID: "listinstanceusers", product: RemoteDesktop,
			columns: []string{"id", "email", "connectionType", "permission", "userType", "syncStatus"}},
		{path: []string{"rd", "user", "add"}, opID: "createinstanceusers", body: OrgUsersBody, product: RemoteDesktop,
			flags:   map[string]string{"userIds": "users"},
			columns: []string{"id", "email", "connectionType", "permission", "userType", "syncStatus"},
			example: "  infra jotelulu rd user add --subscription Office --instance office-01 --users luis@acme.example --connection-type launchpad"},
		{path: []string{"rd", "user", "update"}, opID: "updateinstanceuser", product: RemoteDesktop, args: []request.Arg{argUser},
			columns: []string{"id", "email", "connectionType", "permission", "userType", "syncStatus"}},
		{path: []string{"rd", "user", "remove"}, opID: "deleteremotedesktopuser", product: RemoteDesktop, args: []request.Arg{argUser}, confirm: true,
			example: "  infra jotelulu rd user remove 7821 --subscription Office --yes"},
		{path: []string{"rd", "app", "list"}, opID: "listsubscriptionapplications", product: RemoteDesktop,
			columns: []string{"id", "name", "instanceId", "applicationId", "state", "users"}},
		{path: []string{"rd", "app", "deploy"}, opID: "createinstanceapplication", body: AppDeployBody, product: RemoteDesktop, wait: WaitApplication,
			flags:   map[string]string{"instanceId": "instance", "applicationId": "application", "tagId": "tag"},
			columns: []string{"id", "name", "instanceId", "applicationId", "state"},
			example: "  infra jotelulu rd app deploy --subscription Office --instance office-01 --application 7902 --wait\n" +
				"  infra jotelulu rd app deploy --subscription Office --instance office-01 --name Ledger --tag 7954 \\\n" +
				"      --directory 'C:\\Apps\\Ledger' --executable ledger.exe --wait"},
		{path: []string{"rd", "app", "update"}, opID: "updateinstanceapplication", product: RemoteDesktop, args: []request.Arg{argApp}, wait: WaitApplication,
			flags:   map[string]string{"tagId": "tag"},
			columns: []string{"id", "name", "instanceId", "applicationId", "state"}},
		{path: []string{"rd", "app", "grant"}, opID: "addapplicationtouser", body: AppUsersBody, product: RemoteDesktop, args: []request.Arg{argApp},
			flags:   map[string]string{"userIds": "users"},
			columns: []string{"userId", "email"}},
		{path: []string{"rd", "app", "users"}, opID: "listapplicationusers", product: RemoteDesktop, args: []request.Arg{argApp},
			columns: []string{"userId", "email"}},
		{path: []string{"rd", "app", "revoke"}, opID: "removeapplicationfromuser", product: RemoteDesktop, args: []request.Arg{argApp, argUser}, confirm: true},
		{path: []string{"rd", "catalog", "list"}, opID: "listapplications", product: RemoteDesktop, columns: []string{"id", "name", "tagIds"}, global: true},
		{path: []string{"rd", "catalog", "tags"}, opID: "listapplicationtags", product: RemoteDesktop, columns: []string{"id", "name"}, global: true},
	}
}

var groupShort = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"org":                 "Organizations and their users",
		"org/user":            "Users of an organization",
		"server":              "Server subscriptions, instances and network interfaces",
		"server/subscription": "Server subscriptions of an organization",
		"server/instance":     "Server instances of a subscription",
		"server/nic":          "Network interfaces of a server instance",
		"network":             "Isolated networks and public IP addresses",
		"network/isolated":    "Isolated (private) networks of a server subscription",
		"network/public-ip":   "Public IP addresses of a server subscription",
		"firewall":            "Inbound firewall rules of isolated networks",
		"firewall/rule":       "Inbound firewall rules (TCP/UDP port forwarding and ICMP)",
		"rd":                  "Remote desktops: subscriptions, instances, users and applications",
		"rd/subscription":     "Remote desktop subscriptions of an organization",
		"rd/instance":         "Instances of a remote desktop subscription",
		"rd/user":             "Users of a remote desktop instance",
		"rd/app":              "Applications installed on remote desktop instances",
		"rd/catalog":          "The application catalog and its tags",
	}
})

// kebab turns a camelCase wire name into a flag name: lastName -> last-name, sourceIp -> source-ip.
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func fields(in []jot.Field, rename map[string]string, omit []string) []request.Field {
	var out []request.Field
	for _, f := range in {
		skip := false
		for _, o := range omit {
			skip = skip || o == f.Name
		}
		if skip {
			continue
		}
		ef := request.Field{Name: f.Name, Type: request.FieldType(f.Type), Required: f.Required, Enum: f.Enum, Help: f.Help,
			Flag: kebab(f.Name)}
		if n, ok := rename[f.Name]; ok {
			ef.Flag = n
		}
		if ef.Type == request.Array {
			ef.Items = request.String
		}
		switch f.Name {
		case "isolatedNetworkId", "instanceId":
			ef.Help += "; a name or an id"
		case "userIds", "users", "admins":
			ef.Help += "; ids or e-mail addresses"
		}
		out = append(out, ef)
	}
	return out
}

// displayPath writes the path parameters as :name so that the engine does not expect an argument for each one.
func displayPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' {
			segs[i] = ":" + s[1:len(s)-1]
		}
	}
	return strings.Join(segs, "/")
}

// Catalog is the built command data.
type Catalog struct {
	Groups []*request.Group
	Meta   map[string]Meta // by engine operation id
}

// New builds the catalog from the built-in operation table.
func New() *Catalog {
	c := &Catalog{Meta: map[string]Meta{}}
	byName := map[string]*request.Group{}
	for _, s := range specs() {
		g := c.group(byName, s.path[:len(s.path)-1])
		op, m := build(s)
		g.Ops = append(g.Ops, op)
		c.Meta[s.opID] = m
	}
	return c
}

// group returns the group at path, creating it and its parents in the order they are first named.
func (c *Catalog) group(byName map[string]*request.Group, path []string) *request.Group {
	key := strings.Join(path, "/")
	if g, ok := byName[key]; ok {
		return g
	}
	g := &request.Group{Name: path[len(path)-1], Short: groupShort()[key]}
	byName[key] = g
	if len(path) == 1 {
		c.Groups = append(c.Groups, g)
	} else {
		parent := c.group(byName, path[:len(path)-1])
		parent.Groups = append(parent.Groups, g)
	}
	return g
}

// apiOp returns the table operation a command sends (for the dispatching delete, the TCP/UDP one, whose path shape
// both share) and the command's Meta without its context parameters.
func apiOp(s cmdSpec) (jot.Op, Meta) {
	m := Meta{Product: s.product, Wait: s.wait, Global: s.global, Secret: s.secret, Body: s.body}
	if s.opID == DeleteFirewallRule {
		api, _ := jot.Lookup("deletefirewallinboundruletcpudp")
		m.Dispatch = map[string]string{"ICMP": "deletefirewallinboundruleicmp", "TCP": "deletefirewallinboundruletcpudp", "UDP": "deletefirewallinboundruletcpudp"}
		m.APIOps = []string{"deletefirewallinboundruleicmp", "deletefirewallinboundruletcpudp"}
		return api, m
	}
	api, ok := jot.Lookup(s.opID)
	if !ok {
		panic("jotelulu catalog: unknown operation " + s.opID)
	}
	m.APIOps = []string{api.ID}
	return api, m
}

// build turns a command spec into its engine operation and Meta.
func build(s cmdSpec) (*request.Op, Meta) {
	api, m := apiOp(s)
	for _, p := range api.PathParams() {
		if !slices.ContainsFunc(s.args, func(a request.Arg) bool { return a.Param == p }) {
			m.Context = append(m.Context, p)
		}
	}
	dispatch := s.opID == DeleteFirewallRule
	op := &request.Op{
		Name:    s.path[len(s.path)-1],
		ID:      s.opID,
		Method:  api.Method,
		Path:    displayPath(api.Path),
		Args:    s.args,
		Query:   fields(api.Query, nil, nil),
		Columns: s.columns,
		Short:   s.short,
		Example: s.example,
		Kind:    kind(api.Method, s.path[len(s.path)-1]),
	}
	if s.short == "" {
		op.Short = strings.TrimSuffix(api.Summary, ".")
	}
	if dispatch {
		op.Path = strings.Replace(op.Path, "/tcp-udp/", "/(icmp|tcp-udp)/", 1)
	}
	if api.Method != "GET" && api.Method != "DELETE" {
		op.Body = fields(api.Body, s.flags, s.omit)
		op.BodyRequired = true
	}
	if s.confirm {
		op.Confirm = request.ConfirmIrreversible
	}
	op.Long = longHelp(op.Short, api, dispatch)
	return op, m
}

// kind says what a command answers: GETs list (but progress shows one object), DELETEs answer nothing.
func kind(method, name string) request.Kind {
	switch {
	case method == "GET" && name != "progress":
		return request.KindList
	case method == "DELETE":
		return request.KindNone
	}
	return request.KindObject
}

func longHelp(short string, api jot.Op, dispatch bool) string {
	var b strings.Builder
	b.WriteString(short)
	b.WriteString(".\n\n")
	if dispatch {
		b.WriteString("The rule is looked up first: ICMP rules are deleted with deletefirewallinboundruleicmp, TCP and UDP rules\n" +
			"with deletefirewallinboundruletcpudp (which also removes the port forwarding). Deletion is immediate and\n" +
			"cannot be undone; without a terminal --yes is required.\n\n")
		b.WriteString("Operations: deletefirewallinboundruleicmp, deletefirewallinboundruletcpudp (paths inferred; see `infra jotelulu api-map`)")
		return b.String()
	}
	b.WriteString("Operation: " + api.ID + " (" + api.Title + "); path " + string(api.Source))
	if api.Source == jot.Inferred {
		b.WriteString(" from the documented conventions, not seen in the reference: load the vendor's spec with --spec if it differs")
	}
	return b.String()
}
