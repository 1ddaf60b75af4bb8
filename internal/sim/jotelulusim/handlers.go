package jotelulusim

import (
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"slices"
	"strings"
)

// Handlers implement the operations of the table; they run with s.mu held.

// ---- lookups of path parameters ----

func (s *Server) org(id string) (*organization, *apiErr) {
	for _, o := range s.st.orgs {
		if o.ID == id {
			return o, nil
		}
	}
	return nil, notFound("organization", id)
}

func (s *Server) serverSub(id string) (*serverSub, *apiErr) {
	for _, x := range s.st.serverSubs {
		if x.ID == id {
			return x, nil
		}
	}
	return nil, notFound("server subscription", id)
}

func (s *Server) serverInstance(subID, id string) (*instance, *apiErr) {
	if _, e := s.serverSub(subID); e != nil {
		return nil, e
	}
	for _, x := range s.st.instances {
		if x.ID == id && x.SubscriptionID == subID {
			return x, nil
		}
	}
	return nil, notFound("instance", id)
}

func (s *Server) networkByID(subID, id string) *isolatedNetwork {
	for _, n := range s.st.networks {
		if n.ID == id && n.SubscriptionID == subID {
			return n
		}
	}
	return nil
}

func (s *Server) networkByMain(subID, mainID string) (*isolatedNetwork, *apiErr) {
	if _, e := s.serverSub(subID); e != nil {
		return nil, e
	}
	for _, n := range s.st.networks {
		if n.MainNetworkID == mainID && n.SubscriptionID == subID {
			return n, nil
		}
	}
	return nil, errf(http.StatusNotFound, "not_found", "main network %q not found (use the mainNetworkId of an isolated network)", mainID)
}

func (s *Server) rdSub(id string) (*rdSubscription, *apiErr) {
	for _, x := range s.st.rdSubs {
		if x.ID == id {
			return x, nil
		}
	}
	return nil, notFound("remote desktop subscription", id)
}

func (s *Server) rdInstance(subID, id string) (*rdInstance, *apiErr) {
	if _, e := s.rdSub(subID); e != nil {
		return nil, e
	}
	for _, x := range s.st.rdInstances {
		if x.ID == id && x.SubscriptionID == subID {
			return x, nil
		}
	}
	return nil, notFound("remote desktop instance", id)
}

func (s *Server) rdUser(subID, id string) *rdUser {
	for _, u := range s.st.rdUsers {
		if u.ID == id && u.subID == subID {
			return u
		}
	}
	return nil
}

func (s *Server) app(subID, id string) (*instanceApp, *apiErr) {
	if _, e := s.rdSub(subID); e != nil {
		return nil, e
	}
	for _, a := range s.st.apps {
		if a.ID == id && a.subID == subID {
			return a, nil
		}
	}
	return nil, notFound("application", id)
}

func (s *Server) tagExists(id string) bool {
	return slices.ContainsFunc(s.st.tags, func(t *tag) bool { return t.ID == id })
}

// ---- core: organizations and users ----

func listOrgs(s *Server, _ *call) (int, any, *apiErr) {
	out := make([]*organization, 0, len(s.st.orgs))
	out = append(out, s.st.orgs...)
	return http.StatusOK, out, nil
}

func listOrgUsers(s *Server, c *call) (int, any, *apiErr) {
	o, e := s.org(c.params["organizationId"])
	if e != nil {
		return 0, nil, e
	}
	out := []*orgUser{}
	for _, u := range s.st.users {
		if u.orgID == o.ID {
			out = append(out, u)
		}
	}
	return http.StatusOK, out, nil
}

func createOrgUser(s *Server, c *call) (int, any, *apiErr) {
	o, e := s.org(c.params["organizationId"])
	if e != nil {
		return 0, nil, e
	}
	email := strings.TrimSpace(str(c.data, "email"))
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
		return 0, nil, fieldErr("invalid_value", "email", "data.email is not a valid e-mail address")
	}
	for _, u := range s.st.users {
		if u.orgID == o.ID && strings.EqualFold(u.Email, email) {
			return 0, nil, errf(http.StatusConflict, "conflict", "a user with e-mail %s already exists in organization %s", email, o.ID)
		}
	}
	if has(c.data, "password") && len(str(c.data, "password")) < 8 {
		return 0, nil, fieldErr("invalid_value", "password", "data.password must have at least 8 characters")
	}
	tfa, _ := boolean(c.data, "twoFactorAuthRequired")
	u := &orgUser{ID: s.newID(), orgID: o.ID, Email: email, Name: str(c.data, "name"), LastName: str(c.data, "lastName"),
		TwoFactorAuthRequired: tfa, Position: str(c.data, "position"), Phone: str(c.data, "phone"),
		Language: str(c.data, "language"), Timezone: str(c.data, "timezone")}
	s.st.users = append(s.st.users, u)
	return http.StatusCreated, u, nil
}

// ---- servers: subscriptions, instances, NICs ----

func listServerSubs(s *Server, c *call) (int, any, *apiErr) {
	o, e := s.org(c.params["organizationId"])
	if e != nil {
		return 0, nil, e
	}
	out := []*serverSub{}
	for _, x := range s.st.serverSubs {
		if x.orgID == o.ID {
			out = append(out, x)
		}
	}
	return http.StatusOK, out, nil
}

func listInstances(s *Server, c *call) (int, any, *apiErr) {
	sub, e := s.serverSub(c.params["subscriptionId"])
	if e != nil {
		return 0, nil, e
	}
	want := c.query.Get("state")
	out := []*instance{}
	for _, x := range s.st.instances {
		if x.SubscriptionID == sub.ID && (want == "" || x.State == want) {
			out = append(out, x)
		}
	}
	return http.StatusOK, out, nil
}

func listNICs(s *Server, c *call) (int, any, *apiErr) {
	in, e := s.serverInstance(c.params["subscriptionId"], c.params["instanceId"])
	if e != nil {
		return 0, nil, e
	}
	out := []*nic{}
	for _, n := range s.st.nics {
		if n.InstanceID == in.ID {
			out = append(out, n)
		}
	}
	return http.StatusOK, out, nil
}

func listNICIPs(s *Server, c *call) (int, any, *apiErr) {
	in, e := s.serverInstance(c.params["subscriptionId"], c.params["instanceId"])
	if e != nil {
		return 0, nil, e
	}
	id := c.params["nicId"]
	if !slices.ContainsFunc(s.st.nics, func(n *nic) bool { return n.ID == id && n.InstanceID == in.ID }) {
		return 0, nil, notFound("network interface", id)
	}
	out := []*nicIP{}
	for _, ip := range s.st.nicIPs {
		if ip.NicID == id {
			out = append(out, ip)
		}
	}
	return http.StatusOK, out, nil
}

func createNIC(s *Server, c *call) (int, any, *apiErr) {
	subID := c.params["subscriptionId"]
	in, e := s.serverInstance(subID, c.params["instanceId"])
	if e != nil {
		return 0, nil, e
	}
	netID := str(c.data, "isolatedNetworkId")
	nw := s.networkByID(subID, netID)
	if nw == nil {
		return 0, nil, fieldErr("invalid_value", "isolatedNetworkId", "isolated network %q does not exist in subscription %s", netID, subID)
	}
	for _, n := range s.st.nics {
		if n.InstanceID == in.ID && n.IsolatedNetworkID == nw.ID {
			return 0, nil, errf(http.StatusConflict, "conflict", "instance %s already has an interface on network %s", in.ID, nw.ID)
		}
	}
	_, ipnet, _ := net.ParseCIDR(nw.Cidr)
	used := func(ip string) bool {
		if ip == nw.Gateway {
			return true
		}
		for _, n := range s.st.nics {
			if n.IsolatedNetworkID == nw.ID && n.IP == ip {
				return true
			}
		}
		return false
	}
	ip := str(c.data, "ip")
	if ip != "" {
		p := net.ParseIP(ip).To4()
		if p == nil || !usable(ipnet, p) {
			return 0, nil, fieldErr("invalid_value", "ip", "data.ip must be a usable address inside %s", nw.Cidr)
		}
		if used(p.String()) {
			return 0, nil, errf(http.StatusConflict, "conflict", "address %s is already in use on network %s", p, nw.ID)
		}
		ip = p.String()
	} else {
		for p := next(ipnet.IP.To4()); usable(ipnet, p); p = next(p) {
			if !used(p.String()) {
				ip = p.String()
				break
			}
		}
		if ip == "" {
			return 0, nil, errf(http.StatusConflict, "conflict", "network %s has no free address", nw.ID)
		}
	}
	id := s.newID()
	mac := str(c.data, "macAddress")
	if mac != "" {
		hw, err := net.ParseMAC(mac)
		if err != nil || len(hw) != 6 {
			return 0, nil, fieldErr("invalid_value", "macAddress", "data.macAddress is not a MAC address")
		}
		mac = hw.String()
		if slices.ContainsFunc(s.st.nics, func(n *nic) bool { return n.MacAddress == mac }) {
			return 0, nil, errf(http.StatusConflict, "conflict", "MAC address %s is already in use", mac)
		}
	} else {
		mac = fmt.Sprintf("02:00:00:%02x:%02x:%02x", s.nextID>>16&0xff, s.nextID>>8&0xff, s.nextID&0xff)
	}
	isDefault := !slices.ContainsFunc(s.st.nics, func(n *nic) bool { return n.InstanceID == in.ID })
	n := &nic{ID: id, InstanceID: in.ID, IsolatedNetworkID: nw.ID, MacAddress: mac, IP: ip, IsDefault: isDefault}
	s.st.nics = append(s.st.nics, n)
	s.st.nicIPs = append(s.st.nicIPs, &nicIP{ID: s.newID(), NicID: id, IP: ip})
	return http.StatusCreated, n, nil
}

// usable reports whether ip is inside n and is neither its network nor its
// broadcast address.
func usable(n *net.IPNet, ip net.IP) bool {
	if ip == nil || !n.Contains(ip) {
		return false
	}
	network := n.IP.To4()
	bcast := make(net.IP, 4)
	for i := range 4 {
		bcast[i] = network[i] | ^n.Mask[i]
	}
	return !ip.Equal(network) && !ip.Equal(bcast)
}

func next(ip net.IP) net.IP {
	out := slices.Clone(ip.To4())
	for i := 3; i >= 0; i-- {
		out[i]++
		if out[i] != 0 {
			break
		}
	}
	return out
}

// ---- servers: isolated networks and public IPs ----

func listNetworks(s *Server, c *call) (int, any, *apiErr) {
	sub, e := s.serverSub(c.params["subscriptionId"])
	if e != nil {
		return 0, nil, e
	}
	out := []*isolatedNetwork{}
	for _, n := range s.st.networks {
		if n.SubscriptionID == sub.ID {
			out = append(out, n)
		}
	}
	return http.StatusOK, out, nil
}

func createNetwork(s *Server, c *call) (int, any, *apiErr) {
	sub, e := s.serverSub(c.params["subscriptionId"])
	if e != nil {
		return 0, nil, e
	}
	var items []errItem
	bad := func(field, msg string) {
		items = append(items, errItem{Code: "invalid_value", Field: field, Message: msg})
	}
	maskIP := net.ParseIP(str(c.data, "netmask")).To4()
	var mask net.IPMask
	if maskIP != nil {
		mask = net.IPMask(maskIP)
	}
	ones, bits := mask.Size()
	if mask == nil || bits != 32 || ones < 8 || ones > 30 {
		bad("netmask", "data.netmask must be a contiguous IPv4 netmask between 255.0.0.0 and 255.255.255.252")
		mask = nil
	}
	network := net.ParseIP(str(c.data, "network")).To4()
	if network == nil {
		bad("network", "data.network must be an IPv4 address")
	}
	gateway := net.ParseIP(str(c.data, "gateway")).To4()
	if gateway == nil {
		bad("gateway", "data.gateway must be an IPv4 address")
	}
	var ipnet *net.IPNet
	if mask != nil && network != nil {
		ipnet = &net.IPNet{IP: network.Mask(mask), Mask: mask}
		if !ipnet.IP.Equal(network) {
			bad("network", fmt.Sprintf("data.network must be the first address of the range (%s for this netmask)", ipnet.IP))
			ipnet = nil
		}
	}
	if ipnet != nil && gateway != nil && !usable(ipnet, gateway) {
		bad("gateway", fmt.Sprintf("data.gateway must be a usable address inside %s", ipnet))
	}
	if len(items) > 0 {
		return 0, nil, &apiErr{status: http.StatusBadRequest, items: items}
	}
	for _, n := range s.st.networks {
		if n.SubscriptionID != sub.ID {
			continue
		}
		_, other, _ := net.ParseCIDR(n.Cidr)
		if other.Contains(ipnet.IP) || ipnet.Contains(other.IP) {
			return 0, nil, errf(http.StatusConflict, "conflict", "range %s overlaps network %s (%s)", ipnet, n.ID, n.Cidr)
		}
	}
	now := s.stamp()
	n := &isolatedNetwork{ID: s.newID(), SubscriptionID: sub.ID, Name: str(c.data, "name"), Gateway: gateway.String(),
		Netmask: net.IP(mask).String(), Cidr: ipnet.String(), Zone: seedZone, CreatedAt: now, UpdatedAt: now,
		network: network.String()}
	n.MainNetworkID = s.newID()
	s.st.networks = append(s.st.networks, n)
	return http.StatusCreated, n, nil
}

func listPublicIPs(s *Server, c *call) (int, any, *apiErr) {
	sub, e := s.serverSub(c.params["subscriptionId"])
	if e != nil {
		return 0, nil, e
	}
	out := []*publicIP{}
	for _, p := range s.st.publicIPs {
		if p.SubscriptionID == sub.ID {
			out = append(out, p)
		}
	}
	return http.StatusOK, out, nil
}

func createPublicIP(s *Server, c *call) (int, any, *apiErr) {
	sub, e := s.serverSub(c.params["subscriptionId"])
	if e != nil {
		return 0, nil, e
	}
	netID := str(c.data, "isolatedNetworkId")
	nw := s.networkByID(sub.ID, netID)
	if nw == nil {
		return 0, nil, fieldErr("invalid_value", "isolatedNetworkId", "isolated network %q does not exist in subscription %s", netID, sub.ID)
	}
	if s.st.lastPublic >= 254 {
		return 0, nil, errf(http.StatusConflict, "quota_exceeded", "no public IP addresses left")
	}
	if s.st.lastPublic < 10 {
		s.st.lastPublic = 10
	} else {
		s.st.lastPublic++
	}
	first := !slices.ContainsFunc(s.st.publicIPs, func(p *publicIP) bool { return p.IsolatedNetworkID == nw.ID })
	p := &publicIP{ID: s.newID(), SubscriptionID: sub.ID, IP: fmt.Sprintf("%s%d", seedPublicIPPoolPrefix, s.st.lastPublic),
		IsolatedNetworkID: nw.ID, SourceNat: first, Zone: nw.Zone, CreatedAt: s.stamp()}
	s.st.publicIPs = append(s.st.publicIPs, p)
	return http.StatusCreated, p, nil
}

// ---- servers: firewall ----

func listRules(s *Server, c *call) (int, any, *apiErr) {
	nw, e := s.networkByMain(c.params["subscriptionId"], c.params["mainNetworkId"])
	if e != nil {
		return 0, nil, e
	}
	out := []*firewallRule{}
	for _, r := range s.st.rules {
		if r.MainNetworkID == nw.MainNetworkID {
			out = append(out, r)
		}
	}
	return http.StatusOK, out, nil
}

func createRule(s *Server, c *call) (int, any, *apiErr) {
	nw, e := s.networkByMain(c.params["subscriptionId"], c.params["mainNetworkId"])
	if e != nil {
		return 0, nil, e
	}
	var items []errItem
	add := func(code, field, msg string) { items = append(items, errItem{Code: code, Field: field, Message: msg}) }
	src := str(c.data, "sourceIp")
	if net.ParseIP(src) == nil {
		if _, _, err := net.ParseCIDR(src); err != nil {
			add("invalid_value", "sourceIp", "data.sourceIp must be an IP address or a CIDR range")
		}
	}
	proto := str(c.data, "protocol")
	r := &firewallRule{MainNetworkID: nw.MainNetworkID, Protocol: proto, SourceIP: src}
	if proto == "ICMP" {
		for _, f := range []string{"publicPort", "privatePort", "nicIp"} {
			if has(c.data, f) {
				add("invalid_value", f, "data."+f+" does not apply to ICMP rules")
			}
		}
		for _, f := range []string{"icmpType", "icmpCode"} {
			v, ok := integer(c.data, f)
			switch {
			case !ok:
				add("required", f, "data."+f+" is required for ICMP rules")
			case v < 0 || v > 255:
				add("invalid_value", f, "data."+f+" must be between 0 and 255")
			}
		}
		if len(items) == 0 {
			t, _ := integer(c.data, "icmpType")
			code, _ := integer(c.data, "icmpCode")
			r.IcmpType, r.IcmpCode = i64(t), i64(code)
		}
	} else {
		for _, f := range []string{"icmpType", "icmpCode"} {
			if has(c.data, f) {
				add("invalid_value", f, "data."+f+" applies to ICMP rules only")
			}
		}
		for _, f := range []string{"publicPort", "privatePort"} {
			v, ok := integer(c.data, f)
			switch {
			case !ok:
				add("required", f, "data."+f+" is required for TCP and UDP rules")
			case v < 1 || v > 65535:
				add("invalid_value", f, "data."+f+" must be between 1 and 65535")
			}
		}
		nicIP := str(c.data, "nicIp")
		switch {
		case nicIP == "":
			add("required", "nicIp", "data.nicIp is required for TCP and UDP rules")
		case !slices.ContainsFunc(s.st.nics, func(n *nic) bool { return n.IsolatedNetworkID == nw.ID && n.IP == nicIP }):
			add("invalid_value", "nicIp", fmt.Sprintf("data.nicIp %s is not the address of an interface on network %s", nicIP, nw.ID))
		}
		if len(items) == 0 {
			pub, _ := integer(c.data, "publicPort")
			priv, _ := integer(c.data, "privatePort")
			for _, o := range s.st.rules {
				if o.MainNetworkID == nw.MainNetworkID && o.Protocol == proto && o.PublicPort != nil && *o.PublicPort == pub {
					return 0, nil, errf(http.StatusConflict, "conflict", "public %s port %d is already forwarded by rule %s", proto, pub, o.ID)
				}
			}
			r.PublicPort, r.PrivatePort, r.NicIP = i64(pub), i64(priv), nicIP
		}
	}
	if len(items) > 0 {
		return 0, nil, &apiErr{status: http.StatusBadRequest, items: items}
	}
	r.ID = s.newID()
	if proto != "ICMP" {
		r.PortForwardingID = s.newID()
	}
	s.st.rules = append(s.st.rules, r)
	return http.StatusCreated, r, nil
}

// deleteRule deletes a rule of one of the given protocols; a rule of another
// protocol is refused, since each kind has its own delete operation.
func deleteRule(protocols ...string) handler {
	return func(s *Server, c *call) (int, any, *apiErr) {
		nw, e := s.networkByMain(c.params["subscriptionId"], c.params["mainNetworkId"])
		if e != nil {
			return 0, nil, e
		}
		id := c.params["ruleId"]
		i := slices.IndexFunc(s.st.rules, func(r *firewallRule) bool { return r.ID == id && r.MainNetworkID == nw.MainNetworkID })
		if i < 0 {
			return 0, nil, notFound("firewall rule", id)
		}
		if r := s.st.rules[i]; !slices.Contains(protocols, r.Protocol) {
			other := "deletefirewallinboundruleicmp"
			if r.Protocol != "ICMP" {
				other = "deletefirewallinboundruletcpudp"
			}
			return 0, nil, errf(http.StatusConflict, "wrong_protocol",
				"rule %s is a %s rule; %s deletes only %s rules, use %s", id, r.Protocol, c.op.ID, strings.Join(protocols, "/"), other)
		}
		s.st.rules = slices.Delete(s.st.rules, i, i+1)
		return http.StatusOK, map[string]string{"id": id}, nil
	}
}

// ---- remote desktops: subscriptions and instances ----

func listRDSubs(s *Server, c *call) (int, any, *apiErr) {
	o, e := s.org(c.params["organizationId"])
	if e != nil {
		return 0, nil, e
	}
	out := []*rdSubscription{}
	for _, x := range s.st.rdSubs {
		if x.OrganizationID == o.ID {
			out = append(out, x)
		}
	}
	return http.StatusOK, out, nil
}

func createRDSub(s *Server, c *call) (int, any, *apiErr) {
	o, e := s.org(c.params["organizationId"])
	if e != nil {
		return 0, nil, e
	}
	concurrent := int64(1)
	if v, ok := integer(c.data, "concurrentUsers"); ok {
		if v < 1 {
			return 0, nil, fieldErr("invalid_value", "concurrentUsers", "data.concurrentUsers must be at least 1")
		}
		concurrent = v
	}
	users, e := strList(c.data, "users")
	if e != nil {
		return 0, nil, e
	}
	admins, e := strList(c.data, "admins")
	if e != nil {
		return 0, nil, e
	}
	apps, e := strList(c.data, "applications")
	if e != nil {
		return 0, nil, e
	}
	var members []*orgUser
	for _, id := range append(slices.Clone(users), admins...) {
		i := slices.IndexFunc(s.st.users, func(u *orgUser) bool { return u.ID == id && u.orgID == o.ID })
		if i < 0 {
			return 0, nil, fieldErr("invalid_value", "users", "user %q is not a member of organization %s", id, o.ID)
		}
		if !slices.Contains(members, s.st.users[i]) {
			members = append(members, s.st.users[i])
		}
	}
	var catalog []*catalogApp
	for _, id := range apps {
		i := slices.IndexFunc(s.st.catalog, func(a *catalogApp) bool { return a.ID == id })
		if i < 0 {
			return 0, nil, fieldErr("invalid_value", "applications", "application %q is not in the catalog", id)
		}
		catalog = append(catalog, s.st.catalog[i])
	}
	access := str(c.data, "accessType")
	if access == "" {
		access = "virtual-desktop"
	}
	tfa, _ := boolean(c.data, "twoFactorAuthRequired")
	now := s.stamp()
	sub := &rdSubscription{ID: s.newID(), OrganizationID: o.ID, Name: str(c.data, "name"), State: "creating",
		ConcurrentUsers: concurrent, AccessType: access, TwoFactorAuthRequired: tfa, CreatedAt: now, UpdatedAt: now}
	in := &rdInstance{ID: s.newID(), SubscriptionID: sub.ID, State: "creating", CreatedAt: now, UpdatedAt: now}
	in.Name = fmt.Sprintf("rd-%s-01", sub.ID)
	in.fail = s.failNext(c.op.ID)
	sub.InstanceIDs = []string{in.ID}
	s.st.rdSubs = append(s.st.rdSubs, sub)
	s.st.rdInstances = append(s.st.rdInstances, in)
	for _, u := range members {
		perm := "user"
		if slices.Contains(admins, u.ID) {
			perm = "admin"
		}
		s.st.rdUsers = append(s.st.rdUsers, &rdUser{ID: s.newID(), subID: sub.ID, OrganizationUserID: u.ID, Email: u.Email,
			InstanceID: in.ID, ConnectionType: access, Permission: perm, UserType: "native", TwoFactorAuth: tfa,
			SyncStatus: "pending"})
	}
	for _, ca := range catalog {
		s.st.apps = append(s.st.apps, &instanceApp{ID: s.newID(), subID: sub.ID, InstanceID: in.ID, ApplicationID: ca.ID,
			Name: ca.Name, TagID: first(ca.TagIDs), Directory: ca.directory, Executable: ca.executable, State: "installing",
			Users: []string{}, CreatedAt: now, UpdatedAt: now})
	}
	return http.StatusCreated, sub, nil
}

func first(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

func (s *Server) failNext(opID string) bool {
	if k := strings.ToLower(opID); s.armed[k] > 0 {
		s.armed[k]--
		return true
	}
	return s.opts.FailNext != nil && s.opts.FailNext(opID)
}

func listRDInstances(s *Server, c *call) (int, any, *apiErr) {
	sub, e := s.rdSub(c.params["subscriptionId"])
	if e != nil {
		return 0, nil, e
	}
	out := []*rdInstance{}
	for _, in := range s.st.rdInstances {
		if in.SubscriptionID == sub.ID {
			out = append(out, in)
		}
	}
	return http.StatusOK, out, nil
}

type progressView struct {
	InstanceID string `json:"instanceId"`
	State      string `json:"state"`
	Stage      string `json:"stage"`
	Percentage int    `json:"percentage"`
	Message    string `json:"message"`
	UpdatedAt  string `json:"updatedAt"`
}

var stages = []string{"resource-allocation", "instance-provisioning", "configuration", "service-initialization"}

func getProgress(s *Server, c *call) (int, any, *apiErr) {
	in, e := s.rdInstance(c.params["subscriptionId"], c.params["instanceId"])
	if e != nil {
		return 0, nil, e
	}
	s.pollInstance(in)
	for _, a := range s.st.apps {
		if a.InstanceID == in.ID {
			s.pollApp(a)
		}
	}
	steps := min(in.polls, s.steps)
	if in.State == "error" {
		// The last stage did not complete.
		steps = min(steps, s.steps-1)
	}
	v := progressView{InstanceID: in.ID, State: in.State, Percentage: steps * 100 / s.steps, UpdatedAt: in.UpdatedAt,
		Stage: stages[min(steps*len(stages)/s.steps, len(stages)-1)]}
	switch in.State {
	case "deployed":
		v.Stage, v.Percentage, v.Message = "completed", 100, "instance deployed"
	case "error":
		v.Message = "deployment failed; it can be retried"
	default:
		v.Message = "deployment in progress"
	}
	return http.StatusOK, v, nil
}

// pollInstance moves a creating instance one step forward.
func (s *Server) pollInstance(in *rdInstance) {
	if in.State != "creating" {
		return
	}
	in.polls++
	if in.polls < s.steps {
		return
	}
	in.State = "deployed"
	if in.fail {
		in.State = "error"
	}
	in.UpdatedAt = s.stamp()
	s.syncRDSub(in.SubscriptionID)
}

// pollApp moves an installing or updating application one step forward.
func (s *Server) pollApp(a *instanceApp) {
	if a.State != "installing" && a.State != "updating" {
		return
	}
	a.polls++
	instanceFailed := slices.ContainsFunc(s.st.rdInstances, func(in *rdInstance) bool { return in.ID == a.InstanceID && in.State == "error" })
	if a.polls < s.steps && !instanceFailed {
		return
	}
	a.State = "installed"
	if a.fail || instanceFailed {
		a.State = "failed"
	}
	a.UpdatedAt = s.stamp()
}

// syncRDSub derives a subscription's state from its instances.
func (s *Server) syncRDSub(subID string) {
	sub, e := s.rdSub(subID)
	if e != nil {
		return
	}
	state := "deployed"
	for _, in := range s.st.rdInstances {
		if in.SubscriptionID != subID {
			continue
		}
		switch {
		case in.State == "error":
			state = "error"
		case in.State == "creating" && state != "error":
			state = "creating"
		}
	}
	if sub.State != state {
		sub.State = state
		sub.UpdatedAt = s.stamp()
	}
}

func retryInstance(s *Server, c *call) (int, any, *apiErr) {
	in, e := s.rdInstance(c.params["subscriptionId"], c.params["instanceId"])
	if e != nil {
		return 0, nil, e
	}
	if in.State != "error" {
		return 0, nil, errf(http.StatusConflict, "conflict", "instance %s is %s; only instances in error can be retried", in.ID, in.State)
	}
	in.State, in.polls, in.fail, in.UpdatedAt = "creating", 0, s.failNext(c.op.ID), s.stamp()
	s.syncRDSub(in.SubscriptionID)
	return http.StatusAccepted, in, nil
}

// ---- remote desktops: users ----

func (s *Server) deployedInstance(c *call) (*rdInstance, *apiErr) {
	in, e := s.rdInstance(c.params["subscriptionId"], c.params["instanceId"])
	if e != nil {
		return nil, e
	}
	if in.State != "deployed" {
		return nil, errf(http.StatusConflict, "conflict", "instance %s is %s; wait until it is deployed", in.ID, in.State)
	}
	return in, nil
}

func listRDUsers(s *Server, c *call) (int, any, *apiErr) {
	in, e := s.rdInstance(c.params["subscriptionId"], c.params["instanceId"])
	if e != nil {
		return 0, nil, e
	}
	out := []*rdUser{}
	for _, u := range s.st.rdUsers {
		if u.InstanceID == in.ID {
			out = append(out, u)
		}
	}
	return http.StatusOK, out, nil
}

// applyRDUserSettings copies the optional settings of a create or update
// request onto u and checks that local and domain accounts have a username.
func applyRDUserSettings(u *rdUser, data map[string]any) *apiErr {
	for name, dst := range map[string]*string{"connectionType": &u.ConnectionType, "permission": &u.Permission,
		"userType": &u.UserType, "username": &u.Username} {
		if has(data, name) {
			*dst = str(data, name)
		}
	}
	for name, dst := range map[string]*bool{"twoFactorAuth": &u.TwoFactorAuth, "virtualPrinter": &u.VirtualPrinter,
		"virtualDrives": &u.VirtualDrives, "virtualClipboard": &u.VirtualClipboard, "rdpAccess": &u.RdpAccess} {
		if v, ok := boolean(data, name); ok {
			*dst = v
		}
	}
	if u.UserType != "native" && strings.TrimSpace(u.Username) == "" {
		return fieldErr("required", "username", "data.username is required for %s users", u.UserType)
	}
	return nil
}

func createRDUsers(s *Server, c *call) (int, any, *apiErr) {
	subID := c.params["subscriptionId"]
	in, e := s.deployedInstance(c)
	if e != nil {
		return 0, nil, e
	}
	sub, _ := s.rdSub(subID)
	ids, e := strList(c.data, "userIds")
	if e != nil {
		return 0, nil, e
	}
	if len(ids) == 0 {
		return 0, nil, fieldErr("required", "userIds", "data.userIds must name at least one user")
	}
	var created []*rdUser
	for _, id := range ids {
		i := slices.IndexFunc(s.st.users, func(u *orgUser) bool { return u.ID == id && u.orgID == sub.OrganizationID })
		if i < 0 {
			return 0, nil, fieldErr("invalid_value", "userIds", "user %q is not a member of organization %s", id, sub.OrganizationID)
		}
		if slices.ContainsFunc(s.st.rdUsers, func(u *rdUser) bool { return u.subID == subID && u.OrganizationUserID == id }) {
			return 0, nil, errf(http.StatusConflict, "conflict", "user %s is already assigned to subscription %s", id, subID)
		}
		u := &rdUser{subID: subID, OrganizationUserID: id, Email: s.st.users[i].Email, InstanceID: in.ID,
			ConnectionType: sub.AccessType, Permission: "user", UserType: "native", TwoFactorAuth: sub.TwoFactorAuthRequired,
			SyncStatus: "synchronized"}
		if e := applyRDUserSettings(u, c.data); e != nil {
			return 0, nil, e
		}
		created = append(created, u)
	}
	for _, u := range created {
		u.ID = s.newID()
		s.st.rdUsers = append(s.st.rdUsers, u)
	}
	return http.StatusCreated, created, nil
}

func updateRDUser(s *Server, c *call) (int, any, *apiErr) {
	in, e := s.rdInstance(c.params["subscriptionId"], c.params["instanceId"])
	if e != nil {
		return 0, nil, e
	}
	u := s.rdUser(in.SubscriptionID, c.params["userId"])
	if u == nil || u.InstanceID != in.ID {
		return 0, nil, notFound("remote desktop user", c.params["userId"])
	}
	if len(c.data) == 0 {
		return 0, nil, errf(http.StatusBadRequest, "empty_update", "data has no field to change")
	}
	changed := *u
	if e := applyRDUserSettings(&changed, c.data); e != nil {
		return 0, nil, e
	}
	*u = changed
	return http.StatusOK, u, nil
}

func deleteRDUser(s *Server, c *call) (int, any, *apiErr) {
	sub, e := s.rdSub(c.params["subscriptionId"])
	if e != nil {
		return 0, nil, e
	}
	id := c.params["userId"]
	i := slices.IndexFunc(s.st.rdUsers, func(u *rdUser) bool { return u.ID == id && u.subID == sub.ID })
	if i < 0 {
		return 0, nil, notFound("remote desktop user", id)
	}
	s.st.rdUsers = slices.Delete(s.st.rdUsers, i, i+1)
	for _, a := range s.st.apps {
		if a.subID == sub.ID {
			a.Users = slices.DeleteFunc(a.Users, func(u string) bool { return u == id })
		}
	}
	return http.StatusOK, map[string]string{"id": id}, nil
}

// ---- remote desktops: applications ----

func listCatalog(s *Server, _ *call) (int, any, *apiErr) {
	out := make([]*catalogApp, 0, len(s.st.catalog))
	out = append(out, s.st.catalog...)
	return http.StatusOK, out, nil
}

func listTags(s *Server, _ *call) (int, any, *apiErr) {
	out := make([]*tag, 0, len(s.st.tags))
	out = append(out, s.st.tags...)
	return http.StatusOK, out, nil
}

func listApps(s *Server, c *call) (int, any, *apiErr) {
	sub, e := s.rdSub(c.params["subscriptionId"])
	if e != nil {
		return 0, nil, e
	}
	out := []*instanceApp{}
	for _, a := range s.st.apps {
		if a.subID == sub.ID {
			s.pollApp(a)
			out = append(out, a)
		}
	}
	return http.StatusOK, out, nil
}

func createApp(s *Server, c *call) (int, any, *apiErr) {
	subID := c.params["subscriptionId"]
	if _, e := s.rdSub(subID); e != nil {
		return 0, nil, e
	}
	instID := str(c.data, "instanceId")
	in, e := s.rdInstance(subID, instID)
	if e != nil {
		return 0, nil, fieldErr("invalid_value", "instanceId", "instance %q does not exist in subscription %s", instID, subID)
	}
	if in.State != "deployed" {
		return 0, nil, errf(http.StatusConflict, "conflict", "instance %s is %s; wait until it is deployed", in.ID, in.State)
	}
	now := s.stamp()
	a := &instanceApp{subID: subID, InstanceID: in.ID, State: "installing", Users: []string{}, CreatedAt: now, UpdatedAt: now}
	if appID := str(c.data, "applicationId"); appID != "" {
		i := slices.IndexFunc(s.st.catalog, func(ca *catalogApp) bool { return ca.ID == appID })
		if i < 0 {
			return 0, nil, fieldErr("invalid_value", "applicationId", "application %q is not in the catalog", appID)
		}
		ca := s.st.catalog[i]
		a.ApplicationID, a.Name, a.TagID, a.Directory, a.Executable = ca.ID, ca.Name, first(ca.TagIDs), ca.directory, ca.executable
	} else {
		var items []errItem
		for _, f := range []string{"name", "tagId", "directory", "executable"} {
			if strings.TrimSpace(str(c.data, f)) == "" {
				items = append(items, errItem{Code: "required", Field: f,
					Message: "data." + f + " is required for a custom application (or give data.applicationId)"})
			}
		}
		if len(items) > 0 {
			return 0, nil, &apiErr{status: http.StatusBadRequest, items: items}
		}
	}
	for name, dst := range map[string]*string{"name": &a.Name, "tagId": &a.TagID, "directory": &a.Directory,
		"executable": &a.Executable, "arguments": &a.Arguments} {
		if v := str(c.data, name); v != "" {
			*dst = v
		}
	}
	if !s.tagExists(a.TagID) {
		return 0, nil, fieldErr("invalid_value", "tagId", "tag %q does not exist", a.TagID)
	}
	a.fail = s.failNext(c.op.ID)
	a.ID = s.newID()
	s.st.apps = append(s.st.apps, a)
	return http.StatusCreated, a, nil
}

func updateApp(s *Server, c *call) (int, any, *apiErr) {
	a, e := s.app(c.params["subscriptionId"], c.params["applicationId"])
	if e != nil {
		return 0, nil, e
	}
	if a.State == "installing" || a.State == "updating" {
		return 0, nil, errf(http.StatusConflict, "conflict", "application %s is %s; wait until it finishes", a.ID, a.State)
	}
	if len(c.data) == 0 {
		return 0, nil, errf(http.StatusBadRequest, "empty_update", "data has no field to change")
	}
	if has(c.data, "tagId") && !s.tagExists(str(c.data, "tagId")) {
		return 0, nil, fieldErr("invalid_value", "tagId", "tag %q does not exist", str(c.data, "tagId"))
	}
	for name, dst := range map[string]*string{"name": &a.Name, "tagId": &a.TagID, "directory": &a.Directory,
		"executable": &a.Executable, "arguments": &a.Arguments} {
		if has(c.data, name) {
			*dst = str(c.data, name)
		}
	}
	a.State, a.polls, a.fail, a.UpdatedAt = "updating", 0, s.failNext(c.op.ID), s.stamp()
	return http.StatusAccepted, a, nil
}

type appUserView struct {
	UserID string `json:"userId"`
	Email  string `json:"email"`
}

func (s *Server) appUsers(a *instanceApp) []appUserView {
	out := []appUserView{}
	for _, id := range a.Users {
		if u := s.rdUser(a.subID, id); u != nil {
			out = append(out, appUserView{UserID: id, Email: u.Email})
		}
	}
	return out
}

func listAppUsers(s *Server, c *call) (int, any, *apiErr) {
	a, e := s.app(c.params["subscriptionId"], c.params["applicationId"])
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, s.appUsers(a), nil
}

func grantApp(s *Server, c *call) (int, any, *apiErr) {
	a, e := s.app(c.params["subscriptionId"], c.params["applicationId"])
	if e != nil {
		return 0, nil, e
	}
	if a.State != "installed" {
		return 0, nil, errf(http.StatusConflict, "conflict", "application %s is %s; access can be granted once it is installed", a.ID, a.State)
	}
	ids, e := strList(c.data, "userIds")
	if e != nil {
		return 0, nil, e
	}
	if len(ids) == 0 {
		return 0, nil, fieldErr("required", "userIds", "data.userIds must name at least one user")
	}
	for _, id := range ids {
		if s.rdUser(a.subID, id) == nil {
			return 0, nil, fieldErr("invalid_value", "userIds", "remote desktop user %q does not exist in subscription %s", id, a.subID)
		}
	}
	for _, id := range ids {
		if !slices.Contains(a.Users, id) {
			a.Users = append(a.Users, id)
		}
	}
	a.UpdatedAt = s.stamp()
	return http.StatusOK, s.appUsers(a), nil
}

func revokeApp(s *Server, c *call) (int, any, *apiErr) {
	a, e := s.app(c.params["subscriptionId"], c.params["applicationId"])
	if e != nil {
		return 0, nil, e
	}
	id := c.params["userId"]
	if !slices.Contains(a.Users, id) {
		return 0, nil, errf(http.StatusNotFound, "not_found", "user %q has no access to application %s", id, a.ID)
	}
	a.Users = slices.DeleteFunc(a.Users, func(u string) bool { return u == id })
	a.UpdatedAt = s.stamp()
	return http.StatusOK, map[string]string{"applicationId": a.ID, "userId": id}, nil
}
