package virtomizesim

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// ---- sizes

var sizeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$`) })

// parseSize reads sizes such as "4GB", "512 MB", "1.5T" or "4096" (MB) and
// returns bytes. Units are binary multiples.
func parseSize(v string) (int64, bool) {
	m := sizeRE().FindStringSubmatch(v)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	var mult float64
	switch strings.ToLower(m[2]) {
	case "b":
		mult = 1
	case "k", "kb", "kib":
		mult = 1 << 10
	case "", "m", "mb", "mib":
		mult = 1 << 20
	case "g", "gb", "gib":
		mult = 1 << 30
	case "t", "tb", "tib":
		mult = 1 << 40
	default:
		return 0, false
	}
	return int64(n * mult), true
}

func checkSize(f *form, param, v string) {
	if v != "" {
		if _, ok := parseSize(v); !ok {
			f.fail(param, "expected a size such as 4GB or 512MB")
		}
	}
}

// ---- lookups and helpers on state

func (st *state) vmNets(vmKey int) []*vmnet {
	var out []*vmnet
	for _, k := range sortedKeys(st.VMNets) {
		if vn := st.VMNets[k]; vn.VMKey == vmKey {
			out = append(out, vn)
		}
	}
	return out
}

func (st *state) vmNetworkKeys(vmKey int) []int {
	out := []int{}
	for _, vn := range st.vmNets(vmKey) {
		out = append(out, vn.NetKey)
	}
	return out
}

func (st *state) vmByName(clusterKey int, name string) *vm {
	for _, v := range st.VMs {
		if v.ClusterKey == clusterKey && v.Name == name {
			return v
		}
	}
	return nil
}

func (st *state) networkByName(clusterKey int, name string) *network {
	for _, k := range sortedKeys(st.Networks) {
		if n := st.Networks[k]; n.Cluster == clusterKey && n.Name == name {
			return n
		}
	}
	return nil
}

func randomMAC() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("00:50:56:%02x:%02x:%02x", b[0]&0x3f, b[1], b[2])
}

func (st *state) addVMNet(vmKey, netKey int, ip, mac string, domains []string) *vmnet {
	if mac == "" {
		mac = randomMAC()
	}
	vn := &vmnet{Key: st.next("virtualmachinenetworks"), VMKey: vmKey, NetKey: netKey, IP: ip, MAC: mac, Domains: nz(domains)}
	st.VMNets[vn.Key] = vn
	return vn
}

// addressRange returns the range addresses of n are taken from: the IP
// reservation when set, else the CIDR; a DHCP network without either hands
// out addresses from 172.16.<key mod 256>.0/24.
func (n *network) addressRange() (rng, subnet netip.Prefix, ok bool) {
	if n.CIDR != "" {
		if p, err := netip.ParsePrefix(n.CIDR); err == nil {
			subnet = p.Masked()
		}
	}
	if n.IPReservationCIDR != "" {
		if p, err := netip.ParsePrefix(n.IPReservationCIDR); err == nil {
			rng = p.Masked()
		}
	}
	if !rng.IsValid() {
		rng = subnet
	}
	if !rng.IsValid() && n.DHCP {
		rng = netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16, byte(n.Key % 256), 0}), 24)
	}
	if !subnet.IsValid() {
		subnet = rng
	}
	return rng, subnet, rng.IsValid()
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range a {
		for b := 0; b < 8; b++ {
			if i*8+b >= bits {
				a[i] |= 0x80 >> b
			}
		}
	}
	out, _ := netip.AddrFromSlice(a)
	return out
}

// inSubnet reports whether ip is a host address of n's subnet.
func (n *network) inSubnet(ip netip.Addr) bool {
	_, subnet, ok := n.addressRange()
	return ok && subnet.Contains(ip)
}

// freeIP returns the lowest address of n's range that is not the subnet's
// network or broadcast address, the gateway, the DNS server, an address of a
// virtual machine network on n, or in taken.
func (st *state) freeIP(n *network, taken map[string]bool) (string, error) {
	rng, subnet, ok := n.addressRange()
	if !ok {
		return "", conflict("network %d has no address range (cidr or ipreservation)", n.Key)
	}
	used := map[netip.Addr]bool{}
	for _, s := range []string{n.Gateway, n.DNS} {
		if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
			used[a] = true
		}
	}
	for _, vn := range st.VMNets {
		if vn.NetKey == n.Key && vn.IP != "" {
			if a, err := netip.ParseAddr(vn.IP); err == nil {
				used[a] = true
			}
		}
	}
	for s := range taken {
		if a, err := netip.ParseAddr(s); err == nil {
			used[a] = true
		}
	}
	if subnet.Addr().Is4() && subnet.Bits() < 31 {
		used[subnet.Addr()] = true
		used[lastAddr(subnet)] = true
	}
	end := lastAddr(rng)
	for a := rng.Addr(); a.IsValid() && rng.Contains(a); a = a.Next() {
		if !used[a] {
			return a.String(), nil
		}
		if a == end {
			break
		}
	}
	return "", conflict("no free ip address left in network %d", n.Key)
}

// ---- capacity checks

// checkCapacity enforces the licence and the owner's resource contingent for
// cands, new or changed machines of owner; exclude is a machine whose stored
// version cands replaces.
func (c *call) checkCapacity(owner, exclude int, cands []*vm) error {
	st := c.st
	if lic := st.License; lic != nil {
		if lic.Expires <= c.now.UnixNano() {
			return forbidden("the license has expired")
		}
		total := len(st.VMs)
		if exclude == 0 {
			total += len(cands)
		}
		if total > lic.VirtualMachines {
			return forbidden("the license allows at most %d virtual machines", lic.VirtualMachines)
		}
	}
	var rc *contingent
	for _, x := range st.Contingents {
		if x.UsergroupKey == owner {
			rc = x
		}
	}
	if rc == nil {
		return nil
	}
	var count, cpu int
	var ram, disc int64
	add := func(v *vm) {
		count++
		cpu += v.CPU
		r, _ := parseSize(v.RAM)
		d, _ := parseSize(v.Disc)
		ram += r
		disc += d
	}
	for _, v := range st.VMs {
		if v.Owner == owner && v.Key != exclude {
			add(v)
		}
	}
	for _, v := range cands {
		add(v)
	}
	var over []string
	if count > rc.VMLimit {
		over = append(over, fmt.Sprintf("vmlimit %d", rc.VMLimit))
	}
	if cpu > rc.CPULimit {
		over = append(over, fmt.Sprintf("cpulimit %d", rc.CPULimit))
	}
	if lim, ok := parseSize(rc.MemoryLimit); ok && ram > lim {
		over = append(over, "memorylimit "+rc.MemoryLimit)
	}
	if lim, ok := parseSize(rc.DiscLimit); ok && disc > lim {
		over = append(over, "disclimit "+rc.DiscLimit)
	}
	if len(over) > 0 {
		return forbidden("resource contingent %d of user group %d exceeded: %s", rc.Key, owner, strings.Join(over, ", "))
	}
	return nil
}

// checkMachine validates hardware against the operating system's minimums
// and the datastore against the cluster.
func checkMachine(f *form, st *state, clusterKey, osKey, cpu int, ram, disc, ds string) {
	if cpu < 1 && cpu != 0 {
		f.fail("cpu", "must be at least 1")
	}
	checkSize(f, "ram", ram)
	checkSize(f, "disc", disc)
	if o := findOS(osKey); o != nil {
		if cpu != 0 && cpu < o.MinimumCPU {
			f.fail("cpu", "%s needs at least %d", o.Name, o.MinimumCPU)
		}
		for _, p := range []struct{ name, val, min string }{{"ram", ram, o.MinimumRAM}, {"disc", disc, o.MinimumDisc}} {
			have, ok1 := parseSize(p.val)
			need, ok2 := parseSize(p.min)
			if ok1 && ok2 && have < need {
				f.fail(p.name, "%s needs at least %s", o.Name, p.min)
			}
		}
	}
	if cl := st.Clusters[clusterKey]; cl != nil && ds != "" && ds != "auto" {
		found := false
		for _, d := range cl.Hypervisor.Datastores {
			if d.Name == ds {
				found = true
			}
		}
		if !found {
			f.fail("datastore", "cluster %d has no datastore %q (use auto to let the appliance choose)", clusterKey, ds)
		}
	}
}

// ---- virtual machines

func (st *state) vmView(v *vm) vmView {
	return vmView{Key: v.Key, Owner: v.Owner, Name: v.Name, CPU: v.CPU, RAM: v.RAM, Disc: v.Disc, Datastore: v.Datastore,
		OSKey: v.OSKey, ClusterKey: v.ClusterKey, Networks: st.vmNetworkKeys(v.Key), Deployed: v.Deployed,
		ScheduledDeletion: v.ScheduledDeletion, InstallParameters: v.InstallParameters}
}

func readVM(c *call, v *vm) {
	f := c.f
	v.Name = f.str("name", true)
	if k, ok := f.int("owner", true); ok {
		checkRef(f, c.st.Usergroups, "owner", k, "user group")
		v.Owner = k
	}
	if n, ok := f.int("cpu", true); ok {
		if n < 1 {
			f.fail("cpu", "must be at least 1")
		}
		v.CPU = n
	}
	v.RAM = f.str("ram", true)
	v.Disc = f.str("disc", true)
	v.Datastore = f.str("datastore", true)
	if k, ok := f.int("oskey", true); ok {
		if findOS(k) == nil {
			f.fail("oskey", "operating system %d does not exist", k)
		}
		v.OSKey = k
	}
	if k, ok := f.int("clusterkey", true); ok {
		checkRef(f, c.st.Clusters, "clusterkey", k, "cluster")
		v.ClusterKey = k
	}
	if len(f.errs) == 0 {
		checkMachine(f, c.st, v.ClusterKey, v.OSKey, v.CPU, v.RAM, v.Disc, v.Datastore)
	}
	if o := c.st.vmByName(v.ClusterKey, v.Name); o != nil && o.Key != v.Key {
		f.conflict("cluster %d already has a virtual machine named %q (key %d)", v.ClusterKey, v.Name, o.Key)
	}
}

func hVMList(c *call) (any, error) { return listOf(c.st.VMs, c.st.vmView), nil }

func hVMGet(c *call) (any, error) {
	v, err := lookup(c.st.VMs, c.key(), "virtual machine")
	if err != nil {
		return nil, err
	}
	return c.st.vmView(v), nil
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (c *call) storeVM(v *vm) {
	v.Key = c.st.next("virtualmachines")
	v.PowerState = poweredOff
	v.UUID = newUUID()
	v.Snapshots = []*snapshot{}
	c.st.VMs[v.Key] = v
	c.s.logf(c.now, "inventory", "info", fmt.Sprintf("virtual machine %d (%s) created", v.Key, v.Name), v.Name)
}

func hVMCreate(c *call) (any, error) {
	v := &vm{}
	readVM(c, v)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	if err := c.checkCapacity(v.Owner, 0, []*vm{v}); err != nil {
		return nil, err
	}
	c.storeVM(v)
	return c.st.vmView(v), nil
}

func hVMUpdate(c *call) (any, error) {
	old, err := lookup(c.st.VMs, c.key(), "virtual machine")
	if err != nil {
		return nil, err
	}
	v := *old
	readVM(c, &v)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	if (old.Deployed || old.Installing) && v.ClusterKey != old.ClusterKey {
		return nil, conflict("virtual machine %d is deployed on cluster %d and cannot be moved", old.Key, old.ClusterKey)
	}
	if v.ClusterKey != old.ClusterKey && len(c.st.vmNets(v.Key)) > 0 {
		return nil, conflict("virtual machine %d has network interfaces on cluster %d; remove them first", old.Key, old.ClusterKey)
	}
	if err := c.checkCapacity(v.Owner, v.Key, []*vm{&v}); err != nil {
		return nil, err
	}
	*old = v
	return c.st.vmView(old), nil
}

func hVMDelete(c *call) (any, error) {
	v, err := lookup(c.st.VMs, c.key(), "virtual machine")
	if err != nil {
		return nil, err
	}
	for _, vn := range c.st.vmNets(v.Key) {
		delete(c.st.VMNets, vn.Key)
	}
	delete(c.st.Params, v.InstallParameters)
	delete(c.st.VMs, v.Key)
	c.s.logf(c.now, "inventory", "info", fmt.Sprintf("virtual machine %d (%s) deleted", v.Key, v.Name), v.Name)
	return msgKeyResult{"virtual machine deleted", v.Key}, nil
}

type vmInfo struct {
	Name       string   `json:"name"`
	PowerState string   `json:"powerstate"`
	IPs        []string `json:"ips"`
}

// hVMInfo reports power state and addresses. Each call counts as one poll of
// an installation in progress.
func hVMInfo(c *call) (any, error) {
	v, err := lookup(c.st.VMs, c.key(), "virtual machine")
	if err != nil {
		return nil, err
	}
	if v.Installing {
		v.Polls++
		if v.Polls >= c.s.polls {
			c.finishInstall(v)
		}
	}
	ips := []string{}
	if v.Deployed && v.PowerState == poweredOn {
		for _, vn := range c.st.vmNets(v.Key) {
			if vn.IP != "" {
				ips = append(ips, vn.IP)
			}
		}
	}
	return vmInfo{Name: v.Name, PowerState: v.PowerState, IPs: ips}, nil
}

// finishInstall deploys v, powers it on and gives every interface without
// an address one from its network.
func (c *call) finishInstall(v *vm) {
	v.Installing = false
	v.Polls = 0
	v.Deployed = true
	v.PowerState = poweredOn
	for _, vn := range c.st.vmNets(v.Key) {
		if vn.IP != "" {
			continue
		}
		if n := c.st.Networks[vn.NetKey]; n != nil {
			if ip, err := c.st.freeIP(n, nil); err == nil {
				vn.IP = ip
			}
		}
	}
	c.s.logf(c.now, "configurator", "info", fmt.Sprintf("installation of virtual machine %d (%s) finished", v.Key, v.Name), v.Name)
}

// startInstall records the installation parameters and starts the install.
func (c *call) startInstall(v *vm, p *installParams) error {
	if v.Deployed {
		return conflict("virtual machine %d is already deployed", v.Key)
	}
	if v.Installing {
		return conflict("virtual machine %d is already being installed", v.Key)
	}
	if len(c.st.vmNets(v.Key)) == 0 {
		return conflict("virtual machine %d has no network; add one with POST /virtualmachinenetworks", v.Key)
	}
	delete(c.st.Params, v.InstallParameters)
	p.Key = c.st.next("installparameters")
	c.st.Params[p.Key] = p
	v.InstallParameters = p.Key
	v.Installing = true
	v.Polls = 0
	c.s.logf(c.now, "integrator", "info", fmt.Sprintf("installation of virtual machine %d (%s) started", v.Key, v.Name), v.Name)
	if c.s.polls < 0 {
		c.finishInstall(v)
	}
	return nil
}

const (
	defaultLocale   = "en_US.UTF-8"
	defaultKeyboard = "us"
)

func hVMInstall(c *call) (any, error) {
	v, err := lookup(c.st.VMs, c.key(), "virtual machine")
	if err != nil {
		return nil, err
	}
	f := c.f
	p := &installParams{Locale: defaultLocale, Keyboard: defaultKeyboard}
	p.ThickProvisioning, _ = f.bool("thickprovisioning", false)
	if s, ok := f.optStr("locale"); ok && s != "" {
		p.Locale = s
	}
	if s, ok := f.optStr("keyboard"); ok && s != "" {
		p.Keyboard = s
	}
	if s, ok := f.optStr("password"); ok && s != "" {
		if !strings.HasPrefix(s, "$6$") {
			f.fail("password", "expected a sha-512 crypt hash ($6$…), e.g. from mkpasswd -m sha-512")
		}
		p.Password = s
	}
	if err := f.done(); err != nil {
		return nil, err
	}
	if err := c.startInstall(v, p); err != nil {
		return nil, err
	}
	return okStatus("installation started"), nil
}

func powerChange(c *call, state string) (any, error) {
	v, err := lookup(c.st.VMs, c.key(), "virtual machine")
	if err != nil {
		return nil, err
	}
	if v.Installing {
		return nil, conflict("virtual machine %d is being installed", v.Key)
	}
	if !v.Deployed {
		return nil, conflict("virtual machine %d is not deployed", v.Key)
	}
	word := map[string]string{poweredOn: "on", poweredOff: "off"}[state]
	if v.PowerState == state {
		return okStatus("virtual machine is already powered " + word), nil
	}
	v.PowerState = state
	c.s.logf(c.now, "inventory", "info", fmt.Sprintf("virtual machine %d (%s) powered %s", v.Key, v.Name, word), v.Name)
	return okStatus("virtual machine powered " + word), nil
}

func hVMPowerOn(c *call) (any, error)  { return powerChange(c, poweredOn) }
func hVMPowerOff(c *call) (any, error) { return powerChange(c, poweredOff) }

func hVMParameter(c *call) (any, error) {
	p, err := lookup(c.st.Params, c.key(), "installation parameters")
	if err != nil {
		return nil, err
	}
	return installParamsView{Key: p.Key, Locale: p.Locale, Keyboard: p.Keyboard, Password: p.Password}, nil
}

// ---- virtual machine networks

func (c *call) readVMNet(vn *vmnet) {
	f := c.f
	var v *vm
	var n *network
	if k, ok := f.int("vmkey", true); ok {
		if checkRef(f, c.st.VMs, "vmkey", k, "virtual machine") {
			v = c.st.VMs[k]
		}
		vn.VMKey = k
	}
	if k, ok := f.int("netkey", true); ok {
		if checkRef(f, c.st.Networks, "netkey", k, "network") {
			n = c.st.Networks[k]
		}
		vn.NetKey = k
	}
	if v != nil && n != nil && n.Cluster != v.ClusterKey {
		f.fail("netkey", "network %d belongs to cluster %d, virtual machine %d to cluster %d", n.Key, n.Cluster, v.Key, v.ClusterKey)
	}
	if s, ok := f.optStr("ip"); ok {
		vn.IP = s
		if s != "" {
			a, err := netip.ParseAddr(s)
			switch {
			case err != nil:
				f.fail("ip", "expected an IP address")
			case n != nil && n.CIDR != "" && !n.inSubnet(a):
				f.fail("ip", "not inside network %d (%s)", n.Key, n.CIDR)
			case n != nil:
				vn.IP = a.String()
				for _, o := range c.st.VMNets {
					if o.Key != vn.Key && o.NetKey == n.Key && o.IP == vn.IP {
						f.conflict("ip %s is already used by virtual machine network %d", vn.IP, o.Key)
					}
				}
			}
		}
	}
	if s, ok := f.optStr("mac"); ok && s != "" {
		hw, err := net.ParseMAC(s)
		if err != nil {
			f.fail("mac", "expected a MAC address")
		} else {
			vn.MAC = hw.String()
		}
	}
	if d, ok := f.strs("domains", false); ok {
		vn.Domains = d
	}
	vn.Domains = nz(vn.Domains)
}

func hVMNetList(c *call) (any, error) { return listOf(c.st.VMNets, (*vmnet).view), nil }

// hVMNetGet lists the interfaces of the virtual machine with the given key,
// as the reference describes the key of this read as a machine identifier.
func hVMNetGet(c *call) (any, error) {
	v, err := lookup(c.st.VMs, c.key(), "virtual machine")
	if err != nil {
		return nil, err
	}
	out := []vmnet{}
	for _, vn := range c.st.vmNets(v.Key) {
		out = append(out, vn.view())
	}
	return out, nil
}

func hVMNetCreate(c *call) (any, error) {
	vn := &vmnet{}
	c.readVMNet(vn)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	v := c.st.VMs[vn.VMKey]
	if vn.IP == "" && v.Deployed {
		if ip, err := c.st.freeIP(c.st.Networks[vn.NetKey], nil); err == nil {
			vn.IP = ip
		}
	}
	added := c.st.addVMNet(vn.VMKey, vn.NetKey, vn.IP, vn.MAC, vn.Domains)
	return added.view(), nil
}

func hVMNetUpdate(c *call) (any, error) {
	old, err := lookup(c.st.VMNets, c.key(), "virtual machine network")
	if err != nil {
		return nil, err
	}
	vn := *old
	c.readVMNet(&vn)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	if vn.VMKey != old.VMKey {
		return nil, invalid("vmkey", "virtual machine network %d belongs to virtual machine %d", old.Key, old.VMKey)
	}
	*old = vn
	return vn.view(), nil
}

func hVMNetDelete(c *call) (any, error) {
	k := c.key()
	vmKey, _ := c.f.int("vmkey", true)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	vn := c.st.VMNets[k]
	if vn == nil || vn.VMKey != vmKey {
		return nil, notFound("virtual machine network %d not found for virtual machine %d", k, vmKey)
	}
	delete(c.st.VMNets, k)
	return map[string]any{"msg": "virtual machine network deleted", "key": k, "vmkey": vmKey}, nil
}

// ---- profiles

func readProfile(c *call, p *profile) {
	f := c.f
	p.Name = f.str("name", true)
	if n, ok := f.int("cpu", true); ok {
		if n < 1 {
			f.fail("cpu", "must be at least 1")
		}
		p.CPU = n
	}
	p.RAM = f.str("ram", true)
	p.Disc = f.str("disc", true)
	p.Datastore = f.str("datastore", true)
	if k, ok := f.int("oskey", true); ok {
		if findOS(k) == nil {
			f.fail("oskey", "operating system %d does not exist", k)
		}
		p.OSKey = k
	}
	if k, ok := f.int("clusterkey", true); ok {
		checkRef(f, c.st.Clusters, "clusterkey", k, "cluster")
		p.ClusterKey = k
	}
	if ks, ok := f.ints("networks", true); ok {
		checkRefs(f, c.st.Networks, "networks", ks, "network")
		for _, k := range ks {
			if n := c.st.Networks[k]; n != nil && n.Cluster != p.ClusterKey {
				f.fail("networks", "network %d belongs to cluster %d, not %d", k, n.Cluster, p.ClusterKey)
				break
			}
		}
		p.Networks = ks
	}
	if len(f.errs) == 0 {
		checkMachine(f, c.st, p.ClusterKey, p.OSKey, p.CPU, p.RAM, p.Disc, p.Datastore)
	}
	for _, o := range c.st.Profiles {
		if o.Key != p.Key && o.Name == p.Name && p.Name != "" {
			f.conflict("a profile named %q already exists (key %d)", p.Name, o.Key)
		}
	}
}

func hProfileList(c *call) (any, error) { return listOf(c.st.Profiles, (*profile).view), nil }

func hProfileGet(c *call) (any, error) {
	p, err := lookup(c.st.Profiles, c.key(), "profile")
	if err != nil {
		return nil, err
	}
	return p.view(), nil
}

func hProfileCreate(c *call) (any, error) {
	p := &profile{}
	readProfile(c, p)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	p.Key = c.st.next("profiles")
	c.st.Profiles[p.Key] = p
	return p.view(), nil
}

func hProfileUpdate(c *call) (any, error) {
	old, err := lookup(c.st.Profiles, c.key(), "profile")
	if err != nil {
		return nil, err
	}
	p := *old
	readProfile(c, &p)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	*old = p
	return p.view(), nil
}

func hProfileDelete(c *call) (any, error) {
	k := c.key()
	if _, err := lookup(c.st.Profiles, k, "profile"); err != nil {
		return nil, err
	}
	delete(c.st.Profiles, k)
	return msgKeyResult{"profile deleted", k}, nil
}

// hProfileCreateVM creates a machine from a profile, attaches the profile's
// networks and starts its installation.
func hProfileCreateVM(c *call) (any, error) {
	p, err := lookup(c.st.Profiles, c.key(), "profile")
	if err != nil {
		return nil, err
	}
	f := c.f
	v := &vm{CPU: p.CPU, RAM: p.RAM, Disc: p.Disc, Datastore: p.Datastore, OSKey: p.OSKey, ClusterKey: p.ClusterKey}
	if k, ok := f.int("owner", true); ok {
		checkRef(f, c.st.Usergroups, "owner", k, "user group")
		v.Owner = k
	}
	v.Name = f.str("name", true)
	if n, ok := f.int("cpu", false); ok {
		if n < 1 {
			f.fail("cpu", "must be at least 1")
		}
		v.CPU = n
	}
	if s, ok := f.optStr("ram"); ok && s != "" {
		v.RAM = s
	}
	if s, ok := f.optStr("disc"); ok && s != "" {
		v.Disc = s
	}
	thick, _ := f.bool("thickprovisioning", false)
	if len(f.errs) == 0 {
		checkMachine(f, c.st, v.ClusterKey, v.OSKey, v.CPU, v.RAM, v.Disc, v.Datastore)
	}
	if o := c.st.vmByName(v.ClusterKey, v.Name); o != nil {
		f.conflict("cluster %d already has a virtual machine named %q (key %d)", v.ClusterKey, v.Name, o.Key)
	}
	if err := f.done(); err != nil {
		return nil, err
	}
	if len(p.Networks) == 0 {
		return nil, conflict("profile %d has no network", p.Key)
	}
	if err := c.checkCapacity(v.Owner, 0, []*vm{v}); err != nil {
		return nil, err
	}
	c.storeVM(v)
	for _, nk := range p.Networks {
		c.st.addVMNet(v.Key, nk, "", "", nil)
	}
	if err := c.startInstall(v, &installParams{Locale: defaultLocale, Keyboard: defaultKeyboard, ThickProvisioning: thick}); err != nil {
		return nil, err
	}
	status := "installing"
	if v.Deployed {
		status = "deployed"
	}
	return map[string]any{"msg": "virtual machine created from profile " + p.Name + ", installation started", "status": status, "key": v.Key}, nil
}
