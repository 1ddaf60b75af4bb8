// Package jotelulu holds the operation table of the Jotelulu public API: for each of the 33 reference
// operations its method, path, parameters and whether that path is documented or inferred from the
// documented conventions.
package jotelulu

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// Source says how much is known about an operation's method and path.
type Source string

const (
	// Documented means the method and path appear in the public reference.
	Documented Source = "documented"
	// Inferred means the path was built from the documented conventions and
	// has not been seen in any reference page.
	Inferred Source = "inferred"
)

// Field describes one query parameter or one field of a request body.
type Field struct {
	Name     string
	Type     string // string, integer, boolean, array or object
	Required bool
	Enum     []string
	Help     string
}

// Op is one API operation.
type Op struct {
	ID      string // operationId from the reference, exact spelling
	Title   string // title from the reference
	Method  string
	Path    string // may contain {organizationId}, {subscriptionId}, {instanceId}, ...
	Source  Source
	Query   []Field
	Body    []Field  // fields inside the data envelope of a write request
	Result  []string // result fields: exact for documented operations, descriptive names otherwise
	Async   bool     // the operation starts a creating/installing/updating state that must be polled
	Summary string
}

// Service roots. The core and servers roots are documented; the remote
// desktop root is inferred.
//
// Why a separate remote-desktops root: the reference groups organizations and
// users under "core" and everything about server subscriptions under
// "servers". Remote desktop subscriptions are a different product with their
// own subscription ids, instances, users and applications, and the documented
// servers paths already use /subscriptions/{subscriptionId}/instances for
// server instances. Putting remote desktop resources under the servers root
// would give two meanings to the same path, so they get a service of their
// own, named in the kebab-case plural style of the documented paths.
const (
	CoreRoot           = "/api-gateway/core/v1"
	ServersRoot        = "/api-gateway/servers/v1"
	RemoteDesktopsRoot = "/api-gateway/remote-desktops/v1"
)

// Path parameter names used by the table.
const (
	ParamOrganization = "organizationId"
	ParamSubscription = "subscriptionId"
	ParamInstance     = "instanceId"
	ParamMainNetwork  = "mainNetworkId"
	ParamNIC          = "nicId"
	ParamApplication  = "applicationId"
	ParamUser         = "userId"
	ParamFirewallRule = "ruleId"
)

// Path prefixes shared by several operations.
const (
	remoteDesktopUsers = RemoteDesktopsRoot + "/subscriptions/{subscriptionId}/instances/{instanceId}/users"
	rdApplications     = RemoteDesktopsRoot + "/subscriptions/{subscriptionId}/applications"
	firewallRules      = ServersRoot + "/subscriptions/{subscriptionId}/networks/{mainNetworkId}/firewall-inbound-rules"
	instanceNICs       = ServersRoot + "/subscriptions/{subscriptionId}/instances/{instanceId}/nics"
	publicIPs          = ServersRoot + "/subscriptions/{subscriptionId}/networks/public-ips"
	isolatedNetworks   = ServersRoot + "/subscriptions/{subscriptionId}/networks/isolated-networks"
)

// PathParamNames lists every path parameter name the table may use.
func PathParamNames() []string {
	return []string{ParamOrganization, ParamSubscription, ParamInstance, ParamMainNetwork,
		ParamNIC, ParamApplication, ParamUser, ParamFirewallRule}
}

// Shared body fields of the remote desktop user operations.
func rdUserSettings(userTypes []string) []Field {
	return []Field{
		{Name: "connectionType", Type: "string", Enum: []string{"virtual-desktop", "launchpad"}, Help: "full virtual desktop or launchpad (applications only)"},
		{Name: "permission", Type: "string", Enum: []string{"user", "admin"}, Help: "user or administrator rights inside the remote desktop"},
		{Name: "userType", Type: "string", Enum: userTypes, Help: "kind of account used to sign in"},
		{Name: "username", Type: "string", Help: "account name for local and domain users"},
		{Name: "twoFactorAuth", Type: "boolean", Help: "require two-factor authentication"},
		{Name: "virtualPrinter", Type: "boolean", Help: "allow printing to local printers"},
		{Name: "virtualDrives", Type: "boolean", Help: "allow access to local drives"},
		{Name: "virtualClipboard", Type: "boolean", Help: "share the clipboard"},
		{Name: "rdpAccess", Type: "boolean", Help: "allow RDP client connections"},
	}
}

func rdUserResult() []string {
	return []string{"id", "organizationUserId", "email", "instanceId", "connectionType", "permission",
		"userType", "username", "twoFactorAuth", "virtualPrinter", "virtualDrives", "virtualClipboard", "rdpAccess", "syncStatus"}
}

func appResult() []string {
	return []string{"id", "instanceId", "applicationId", "name", "tagId", "directory", "executable",
		"arguments", "state", "users", "createdAt", "updatedAt"}
}

func rdInstanceResult() []string {
	return []string{"id", "subscriptionId", "name", "state", "createdAt", "updatedAt"}
}

func firewallResult() []string {
	return []string{"id", "mainNetworkId", "protocol", "sourceIp", "publicPort", "privatePort",
		"nicIp", "portForwardingId", "icmpType", "icmpCode"}
}

func buildOps() []Op {
	return []Op{
		{
			ID: "createcoreorganizationuser", Title: "Create Organization User",
			Method: "POST", Path: CoreRoot + "/organizations/{organizationId}/users", Source: Inferred,
			Body: []Field{
				{Name: "email", Type: "string", Required: true, Help: "e-mail address, also the sign-in name"},
				{Name: "name", Type: "string", Help: "first name"},
				{Name: "lastName", Type: "string", Help: "last name"},
				{Name: "password", Type: "string", Help: "initial password; omit to let the platform handle it"},
				{Name: "twoFactorAuthRequired", Type: "boolean", Help: "require two-factor authentication"},
				{Name: "position", Type: "string", Help: "job title"},
				{Name: "phone", Type: "string", Help: "contact phone number"},
				{Name: "language", Type: "string", Help: "preferred language"},
				{Name: "timezone", Type: "string", Help: "time zone of the user, e.g. Europe/Madrid"},
			},
			Result:  []string{"id", "email", "name", "lastName", "twoFactorAuthRequired", "position", "phone", "language", "timezone"},
			Summary: "Add a user to an organization.",
		},
		{
			ID: "listcoreorganizationusers", Title: "List Organization Users",
			Method: "GET", Path: CoreRoot + "/organizations/{organizationId}/users", Source: Documented,
			Result:  []string{"id", "email", "name", "lastName", "twoFactorAuthRequired", "position", "phone", "language", "timezone"},
			Summary: "List the users of an organization.",
		},
		{
			ID: "listcoreuserorganizations", Title: "List User Organizations",
			Method: "GET", Path: CoreRoot + "/organizations", Source: Documented,
			Result:  []string{"id", "name"},
			Summary: "List the organizations the caller belongs to.",
		},
		{
			ID: "getinstanceprogress", Title: "Get Instance Deployment Progress",
			Method: "GET", Path: RemoteDesktopsRoot + "/subscriptions/{subscriptionId}/instances/{instanceId}/progress", Source: Inferred,
			Result:  []string{"instanceId", "state", "stage", "percentage", "message", "updatedAt"},
			Summary: "Show how far the deployment of a remote desktop instance has got.",
		},
		{
			ID: "addapplicationtouser", Title: "Grant Application Access to Users",
			Method: "POST", Path: rdApplications + "/{applicationId}/users", Source: Inferred,
			Body: []Field{
				{Name: "userIds", Type: "array", Required: true, Help: "remote desktop user ids to grant access to"},
			},
			Result:  []string{"userId", "email"},
			Summary: "Let one or more remote desktop users launch an application.",
		},
		{
			ID: "listapplicationusers", Title: "List Application Users",
			Method: "GET", Path: rdApplications + "/{applicationId}/users", Source: Inferred,
			Result:  []string{"userId", "email"},
			Summary: "List the remote desktop users allowed to launch an application.",
		},
		{
			ID: "removeapplicationfromuser", Title: "Revoke Application Access from User",
			Method: "DELETE", Path: rdApplications + "/{applicationId}/users/{userId}", Source: Inferred,
			Result:  []string{"applicationId", "userId"},
			Summary: "Take away one user's access to an application.",
		},
		{
			ID: "createinstanceapplication", Title: "Deploy Application to Instance",
			Method: "POST", Path: rdApplications, Source: Inferred, Async: true,
			Body: []Field{
				{Name: "instanceId", Type: "string", Required: true, Help: "remote desktop instance to install on"},
				{Name: "applicationId", Type: "string", Help: "catalog application id (marketplace install)"},
				{Name: "name", Type: "string", Help: "display name (required for a custom application)"},
				{Name: "tagId", Type: "string", Help: "category tag id (required for a custom application)"},
				{Name: "directory", Type: "string", Help: "installation directory (required for a custom application)"},
				{Name: "executable", Type: "string", Help: "executable path (required for a custom application)"},
				{Name: "arguments", Type: "string", Help: "command line arguments used at launch"},
			},
			Result:  appResult(),
			Summary: "Install a catalog or custom application on a remote desktop instance.",
		},
		{
			ID: "listsubscriptionapplications", Title: "List Subscription Applications",
			Method: "GET", Path: rdApplications, Source: Inferred,
			Result:  appResult(),
			Summary: "List the applications installed across a remote desktop subscription.",
		},
		{
			ID: "updateinstanceapplication", Title: "Update Application Configuration",
			Method: "PATCH", Path: rdApplications + "/{applicationId}", Source: Inferred, Async: true,
			Body: []Field{
				{Name: "name", Type: "string", Help: "display name"},
				{Name: "tagId", Type: "string", Help: "category tag id"},
				{Name: "directory", Type: "string", Help: "installation directory"},
				{Name: "executable", Type: "string", Help: "executable path"},
				{Name: "arguments", Type: "string", Help: "command line arguments used at launch"},
			},
			Result:  appResult(),
			Summary: "Change the settings of an installed application.",
		},
		{
			ID: "listapplications", Title: "List Available Applications",
			Method: "GET", Path: RemoteDesktopsRoot + "/applications", Source: Inferred,
			Result:  []string{"id", "name", "tagIds"},
			Summary: "List the application catalog available for remote desktops.",
		},
		{
			ID: "listapplicationtags", Title: "List Application Tags",
			Method: "GET", Path: RemoteDesktopsRoot + "/application-tags", Source: Inferred,
			Result:  []string{"id", "name"},
			Summary: "List the category tags used to group applications.",
		},
		{
			ID: "listremotedesktopsubscriptioninstances", Title: "List Remote Desktop Instances",
			Method: "GET", Path: RemoteDesktopsRoot + "/subscriptions/{subscriptionId}/instances", Source: Inferred,
			Result:  rdInstanceResult(),
			Summary: "List the instances of a remote desktop subscription.",
		},
		{
			ID: "createremotedesktopsubscription", Title: "Create Remote Desktop Subscription",
			Method: "POST", Path: RemoteDesktopsRoot + "/organizations/{organizationId}/subscriptions", Source: Inferred, Async: true,
			Body: []Field{
				{Name: "name", Type: "string", Required: true, Help: "subscription name"},
				{Name: "concurrentUsers", Type: "integer", Help: "maximum simultaneous sessions"},
				{Name: "accessType", Type: "string", Enum: []string{"virtual-desktop", "launchpad"}, Help: "default access mode"},
				{Name: "twoFactorAuthRequired", Type: "boolean", Help: "require two-factor authentication for every user"},
				{Name: "users", Type: "array", Help: "organization user ids to assign"},
				{Name: "admins", Type: "array", Help: "organization user ids that get administrator rights"},
				{Name: "applications", Type: "array", Help: "catalog application ids to install"},
			},
			Result:  []string{"id", "organizationId", "name", "state", "concurrentUsers", "accessType", "twoFactorAuthRequired", "instanceIds", "createdAt", "updatedAt"},
			Summary: "Order a new remote desktop environment for an organization.",
		},
		{
			ID: "listorganizationremotedesktopsubscriptions", Title: "List Organization Remote Desktop Subscriptions",
			Method: "GET", Path: RemoteDesktopsRoot + "/organizations/{organizationId}/subscriptions", Source: Inferred,
			Result:  []string{"id", "organizationId", "name", "state", "concurrentUsers", "accessType", "twoFactorAuthRequired", "instanceIds", "createdAt", "updatedAt"},
			Summary: "List the remote desktop subscriptions of an organization.",
		},
		{
			ID: "createinstanceusers", Title: "Assign Users to Remote Desktop",
			Method: "POST", Path: remoteDesktopUsers, Source: Inferred,
			Body: append([]Field{
				{Name: "userIds", Type: "array", Required: true, Help: "organization user ids to assign"},
			}, rdUserSettings([]string{"native", "local", "domain"})...),
			Result:  rdUserResult(),
			Summary: "Give organization users access to a remote desktop instance.",
		},
		{
			ID: "deleteremotedesktopuser", Title: "Remove User from Remote Desktop",
			Method: "DELETE", Path: RemoteDesktopsRoot + "/subscriptions/{subscriptionId}/users/{userId}", Source: Inferred,
			Result:  []string{"id"},
			Summary: "Remove a user and all of its access from a remote desktop subscription.",
		},
		{
			ID: "listinstanceusers", Title: "List Remote Desktop Users",
			Method: "GET", Path: remoteDesktopUsers, Source: Inferred,
			Result:  rdUserResult(),
			Summary: "List the users assigned to a remote desktop instance.",
		},
		{
			ID: "updateinstanceuser", Title: "Update Remote Desktop User",
			Method: "PATCH", Path: remoteDesktopUsers + "/{userId}", Source: Inferred,
			Body:    rdUserSettings([]string{"native", "local", "domain", "subscription"}),
			Result:  rdUserResult(),
			Summary: "Change the access settings of a remote desktop user.",
		},
		{
			ID: "retryfailedinstance", Title: "Retry Failed Instance Deployment",
			Method: "POST", Path: RemoteDesktopsRoot + "/subscriptions/{subscriptionId}/instances/{instanceId}/retry", Source: Inferred, Async: true,
			Result:  rdInstanceResult(),
			Summary: "Start the deployment of a failed remote desktop instance again.",
		},
		{
			ID: "createfirewallinboundrule", Title: "Create Firewall Inbound Rule",
			Method: "POST", Path: firewallRules, Source: Inferred,
			Body: []Field{
				{Name: "protocol", Type: "string", Required: true, Enum: []string{"TCP", "UDP", "ICMP"}, Help: "traffic protocol"},
				{Name: "sourceIp", Type: "string", Required: true, Help: "allowed source address or CIDR range"},
				{Name: "publicPort", Type: "integer", Help: "public port (TCP/UDP)"},
				{Name: "privatePort", Type: "integer", Help: "port on the instance (TCP/UDP)"},
				{Name: "nicIp", Type: "string", Help: "private IP of the target network interface (TCP/UDP)"},
				{Name: "icmpType", Type: "integer", Help: "ICMP type (ICMP)"},
				{Name: "icmpCode", Type: "integer", Help: "ICMP code (ICMP)"},
			},
			Result:  firewallResult(),
			Summary: "Allow inbound traffic into an isolated network.",
		},
		{
			ID: "deletefirewallinboundruleicmp", Title: "Delete ICMP Firewall Rule",
			Method: "DELETE", Path: firewallRules + "/icmp/{ruleId}", Source: Inferred,
			Result:  []string{"id"},
			Summary: "Delete an ICMP inbound rule; refuses TCP and UDP rules.",
		},
		{
			ID: "deletefirewallinboundruletcpudp", Title: "Delete TCP/UDP Firewall Rule",
			Method: "DELETE", Path: firewallRules + "/tcp-udp/{ruleId}", Source: Inferred,
			Result:  []string{"id"},
			Summary: "Delete a TCP or UDP inbound rule together with its port forwarding.",
		},
		{
			ID: "getfirewallinboundrules", Title: "List Network Firewall Rules",
			Method: "GET", Path: firewallRules, Source: Inferred,
			Result:  firewallResult(),
			Summary: "List the inbound firewall rules of an isolated network.",
		},
		{
			ID: "listserversubscriptioninstances", Title: "List Server Subscription Instances",
			Method: "GET", Path: ServersRoot + "/subscriptions/{subscriptionId}/instances", Source: Documented,
			Query: []Field{
				{Name: "state", Type: "string", Enum: []string{"creating", "starting", "running", "stopped"},
					Help: "only instances in this state (the reference mentions filtering by state; the parameter name is inferred)"},
			},
			Result:  []string{"id", "subscriptionId", "zone", "templateId", "offeringId", "state", "name", "createdAt", "updatedAt"},
			Summary: "List the server instances of a subscription.",
		},
		{
			ID: "listprivatenetworkipfromnic", Title: "List Network Interface IP Addresses",
			Method: "GET", Path: instanceNICs + "/{nicId}/ips", Source: Inferred,
			Result:  []string{"id", "nicId", "ip"},
			Summary: "List the IP addresses assigned to a network interface.",
		},
		{
			ID: "createserverinstancenics", Title: "Create Instance Network Interface",
			Method: "POST", Path: instanceNICs, Source: Inferred,
			Body: []Field{
				{Name: "isolatedNetworkId", Type: "string", Required: true, Help: "isolated network to connect to"},
				{Name: "ip", Type: "string", Help: "private IP inside the network range; the next free one when omitted"},
				{Name: "macAddress", Type: "string", Help: "MAC address; generated when omitted"},
			},
			Result:  []string{"id", "instanceId", "isolatedNetworkId", "macAddress", "ip", "isDefault"},
			Summary: "Attach a new network interface to a server instance.",
		},
		{
			ID: "listserverinstancenics", Title: "List Instance Network Interfaces",
			Method: "GET", Path: instanceNICs, Source: Inferred,
			Result:  []string{"id", "instanceId", "isolatedNetworkId", "macAddress", "ip", "isDefault"},
			Summary: "List the network interfaces of a server instance.",
		},
		{
			ID: "createisolatednetwork", Title: "Create Isolated Network",
			Method: "POST", Path: isolatedNetworks, Source: Documented,
			Body: []Field{
				{Name: "name", Type: "string", Required: true, Help: "network name"},
				{Name: "network", Type: "string", Required: true, Help: "network address, the first IP of the range"},
				{Name: "netmask", Type: "string", Required: true, Help: "netmask, e.g. 255.255.255.0"},
				{Name: "gateway", Type: "string", Required: true, Help: "gateway IP inside the range"},
			},
			Result:  []string{"id", "subscriptionId", "mainNetworkId", "name", "gateway", "netmask", "cidr", "zone", "createdAt", "updatedAt"},
			Summary: "Create a private isolated network in a server subscription.",
		},
		{
			ID: "listisolatednetworks", Title: "List Subscription Isolated Networks",
			Method: "GET", Path: isolatedNetworks, Source: Documented,
			Result:  []string{"id", "subscriptionId", "mainNetworkId", "name", "gateway", "netmask", "cidr", "zone", "createdAt", "updatedAt"},
			Summary: "List the isolated networks of a server subscription.",
		},
		{
			ID: "createsubscriptionpublicip", Title: "Allocate Public IP",
			Method: "POST", Path: publicIPs, Source: Inferred,
			Body: []Field{
				{Name: "isolatedNetworkId", Type: "string", Required: true, Help: "isolated network the address is bound to"},
			},
			Result:  []string{"id", "subscriptionId", "ip", "isolatedNetworkId", "sourceNat", "staticNat", "zone", "createdAt"},
			Summary: "Allocate a public IP address for an isolated network.",
		},
		{
			ID: "getsubscriptionpublicips", Title: "List Subscription Public IPs",
			Method: "GET", Path: publicIPs, Source: Inferred,
			Result:  []string{"id", "subscriptionId", "ip", "isolatedNetworkId", "sourceNat", "staticNat", "zone", "createdAt"},
			Summary: "List the public IP addresses of a server subscription.",
		},
		{
			ID: "listorganizationsubscriptions", Title: "List Organization Server Subscriptions",
			Method: "GET", Path: ServersRoot + "/organizations/{organizationId}/subscriptions", Source: Documented,
			Result:  []string{"id", "name", "createdAt", "updatedAt"},
			Summary: "List the server subscriptions of an organization (the reference says it pages; the parameters are not documented).",
		},
	}
}

// Ops returns the 33 operations in reference order. Each call returns a fresh
// copy that the caller may modify.
func Ops() []Op { return buildOps() }

// Lookup finds an operation by id, ignoring case.
func Lookup(id string) (Op, bool) {
	for _, op := range buildOps() {
		if strings.EqualFold(op.ID, id) {
			return op, true
		}
	}
	return Op{}, false
}

// PathParams returns the names of the {placeholders} in the path, in order.
func (o Op) PathParams() []string {
	var names []string
	for _, seg := range strings.Split(o.Path, "/") {
		if name, ok := placeholder(seg); ok {
			names = append(names, name)
		}
	}
	return names
}

// Expand fills the path placeholders with values, escaping each one as a
// single path segment. A missing or empty value, or one CheckID refuses, is an error.
func (o Op) Expand(values map[string]string) (string, error) {
	segs := strings.Split(o.Path, "/")
	for i, seg := range segs {
		name, ok := placeholder(seg)
		if !ok {
			continue
		}
		v := values[name]
		if v == "" {
			return "", fmt.Errorf("%s: missing value for path parameter %s", o.ID, name)
		}
		if err := CheckID(v); err != nil {
			return "", fmt.Errorf("%s: path parameter %s %q: %w", o.ID, name, v, err)
		}
		segs[i] = url.PathEscape(v)
	}
	return strings.Join(segs, "/"), nil
}

// BodyField returns the body field with the given name.
func (o Op) BodyField(name string) (Field, bool) {
	for _, f := range o.Body {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

func placeholder(seg string) (string, bool) {
	if len(seg) > 2 && strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// CheckID says why v cannot be sent as an id in a path segment, or returns nil. Refused: an empty or blank value, the
// dot segments "." and ".." (also percent-encoded, such as %2e%2e), and values containing '/', '\\', '?', '#', '%',
// white space or control characters, which would change the request's path or query or could be read so by a proxy.
func CheckID(v string) error {
	if err := CheckName(v); err != nil {
		return err
	}
	for _, r := range v {
		switch {
		case r == '/' || r == '\\' || r == '?' || r == '#' || r == '%':
			return fmt.Errorf("an id cannot contain %q", r)
		case unicode.IsSpace(r):
			return errors.New("an id cannot contain white space")
		}
	}
	return nil
}

// CheckName is the part of CheckID that also applies to names (which are resolved to ids by listing): a blank value,
// a dot segment, or control and bidirectional-format characters are refused.
func CheckName(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("the value is empty")
	}
	if d, err := url.PathUnescape(v); (err == nil && (d == "." || d == "..")) || v == "." || v == ".." {
		return errors.New("a dot segment (. or ..) is not an id")
	}
	for _, r := range v {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("control or format character %U is not allowed", r)
		}
	}
	return nil
}
