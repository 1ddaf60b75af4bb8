package virtomizesim

import (
	"fmt"
	"net/netip"
	"net/url"
	"sort"
	"strings"
)

// lookup returns the record with key or a 404 naming what was looked for.
func lookup[T any](m map[int]*T, key int, what string) (*T, error) {
	if v := m[key]; v != nil {
		return v, nil
	}
	return nil, notFound("%s %d not found", what, key)
}

// checkRef records a parameter error when key does not name a record of m.
func checkRef[T any](f *form, m map[int]*T, param string, key int, what string) bool {
	if m[key] == nil {
		f.fail(param, "%s %d does not exist", what, key)
		return false
	}
	return true
}

func checkRefs[T any](f *form, m map[int]*T, param string, keys []int, what string) {
	for _, k := range keys {
		if !checkRef(f, m, param, k, what) {
			return
		}
	}
}

// without returns s minus every occurrence of v.
func without(s []int, v int) []int {
	out := s[:0:0]
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return nz(out)
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func dedupe(s []int) []int {
	seen := map[int]bool{}
	out := []int{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func isHTTPURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// inUse builds the 409 for deleting something that others still reference.
func inUse(what string, key int, refs map[string]int) error {
	var parts []string
	for _, name := range sortedNames(refs) {
		if n := refs[name]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, name))
		}
	}
	if len(parts) == 0 {
		return nil
	}
	return conflict("%s %d is in use by %s", what, key, strings.Join(parts, ", "))
}

func sortedNames(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ---- callbacks

func readCallback(f *form, cb *callback) {
	for _, p := range []struct {
		name string
		dst  *string
		req  bool
	}{
		{"callbackurl", &cb.CallbackURL, true},
		{"errorcallbackurl", &cb.ErrorCallbackURL, true},
		{"installcallbackurl", &cb.InstallCallbackURL, false},
		{"deletecallbackurl", &cb.DeleteCallbackURL, false},
	} {
		if v, ok := f.optStr(p.name); ok || p.req {
			if p.req && v == "" {
				f.missing(p.name)
				continue
			}
			if v != "" && !isHTTPURL(v) {
				f.fail(p.name, "expected an http or https URL")
			}
			*p.dst = v
		}
	}
	if v, ok := f.optStr("notes"); ok {
		cb.Notes = v
	}
}

func hCallbackList(c *call) (any, error) { return listOf(c.st.Callbacks, ident), nil }

func hCallbackGet(c *call) (any, error) {
	cb, err := lookup(c.st.Callbacks, c.key(), "callback")
	if err != nil {
		return nil, err
	}
	return *cb, nil
}

func hCallbackCreate(c *call) (any, error) {
	cb := &callback{}
	readCallback(c.f, cb)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	cb.Key = c.st.next("callbacks")
	c.st.Callbacks[cb.Key] = cb
	c.s.logf(c.now, "core", "info", fmt.Sprintf("callback %d created", cb.Key))
	return *cb, nil
}

func hCallbackUpdate(c *call) (any, error) {
	old, err := lookup(c.st.Callbacks, c.key(), "callback")
	if err != nil {
		return nil, err
	}
	cb := *old
	readCallback(c.f, &cb)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	*old = cb
	return cb, nil
}

func hCallbackDelete(c *call) (any, error) {
	k := c.key()
	if _, err := lookup(c.st.Callbacks, k, "callback"); err != nil {
		return nil, err
	}
	n := 0
	for _, cl := range c.st.Clusters {
		if containsInt(cl.Callbacks, k) {
			n++
		}
	}
	if err := inUse("callback", k, map[string]int{"clusters": n}); err != nil {
		return nil, err
	}
	delete(c.st.Callbacks, k)
	return msgKeyResult{"callback deleted", k}, nil
}

// ---- cluster credentials

func readCredential(c *call, cr *credential) {
	f := c.f
	cr.Name = f.str("name", true)
	cr.Username = f.str("username", true)
	cr.Password = f.str("password", true)
	cr.URL = f.str("url", true)
	if v, ok := f.bool("insecure", false); ok {
		cr.Insecure = v
	}
	if v, ok := f.bool("http", false); ok {
		cr.HTTP = v
	}
	for _, o := range c.st.Credentials {
		if o.Key != cr.Key && o.Name == cr.Name && cr.Name != "" {
			f.conflict("cluster credentials named %q already exist (key %d)", cr.Name, o.Key)
		}
	}
}

func hCredList(c *call) (any, error) { return listOf(c.st.Credentials, (*credential).view), nil }

func hCredGet(c *call) (any, error) {
	cr, err := lookup(c.st.Credentials, c.key(), "cluster credentials")
	if err != nil {
		return nil, err
	}
	return cr.view(), nil
}

func hCredCreate(c *call) (any, error) {
	cr := &credential{}
	readCredential(c, cr)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	cr.Key = c.st.next("clustercredentials")
	c.st.Credentials[cr.Key] = cr
	c.s.logf(c.now, "core", "info", fmt.Sprintf("cluster credentials %d created", cr.Key))
	return cr.view(), nil
}

func hCredUpdate(c *call) (any, error) {
	old, err := lookup(c.st.Credentials, c.key(), "cluster credentials")
	if err != nil {
		return nil, err
	}
	cr := *old
	readCredential(c, &cr)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	*old = cr
	return cr.view(), nil
}

func hCredDelete(c *call) (any, error) {
	k := c.key()
	if _, err := lookup(c.st.Credentials, k, "cluster credentials"); err != nil {
		return nil, err
	}
	n := 0
	for _, cl := range c.st.Clusters {
		if cl.CredentialsKey == k {
			n++
		}
	}
	if err := inUse("cluster credentials", k, map[string]int{"clusters": n}); err != nil {
		return nil, err
	}
	delete(c.st.Credentials, k)
	return msgKeyResult{"cluster credentials deleted", k}, nil
}

// hostOf extracts the host of a credentials URL, which may be a bare host.
func hostOf(raw string) string {
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// hCredTest simulates a connection test: hosts under the reserved .invalid
// top-level domain (and unparsable URLs) fail, everything else succeeds.
func hCredTest(c *call) (any, error) {
	cr, err := lookup(c.st.Credentials, c.key(), "cluster credentials")
	if err != nil {
		return nil, err
	}
	c.f.str("type", true)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	host := hostOf(cr.URL)
	if host == "" || strings.HasSuffix(strings.ToLower(host), ".invalid") {
		c.s.logf(c.now, "integrator", "error", "connection test failed for cluster credentials "+cr.Name)
		return nil, badRequest("connection test failed: cannot reach %s", cr.URL)
	}
	c.s.logf(c.now, "integrator", "info", "connection test succeeded for cluster credentials "+cr.Name)
	return msgKeyResult{"connection test succeeded", cr.Key}, nil
}

// ---- cluster defaults

func readDefaults(f *form, d *clusterDefaults) {
	for _, p := range []struct {
		name string
		dst  *string
	}{{"datacenter", &d.Datacenter}, {"ressourcepool", &d.Ressourcepool}, {"host", &d.Host}, {"datastore", &d.Datastore}} {
		if v, ok := f.optStr(p.name); ok {
			*p.dst = v
		}
	}
}

func hDefaultsList(c *call) (any, error) { return listOf(c.st.Defaults, ident), nil }

func hDefaultsGet(c *call) (any, error) {
	d, err := lookup(c.st.Defaults, c.key(), "cluster defaults")
	if err != nil {
		return nil, err
	}
	return *d, nil
}

func hDefaultsCreate(c *call) (any, error) {
	d := &clusterDefaults{}
	readDefaults(c.f, d)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	d.Key = c.st.next("clusterdefaults")
	c.st.Defaults[d.Key] = d
	return *d, nil
}

func hDefaultsUpdate(c *call) (any, error) {
	old, err := lookup(c.st.Defaults, c.key(), "cluster defaults")
	if err != nil {
		return nil, err
	}
	d := *old
	readDefaults(c.f, &d)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	*old = d
	return d, nil
}

func hDefaultsDelete(c *call) (any, error) {
	k := c.key()
	if _, err := lookup(c.st.Defaults, k, "cluster defaults"); err != nil {
		return nil, err
	}
	n := 0
	for _, cl := range c.st.Clusters {
		if cl.DefaultsKey == k {
			n++
		}
	}
	if err := inUse("cluster defaults", k, map[string]int{"clusters": n}); err != nil {
		return nil, err
	}
	delete(c.st.Defaults, k)
	return msgKeyResult{"cluster defaults deleted", k}, nil
}

// ---- clusters

func readCluster(c *call, cl *cluster) {
	f := c.f
	cl.Name = f.str("name", true)
	cl.Type = f.str("type", true)
	if k, ok := f.int("credentialskey", true); ok {
		checkRef(f, c.st.Credentials, "credentialskey", k, "cluster credentials")
		cl.CredentialsKey = k
	}
	if k, ok := f.int("defaultskey", false); ok {
		if k != 0 {
			checkRef(f, c.st.Defaults, "defaultskey", k, "cluster defaults")
		}
		cl.DefaultsKey = k
	}
	if ks, ok := f.ints("callbacks", false); ok {
		checkRefs(f, c.st.Callbacks, "callbacks", ks, "callback")
		cl.Callbacks = dedupe(ks)
	}
	cl.Callbacks = nz(cl.Callbacks)
}

func clusterNameTaken(st *state, name string, self int) error {
	for _, o := range st.Clusters {
		if o.Key != self && o.Name == name {
			return conflict("a cluster named %q already exists (key %d)", name, o.Key)
		}
	}
	return nil
}

// newHypervisor describes what a freshly added cluster reports.
func newHypervisor(name string) hypervisor {
	const gib = int64(1) << 30
	return hypervisor{
		Datacenter:   "Datacenter",
		ResourcePool: "Resources",
		Host:         strings.ToLower(strings.ReplaceAll(name, " ", "-")) + "-host01",
		Datastores: []datastore{
			{Name: "datastore1", Type: "VMFS", Capacity: 1024 * gib, Freespace: 768 * gib},
			{Name: "datastore2", Type: "NFS", Capacity: 4096 * gib, Freespace: 3072 * gib},
		},
		PortGroups: []string{"VM Network"},
		Foreign:    []foreignVM{},
	}
}

func hClusterList(c *call) (any, error) { return listOf(c.st.Clusters, (*cluster).view), nil }

func hClusterGet(c *call) (any, error) {
	cl, err := lookup(c.st.Clusters, c.key(), "cluster")
	if err != nil {
		return nil, err
	}
	return cl.view(), nil
}

func hClusterCreate(c *call) (any, error) {
	cl := &cluster{}
	readCluster(c, cl)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	if err := clusterNameTaken(c.st, cl.Name, 0); err != nil {
		return nil, err
	}
	cl.Key = c.st.next("clusters")
	cl.Hypervisor = newHypervisor(cl.Name)
	c.st.Clusters[cl.Key] = cl
	c.s.logf(c.now, "inventory", "info", fmt.Sprintf("cluster %d (%s) added", cl.Key, cl.Name))
	return cl.view(), nil
}

func hClusterUpdate(c *call) (any, error) {
	old, err := lookup(c.st.Clusters, c.key(), "cluster")
	if err != nil {
		return nil, err
	}
	cl := *old
	readCluster(c, &cl)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	if err := clusterNameTaken(c.st, cl.Name, cl.Key); err != nil {
		return nil, err
	}
	*old = cl
	return cl.view(), nil
}

func hClusterDelete(c *call) (any, error) {
	k := c.key()
	if _, err := lookup(c.st.Clusters, k, "cluster"); err != nil {
		return nil, err
	}
	refs := map[string]int{}
	for _, n := range c.st.Networks {
		if n.Cluster == k {
			refs["networks"]++
		}
	}
	for _, p := range c.st.Profiles {
		if p.ClusterKey == k {
			refs["profiles"]++
		}
	}
	for _, v := range c.st.VMs {
		if v.ClusterKey == k {
			refs["virtual machines"]++
		}
	}
	if err := inUse("cluster", k, refs); err != nil {
		return nil, err
	}
	delete(c.st.Clusters, k)
	for _, g := range c.st.Usergroups {
		g.Clusters = without(g.Clusters, k)
	}
	c.s.logf(c.now, "inventory", "info", fmt.Sprintf("cluster %d removed", k))
	return msgKeyResult{"cluster deleted", k}, nil
}

func hClusterDatastores(c *call) (any, error) {
	cl, err := lookup(c.st.Clusters, c.key(), "cluster")
	if err != nil {
		return nil, err
	}
	return nz(cl.Hypervisor.Datastores), nil
}

type imageStatus struct {
	Name   string `json:"name"`
	OSKey  int    `json:"oskey"`
	Status string `json:"status"`
}

func hClusterImageSync(c *call) (any, error) {
	cl, err := lookup(c.st.Clusters, c.key(), "cluster")
	if err != nil {
		return nil, err
	}
	out := make([]imageStatus, 0, len(operatingSystems))
	for _, o := range operatingSystems {
		out = append(out, imageStatus{Name: o.image, OSKey: o.Key, Status: "synchronized"})
	}
	c.s.logf(c.now, "ipxebuilder", "info", fmt.Sprintf("installation images synchronized to cluster %d", cl.Key))
	return out, nil
}

type clusterVM struct {
	Name      string   `json:"name"`
	CPU       int      `json:"cpu"`
	RAM       string   `json:"ram"`
	Disc      string   `json:"disc"`
	Datastore string   `json:"datastore"`
	GuestID   string   `json:"guestid"`
	Networks  []string `json:"networks"`
	UUID      string   `json:"uuid"`
}

// hClusterImportList lists every machine on the cluster's hypervisor: those
// not yet in the inventory and the deployed inventory machines.
func hClusterImportList(c *call) (any, error) {
	cl, err := lookup(c.st.Clusters, c.key(), "cluster")
	if err != nil {
		return nil, err
	}
	out := []clusterVM{}
	for _, fv := range cl.Hypervisor.Foreign {
		out = append(out, clusterVM{Name: fv.Name, CPU: fv.CPU, RAM: fv.RAM, Disc: fv.Disc, Datastore: fv.Datastore,
			GuestID: fv.GuestID, Networks: nz(fv.Networks), UUID: fv.UUID})
	}
	for _, k := range sortedKeys(c.st.VMs) {
		v := c.st.VMs[k]
		if v.ClusterKey != cl.Key || !v.Deployed {
			continue
		}
		var nets []string
		for _, nk := range c.st.vmNetworkKeys(v.Key) {
			if n := c.st.Networks[nk]; n != nil {
				nets = append(nets, n.Name)
			}
		}
		guest := ""
		if o := findOS(v.OSKey); o != nil {
			guest = o.guestID
		}
		out = append(out, clusterVM{Name: v.Name, CPU: v.CPU, RAM: v.RAM, Disc: v.Disc, Datastore: v.Datastore,
			GuestID: guest, Networks: nz(nets), UUID: v.UUID})
	}
	return out, nil
}

type importResult struct {
	Name string `json:"name"`
	Key  int    `json:"key"`
}

// hClusterImport adopts machines of the cluster into the inventory, with
// their network interfaces on networks of the same name.
func hClusterImport(c *call) (any, error) {
	cl, err := lookup(c.st.Clusters, c.key(), "cluster")
	if err != nil {
		return nil, err
	}
	f := c.f
	owner, ownerOK := f.int("owner", true)
	if ownerOK {
		checkRef(f, c.st.Usergroups, "owner", owner, "user group")
	}
	names, _ := f.strs("vmnames", true)
	var picked []foreignVM
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			f.fail("vmnames", "%q listed twice", name)
			continue
		}
		seen[name] = true
		found := false
		for _, fv := range cl.Hypervisor.Foreign {
			if fv.Name == name {
				picked = append(picked, fv)
				found = true
				break
			}
		}
		if found {
			continue
		}
		if c.st.vmByName(cl.Key, name) != nil {
			f.fail("vmnames", "%q is already in the inventory", name)
		} else {
			f.fail("vmnames", "no virtual machine %q on cluster %d", name, cl.Key)
		}
	}
	if err := f.done(); err != nil {
		return nil, err
	}
	var cands []*vm
	for _, fv := range picked {
		cands = append(cands, &vm{Owner: owner, Name: fv.Name, CPU: fv.CPU, RAM: fv.RAM, Disc: fv.Disc,
			Datastore: fv.Datastore, OSKey: osByGuestID(fv.GuestID), ClusterKey: cl.Key, Deployed: true,
			PowerState: fv.PowerState, UUID: fv.UUID, Snapshots: []*snapshot{}})
	}
	if err := c.checkCapacity(owner, 0, cands); err != nil {
		return nil, err
	}
	out := []importResult{}
	for i, v := range cands {
		v.Key = c.st.next("virtualmachines")
		c.st.VMs[v.Key] = v
		fv := picked[i]
		for j, netName := range fv.Networks {
			n := c.st.networkByName(cl.Key, netName)
			if n == nil {
				continue
			}
			ip := ""
			if j < len(fv.IPs) {
				ip = fv.IPs[j]
			}
			c.st.addVMNet(v.Key, n.Key, ip, "", nil)
		}
		out = append(out, importResult{Name: v.Name, Key: v.Key})
		c.s.logf(c.now, "inventory", "info", fmt.Sprintf("virtual machine %s imported from cluster %d as %d", v.Name, cl.Key, v.Key), v.Name)
	}
	keep := cl.Hypervisor.Foreign[:0:0]
	for _, fv := range cl.Hypervisor.Foreign {
		if !seen[fv.Name] {
			keep = append(keep, fv)
		}
	}
	cl.Hypervisor.Foreign = keep
	return out, nil
}

type netStatus struct {
	Name   string `json:"name"`
	Key    int    `json:"key"`
	Status string `json:"status"`
}

// hClusterNetworkSync creates a network for every port group of the cluster
// that the inventory does not know yet.
func hClusterNetworkSync(c *call) (any, error) {
	cl, err := lookup(c.st.Clusters, c.key(), "cluster")
	if err != nil {
		return nil, err
	}
	out := []netStatus{}
	for _, pg := range cl.Hypervisor.PortGroups {
		if n := c.st.networkByName(cl.Key, pg); n != nil {
			out = append(out, netStatus{Name: pg, Key: n.Key, Status: "exists"})
			continue
		}
		n := &network{Key: c.st.next("networks"), Cluster: cl.Key, Name: pg, DHCP: true}
		c.st.Networks[n.Key] = n
		out = append(out, netStatus{Name: pg, Key: n.Key, Status: "created"})
		c.s.logf(c.now, "inventory", "info", fmt.Sprintf("network %s synchronized from cluster %d", pg, cl.Key))
	}
	return map[string]any{"networkstatus": out}, nil
}

// hClusterSynchronize reads the defaults (datacenter, resource pool, host,
// first datastore) from the cluster into its cluster defaults, creating and
// linking a defaults record when the cluster has none.
func hClusterSynchronize(c *call) (any, error) {
	cl, err := lookup(c.st.Clusters, c.key(), "cluster")
	if err != nil {
		return nil, err
	}
	d := c.st.Defaults[cl.DefaultsKey]
	if d == nil {
		d = &clusterDefaults{Key: c.st.next("clusterdefaults")}
		c.st.Defaults[d.Key] = d
		cl.DefaultsKey = d.Key
	}
	hv := cl.Hypervisor
	d.Datacenter, d.Ressourcepool, d.Host = hv.Datacenter, hv.ResourcePool, hv.Host
	if len(hv.Datastores) > 0 {
		d.Datastore = hv.Datastores[0].Name
	}
	c.s.logf(c.now, "inventory", "info", fmt.Sprintf("defaults of cluster %d synchronized", cl.Key))
	return msgKeyResult{"cluster defaults synchronized", d.Key}, nil
}

// ---- networks

func readNetwork(c *call, n *network) {
	f := c.f
	n.Name = f.str("name", true)
	if k, ok := f.int("cluster", true); ok {
		checkRef(f, c.st.Clusters, "cluster", k, "cluster")
		n.Cluster = k
	}
	if v, ok := f.bool("dhcp", true); ok {
		n.DHCP = v
	}
	var cidr, res netip.Prefix
	if v, ok := f.optStr("cidr"); ok {
		n.CIDR = v
	}
	if v, ok := f.optStr("ipreservation"); ok {
		n.IPReservationCIDR = v
	}
	if n.CIDR != "" {
		p, err := netip.ParsePrefix(n.CIDR)
		if err != nil {
			f.fail("cidr", "expected an address range such as 10.10.10.0/24")
		}
		cidr = p.Masked()
	}
	if n.IPReservationCIDR != "" {
		p, err := netip.ParsePrefix(n.IPReservationCIDR)
		if err != nil {
			f.fail("ipreservation", "expected an address range such as 10.10.10.128/25")
		} else {
			res = p.Masked()
			if cidr.IsValid() && (!cidr.Contains(res.Addr()) || res.Bits() < cidr.Bits()) {
				f.fail("ipreservation", "not inside cidr")
			}
		}
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"gateway", &n.Gateway}, {"dns", &n.DNS}, {"zonedomain", &n.ZoneDomain}} {
		if v, ok := f.optStr(p.name); ok {
			*p.dst = v
		}
	}
	if v, ok := f.bool("nointernet", false); ok {
		n.NoInternet = v
	}
	if !n.DHCP && n.CIDR == "" && n.IPReservationCIDR == "" && len(f.errs) == 0 {
		f.errs = append(f.errs, "missing parameter: cidr (a network without dhcp needs an address range)")
	}
}

func networkNameTaken(st *state, n *network) error {
	for _, o := range st.Networks {
		if o.Key != n.Key && o.Cluster == n.Cluster && o.Name == n.Name {
			return conflict("cluster %d already has a network named %q (key %d)", n.Cluster, n.Name, o.Key)
		}
	}
	return nil
}

func hNetworkList(c *call) (any, error) { return listOf(c.st.Networks, ident), nil }

func hNetworkGet(c *call) (any, error) {
	n, err := lookup(c.st.Networks, c.key(), "network")
	if err != nil {
		return nil, err
	}
	return *n, nil
}

func hNetworkCreate(c *call) (any, error) {
	n := &network{}
	readNetwork(c, n)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	if err := networkNameTaken(c.st, n); err != nil {
		return nil, err
	}
	n.Key = c.st.next("networks")
	c.st.Networks[n.Key] = n
	c.s.logf(c.now, "inventory", "info", fmt.Sprintf("network %d (%s) created", n.Key, n.Name))
	return *n, nil
}

func (st *state) networkRefs(k int) map[string]int {
	refs := map[string]int{}
	for _, vn := range st.VMNets {
		if vn.NetKey == k {
			refs["virtual machine networks"]++
		}
	}
	for _, p := range st.Profiles {
		if containsInt(p.Networks, k) {
			refs["profiles"]++
		}
	}
	return refs
}

func hNetworkUpdate(c *call) (any, error) {
	old, err := lookup(c.st.Networks, c.key(), "network")
	if err != nil {
		return nil, err
	}
	n := *old
	readNetwork(c, &n)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	if err := networkNameTaken(c.st, &n); err != nil {
		return nil, err
	}
	if n.Cluster != old.Cluster {
		if err := inUse("network", n.Key, c.st.networkRefs(n.Key)); err != nil {
			return nil, conflict("cannot move network %d to another cluster: %s", n.Key, strings.Join(err.(*apiError).msgs, ""))
		}
	}
	*old = n
	return n, nil
}

func hNetworkDelete(c *call) (any, error) {
	k := c.key()
	if _, err := lookup(c.st.Networks, k, "network"); err != nil {
		return nil, err
	}
	if err := inUse("network", k, c.st.networkRefs(k)); err != nil {
		return nil, err
	}
	delete(c.st.Networks, k)
	for _, g := range c.st.Usergroups {
		g.Networks = without(g.Networks, k)
	}
	return msgKeyResult{"network deleted", k}, nil
}

func hNetworkFreeIP(c *call) (any, error) {
	n, err := lookup(c.st.Networks, c.key(), "network")
	if err != nil {
		return nil, err
	}
	ip, err := c.st.freeIP(n, nil)
	if err != nil {
		return nil, err
	}
	return map[string]string{"ip": ip}, nil
}

// ---- notification filters

var filterLevels = []string{"info", "warning", "error", "critical"}

func readFilter(c *call, nf *notificationFilter) {
	f := c.f
	nf.Type = f.str("type", true)
	nf.To = f.str("to", true)
	if k, ok := f.int("userkey", true); ok {
		checkRef(f, c.st.Users, "userkey", k, "user")
		nf.UserKey = k
	}
	if v, ok := f.strs("filter", true); ok {
		for _, x := range v {
			if !contains(filterLevels, x) {
				f.fail("filter", "unknown message type (known: %s)", strings.Join(filterLevels, ", "))
				break
			}
		}
		nf.Filter = v
	}
}

func hFilterList(c *call) (any, error) { return listOf(c.st.Filters, (*notificationFilter).view), nil }

func hFilterGet(c *call) (any, error) {
	nf, err := lookup(c.st.Filters, c.key(), "notification filter")
	if err != nil {
		return nil, err
	}
	return nf.view(), nil
}

func hFilterCreate(c *call) (any, error) {
	nf := &notificationFilter{}
	readFilter(c, nf)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	nf.Key = c.st.next("notificationfilter")
	c.st.Filters[nf.Key] = nf
	return nf.view(), nil
}

func hFilterUpdate(c *call) (any, error) {
	old, err := lookup(c.st.Filters, c.key(), "notification filter")
	if err != nil {
		return nil, err
	}
	nf := *old
	readFilter(c, &nf)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	*old = nf
	return nf.view(), nil
}

func hFilterDelete(c *call) (any, error) {
	k := c.key()
	if _, err := lookup(c.st.Filters, k, "notification filter"); err != nil {
		return nil, err
	}
	delete(c.st.Filters, k)
	return msgResult{"notification filter deleted"}, nil
}

// ---- resource contingents

func readContingent(c *call, rc *contingent) {
	f := c.f
	if k, ok := f.int("usergroupkey", true); ok {
		if checkRef(f, c.st.Usergroups, "usergroupkey", k, "user group") {
			for _, o := range c.st.Contingents {
				if o.Key != rc.Key && o.UsergroupKey == k {
					f.conflict("user group %d already has resource contingent %d", k, o.Key)
				}
			}
		}
		rc.UsergroupKey = k
	}
	if v, ok := f.int("cpulimit", true); ok {
		if v < 0 {
			f.fail("cpulimit", "must not be negative")
		}
		rc.CPULimit = v
	}
	if v, ok := f.int("vmlimit", true); ok {
		if v < 0 {
			f.fail("vmlimit", "must not be negative")
		}
		rc.VMLimit = v
	}
	rc.MemoryLimit = f.str("memorylimit", true)
	rc.DiscLimit = f.str("disclimit", true)
	checkSize(f, "memorylimit", rc.MemoryLimit)
	checkSize(f, "disclimit", rc.DiscLimit)
}

func hContingentList(c *call) (any, error) { return listOf(c.st.Contingents, ident), nil }

func hContingentGet(c *call) (any, error) {
	rc, err := lookup(c.st.Contingents, c.key(), "resource contingent")
	if err != nil {
		return nil, err
	}
	return *rc, nil
}

func hContingentCreate(c *call) (any, error) {
	rc := &contingent{}
	readContingent(c, rc)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	rc.Key = c.st.next("resourcecontingents")
	c.st.Contingents[rc.Key] = rc
	return *rc, nil
}

func hContingentUpdate(c *call) (any, error) {
	old, err := lookup(c.st.Contingents, c.key(), "resource contingent")
	if err != nil {
		return nil, err
	}
	rc := *old
	readContingent(c, &rc)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	*old = rc
	return rc, nil
}

func hContingentDelete(c *call) (any, error) {
	k := c.key()
	if _, err := lookup(c.st.Contingents, k, "resource contingent"); err != nil {
		return nil, err
	}
	delete(c.st.Contingents, k)
	return msgResult{"resource contingent deleted"}, nil
}

// ---- user groups

func readGroup(c *call, g *usergroup) {
	f := c.f
	g.Groupname = f.str("groupname", true)
	if ks, ok := f.ints("users", true); ok {
		checkRefs(f, c.st.Users, "users", ks, "user")
		g.Users = dedupe(ks)
	}
	if ks, ok := f.ints("networks", false); ok {
		checkRefs(f, c.st.Networks, "networks", ks, "network")
		g.Networks = dedupe(ks)
	}
	if ks, ok := f.ints("clusters", false); ok {
		checkRefs(f, c.st.Clusters, "clusters", ks, "cluster")
		g.Clusters = dedupe(ks)
	}
	for _, o := range c.st.Usergroups {
		if o.Key != g.Key && o.Groupname == g.Groupname && g.Groupname != "" {
			f.conflict("a user group named %q already exists (key %d)", g.Groupname, o.Key)
		}
	}
}

func hGroupList(c *call) (any, error) { return listOf(c.st.Usergroups, (*usergroup).view), nil }

func hGroupGet(c *call) (any, error) {
	g, err := lookup(c.st.Usergroups, c.key(), "user group")
	if err != nil {
		return nil, err
	}
	return g.view(), nil
}

func hGroupCreate(c *call) (any, error) {
	g := &usergroup{}
	readGroup(c, g)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	g.Key = c.st.next("usergroups")
	c.st.Usergroups[g.Key] = g
	return g.view(), nil
}

func hGroupUpdate(c *call) (any, error) {
	old, err := lookup(c.st.Usergroups, c.key(), "user group")
	if err != nil {
		return nil, err
	}
	g := *old
	readGroup(c, &g)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	*old = g
	return g.view(), nil
}

func hGroupDelete(c *call) (any, error) {
	k := c.key()
	if _, err := lookup(c.st.Usergroups, k, "user group"); err != nil {
		return nil, err
	}
	refs := map[string]int{}
	for _, v := range c.st.VMs {
		if v.Owner == k {
			refs["virtual machines"]++
		}
	}
	for _, rc := range c.st.Contingents {
		if rc.UsergroupKey == k {
			refs["resource contingents"]++
		}
	}
	if err := inUse("user group", k, refs); err != nil {
		return nil, err
	}
	delete(c.st.Usergroups, k)
	return msgResult{"user group deleted"}, nil
}

// ---- users

func (u *user) view() userView {
	return userView{Key: u.Key, Username: u.Username, Permissions: permissionsOf(u), PermissionsGroups: nz(append([]string(nil), u.Groups...))}
}

func readUser(c *call, u *user) (password string) {
	f := c.f
	u.Username = f.str("username", true)
	password = f.str("password", true)
	for _, o := range c.st.Users {
		if o.Key != u.Key && o.Username == u.Username && u.Username != "" {
			f.conflict("a user named %q already exists (key %d)", u.Username, o.Key)
		}
	}
	return password
}

func hUserList(c *call) (any, error) { return listOf(c.st.Users, (*user).view), nil }

func hUserGet(c *call) (any, error) {
	u, err := lookup(c.st.Users, c.key(), "user")
	if err != nil {
		return nil, err
	}
	return u.view(), nil
}

func hUserCurrent(c *call) (any, error) { return c.user.view(), nil }

func hUserCreate(c *call) (any, error) {
	u := &user{Groups: []string{}}
	pw := readUser(c, u)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	u.Key = c.st.next("users")
	u.setPassword(pw)
	c.st.Users[u.Key] = u
	c.s.logf(c.now, "core", "info", fmt.Sprintf("user %s created", u.Username), u.Username)
	return u.view(), nil
}

func hUserUpdate(c *call) (any, error) {
	old, err := lookup(c.st.Users, c.key(), "user")
	if err != nil {
		return nil, err
	}
	u := *old
	pw := readUser(c, &u)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	u.setPassword(pw)
	for _, t := range c.s.tokens {
		if t.userKey == u.Key {
			t.username = u.Username
		}
	}
	*old = u
	c.s.logf(c.now, "core", "info", fmt.Sprintf("user %s updated", u.Username), u.Username)
	return u.view(), nil
}

func hUserDelete(c *call) (any, error) {
	u, err := lookup(c.st.Users, c.key(), "user")
	if err != nil {
		return nil, err
	}
	if u.Builtin {
		return nil, conflict("user %d is the built-in administrator and cannot be deleted", u.Key)
	}
	delete(c.st.Users, u.Key)
	for _, g := range c.st.Usergroups {
		g.Users = without(g.Users, u.Key)
	}
	for k, nf := range c.st.Filters {
		if nf.UserKey == u.Key {
			delete(c.st.Filters, k)
		}
	}
	c.s.revokeUser(u.Key)
	c.s.logf(c.now, "core", "info", fmt.Sprintf("user %s deleted", u.Username), u.Username)
	return msgResult{"user deleted"}, nil
}

func hUserPermissions(c *call) (any, error) {
	u, err := lookup(c.st.Users, c.key(), "user")
	if err != nil {
		return nil, err
	}
	groups, _ := c.f.strs("permissiongroups", true)
	var names []string
	for _, g := range permissionGroups() {
		names = append(names, g.Name)
	}
	seen := map[string]bool{}
	clean := []string{}
	for _, g := range groups {
		if findPermissionGroup(g) == nil {
			c.f.fail("permissiongroups", "unknown permission group (known: %s)", strings.Join(names, ", "))
			break
		}
		if !seen[g] {
			seen[g] = true
			clean = append(clean, g)
		}
	}
	if err := c.f.done(); err != nil {
		return nil, err
	}
	if u.Builtin && !seen["admin"] {
		return nil, conflict("user %d is the built-in administrator and must keep the admin permission group", u.Key)
	}
	sort.Strings(clean)
	u.Groups = clean
	c.s.logf(c.now, "core", "info", fmt.Sprintf("permissions of user %s changed", u.Username), u.Username)
	return u.view(), nil
}
