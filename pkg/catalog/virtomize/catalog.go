// Package virtomize declares every operation of the Virtomize appliance REST API (/rest/v1) as data for the command
// engine: one command per operation, typed flags with the reference's parameter names, help and required markers.
//
// ops.go holds the operation table, transcribed once from the appliance reference: one Op per "HTTP Request" section,
// with the parameters of its table. The commands and the coverage tests of the catalog, the simulator and the command
// suite all read it (see Operations); a test checks it against the reference document itself (testdata). This file
// arranges the operations into the command tree. Path keys of the reference (":key", ":vmkey") become positional
// arguments; the reference also lists them among the body parameters, but the appliance takes them from the path,
// so they are not repeated as flags.
package virtomize

import (
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/infractl/infra/pkg/api/request"
)

func i64(v int64) *int64 { return &v }

var (
	idMin   = i64(1)
	zeroMin = i64(0)
	portMax = i64(65535)
)

// durationPattern accepts a Go duration (40m, 1h30m) or a bare count of nanoseconds, the two forms the appliance knows.
const durationPattern = `^([0-9]+|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`

// Root returns the whole tree: a group named "virtomize" whose own operations are the top-level commands (version,
// logs, api-paths, …) and whose sub-groups are the resources (vm, cluster, network, …).
func Root() *request.Group {
	root := &request.Group{
		Name:  "virtomize",
		Short: "Virtomize appliance: virtual machines, clusters, networks, profiles, users and appliance settings",
		Ops:   withoutSecrets(opsRoot()),
	}
	names := make([]string, 0, len(groupOps()))
	for n := range groupOps() {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	byPath := map[string]*request.Group{"": root}
	for _, n := range names {
		g := &request.Group{Name: n[strings.LastIndex(n, "/")+1:], Short: groupShort()[n], Aliases: groupAliases()[n], Ops: withoutSecrets(groupOps()[n]())}
		parent := ""
		if i := strings.LastIndex(n, "/"); i >= 0 {
			parent = n[:i]
		}
		byPath[parent].Groups = append(byPath[parent].Groups, g)
		byPath[n] = g
	}
	decorate(byPath)
	return root
}

// Find returns the operation at the command path below the root (e.g. "vm", "install"), or nil.
func Find(root *request.Group, path ...string) *request.Op {
	var found *request.Op
	root.Walk(func(p []string, op *request.Op) {
		if strings.Join(p[1:], " ") == strings.Join(path, " ") {
			found = op
		}
	})
	return found
}

// Operations lists the operations of the table as the appliance reference writes them ("METHOD /path/:key"), in
// table order. Coverage tests read this list: the catalog's, the simulator's and the command suite's.
func Operations() []string {
	var out []string
	Root().Walk(func(_ []string, op *request.Op) {
		out = append(out, op.Method+" "+referencePath(op.Path))
	})
	return out
}

// referencePath writes the path parameters the reference's way: /virtualmachines/{vmkey} becomes /virtualmachines/:vmkey.
func referencePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' {
			segs[i] = ":" + s[1:len(s)-1]
		}
	}
	return strings.Join(segs, "/")
}

// decorate adds what the reference implies but its tables do not say: examples, notes on units and keys.
func decorate(g map[string]*request.Group) {
	set := func(group, op string, fn func(*request.Op)) {
		for _, o := range g[group].Ops {
			if o.Name == op {
				fn(o)
				return
			}
		}
		panic("catalog: no operation " + group + " " + op)
	}
	cols := func(group string, c []string, ops ...string) {
		for _, op := range ops {
			set(group, op, func(o *request.Op) { o.Columns = c })
		}
	}
	cols("vm", []string{"key", "name", "owner", "cpu", "ram", "disc", "clusterkey", "deployed"}, "list", "get", "create", "update")
	cols("network", []string{"key", "name", "cluster", "dhcp", "cidr", "ipreservationcidr", "gateway", "dns"}, "list", "get", "create", "update")
	sizes := "Sizes (ram, disc) are numbers with an optional unit such as 2048, 4GB or 40GiB; a bare number means MB. " +
		"The datastore may be \"auto\" to let the appliance choose."
	set("vm", "create", func(o *request.Op) {
		o.Long = "Create a virtual machine record. The machine is deployed on the cluster by `vm install`.\n\n" + sizes
		o.Example = "  infra virtomize vm create --name web1 --owner 1 --cpu 2 --ram 4GB --disc 40GB --oskey 1 --clusterkey 1 --datastore auto"
	})
	set("vm", "update", func(o *request.Op) {
		o.Long = "Replace a virtual machine record: every required field must be given.\n\n" + sizes
	})
	set("vm", "install", func(o *request.Op) {
		o.Long = "Start installing the operating system of a machine that has at least one network interface (see vm-network create).\n\n" +
			"The root password is never taken as an argument: use --password-stdin or --password-prompt. A plain password is " +
			"hashed locally to SHA-512 crypt ($6$…), as the appliance expects; a value that already is a $6$ hash is sent as it is."
	})
	set("profile", "create", func(o *request.Op) { o.Long = "Create a machine profile (a template for new machines).\n\n" + sizes })
	set("profile", "create-vm", func(o *request.Op) {
		o.Long = "Create a machine from a profile and start its installation. cpu, ram and disc override the profile's."
		o.Example = "  infra virtomize profile create-vm 1 --name web2 --owner 1 --wait"
	})
	set("cluster", "create", func(o *request.Op) {
		o.Example = "  infra virtomize cluster create --name lab --type vmware --credentialskey 1 --defaultskey 1 --callbacks 1,2"
	})
	set("cluster/import", "run", func(o *request.Op) {
		o.Example = "  infra virtomize cluster import run 1 --owner 1 --vmnames legacy-db,legacy-web"
	})
	set("cluster-credentials", "create", func(o *request.Op) {
		o.Long = "Store how the appliance reaches a hypervisor (URL, user name and password)."
	})
	set("vm-network", "delete", func(o *request.Op) {
		o.Long = "Remove a network interface from a machine. --vmkey names the machine the interface belongs to."
	})
	set("vm-network", "get", func(o *request.Op) {
		o.Long = "List the network interfaces of one machine (the appliance takes a machine key here)."
	})
	set("backup", "restore", func(o *request.Op) {
		o.Long = "Upload a backup archive (from `backup download`) and replace the whole appliance configuration with it. " +
			"The file is streamed as the multipart field \"backup\"."
	})
	set("", "token", func(o *request.Op) {
		o.Long = "Print a bearer token for scripts. Tokens come from POST /token with the appliance user name and password " +
			"and are cached until shortly before they expire."
	})
	set("", "logout", func(o *request.Op) {
		o.Long = "Revoke the cached token at the appliance (POST /destroy) and forget it. `infra auth logout virtomize` does " +
			"the same and also removes the stored password."
	})
	set("", "logs", func(o *request.Op) {
		o.Example = "  infra virtomize logs --services core,inventory --levels error --starttime 2026-01-02T00:00:00Z"
	})
	set("settings", "update", func(o *request.Op) {
		o.Example = "  infra virtomize settings update --installtimeout 60m --ignorefilter local-ssd,scratch"
	})
}

// isSecret reports whether a parameter of the reference is a secret: a password is never a flag (secrets never go in
// argv); the command layer reads it from stdin or a prompt and adds it to the body.
func isSecret(f request.Field) bool { return f.Name == "password" }

// withoutSecrets removes the secret parameters from the bodies of ops (see SecretField).
func withoutSecrets(ops []*request.Op) []*request.Op {
	for _, op := range ops {
		op.Body = slices.DeleteFunc(op.Body, isSecret)
	}
	return ops
}

// secretFields are the secret parameters of the table, by "METHOD /path".
var secretFields = sync.OnceValue(func() map[string]request.Field {
	out := map[string]request.Field{}
	for _, ops := range groupOps() {
		for _, op := range ops() {
			for _, f := range op.Body {
				if isSecret(f) {
					out[op.Method+" "+op.Path] = f
				}
			}
		}
	}
	return out
})

// SecretField returns the password parameter of op, if the reference gives it one. Such parameters have no flag:
// the command layer reads them from stdin or a prompt and adds them to the body.
func SecretField(op *request.Op) (request.Field, bool) {
	f, ok := secretFields()[op.Method+" "+op.Path]
	return f, ok
}
