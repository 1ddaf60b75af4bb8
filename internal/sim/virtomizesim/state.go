package virtomizesim

import (
	"sort"
)

// stateFormat identifies the layout of state inside backup archives.
const stateFormat = 1

// Power states reported by /virtualmachines/:key/info.
const (
	poweredOn  = "poweredOn"
	poweredOff = "poweredOff"
)

// serviceNames are the appliance services whose log level can be set, in
// the order the reference lists them for /servicesettings.
var serviceNames = []string{"core", "inventory", "integrator", "configurator", "ipxebuilder", "logcollector", "notification"}

// state is everything an appliance backup contains. It is guarded by
// Server.mu and serialised as JSON inside backup archives.
type state struct {
	Format       int                         `json:"format"`
	Seq          map[string]int              `json:"seq"`
	Callbacks    map[int]*callback           `json:"callbacks"`
	Credentials  map[int]*credential         `json:"clustercredentials"`
	Defaults     map[int]*clusterDefaults    `json:"clusterdefaults"`
	Clusters     map[int]*cluster            `json:"clusters"`
	Networks     map[int]*network            `json:"networks"`
	Filters      map[int]*notificationFilter `json:"notificationfilter"`
	Profiles     map[int]*profile            `json:"profiles"`
	Contingents  map[int]*contingent         `json:"resourcecontingents"`
	Usergroups   map[int]*usergroup          `json:"usergroups"`
	Users        map[int]*user               `json:"users"`
	VMs          map[int]*vm                 `json:"virtualmachines"`
	VMNets       map[int]*vmnet              `json:"virtualmachinenetworks"`
	Params       map[int]*installParams      `json:"installparameters"`
	Settings     settings                    `json:"setting"`
	Notification notificationSetting         `json:"notificationsetting"`
	License      *license                    `json:"license"`
	EulaAccepted bool                        `json:"eulaaccepted"`
}

func newState() *state {
	st := &state{Format: stateFormat, Seq: map[string]int{}}
	st.normalize()
	st.Settings = defaultSettings()
	return st
}

// normalize replaces nil maps and slices, as decoded from a backup, with
// empty ones.
func (st *state) normalize() {
	if st.Seq == nil {
		st.Seq = map[string]int{}
	}
	initMap(&st.Callbacks)
	initMap(&st.Credentials)
	initMap(&st.Defaults)
	initMap(&st.Clusters)
	initMap(&st.Networks)
	initMap(&st.Filters)
	initMap(&st.Profiles)
	initMap(&st.Contingents)
	initMap(&st.Usergroups)
	initMap(&st.Users)
	initMap(&st.VMs)
	initMap(&st.VMNets)
	initMap(&st.Params)
	if st.Settings.IgnoreFilter == nil {
		st.Settings.IgnoreFilter = []string{}
	}
	if st.Settings.LogLevels == nil {
		st.Settings.LogLevels = map[string]string{}
	}
	for _, n := range serviceNames {
		if st.Settings.LogLevels[n] == "" {
			st.Settings.LogLevels[n] = "info"
		}
	}
}

func initMap[T any](m *map[int]*T) {
	if *m == nil {
		*m = map[int]*T{}
	}
}

// next returns the next key of a collection. Keys start at 1 and are never
// reused.
func (st *state) next(collection string) int {
	st.Seq[collection]++
	return st.Seq[collection]
}

// sortedKeys returns the keys of m in ascending order.
func sortedKeys[T any](m map[int]*T) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// listOf maps every record of m, in key order, through view.
func listOf[T, V any](m map[int]*T, view func(*T) V) []V {
	out := make([]V, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, view(m[k]))
	}
	return out
}

func ident[T any](t *T) T { return *t }

// nz turns a nil slice into an empty one so that it encodes as [].
func nz[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type callback struct {
	Key                int    `json:"key"`
	CallbackURL        string `json:"callbackurl"`
	ErrorCallbackURL   string `json:"errorcallbackurl"`
	InstallCallbackURL string `json:"installcallbackurl"`
	DeleteCallbackURL  string `json:"deletecallbackurl"`
	Notes              string `json:"notes"`
}

type credential struct {
	Key      int    `json:"key"`
	Name     string `json:"name"`
	Username string `json:"username"`
	Password string `json:"password"`
	URL      string `json:"url"`
	Insecure bool   `json:"insecure"`
	HTTP     bool   `json:"http"`
}

type credentialView struct {
	Key      int    `json:"key"`
	Name     string `json:"name"`
	Username string `json:"username"`
	URL      string `json:"url"`
	Insecure bool   `json:"insecure"`
	HTTP     bool   `json:"http"`
}

func (c *credential) view() credentialView {
	return credentialView{Key: c.Key, Name: c.Name, Username: c.Username, URL: c.URL, Insecure: c.Insecure, HTTP: c.HTTP}
}

type clusterDefaults struct {
	Key           int    `json:"key"`
	Datacenter    string `json:"datacenter"`
	Ressourcepool string `json:"ressourcepool"`
	Host          string `json:"host"`
	Datastore     string `json:"datastore"`
}

type datastore struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Capacity  int64  `json:"capacity"`
	Freespace int64  `json:"freespace"`
}

// foreignVM is a machine that exists on a cluster's hypervisor but not in the
// appliance's inventory; /clusters/:key/import lists and adopts them.
type foreignVM struct {
	Name       string   `json:"name"`
	CPU        int      `json:"cpu"`
	RAM        string   `json:"ram"`
	Disc       string   `json:"disc"`
	Datastore  string   `json:"datastore"`
	GuestID    string   `json:"guestid"`
	Networks   []string `json:"networks"`
	IPs        []string `json:"ips"`
	UUID       string   `json:"uuid"`
	PowerState string   `json:"powerstate"`
}

// hypervisor is what the simulated cluster itself holds.
type hypervisor struct {
	Datacenter   string      `json:"datacenter"`
	ResourcePool string      `json:"resourcepool"`
	Host         string      `json:"host"`
	Datastores   []datastore `json:"datastores"`
	PortGroups   []string    `json:"portgroups"`
	Foreign      []foreignVM `json:"foreign"`
}

type cluster struct {
	Key            int        `json:"key"`
	Name           string     `json:"name"`
	Type           string     `json:"type"`
	CredentialsKey int        `json:"credentialskey"`
	DefaultsKey    int        `json:"defaultskey"`
	Callbacks      []int      `json:"callbacks"`
	Hypervisor     hypervisor `json:"hypervisor"`
}

type clusterView struct {
	Key            int    `json:"key"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	CredentialsKey int    `json:"credentialskey"`
	DefaultsKey    int    `json:"defaultskey"`
	Callbacks      []int  `json:"callbacks"`
}

func (c *cluster) view() clusterView {
	return clusterView{Key: c.Key, Name: c.Name, Type: c.Type, CredentialsKey: c.CredentialsKey,
		DefaultsKey: c.DefaultsKey, Callbacks: nz(c.Callbacks)}
}

type network struct {
	Key               int    `json:"key"`
	Cluster           int    `json:"cluster"`
	Name              string `json:"name"`
	CIDR              string `json:"cidr"`
	IPReservationCIDR string `json:"ipreservationcidr"`
	Gateway           string `json:"gateway"`
	ZoneDomain        string `json:"zonedomain"`
	DNS               string `json:"dns"`
	DHCP              bool   `json:"dhcp"`
	NoInternet        bool   `json:"nointernet"`
}

type notificationFilter struct {
	Key     int      `json:"key"`
	UserKey int      `json:"userkey"`
	Type    string   `json:"type"`
	To      string   `json:"to"`
	Filter  []string `json:"filter"`
}

func (n *notificationFilter) view() notificationFilter {
	v := *n
	v.Filter = nz(v.Filter)
	return v
}

type profile struct {
	Key        int    `json:"key"`
	Name       string `json:"name"`
	CPU        int    `json:"cpu"`
	RAM        string `json:"ram"`
	Disc       string `json:"disc"`
	Datastore  string `json:"datastore"`
	OSKey      int    `json:"oskey"`
	ClusterKey int    `json:"clusterkey"`
	Networks   []int  `json:"networks"`
}

func (p *profile) view() profile {
	v := *p
	v.Networks = nz(v.Networks)
	return v
}

type contingent struct {
	Key          int    `json:"key"`
	UsergroupKey int    `json:"usergroupkey"`
	CPULimit     int    `json:"cpulimit"`
	DiscLimit    string `json:"disclimit"`
	MemoryLimit  string `json:"memorylimit"`
	VMLimit      int    `json:"vmlimit"`
}

type usergroup struct {
	Key       int    `json:"key"`
	Groupname string `json:"groupname"`
	Users     []int  `json:"users"`
	Networks  []int  `json:"networks"`
	Clusters  []int  `json:"clusters"`
}

func (g *usergroup) view() usergroup {
	v := *g
	v.Users, v.Networks, v.Clusters = nz(v.Users), nz(v.Networks), nz(v.Clusters)
	return v
}

type user struct {
	Key      int      `json:"key"`
	Username string   `json:"username"`
	Salt     string   `json:"salt"`
	Hash     string   `json:"hash"`
	Groups   []string `json:"permissiongroups"`
	Builtin  bool     `json:"builtin"`
}

type userView struct {
	Key               int      `json:"key"`
	Username          string   `json:"username"`
	Permissions       []string `json:"permissions"`
	PermissionsGroups []string `json:"permissionsgroups"`
}

type vmnet struct {
	Key     int      `json:"key"`
	VMKey   int      `json:"vmkey"`
	NetKey  int      `json:"netkey"`
	IP      string   `json:"ip"`
	MAC     string   `json:"mac"`
	Domains []string `json:"domains"`
}

func (n *vmnet) view() vmnet {
	v := *n
	v.Domains = nz(v.Domains)
	return v
}

type snapshot struct {
	Key           int    `json:"key"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	Created       int64  `json:"creationdate"`
	Parent        int    `json:"parent"`
	IncludeMemory bool   `json:"includememory"`
	PowerState    string `json:"powerstate"`
	CPU           int    `json:"cpu"`
	RAM           string `json:"ram"`
	Disc          string `json:"disc"`
}

type snapshotView struct {
	VMKey        int    `json:"vmkey"`
	Name         string `json:"name"`
	Key          int    `json:"key"`
	ID           string `json:"id"`
	Description  string `json:"description"`
	CreationDate int64  `json:"creationdate"`
	Path         string `json:"path"`
	IsCurrent    bool   `json:"iscurrent"`
}

type vm struct {
	Key               int         `json:"key"`
	Owner             int         `json:"owner"`
	Name              string      `json:"name"`
	CPU               int         `json:"cpu"`
	RAM               string      `json:"ram"`
	Disc              string      `json:"disc"`
	Datastore         string      `json:"datastore"`
	OSKey             int         `json:"oskey"`
	ClusterKey        int         `json:"clusterkey"`
	Deployed          bool        `json:"deployed"`
	ScheduledDeletion int64       `json:"scheduleddeletion"`
	InstallParameters int         `json:"installparameters"`
	PowerState        string      `json:"powerstate"`
	Installing        bool        `json:"installing"`
	Polls             int         `json:"polls"`
	UUID              string      `json:"uuid"`
	Snapshots         []*snapshot `json:"snapshots"`
	SnapSeq           int         `json:"snapshotseq"`
	CurrentSnapshot   int         `json:"currentsnapshot"`
}

type vmView struct {
	Key               int    `json:"key"`
	Owner             int    `json:"owner"`
	Name              string `json:"name"`
	CPU               int    `json:"cpu"`
	RAM               string `json:"ram"`
	Disc              string `json:"disc"`
	Datastore         string `json:"datastore"`
	OSKey             int    `json:"oskey"`
	ClusterKey        int    `json:"clusterkey"`
	Networks          []int  `json:"networks"`
	Deployed          bool   `json:"deployed"`
	ScheduledDeletion int64  `json:"scheduleddeletion"`
	InstallParameters int    `json:"installparameters"`
}

type installParams struct {
	Key               int    `json:"key"`
	Locale            string `json:"locale"`
	Keyboard          string `json:"keyboard"`
	Password          string `json:"password"`
	ThickProvisioning bool   `json:"thickprovisioning"`
}

type installParamsView struct {
	Key      int    `json:"key"`
	Locale   string `json:"locale"`
	Keyboard string `json:"keyboard"`
	Password string `json:"password"`
}

type settings struct {
	InstallTimeout int64             `json:"installtimeout"`
	RegexFilter    string            `json:"regexfilter"`
	IgnoreFilter   []string          `json:"ignorefilter"`
	LogLevels      map[string]string `json:"loglevels"`
}

// defaultInstallTimeout is the documented default of installtimeout (40m).
const defaultInstallTimeout = int64(40 * 60 * 1e9)

func defaultSettings() settings {
	s := settings{InstallTimeout: defaultInstallTimeout, IgnoreFilter: []string{}, LogLevels: map[string]string{}}
	for _, n := range serviceNames {
		s.LogLevels[n] = "info"
	}
	return s
}

type settingsView struct {
	InstallTimeout       int64    `json:"installtimeout"`
	RegexFilter          string   `json:"regexfilter"`
	IgnoreFilter         []string `json:"ignorefilter"`
	LogLevelCore         string   `json:"loglevelcore"`
	LogLevelConfigurator string   `json:"loglevelconfigurator"`
	LogLevelInventory    string   `json:"loglevelinventory"`
	LogLevelIntegrator   string   `json:"loglevelintegrator"`
	LogLevelLogcollector string   `json:"loglevellogcollector"`
	LogLevelNotification string   `json:"loglevelnotification"`
	LogLevelIpxebuilder  string   `json:"loglevelipxebuilder"`
}

func (s *settings) view() settingsView {
	l := s.LogLevels
	return settingsView{
		InstallTimeout: s.InstallTimeout, RegexFilter: s.RegexFilter, IgnoreFilter: nz(s.IgnoreFilter),
		LogLevelCore: l["core"], LogLevelConfigurator: l["configurator"], LogLevelInventory: l["inventory"],
		LogLevelIntegrator: l["integrator"], LogLevelLogcollector: l["logcollector"],
		LogLevelNotification: l["notification"], LogLevelIpxebuilder: l["ipxebuilder"],
	}
}

type serviceSettingsView struct {
	Core         string `json:"core"`
	Inventory    string `json:"inventory"`
	Integrator   string `json:"integrator"`
	Configurator string `json:"configurator"`
	Ipxebuilder  string `json:"ipxebuilder"`
	Logcollector string `json:"logcollector"`
	Notification string `json:"notification"`
}

func (s *settings) serviceView() serviceSettingsView {
	l := s.LogLevels
	return serviceSettingsView{Core: l["core"], Inventory: l["inventory"], Integrator: l["integrator"],
		Configurator: l["configurator"], Ipxebuilder: l["ipxebuilder"], Logcollector: l["logcollector"],
		Notification: l["notification"]}
}

type notificationSetting struct {
	Mailserver string `json:"mailserver"`
	Mailport   int    `json:"mailport"`
	Username   string `json:"username"`
	Password   string `json:"password"`
}

type notificationSettingView struct {
	Mailserver string `json:"mailserver"`
	Mailport   int    `json:"mailport"`
	Username   string `json:"username"`
}

func (n *notificationSetting) view() notificationSettingView {
	return notificationSettingView{Mailserver: n.Mailserver, Mailport: n.Mailport, Username: n.Username}
}

type license struct {
	License         string `json:"license"`
	CustomerID      string `json:"customerid"`
	VirtualMachines int    `json:"virtualmachines"`
	Issued          int64  `json:"issued"`
	Expires         int64  `json:"expires"`
}

// operatingSystem is a read-only catalogue entry built into the appliance.
type operatingSystem struct {
	Key             int    `json:"key"`
	Name            string `json:"name"`
	MinimumCPU      int    `json:"minimumcpu"`
	MinimumRAM      string `json:"minimumram"`
	MinimumDisc     string `json:"minimumdisc"`
	RecommendedCPU  int    `json:"recommendedcpu"`
	RecommendedRAM  string `json:"recommendedram"`
	RecommendedDisc string `json:"recommendeddisc"`
	guestID         string
	image           string
}

// operatingSystems is the appliance's built-in catalogue.
var operatingSystems = []operatingSystem{
	{1, "Ubuntu 22.04 LTS", 1, "1GB", "10GB", 2, "4GB", "40GB", "ubuntu64Guest", "ubuntu-22.04-live-server-amd64.iso"},
	{2, "Ubuntu 24.04 LTS", 1, "2GB", "10GB", 2, "4GB", "40GB", "ubuntu64Guest", "ubuntu-24.04-live-server-amd64.iso"},
	{3, "Debian 12", 1, "1GB", "10GB", 2, "2GB", "20GB", "debian12_64Guest", "debian-12-amd64-netinst.iso"},
	{4, "Rocky Linux 9", 1, "2GB", "20GB", 2, "4GB", "40GB", "rockylinux_64Guest", "Rocky-9-x86_64-minimal.iso"},
	{5, "AlmaLinux 9", 1, "2GB", "20GB", 2, "4GB", "40GB", "almalinux_64Guest", "AlmaLinux-9-x86_64-minimal.iso"},
	{6, "Windows Server 2022", 2, "4GB", "40GB", 4, "8GB", "80GB", "windows2019srvNext_64Guest", "windows-server-2022-x64.iso"},
}

func findOS(key int) *operatingSystem {
	for i := range operatingSystems {
		if operatingSystems[i].Key == key {
			return &operatingSystems[i]
		}
	}
	return nil
}

func osByGuestID(guestID string) int {
	for _, o := range operatingSystems {
		if o.guestID == guestID {
			return o.Key
		}
	}
	return 0
}

// permissionGroup is a named set of permissions that can be given to users.
type permissionGroup struct {
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
}
