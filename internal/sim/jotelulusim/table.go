package jotelulusim

// Op is one operation the simulator serves: where it answers and what a write request may carry.
//
// The table below is the simulator's own, written from the published evidence and independent of the client's
// operation table, so that a test can compare the two. Six methods and paths are documented (the reference pages
// that show them are quoted in pkg/api/jotelulu/testdata/jotelulu-evidence.md); the others follow the documented
// conventions: /api-gateway/<service>/v1, the kebab-case plural resource names of the documented paths, and the id
// chain organization → subscription → instance or network. Remote desktop resources get a service of their own
// (remote-desktops), because the documented servers paths already give /subscriptions/{subscriptionId}/instances to
// server instances. Body fields are those the reference index describes for each operation.
type Op struct {
	ID         string // operationId, as the reference spells it
	Method     string
	Path       string // with {parameter} placeholders
	Documented bool   // the method and path were seen in a reference page
	Query      []Field
	Body       []Field // fields of the data object of a write request
	handle     handler // nil: the built-in operation with the same id, or 501 when there is none
}

// Field is one query parameter or data field the simulator accepts.
type Field struct {
	Name     string
	Type     string // string, integer, boolean, array or object
	Required bool
	Enum     []string
}

// bodyField returns the data field with the given name.
func (o Op) bodyField(name string) (Field, bool) {
	for _, f := range o.Body {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Service roots. core and servers are documented; remote-desktops is inferred.
const (
	coreAPI    = "/api-gateway/core/v1"
	serversAPI = "/api-gateway/servers/v1"
	rdAPI      = "/api-gateway/remote-desktops/v1"

	orgPath        = coreAPI + "/organizations/{organizationId}"
	serverSubPath  = serversAPI + "/subscriptions/{subscriptionId}"
	rdSub          = rdAPI + "/subscriptions/{subscriptionId}"
	rdInstancePath = rdSub + "/instances/{instanceId}"
	rdApps         = rdSub + "/applications"
	rules          = serverSubPath + "/networks/{mainNetworkId}/firewall-inbound-rules"
	nics           = serverSubPath + "/instances/{instanceId}/nics"
	publicIPPath   = serverSubPath + "/networks/public-ips"
	isolatedPath   = serverSubPath + "/networks/isolated-networks"
)

func fStr(name string, enum ...string) Field { return Field{Name: name, Type: "string", Enum: enum} }
func fInt(name string) Field                 { return Field{Name: name, Type: "integer"} }
func fBool(name string) Field                { return Field{Name: name, Type: "boolean"} }
func fArray(name string) Field               { return Field{Name: name, Type: "array"} }
func required(f Field) Field                 { f.Required = true; return f }

// rdUserFields are the access settings of a remote desktop user (createinstanceusers, updateinstanceuser).
func rdUserFields(userTypes ...string) []Field {
	return []Field{fStr("connectionType", "virtual-desktop", "launchpad"), fStr("permission", "user", "admin"),
		fStr("userType", userTypes...), fStr("username"), fBool("twoFactorAuth"), fBool("virtualPrinter"),
		fBool("virtualDrives"), fBool("virtualClipboard"), fBool("rdpAccess")}
}

// appFields are the settings of a custom application (createinstanceapplication, updateinstanceapplication).
func appFields() []Field {
	return []Field{fStr("name"), fStr("tagId"), fStr("directory"), fStr("executable"), fStr("arguments")}
}

// table returns the operations in the order of the reference index; every call returns a fresh copy.
func table() []Op {
	const get, post, patch, del = "GET", "POST", "PATCH", "DELETE"
	return []Op{
		{ID: "createcoreorganizationuser", Method: post, Path: orgPath + "/users", handle: createOrgUser,
			Body: []Field{required(fStr("email")), fStr("name"), fStr("lastName"), fStr("password"), fBool("twoFactorAuthRequired"),
				fStr("position"), fStr("phone"), fStr("language"), fStr("timezone")}},
		{ID: "listcoreorganizationusers", Method: get, Path: orgPath + "/users", Documented: true, handle: listOrgUsers},
		{ID: "listcoreuserorganizations", Method: get, Path: coreAPI + "/organizations", Documented: true, handle: listOrgs},
		{ID: "getinstanceprogress", Method: get, Path: rdInstancePath + "/progress", handle: getProgress},
		{ID: "addapplicationtouser", Method: post, Path: rdApps + "/{applicationId}/users", handle: grantApp,
			Body: []Field{required(fArray("userIds"))}},
		{ID: "listapplicationusers", Method: get, Path: rdApps + "/{applicationId}/users", handle: listAppUsers},
		{ID: "removeapplicationfromuser", Method: del, Path: rdApps + "/{applicationId}/users/{userId}", handle: revokeApp},
		{ID: "createinstanceapplication", Method: post, Path: rdApps, handle: createApp,
			Body: append([]Field{required(fStr("instanceId")), fStr("applicationId")}, appFields()...)},
		{ID: "listsubscriptionapplications", Method: get, Path: rdApps, handle: listApps},
		{ID: "updateinstanceapplication", Method: patch, Path: rdApps + "/{applicationId}", handle: updateApp, Body: appFields()},
		{ID: "listapplications", Method: get, Path: rdAPI + "/applications", handle: listCatalog},
		{ID: "listapplicationtags", Method: get, Path: rdAPI + "/application-tags", handle: listTags},
		{ID: "listremotedesktopsubscriptioninstances", Method: get, Path: rdSub + "/instances", handle: listRDInstances},
		{ID: "createremotedesktopsubscription", Method: post, Path: rdAPI + "/organizations/{organizationId}/subscriptions", handle: createRDSub,
			Body: []Field{required(fStr("name")), fInt("concurrentUsers"), fStr("accessType", "virtual-desktop", "launchpad"),
				fBool("twoFactorAuthRequired"), fArray("users"), fArray("admins"), fArray("applications")}},
		{ID: "listorganizationremotedesktopsubscriptions", Method: get, Path: rdAPI + "/organizations/{organizationId}/subscriptions", handle: listRDSubs},
		{ID: "createinstanceusers", Method: post, Path: rdInstancePath + "/users", handle: createRDUsers,
			Body: append([]Field{required(fArray("userIds"))}, rdUserFields("native", "local", "domain")...)},
		{ID: "deleteremotedesktopuser", Method: del, Path: rdSub + "/users/{userId}", handle: deleteRDUser},
		{ID: "listinstanceusers", Method: get, Path: rdInstancePath + "/users", handle: listRDUsers},
		{ID: "updateinstanceuser", Method: patch, Path: rdInstancePath + "/users/{userId}", handle: updateRDUser,
			Body: rdUserFields("native", "local", "domain", "subscription")},
		{ID: "retryfailedinstance", Method: post, Path: rdInstancePath + "/retry", handle: retryInstance},
		{ID: "createfirewallinboundrule", Method: post, Path: rules, handle: createRule,
			Body: []Field{required(fStr("protocol", "TCP", "UDP", "ICMP")), required(fStr("sourceIp")), fInt("publicPort"),
				fInt("privatePort"), fStr("nicIp"), fInt("icmpType"), fInt("icmpCode")}},
		{ID: "deletefirewallinboundruleicmp", Method: del, Path: rules + "/icmp/{ruleId}", handle: deleteRule("ICMP")},
		{ID: "deletefirewallinboundruletcpudp", Method: del, Path: rules + "/tcp-udp/{ruleId}", handle: deleteRule("TCP", "UDP")},
		{ID: "getfirewallinboundrules", Method: get, Path: rules, handle: listRules},
		{ID: "listserversubscriptioninstances", Method: get, Path: serverSubPath + "/instances", Documented: true, handle: listInstances,
			Query: []Field{fStr("state", "creating", "starting", "running", "stopped")}},
		{ID: "listprivatenetworkipfromnic", Method: get, Path: nics + "/{nicId}/ips", handle: listNICIPs},
		{ID: "createserverinstancenics", Method: post, Path: nics, handle: createNIC,
			Body: []Field{required(fStr("isolatedNetworkId")), fStr("ip"), fStr("macAddress")}},
		{ID: "listserverinstancenics", Method: get, Path: nics, handle: listNICs},
		{ID: "createisolatednetwork", Method: post, Path: isolatedPath, Documented: true, handle: createNetwork,
			Body: []Field{required(fStr("name")), required(fStr("network")), required(fStr("netmask")), required(fStr("gateway"))}},
		{ID: "listisolatednetworks", Method: get, Path: isolatedPath, Documented: true, handle: listNetworks},
		{ID: "createsubscriptionpublicip", Method: post, Path: publicIPPath, handle: createPublicIP,
			Body: []Field{required(fStr("isolatedNetworkId"))}},
		{ID: "getsubscriptionpublicips", Method: get, Path: publicIPPath, handle: listPublicIPs},
		{ID: "listorganizationsubscriptions", Method: get, Path: serversAPI + "/organizations/{organizationId}/subscriptions", Documented: true,
			handle: listServerSubs},
	}
}

// Operations returns the simulator's operation table (a copy the caller may change and pass back in Options.Ops).
func Operations() []Op { return table() }
