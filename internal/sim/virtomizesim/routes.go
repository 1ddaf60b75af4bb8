package virtomizesim

import (
	"net/http"
	"sort"
	"strings"
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

func buildRoutes() ([]*route, []*template) {
	var routes []*route
	add := func(method, pattern string, h handler, opts int) *route {
		rt := &route{method: method, pattern: pattern, h: h,
			public: opts&optPublic != 0, query: opts&optQuery != 0, form: opts&optForm != 0,
			unlisted: opts&optUnlisted != 0}
		if pattern != "/" {
			for _, seg := range strings.Split(pattern[1:], "/") {
				if name, ok := strings.CutPrefix(seg, ":"); ok {
					rt.segs = append(rt.segs, "")
					rt.params = append(rt.params, name)
				} else {
					rt.segs = append(rt.segs, seg)
				}
			}
		}
		if !rt.public && opts&optSelf == 0 {
			access := "write"
			if method == http.MethodGet || (method == http.MethodPost && pattern == "/logs") {
				access = "read"
			}
			rt.perm = rt.segs[0] + ":" + access
		}
		routes = append(routes, rt)
		return rt
	}
	const (
		get, post, put, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
		F                   = optForm
	)

	add(get, "/", hOverview, optPublic)
	add(post, "/token", hToken, optPublic|F)
	add(get, "/token", hToken, optPublic|F|optQuery|optUnlisted)
	add(post, "/destroy", hDestroy, optPublic|F)
	add(get, "/version", hVersion, optSelf)

	add(get, "/backup", hBackupGet, 0)
	add(post, "/backup", hBackupRestore, F).raw = "backup"

	add(get, "/callbacks", hCallbackList, 0)
	add(post, "/callbacks", hCallbackCreate, F)
	add(get, "/callbacks/:key", hCallbackGet, 0)
	add(put, "/callbacks/:key", hCallbackUpdate, F)
	add(del, "/callbacks/:key", hCallbackDelete, 0)

	add(get, "/clustercredentials", hCredList, 0)
	add(post, "/clustercredentials", hCredCreate, F)
	add(get, "/clustercredentials/:key", hCredGet, 0)
	add(put, "/clustercredentials/:key", hCredUpdate, F)
	add(del, "/clustercredentials/:key", hCredDelete, 0)
	add(post, "/clustercredentials/:key/test", hCredTest, F)

	add(get, "/clusterdefaults", hDefaultsList, 0)
	add(post, "/clusterdefaults", hDefaultsCreate, F)
	add(get, "/clusterdefaults/:key", hDefaultsGet, 0)
	add(put, "/clusterdefaults/:key", hDefaultsUpdate, F)
	add(del, "/clusterdefaults/:key", hDefaultsDelete, 0)

	add(get, "/clusters", hClusterList, 0)
	add(post, "/clusters", hClusterCreate, F)
	add(get, "/clusters/:key", hClusterGet, 0)
	add(put, "/clusters/:key", hClusterUpdate, F)
	add(del, "/clusters/:key", hClusterDelete, 0)
	add(get, "/clusters/:key/datastores", hClusterDatastores, 0)
	add(post, "/clusters/:key/imagesync", hClusterImageSync, 0)
	add(get, "/clusters/:key/import", hClusterImportList, 0)
	add(post, "/clusters/:key/import", hClusterImport, F)
	add(post, "/clusters/:key/networksync", hClusterNetworkSync, 0)
	add(post, "/clusters/:key/synchronize", hClusterSynchronize, 0)

	add(get, "/eula", hEula, optSelf)
	add(post, "/eula/accept", hEulaAccept, 0)

	add(get, "/license", hLicenseGet, 0)
	add(put, "/license", hLicensePut, F)
	add(del, "/license", hLicenseDelete, 0)

	add(post, "/logs", hLogs, F)

	add(get, "/networks", hNetworkList, 0)
	add(post, "/networks", hNetworkCreate, F)
	add(get, "/networks/:key", hNetworkGet, 0)
	add(put, "/networks/:key", hNetworkUpdate, F)
	add(del, "/networks/:key", hNetworkDelete, 0)
	add(get, "/networks/:key/getfreeip", hNetworkFreeIP, 0)

	add(get, "/notificationfilter", hFilterList, 0)
	add(post, "/notificationfilter", hFilterCreate, F)
	add(get, "/notificationfilter/:key", hFilterGet, 0)
	add(put, "/notificationfilter/:key", hFilterUpdate, F)
	add(del, "/notificationfilter/:key", hFilterDelete, 0)

	add(get, "/operatingsystems", hOSList, 0)
	add(get, "/operatingsystems/:key", hOSGet, 0)

	add(get, "/permissiongroups", hPermissionGroups, 0)

	add(get, "/profiles", hProfileList, 0)
	add(post, "/profiles", hProfileCreate, F)
	add(get, "/profiles/:key", hProfileGet, 0)
	add(put, "/profiles/:key", hProfileUpdate, F)
	add(del, "/profiles/:key", hProfileDelete, 0)
	add(post, "/profiles/:key/createvirtualmachine", hProfileCreateVM, F)

	add(get, "/resourcecontingents", hContingentList, 0)
	add(post, "/resourcecontingents", hContingentCreate, F)
	add(get, "/resourcecontingents/:key", hContingentGet, 0)
	add(put, "/resourcecontingents/:key", hContingentUpdate, F)
	add(del, "/resourcecontingents/:key", hContingentDelete, 0)

	add(get, "/servicesettings", hServiceSettingsGet, 0)
	add(put, "/servicesettings", hServiceSettingsPut, F)

	add(get, "/setting", hSettingGet, 0)
	add(put, "/setting", hSettingPut, F)
	add(del, "/setting", hSettingDelete, 0)
	add(get, "/setting/notification", hNotificationGet, 0)
	add(put, "/setting/notification", hNotificationPut, F)
	add(del, "/setting/notification", hNotificationDelete, 0)

	add(get, "/update", hUpdateGet, 0)
	add(post, "/update", hUpdateRun, 0)

	add(get, "/usergroups", hGroupList, 0)
	add(post, "/usergroups", hGroupCreate, F)
	add(get, "/usergroups/:key", hGroupGet, 0)
	add(put, "/usergroups/:key", hGroupUpdate, F)
	add(del, "/usergroups/:key", hGroupDelete, 0)

	add(get, "/users", hUserList, 0)
	add(post, "/users", hUserCreate, F)
	add(get, "/users/current", hUserCurrent, optSelf)
	add(get, "/users/:key", hUserGet, 0)
	add(put, "/users/:key", hUserUpdate, F)
	add(del, "/users/:key", hUserDelete, 0)
	add(put, "/users/:key/permissions", hUserPermissions, F)

	add(get, "/virtualmachinenetworks", hVMNetList, 0)
	add(post, "/virtualmachinenetworks", hVMNetCreate, F)
	add(get, "/virtualmachinenetworks/:key", hVMNetGet, 0)
	add(put, "/virtualmachinenetworks/:key", hVMNetUpdate, F)
	add(del, "/virtualmachinenetworks/:key", hVMNetDelete, F)

	add(get, "/virtualmachines", hVMList, 0)
	add(post, "/virtualmachines", hVMCreate, F)
	add(get, "/virtualmachines/:key", hVMGet, 0)
	add(put, "/virtualmachines/:key", hVMUpdate, F)
	add(del, "/virtualmachines/:key", hVMDelete, 0)
	add(get, "/virtualmachines/:key/info", hVMInfo, 0)
	add(post, "/virtualmachines/:key/install", hVMInstall, F)
	add(post, "/virtualmachines/:key/poweron", hVMPowerOn, 0)
	add(post, "/virtualmachines/:key/poweroff", hVMPowerOff, 0)
	add(get, "/virtualmachines/parameter/:key", hVMParameter, 0)
	add(get, "/virtualmachines/:key/snapshots", hSnapList, 0)
	add(post, "/virtualmachines/:vmkey/snapshots", hSnapCreate, F)
	add(get, "/virtualmachines/:vmkey/snapshots/:key", hSnapGet, 0)
	add(put, "/virtualmachines/:vmkey/snapshots/:key", hSnapUpdate, F)
	add(del, "/virtualmachines/:vmkey/snapshots/:key", hSnapDelete, 0)
	add(post, "/virtualmachines/:vmkey/snapshots/:key/restore", hSnapRestore, 0)
	add(post, "/virtualmachines/:vmkey/snapshots/updatehardware", hSnapUpdateHardware, F)

	byShape := map[string]*template{}
	var tmpls []*template
	for _, rt := range routes {
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
var permissionGroups = func() []permissionGroup {
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
}()

func findPermissionGroup(name string) *permissionGroup {
	for i := range permissionGroups {
		if permissionGroups[i].Name == name {
			return &permissionGroups[i]
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
