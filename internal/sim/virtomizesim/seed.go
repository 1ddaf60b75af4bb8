package virtomizesim

import "time"

// Sample data loaded with Options.Seed. Keys are stable so that tests and
// examples can refer to them.
const (
	SeedClusterKey     = 1 // cluster "lab" (vmware)
	SeedNetworkKey     = 1 // network "VM Network", 192.168.10.0/24, addresses from 192.168.10.128/25
	SeedDMZNetworkKey  = 2 // network "DMZ", DHCP on 10.20.0.0/24
	SeedProfileKey     = 1 // profile "ubuntu-small"
	SeedUsergroupKey   = 1 // user group "operators"
	SeedVMKey          = 1 // deployed, running virtual machine "web01" with one snapshot
	SeedOperatorUser   = "operator"
	SeedOperatorSecret = "operator-secret" // password of the seeded operator user (vmoperator group)
	SeedViewerUser     = "viewer"
	SeedViewerSecret   = "viewer-secret" // password of the seeded viewer user (viewer group)
)

// seed fills st with sample data. The built-in administrator is user 1.
func seed(st *state, now time.Time) {
	const gib = int64(1) << 30
	cb := &callback{Key: st.next("callbacks"), CallbackURL: "https://hooks.example.com/virtomize/success",
		ErrorCallbackURL: "https://hooks.example.com/virtomize/error", Notes: "chat notifications"}
	st.Callbacks[cb.Key] = cb

	cr := &credential{Key: st.next("clustercredentials"), Name: "vcenter-lab", Username: "virtomize@vsphere.local",
		Password: "lab-vcenter-password", URL: "https://vcenter.lab.example.com/sdk", Insecure: true}
	st.Credentials[cr.Key] = cr

	def := &clusterDefaults{Key: st.next("clusterdefaults"), Datacenter: "DC-Lab", Ressourcepool: "Resources",
		Host: "esxi01.lab.example.com", Datastore: "datastore1"}
	st.Defaults[def.Key] = def

	cl := &cluster{Key: st.next("clusters"), Name: "lab", Type: "vmware", CredentialsKey: cr.Key, DefaultsKey: def.Key,
		Callbacks: []int{cb.Key}, Hypervisor: hypervisor{
			Datacenter: "DC-Lab", ResourcePool: "Resources", Host: "esxi01.lab.example.com",
			Datastores: []datastore{
				{Name: "datastore1", Type: "VMFS", Capacity: 2048 * gib, Freespace: 1229 * gib},
				{Name: "nfs-iso", Type: "NFS", Capacity: 4096 * gib, Freespace: 3500 * gib},
			},
			PortGroups: []string{"VM Network", "DMZ", "Backup"},
			Foreign: []foreignVM{
				{Name: "legacy-db01", CPU: 4, RAM: "16384", Disc: "200GB", Datastore: "datastore1", GuestID: "debian12_64Guest",
					Networks: []string{"VM Network"}, IPs: []string{"192.168.10.20"}, UUID: "4210f3a1-5c2e-4b1d-9a77-0c1d2e3f4a51", PowerState: poweredOn},
				{Name: "legacy-web01", CPU: 2, RAM: "4096", Disc: "40GB", Datastore: "datastore1", GuestID: "ubuntu64Guest",
					Networks: []string{"DMZ"}, IPs: []string{"10.20.0.15"}, UUID: "4210a7c4-2b9d-4e3f-8c11-9d8e7f6a5b42", PowerState: poweredOff},
			},
		}}
	st.Clusters[cl.Key] = cl

	n1 := &network{Key: st.next("networks"), Cluster: cl.Key, Name: "VM Network", CIDR: "192.168.10.0/24",
		IPReservationCIDR: "192.168.10.128/25", Gateway: "192.168.10.1", DNS: "192.168.10.2", ZoneDomain: "lab.example.com"}
	n2 := &network{Key: st.next("networks"), Cluster: cl.Key, Name: "DMZ", CIDR: "10.20.0.0/24", Gateway: "10.20.0.1",
		DNS: "10.20.0.2", ZoneDomain: "dmz.example.com", DHCP: true, NoInternet: false}
	st.Networks[n1.Key], st.Networks[n2.Key] = n1, n2

	op := &user{Key: st.next("users"), Username: SeedOperatorUser, Groups: []string{"vmoperator"}}
	op.setPassword(SeedOperatorSecret)
	vw := &user{Key: st.next("users"), Username: SeedViewerUser, Groups: []string{"viewer"}}
	vw.setPassword(SeedViewerSecret)
	st.Users[op.Key], st.Users[vw.Key] = op, vw

	g := &usergroup{Key: st.next("usergroups"), Groupname: "operators", Users: []int{1, op.Key},
		Networks: []int{n1.Key, n2.Key}, Clusters: []int{cl.Key}}
	st.Usergroups[g.Key] = g
	rc := &contingent{Key: st.next("resourcecontingents"), UsergroupKey: g.Key, CPULimit: 64, MemoryLimit: "256GB",
		DiscLimit: "4TB", VMLimit: 50}
	st.Contingents[rc.Key] = rc

	p := &profile{Key: st.next("profiles"), Name: "ubuntu-small", CPU: 2, RAM: "4GB", Disc: "40GB", Datastore: "auto",
		OSKey: 2, ClusterKey: cl.Key, Networks: []int{n1.Key}}
	st.Profiles[p.Key] = p

	ip := &installParams{Key: st.next("installparameters"), Locale: defaultLocale, Keyboard: defaultKeyboard}
	st.Params[ip.Key] = ip
	v := &vm{Key: st.next("virtualmachines"), Owner: g.Key, Name: "web01", CPU: 2, RAM: "4GB", Disc: "40GB",
		Datastore: "datastore1", OSKey: 2, ClusterKey: cl.Key, Deployed: true, InstallParameters: ip.Key,
		PowerState: poweredOn, UUID: "4210c0de-7e57-4a1b-8f00-5eed0000c0de"}
	v.SnapSeq = 1
	v.Snapshots = []*snapshot{{Key: 1, Name: "baseline", Description: "after installation",
		Created: now.Add(-24 * time.Hour).UnixNano(), PowerState: poweredOn, CPU: 2, RAM: "4GB", Disc: "40GB"}}
	v.CurrentSnapshot = 1
	st.VMs[v.Key] = v
	st.addVMNet(v.Key, n1.Key, "192.168.10.128", "00:50:56:0a:00:80", []string{"web01.lab.example.com"})

	nf := &notificationFilter{Key: st.next("notificationfilter"), UserKey: 1, Type: "mail", To: "ops@example.com",
		Filter: []string{"error", "critical"}}
	st.Filters[nf.Key] = nf

	st.Notification = notificationSetting{Mailserver: "smtp.example.com", Mailport: 465, Username: "virtomize@example.com",
		Password: "smtp-password"}
	st.License = newLicense("VTZ-SIM-0000-0000-0001", now)
	st.EulaAccepted = true
}
