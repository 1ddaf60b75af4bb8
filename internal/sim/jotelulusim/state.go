package jotelulusim

import (
	"strconv"
)

// Ids of the sample data loaded by Options.Seed.
const (
	SeedOrgID              = "7002" // organization "Acme"
	SeedSecondOrgID        = "7003" // the second "Acme", only with Options.SecondOrg
	SeedUserAnaID          = "7101" // ana@acme.example
	SeedUserLuisID         = "7102" // luis@acme.example
	SeedUserMartaID        = "7103" // marta@acme.example
	SeedServerSubID        = "7201" // server subscription "Production"
	SeedStagingSubID       = "7202" // server subscription "Staging", empty
	SeedSecondOrgSubID     = "7203" // server subscription of the second organization
	SeedInstanceWebID      = "7301" // "web-01", running
	SeedInstanceDBID       = "7302" // "db-01", stopped
	SeedNetworkID          = "7401" // isolated network "backend", 10.10.0.0/24
	SeedMainNetworkID      = "7451" // mainNetworkId of "backend"
	SeedFrontendNetworkID  = "7402" // isolated network "frontend", 10.20.0.0/24, no interfaces
	SeedFrontendMainID     = "7452" // mainNetworkId of "frontend"
	SeedNICWebID           = "7501" // web-01 NIC, 10.10.0.10
	SeedNICDBID            = "7502" // db-01 NIC, 10.10.0.20
	SeedPublicIPID         = "7601" // 185.20.0.10 on "backend"
	SeedRuleTCPID          = "7701" // TCP 443 -> 10.10.0.10:443
	SeedRuleICMPID         = "7702" // ICMP echo request
	SeedRDSubID            = "7801" // remote desktop subscription "Office", deployed
	SeedRDInstanceID       = "7811" // its instance "office-01", deployed
	SeedRDUserID           = "7821" // Ana on office-01
	SeedInstanceAppID      = "7861" // LibreOffice installed on office-01, granted to Ana
	SeedCatalogOfficeID    = "7901" // catalog application LibreOffice
	SeedCatalogVSCodeID    = "7902" // catalog application Visual Studio Code
	SeedCatalogGimpID      = "7903" // catalog application GIMP
	SeedTagProductivityID  = "7951"
	SeedTagDevelopmentID   = "7952"
	SeedTagDesignID        = "7953"
	SeedTagBusinessID      = "7954"
	SeedTagUtilitiesID     = "7955"
	seedZone               = "es-mad-1"
	seedTime               = "2024-01-15T09:00:00Z"
	seedPublicIPPoolPrefix = "185.20.0."
)

type organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type orgUser struct {
	ID                    string `json:"id"`
	Email                 string `json:"email"`
	Name                  string `json:"name"`
	LastName              string `json:"lastName"`
	TwoFactorAuthRequired bool   `json:"twoFactorAuthRequired"`
	Position              string `json:"position"`
	Phone                 string `json:"phone"`
	Language              string `json:"language"`
	Timezone              string `json:"timezone"`
	orgID                 string
}

type serverSub struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
	orgID     string
}

type instance struct {
	ID             string `json:"id"`
	SubscriptionID string `json:"subscriptionId"`
	Zone           string `json:"zone"`
	TemplateID     string `json:"templateId"`
	OfferingID     string `json:"offeringId"`
	State          string `json:"state"`
	Name           string `json:"name"`
	CreatedAt      string `json:"createdAt"`
	UpdatedAt      string `json:"updatedAt"`
}

type isolatedNetwork struct {
	ID             string `json:"id"`
	SubscriptionID string `json:"subscriptionId"`
	MainNetworkID  string `json:"mainNetworkId"`
	Name           string `json:"name"`
	Gateway        string `json:"gateway"`
	Netmask        string `json:"netmask"`
	Cidr           string `json:"cidr"`
	Zone           string `json:"zone"`
	CreatedAt      string `json:"createdAt"`
	UpdatedAt      string `json:"updatedAt"`
	network        string
}

type nic struct {
	ID                string `json:"id"`
	InstanceID        string `json:"instanceId"`
	IsolatedNetworkID string `json:"isolatedNetworkId"`
	MacAddress        string `json:"macAddress"`
	IP                string `json:"ip"`
	IsDefault         bool   `json:"isDefault"`
}

type nicIP struct {
	ID    string `json:"id"`
	NicID string `json:"nicId"`
	IP    string `json:"ip"`
}

type publicIP struct {
	ID                string `json:"id"`
	SubscriptionID    string `json:"subscriptionId"`
	IP                string `json:"ip"`
	IsolatedNetworkID string `json:"isolatedNetworkId"`
	SourceNat         bool   `json:"sourceNat"`
	StaticNat         bool   `json:"staticNat"`
	Zone              string `json:"zone"`
	CreatedAt         string `json:"createdAt"`
}

type firewallRule struct {
	ID               string `json:"id"`
	MainNetworkID    string `json:"mainNetworkId"`
	Protocol         string `json:"protocol"`
	SourceIP         string `json:"sourceIp"`
	PublicPort       *int64 `json:"publicPort,omitempty"`
	PrivatePort      *int64 `json:"privatePort,omitempty"`
	NicIP            string `json:"nicIp,omitempty"`
	PortForwardingID string `json:"portForwardingId,omitempty"`
	IcmpType         *int64 `json:"icmpType,omitempty"`
	IcmpCode         *int64 `json:"icmpCode,omitempty"`
}

type rdSubscription struct {
	ID                    string   `json:"id"`
	OrganizationID        string   `json:"organizationId"`
	Name                  string   `json:"name"`
	State                 string   `json:"state"`
	ConcurrentUsers       int64    `json:"concurrentUsers"`
	AccessType            string   `json:"accessType"`
	TwoFactorAuthRequired bool     `json:"twoFactorAuthRequired"`
	InstanceIDs           []string `json:"instanceIds"`
	CreatedAt             string   `json:"createdAt"`
	UpdatedAt             string   `json:"updatedAt"`
}

type rdInstance struct {
	ID             string `json:"id"`
	SubscriptionID string `json:"subscriptionId"`
	Name           string `json:"name"`
	State          string `json:"state"`
	CreatedAt      string `json:"createdAt"`
	UpdatedAt      string `json:"updatedAt"`
	polls          int
	fail           bool
}

type rdUser struct {
	ID                 string `json:"id"`
	OrganizationUserID string `json:"organizationUserId"`
	Email              string `json:"email"`
	InstanceID         string `json:"instanceId"`
	ConnectionType     string `json:"connectionType"`
	Permission         string `json:"permission"`
	UserType           string `json:"userType"`
	Username           string `json:"username"`
	TwoFactorAuth      bool   `json:"twoFactorAuth"`
	VirtualPrinter     bool   `json:"virtualPrinter"`
	VirtualDrives      bool   `json:"virtualDrives"`
	VirtualClipboard   bool   `json:"virtualClipboard"`
	RdpAccess          bool   `json:"rdpAccess"`
	SyncStatus         string `json:"syncStatus"`
	subID              string
}

type catalogApp struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	TagIDs     []string `json:"tagIds"`
	directory  string
	executable string
}

type tag struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type instanceApp struct {
	ID            string   `json:"id"`
	InstanceID    string   `json:"instanceId"`
	ApplicationID string   `json:"applicationId,omitempty"`
	Name          string   `json:"name"`
	TagID         string   `json:"tagId"`
	Directory     string   `json:"directory"`
	Executable    string   `json:"executable"`
	Arguments     string   `json:"arguments"`
	State         string   `json:"state"`
	Users         []string `json:"users"`
	CreatedAt     string   `json:"createdAt"`
	UpdatedAt     string   `json:"updatedAt"`
	subID         string
	polls         int
	fail          bool
}

// state is everything the simulator stores, each kind in creation order.
type state struct {
	orgs        []*organization
	users       []*orgUser
	serverSubs  []*serverSub
	instances   []*instance
	networks    []*isolatedNetwork
	nics        []*nic
	nicIPs      []*nicIP
	publicIPs   []*publicIP
	rules       []*firewallRule
	rdSubs      []*rdSubscription
	rdInstances []*rdInstance
	rdUsers     []*rdUser
	catalog     []*catalogApp
	tags        []*tag
	apps        []*instanceApp
	lastPublic  int
}

func (s *Server) newID() string {
	s.nextID++
	return strconv.Itoa(s.nextID)
}

func i64(v int64) *int64 { return &v }

func (s *Server) seed(secondOrg bool) {
	t := seedTime
	st := &s.st
	st.orgs = append(st.orgs, &organization{ID: SeedOrgID, Name: "Acme"})
	if secondOrg {
		st.orgs = append(st.orgs, &organization{ID: SeedSecondOrgID, Name: "Acme"})
	}
	st.users = append(st.users,
		&orgUser{ID: SeedUserAnaID, orgID: SeedOrgID, Email: "ana@acme.example", Name: "Ana", LastName: "García",
			TwoFactorAuthRequired: true, Position: "IT manager", Phone: "+34 600 000 001", Language: "es", Timezone: "Europe/Madrid"},
		&orgUser{ID: SeedUserLuisID, orgID: SeedOrgID, Email: "luis@acme.example", Name: "Luis", LastName: "Pérez",
			Position: "Developer", Language: "es", Timezone: "Europe/Madrid"},
		&orgUser{ID: SeedUserMartaID, orgID: SeedOrgID, Email: "marta@acme.example", Name: "Marta", LastName: "Ruiz",
			Position: "Accountant", Language: "en", Timezone: "Atlantic/Canary"},
	)
	st.serverSubs = append(st.serverSubs,
		&serverSub{ID: SeedServerSubID, orgID: SeedOrgID, Name: "Production", CreatedAt: t, UpdatedAt: t},
		&serverSub{ID: SeedStagingSubID, orgID: SeedOrgID, Name: "Staging", CreatedAt: t, UpdatedAt: t},
	)
	if secondOrg {
		st.serverSubs = append(st.serverSubs, &serverSub{ID: SeedSecondOrgSubID, orgID: SeedSecondOrgID, Name: "Production", CreatedAt: t, UpdatedAt: t})
	}
	st.instances = append(st.instances,
		&instance{ID: SeedInstanceWebID, SubscriptionID: SeedServerSubID, Zone: seedZone, TemplateID: "ubuntu-22.04",
			OfferingID: "2vcpu-4gb", State: "running", Name: "web-01", CreatedAt: t, UpdatedAt: t},
		&instance{ID: SeedInstanceDBID, SubscriptionID: SeedServerSubID, Zone: seedZone, TemplateID: "debian-12",
			OfferingID: "4vcpu-8gb", State: "stopped", Name: "db-01", CreatedAt: t, UpdatedAt: t},
	)
	st.networks = append(st.networks, &isolatedNetwork{ID: SeedNetworkID, SubscriptionID: SeedServerSubID,
		MainNetworkID: SeedMainNetworkID, Name: "backend", Gateway: "10.10.0.1", Netmask: "255.255.255.0",
		Cidr: "10.10.0.0/24", Zone: seedZone, CreatedAt: t, UpdatedAt: t, network: "10.10.0.0"},
		&isolatedNetwork{ID: SeedFrontendNetworkID, SubscriptionID: SeedServerSubID,
			MainNetworkID: SeedFrontendMainID, Name: "frontend", Gateway: "10.20.0.1", Netmask: "255.255.255.0",
			Cidr: "10.20.0.0/24", Zone: seedZone, CreatedAt: t, UpdatedAt: t, network: "10.20.0.0"})
	st.nics = append(st.nics,
		&nic{ID: SeedNICWebID, InstanceID: SeedInstanceWebID, IsolatedNetworkID: SeedNetworkID, MacAddress: "02:00:00:00:75:01", IP: "10.10.0.10", IsDefault: true},
		&nic{ID: SeedNICDBID, InstanceID: SeedInstanceDBID, IsolatedNetworkID: SeedNetworkID, MacAddress: "02:00:00:00:75:02", IP: "10.10.0.20", IsDefault: true},
	)
	st.nicIPs = append(st.nicIPs,
		&nicIP{ID: "7551", NicID: SeedNICWebID, IP: "10.10.0.10"},
		&nicIP{ID: "7552", NicID: SeedNICDBID, IP: "10.10.0.20"},
	)
	st.lastPublic = 10
	st.publicIPs = append(st.publicIPs, &publicIP{ID: SeedPublicIPID, SubscriptionID: SeedServerSubID,
		IP: seedPublicIPPoolPrefix + "10", IsolatedNetworkID: SeedNetworkID, SourceNat: true, Zone: seedZone, CreatedAt: t})
	st.rules = append(st.rules,
		&firewallRule{ID: SeedRuleTCPID, MainNetworkID: SeedMainNetworkID, Protocol: "TCP", SourceIP: "0.0.0.0/0",
			PublicPort: i64(443), PrivatePort: i64(443), NicIP: "10.10.0.10", PortForwardingID: "7751"},
		&firewallRule{ID: SeedRuleICMPID, MainNetworkID: SeedMainNetworkID, Protocol: "ICMP", SourceIP: "0.0.0.0/0",
			IcmpType: i64(8), IcmpCode: i64(0)},
	)
	st.tags = append(st.tags,
		&tag{ID: SeedTagProductivityID, Name: "Productivity"},
		&tag{ID: SeedTagDevelopmentID, Name: "Development"},
		&tag{ID: SeedTagDesignID, Name: "Design"},
		&tag{ID: SeedTagBusinessID, Name: "Business"},
		&tag{ID: SeedTagUtilitiesID, Name: "Utilities"},
	)
	st.catalog = append(st.catalog,
		&catalogApp{ID: SeedCatalogOfficeID, Name: "LibreOffice", TagIDs: []string{SeedTagProductivityID},
			directory: `C:\Program Files\LibreOffice`, executable: `program\soffice.exe`},
		&catalogApp{ID: SeedCatalogVSCodeID, Name: "Visual Studio Code", TagIDs: []string{SeedTagDevelopmentID},
			directory: `C:\Program Files\Microsoft VS Code`, executable: `Code.exe`},
		&catalogApp{ID: SeedCatalogGimpID, Name: "GIMP", TagIDs: []string{SeedTagDesignID},
			directory: `C:\Program Files\GIMP 2`, executable: `bin\gimp-2.10.exe`},
	)
	st.rdSubs = append(st.rdSubs, &rdSubscription{ID: SeedRDSubID, OrganizationID: SeedOrgID, Name: "Office",
		State: "deployed", ConcurrentUsers: 5, AccessType: "virtual-desktop", InstanceIDs: []string{SeedRDInstanceID},
		CreatedAt: t, UpdatedAt: t})
	st.rdInstances = append(st.rdInstances, &rdInstance{ID: SeedRDInstanceID, SubscriptionID: SeedRDSubID,
		Name: "office-01", State: "deployed", CreatedAt: t, UpdatedAt: t, polls: s.steps})
	st.rdUsers = append(st.rdUsers, &rdUser{ID: SeedRDUserID, subID: SeedRDSubID, OrganizationUserID: SeedUserAnaID,
		Email: "ana@acme.example", InstanceID: SeedRDInstanceID, ConnectionType: "virtual-desktop", Permission: "admin",
		UserType: "native", TwoFactorAuth: true, VirtualPrinter: true, VirtualClipboard: true, SyncStatus: "synchronized"})
	st.apps = append(st.apps, &instanceApp{ID: SeedInstanceAppID, subID: SeedRDSubID, InstanceID: SeedRDInstanceID,
		ApplicationID: SeedCatalogOfficeID, Name: "LibreOffice", TagID: SeedTagProductivityID,
		Directory: `C:\Program Files\LibreOffice`, Executable: `program\soffice.exe`, State: "installed",
		Users: []string{SeedRDUserID}, CreatedAt: t, UpdatedAt: t, polls: s.steps})
}
