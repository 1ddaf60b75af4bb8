package virtomize

import (
	"context"
	"sync"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/cmd/sitefilecmd"
	"github.com/infractl/infra/pkg/api/request"
	vcat "github.com/infractl/infra/pkg/catalog/virtomize"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/sitefile"
)

// virtomizeSiteOptions name what the Virtomize reference does not say by its field names: which fields hold the keys
// of other objects, the natural keys of callbacks and cluster defaults (one set per datacenter), that virtual
// machines are workloads, not configuration, that a notification filter is named by its user, type and address and a
// resource contingent by its user group (at most one each), that the appliance and mail settings are one object each,
// and that the install timeout is a duration. /servicesettings is left out: it sets the same log levels as /setting,
// one service per request.
var virtomizeSiteOptions = sync.OnceValue(func() sitefile.Options {
	return sitefile.Options{
		Refs: map[string]string{
			"cluster": "clusters", "clusterkey": "clusters", "credentialskey": "clustercredentials",
			"defaultskey": "clusterdefaults", "oskey": "operatingsystems", "userkey": "users",
			"networks": "networks", "callbacks": "callbacks", "users": "users", "clusters": "clusters",
			"usergroupkey": "usergroups",
		},
		Keys:        map[string]string{"callbacks": "callbackurl", "clusterdefaults": "datacenter", "usergroups": "groupname"},
		Skip:        []string{"virtualmachines"},
		SecretField: vcat.SecretField,
		CompositeKeys: map[string][]string{
			"notificationfilter":  {"userkey", "type", "to"},
			"resourcecontingents": {"usergroupkey"},
		},
		Singletons: []string{"setting", "setting/notification"},
		Durations:  []string{"installtimeout"},
	}
})

// newVirtomizeSitefileCmds: infra virtomize export|plan|apply.
func newVirtomizeSitefileCmds(f *cmdutil.Factory) []*cobra.Command {
	return sitefilecmd.Commands(f, sitefilecmd.Vendor{
		Name: "virtomize", Noun: "Virtomize",
		Catalog: func() *sitefile.Catalog {
			return sitefile.NewCatalog("virtomize", vcat.Root(), func(string) bool { return false }, virtomizeSiteOptions())
		},
		Backend: func(ctx context.Context) (request.Backend, error) { return Client(f) },
		Example: "networks,profiles",
	})
}
