package virtomizesim

import (
	"net/http"
	"sort"
	"strings"
	"sync"
)

type handler func(c *call) (any, error)

// route is one operation of the API.
type route struct {
	method, pattern string
	segs            []string // pattern segments; "" marks a key
	params          []string // key names in path order
	h               handler
	public          bool   // no bearer token needed
	query           bool   // parameters come from the URL query
	form            bool   // the handler reads (and checks) parameters itself
	raw             string // parameter that receives a raw application/octet-stream body
	unlisted        bool   // served but not part of the reference's operation list
	perm            string // permission required; empty for any authenticated user
}

// template groups the routes that share one path shape.
type template struct {
	segs   []string
	routes map[string]*route
}

// Route options.
const (
	optPublic = 1 << iota
	optQuery
	optForm
	optUnlisted
	optSelf // any authenticated user, no permission needed
)

// routeSpec declares one route: its method and path pattern as the reference writes them, its handler, its options
// (opt*) and, for an upload, the parameter that receives the raw body.
type routeSpec struct {
	method, pattern string
	h               handler
	opts            int
	raw             string
}

// routeSpecs is the simulator's own route table, written from the appliance reference.
func routeSpecs() []routeSpec {
	const (
		get, post, put, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
		F                   = optForm
	)
	return []routeSpec{
		{get, "/", hOverview, optPublic, ""},
		{post, "/token", hToken, optPublic | F, ""},
		{get, "/token", hToken, optPublic | F | optQuery | optUnlisted, ""},
		{post, "/destroy", hDestroy, optPublic | F, ""},
		{get, "/version", hVersion, optSelf, ""},

		{get, "/backup", hBackupGet, 0, ""},
		{post, "/backup", hBackupRestore, F, "backup"},

		{get, "/callbacks", hCallbackList, 0, ""},
		{post, "/callbacks", hCallbackCreate, F, ""},
		{get, "/callbacks/:key", hCallbackGet, 0, ""},
		{put, "/callbacks/:key", hCallbackUpdate, F, ""},
		{del, "/callbacks/:key", hCallbackDelete, 0, ""},

		{get, "/clustercredentials", hCredList, 0, ""},
		{post, "/clustercredentials", hCredCreate, F, ""},
		{get, "/clustercredentials/:key", hCredGet, 0, ""},
		{put, "/clustercredentials/:key", hCredUpdate, F, ""},
		{del, "/clustercredentials/:key", hCredDelete, 0, ""},
		{post, "/clustercredentials/:key/test", hCredTest, F, ""},

		{get, "/clusterdefaults", hDefaultsList, 0, ""},
		{post, "/clusterdefaults", hDefaultsCreate, F, ""},
		{get, "/clusterdefaults/:key", hDefaultsGet, 0, ""},
		{put, "/clusterdefaults/:key", hDefaultsUpdate, F, ""},
		{del, "/clusterdefaults/:key", hDefaultsDelete, 0, ""},

		{get, "/clusters", hClusterList, 0, ""},
		{post, "/clusters", hClusterCreate, F, ""},
		{get, "/clusters/:key", hClusterGet, 0, ""},
		{put, "/clusters/:key", hClusterUpdate, F, ""},
		{del, "/clusters/:key", hClusterDelete, 0, ""},
		{get, "/clusters/:key/datastores", hClusterDatastores, 0, ""},
		{post, "/clusters/:key/imagesync", hClusterImageSync, 0, ""},
		{get, "/clusters/:key/import", hClusterImportList, 0, ""},
		{post, "/clusters/:key/import", hClusterImport, F, ""},
		{post, "/clusters/:key/networksync", hClusterNetworkSync, 0, ""},
		{post, "/clusters/:key/synchronize", hClusterSynchronize, 0, ""},

		{get, "/eula", hEula, optSelf, ""},
		{post, "/eula/accept", hEulaAccept, 0, ""},

		{get, "/license", hLicenseGet, 0, ""},
		{put, "/license", hLicensePut, F, ""},
		{del, "/license", hLicenseDelete, 0, ""},

		{post, "/logs", hLogs, F, ""},

		{get, "/networks", hNetworkList, 0, ""},
		{post, "/networks", hNetworkCreate, F, ""},
		{get, "/networks/:key", hNetworkGet, 0, ""},
		{put, "/networks/:key", hNetworkUpdate, F, ""},
		{del, "/networks/:key", hNetworkDelete, 0, ""},
		{get, "/networks/:key/getfreeip", hNetworkFreeIP, 0, ""},

		{get, "/notificationfilter", hFilterList, 0, ""},
		{post, "/notificationfilter", hFilterCreate, F, ""},
		{get, "/notificationfilter/:key", hFilterGet, 0, ""},
		{put, "/notificationfilter/:key", hFilterUpdate, F, ""},
		{del, "/notificationfilter/:key", hFilterDelete, 0, ""},

		{get, "/operatingsystems", hOSList, 0, ""},
		{get, "/operatingsystems/:key", hOSGet, 0, ""},

		{get, "/permissiongroups", hPermissionGroups, 0, ""},

		{get, "/profiles", hProfileList, 0, ""},
		{post, "/profiles", hProfileCreate, F, ""},
		{get, "/profiles/:key", hProfileGet, 0, ""},
		{put, "/profiles/:key", hProfileUpdate, F, ""},
		{del, "/profiles/:key", hProfileDelete, 0, ""},
		{post, "/profiles/:key/createvirtualmachine", hProfileCreateVM, F, ""},

		{get, "/resourcecontingents", hContingentList, 0, ""},
		{post, "/resourcecontingents", hContingentCreate, F, ""},
		{get, "/resourcecontingents/:key", hContingentGet, 0, ""},
		{put, "/resourcecontingents/:key", hContingentUpdate, F, ""},
		{del, "/resourcecontingents/:key", hContingentDelete, 0, ""},

		{get, "/servicesettings", hServiceSettingsGet, 0, ""},
		{put, "/servicesettings", hServiceSettingsPut, F, ""},

		{get, "/setting", hSettingGet, 0, ""},
		{put, "/setting", hSettingPut, F, ""},
		{del, "/setting", hSettingDelete, 0, ""},
		{get, "/setting/notification", hNotificationGet, 0, ""},
		{put, "/setting/notification", hNotificationPut, F, ""},
		{del, "/setting/notification", hNotificationDelete, 0, ""},

		{get, "/update", hUpdateGet, 0, ""},
		{post, "/update", hUpdateRun, 0, ""},

		{get, "/usergroups", hGroupList, 0, ""},
		{post, "/usergroups", hGroupCreate, F, ""},
		{get, "/usergroups/:key", hGroupGet, 0, ""},
		{put, "/usergroups/:key", hGroupUpdate, F, ""},
		{del, "/usergroups/:key", hGroupDelete, 0, ""},

		{get, "/users", hUserList, 0, ""},
		{post, "/users", hUserCreate, F, ""},
		{get, "/users/current", hUserCurrent, optSelf, ""},
		{get, "/users/:key", hUserGet, 0, ""},
		{put, "/users/:key", hUserUpdate, F, ""},
		{del, "/users/:key", hUserDelete, 0, ""},
		{put, "/users/:key/permissions", hUserPermissions, F, ""},

		{get, "/virtualmachinenetworks", hVMNetList, 0, ""},
		{post, "/virtualmachinenetworks", hVMNetCreate, F, ""},
		{get, "/virtualmachinenetworks/:key", hVMNetGet, 0, ""},
		{put, "/virtualmachinenetworks/:key", hVMNetUpdate, F, ""},
		{del, "/virtualmachinenetworks/:key", hVMNetDelete, F, ""},

		{get, "/virtualmachines", hVMList, 0, ""},
		{post, "/virtualmachines", hVMCreate, F, ""},
		{get, "/virtualmachines/:key", hVMGet, 0, ""},
		{put, "/virtualmachines/:key", hVMUpdate, F, ""},
		{del, "/virtualmachines/:key", hVMDelete, 0, ""},
		{get, "/virtualmachines/:key/info", hVMInfo, 0, ""},
		{post, "/virtualmachines/:key/install", hVMInstall, F, ""},
		{post, "/virtualmachines/:key/poweron", hVMPowerOn, 0, ""},
		{post, "/virtualmachines/:key/poweroff", hVMPowerOff, 0, ""},
		{get, "/virtualmachines/parameter/:key", hVMParameter, 0, ""},
		{get, "/virtualmachines/:key/snapshots", hSnapList, 0, ""},
		{post, "/virtualmachines/:vmkey/snapshots", hSnapCreate, F, ""},
		{get, "/virtualmachines/:vmkey/snapshots/:key", hSnapGet, 0, ""},
		{put, "/virtualmachines/:vmkey/snapshots/:key", hSnapUpdate, F, ""},
		{del, "/virtualmachines/:vmkey/snapshots/:key", hSnapDelete, 0, ""},
		{post, "/virtualmachines/:vmkey/snapshots/:key/restore", hSnapRestore, 0, ""},
		{post, "/virtualmachines/:vmkey/snapshots/updatehardware", hSnapUpdateHardware, F, ""},
	}
}

// newRoute builds a route from its declaration: the pattern's segments and keys, and the permission it needs
// ("<collection>:read" or ":write" by method; POST /logs only reads).
func newRoute(sp routeSpec) *route {
	rt := &route{method: sp.method, pattern: sp.pattern, h: sp.h, raw: sp.raw,
		public: sp.opts&optPublic != 0, query: sp.opts&optQuery != 0, form: sp.opts&optForm != 0,
		unlisted: sp.opts&optUnlisted != 0}
	if sp.pattern != "/" {
		for _, seg := range strings.Split(sp.pattern[1:], "/") {
			if name, ok := strings.CutPrefix(seg, ":"); ok {
				rt.segs = append(rt.segs, "")
				rt.params = append(rt.params, name)
			} else {
				rt.segs = append(rt.segs, seg)
			}
		}
	}
	if !rt.public && sp.opts&optSelf == 0 {
		access := "write"
		if sp.method == http.MethodGet || (sp.method == http.MethodPost && sp.pattern == "/logs") {
			access = "read"
		}
		rt.perm = rt.segs[0] + ":" + access
	}
	return rt
}

func buildRoutes() ([]*route, []*template) {
	var routes []*route
	byShape := map[string]*template{}
	var tmpls []*template
	for _, sp := range routeSpecs() {
		rt := newRoute(sp)
		routes = append(routes, rt)
		shape := strings.Join(rt.segs, "/")
		t := byShape[shape]
		if t == nil {
			t = &template{segs: rt.segs, routes: map[string]*route{}}
			byShape[shape] = t
			tmpls = append(tmpls, t)
		}
		if t.routes[rt.method] != nil {
			panic("virtomizesim: duplicate route " + rt.method + " " + rt.pattern)
		}
		t.routes[rt.method] = rt
	}
	return routes, tmpls
}

// match finds the route for method and rel. When the path exists but the
// method does not, it returns the allowed methods instead. A literal segment
// takes precedence over a key (/users/current over /users/:key).
func (s *Server) match(method, rel string) (*route, []string, []string) {
	var segs []string
	if rel != "/" {
		segs = strings.Split(rel[1:], "/")
	}
	var best *template
	for _, t := range s.tmpls {
		if len(t.segs) != len(segs) {
			continue
		}
		ok := true
		for i, seg := range t.segs {
			if seg == "" {
				if segs[i] == "" {
					ok = false
					break
				}
			} else if seg != segs[i] {
				ok = false
				break
			}
		}
		if ok && (best == nil || moreSpecific(t, best)) {
			best = t
		}
	}
	if best == nil {
		return nil, nil, nil
	}
	rt := best.routes[method]
	if rt == nil {
		var allow []string
		for m := range best.routes {
			allow = append(allow, m)
		}
		sort.Strings(allow)
		return nil, nil, allow
	}
	var vals []string
	for i, seg := range best.segs {
		if seg == "" {
			vals = append(vals, segs[i])
		}
	}
	return rt, vals, nil
}

func moreSpecific(a, b *template) bool {
	for i := range a.segs {
		if (a.segs[i] == "") != (b.segs[i] == "") {
			return a.segs[i] != ""
		}
	}
	return false
}

// permissionGroups are the groups the appliance knows. Permissions are
// "<collection>:read" and "<collection>:write".
var permissionGroups = sync.OnceValue(func() []permissionGroup {
	rw := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, n+":read", n+":write")
		}
		return out
	}
	all := []string{"backup", "callbacks", "clustercredentials", "clusterdefaults", "clusters", "eula", "license",
		"logs", "networks", "notificationfilter", "operatingsystems", "permissiongroups", "profiles",
		"resourcecontingents", "servicesettings", "setting", "update", "usergroups", "users",
		"virtualmachinenetworks", "virtualmachines"}
	var viewer []string
	for _, n := range all {
		if n != "backup" && n != "logs" {
			viewer = append(viewer, n+":read")
		}
	}
	groups := []permissionGroup{
		{"admin", rw(all...)},
		{"clusteradmin", append(rw("callbacks", "clustercredentials", "clusterdefaults", "clusters", "networks", "profiles"), "operatingsystems:read")},
		{"systemadmin", rw("backup", "eula", "license", "logs", "servicesettings", "setting", "update")},
		{"useradmin", append(rw("notificationfilter", "resourcecontingents", "usergroups", "users"), "permissiongroups:read")},
		{"viewer", viewer},
		{"vmoperator", append(rw("virtualmachinenetworks", "virtualmachines"),
			"clusters:read", "networks:read", "operatingsystems:read", "profiles:read", "usergroups:read")},
	}
	for i := range groups {
		sort.Strings(groups[i].Permissions)
	}
	return groups
})

func findPermissionGroup(name string) *permissionGroup {
	for i := range permissionGroups() {
		if permissionGroups()[i].Name == name {
			return &permissionGroups()[i]
		}
	}
	return nil
}

// permissionsOf returns the sorted, de-duplicated permissions of u.
func permissionsOf(u *user) []string {
	set := map[string]bool{}
	for _, g := range u.Groups {
		if pg := findPermissionGroup(g); pg != nil {
			for _, p := range pg.Permissions {
				set[p] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func hasPermission(u *user, perm string) bool {
	for _, g := range u.Groups {
		if pg := findPermissionGroup(g); pg != nil {
			i := sort.SearchStrings(pg.Permissions, perm)
			if i < len(pg.Permissions) && pg.Permissions[i] == perm {
				return true
			}
		}
	}
	return false
}
