package virtomizesim_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/infractl/infra/internal/sim/virtomizesim"
	vcat "github.com/infractl/infra/pkg/catalog/virtomize"
)

// readOperations returns the lines of the catalog's operation table ("METHOD /path/:key"): the simulator must serve
// every one of them from its own routes.
func readOperations(t *testing.T) []string {
	t.Helper()
	return vcat.Operations()
}

func TestOperationsMatchReference(t *testing.T) {
	want := readOperations(t)
	got := virtomizesim.New(virtomizesim.Options{}).Operations()
	sort.Strings(want)
	sorted := append([]string(nil), got...)
	sort.Strings(sorted)
	if strings.Join(sorted, "\n") != strings.Join(want, "\n") {
		missing, extra := diff(want, sorted), diff(sorted, want)
		t.Fatalf("the simulator's operations differ from the catalog's table\nmissing: %v\nextra: %v", missing, extra)
	}
}

func diff(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

// opReq is one concrete, valid call of an operation.
type opReq struct {
	path   string     // concrete path; default: the pattern with every key set to 1
	form   url.Values // form body
	raw    []byte     // raw body instead of form
	ctype  string     // content type of raw
	public bool       // sent without a token
}

// opCases gives, for operations whose default call (keys 1, no body) is not
// valid against the sample data, a setup that returns a valid call.
var opCases = map[string]func(c *client) opReq{
	"GET /": func(c *client) opReq { return opReq{public: true} },
	"POST /backup": func(c *client) opReq {
		r := c.ok(http.MethodGet, "/backup", nil)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("backup", "backup.tar.gz")
		_, _ = fw.Write(r.body)
		_ = mw.Close()
		return opReq{raw: buf.Bytes(), ctype: mw.FormDataContentType()}
	},
	"POST /callbacks": func(c *client) opReq {
		return opReq{form: form("callbackurl", "https://a.example/ok", "errorcallbackurl", "https://a.example/err")}
	},
	"PUT /callbacks/:key": func(c *client) opReq {
		return opReq{form: form("callbackurl", "https://a.example/ok", "errorcallbackurl", "https://a.example/err", "notes", "n")}
	},
	"DELETE /callbacks/:key": func(c *client) opReq {
		k := c.key("/callbacks", form("callbackurl", "https://a.example/ok", "errorcallbackurl", "https://a.example/err"))
		return opReq{path: "/callbacks/" + strconv.Itoa(k)}
	},
	"POST /clustercredentials": func(c *client) opReq {
		return opReq{form: form("name", "esx2", "username", "root", "password", "pw", "url", "esx2.example.com", "insecure", "true", "http", "false")}
	},
	"PUT /clustercredentials/:key": func(c *client) opReq {
		return opReq{form: form("name", "vcenter-lab", "username", "root", "password", "pw", "url", "https://vc.example.com/sdk")}
	},
	"DELETE /clustercredentials/:key": func(c *client) opReq {
		k := c.key("/clustercredentials", form("name", "spare", "username", "u", "password", "p", "url", "h.example.com"))
		return opReq{path: "/clustercredentials/" + strconv.Itoa(k)}
	},
	"POST /clustercredentials/:key/test": func(c *client) opReq { return opReq{form: form("type", "vmware")} },
	"POST /clusterdefaults":              func(c *client) opReq { return opReq{form: form("datacenter", "dc2")} },
	"PUT /clusterdefaults/:key":          func(c *client) opReq { return opReq{form: form("host", "esxi02")} },
	"DELETE /clusterdefaults/:key": func(c *client) opReq {
		return opReq{path: "/clusterdefaults/" + strconv.Itoa(c.key("/clusterdefaults", form("host", "h")))}
	},
	"POST /clusters": func(c *client) opReq {
		return opReq{form: form("name", "c2", "credentialskey", "1", "type", "vmware", "callbacks[0]", "1")}
	},
	"PUT /clusters/:key": func(c *client) opReq {
		return opReq{form: form("name", "lab2", "credentialskey", "1", "type", "vmware")}
	},
	"DELETE /clusters/:key": func(c *client) opReq {
		return opReq{path: "/clusters/" + strconv.Itoa(c.key("/clusters", form("name", "tmp", "credentialskey", "1", "type", "proxmox")))}
	},
	"POST /clusters/:key/import": func(c *client) opReq {
		return opReq{form: form("owner", "1", "vmnames[0]", "legacy-db01", "vmnames[1]", "legacy-web01")}
	},
	"POST /destroy": func(c *client) opReq { return opReq{public: true, form: form("access_token", c.token)} },
	"PUT /license":  func(c *client) opReq { return opReq{form: form("license", "ABCD-EFGH-IJKL-MNOP")} },
	"POST /logs": func(c *client) opReq {
		return opReq{form: form("services[0]", "core", "levels[0]", "info", "starttime", "0", "pseudonymization", "true")}
	},
	"POST /networks": func(c *client) opReq {
		return opReq{form: form("name", "Backup", "cluster", "1", "dhcp", "false", "cidr", "10.30.0.0/24", "gateway", "10.30.0.1")}
	},
	"PUT /networks/:key": func(c *client) opReq {
		return opReq{form: form("name", "VM Network", "cluster", "1", "dhcp", "false", "cidr", "192.168.10.0/24", "nointernet", "true")}
	},
	"DELETE /networks/:key": func(c *client) opReq { return opReq{path: "/networks/2"} },
	"POST /notificationfilter": func(c *client) opReq {
		return opReq{form: form("type", "mail", "to", "a@example.com", "userkey", "1", "filter[0]", "error")}
	},
	"PUT /notificationfilter/:key": func(c *client) opReq {
		return opReq{form: form("type", "mail", "to", "b@example.com", "userkey", "2", "filter[0]", "info", "filter[1]", "critical")}
	},
	"POST /profiles": func(c *client) opReq {
		return opReq{form: form("name", "p2", "cpu", "2", "ram", "4GB", "oskey", "1", "clusterkey", "1", "disc", "40GB", "datastore", "auto", "networks[0]", "1")}
	},
	"PUT /profiles/:key": func(c *client) opReq {
		return opReq{form: form("name", "ubuntu-small", "cpu", "4", "ram", "8GB", "oskey", "2", "clusterkey", "1", "disc", "40GB", "datastore", "datastore1", "networks[0]", "1", "networks[1]", "2")}
	},
	"POST /profiles/:key/createvirtualmachine": func(c *client) opReq {
		return opReq{form: form("owner", "1", "name", "from-profile", "cpu", "4", "thickprovisioning", "true")}
	},
	"POST /resourcecontingents": func(c *client) opReq {
		g := c.key("/usergroups", form("groupname", "g2", "users[0]", "1"))
		return opReq{form: form("usergroupkey", strconv.Itoa(g), "cpulimit", "8", "memorylimit", "32GB", "disclimit", "1TB", "vmlimit", "4")}
	},
	"PUT /resourcecontingents/:key": func(c *client) opReq {
		return opReq{form: form("usergroupkey", "1", "cpulimit", "8", "memorylimit", "32GB", "disclimit", "1TB", "vmlimit", "4")}
	},
	"PUT /servicesettings": func(c *client) opReq { return opReq{form: form("service", "core", "loglevel", "debug")} },
	"PUT /setting": func(c *client) opReq {
		return opReq{form: form("installtimeout", "1800000000000", "ignorefilter[0]", "^local", "loglevelcore", "debug")}
	},
	"PUT /setting/notification": func(c *client) opReq {
		return opReq{form: form("mailserver", "mail.example.com", "mailport", "587", "password", "pw")}
	},
	"POST /token": func(c *client) opReq {
		return opReq{public: true, form: form("grant_type", "client_credentials", "client_id", "admin", "client_secret", adminPassword)}
	},
	"POST /usergroups": func(c *client) opReq {
		return opReq{form: form("groupname", "g2", "users[0]", "1", "users[1]", "2", "clusters[0]", "1")}
	},
	"PUT /usergroups/:key": func(c *client) opReq {
		return opReq{form: form("groupname", "operators", "users[0]", "2", "networks[0]", "1")}
	},
	"DELETE /usergroups/:key": func(c *client) opReq {
		return opReq{path: "/usergroups/" + strconv.Itoa(c.key("/usergroups", form("groupname", "tmp", "users[0]", "1")))}
	},
	"POST /users": func(c *client) opReq { return opReq{form: form("username", "alice", "password", "pw")} },
	"PUT /users/:key": func(c *client) opReq {
		return opReq{path: "/users/2", form: form("username", "operator2", "password", "pw2")}
	},
	"DELETE /users/:key": func(c *client) opReq { return opReq{path: "/users/2"} },
	"PUT /users/:key/permissions": func(c *client) opReq {
		return opReq{path: "/users/2/permissions", form: form("permissiongroups[0]", "viewer", "permissiongroups[1]", "vmoperator")}
	},
	"POST /virtualmachinenetworks": func(c *client) opReq {
		return opReq{form: form("vmkey", "1", "netkey", "2", "domains[0]", "web01.dmz.example.com")}
	},
	"PUT /virtualmachinenetworks/:key": func(c *client) opReq {
		return opReq{form: form("vmkey", "1", "netkey", "1", "ip", "192.168.10.140", "mac", "00:50:56:aa:bb:cc")}
	},
	"DELETE /virtualmachinenetworks/:key": func(c *client) opReq { return opReq{form: form("vmkey", "1")} },
	"POST /virtualmachines": func(c *client) opReq {
		return opReq{form: form("name", "db01", "owner", "1", "cpu", "2", "ram", "4GB", "oskey", "3", "clusterkey", "1", "disc", "20GB", "datastore", "datastore1")}
	},
	"PUT /virtualmachines/:key": func(c *client) opReq {
		return opReq{form: form("name", "web01", "owner", "1", "cpu", "4", "ram", "8GB", "oskey", "2", "clusterkey", "1", "disc", "40GB", "datastore", "datastore1")}
	},
	"POST /virtualmachines/:key/install": func(c *client) opReq {
		k := c.key("/virtualmachines", form("name", "new", "owner", "1", "cpu", "2", "ram", "4GB", "oskey", "2", "clusterkey", "1", "disc", "40GB", "datastore", "auto"))
		c.ok(http.MethodPost, "/virtualmachinenetworks", form("vmkey", strconv.Itoa(k), "netkey", "1"))
		return opReq{path: "/virtualmachines/" + strconv.Itoa(k) + "/install",
			form: form("thickprovisioning", "false", "locale", "de_DE.UTF-8", "keyboard", "de", "password", "$6$salt$hash")}
	},
	"POST /virtualmachines/:vmkey/snapshots": func(c *client) opReq {
		return opReq{form: form("name", "before-upgrade", "description", "d", "includememory", "true")}
	},
	"PUT /virtualmachines/:vmkey/snapshots/:key": func(c *client) opReq {
		return opReq{form: form("name", "base", "description", "renamed")}
	},
	"POST /virtualmachines/:vmkey/snapshots/updatehardware": func(c *client) opReq {
		return opReq{form: form("keys[0]", "1")}
	},
}

var keyParam = strings.NewReplacer(":vmkey", "1", ":key", "1")

// TestEveryOperationRouted calls each operation of the reference, on a fresh
// simulator with sample data, with a valid request and expects success.
func TestEveryOperationRouted(t *testing.T) {
	ops := readOperations(t)
	seen := map[string]bool{}
	for _, op := range ops {
		seen[op] = true
		t.Run(op, func(t *testing.T) {
			method, pattern, _ := strings.Cut(op, " ")
			c := newSim(t, virtomizesim.Options{Seed: true})
			req := opReq{}
			if setup := opCases[op]; setup != nil {
				req = setup(c)
			}
			if req.path == "" {
				req.path = keyParam.Replace(pattern)
			}
			tok := c.token
			if req.public {
				tok = ""
			}
			body, ctype := req.form.Encode(), ""
			if req.raw != nil {
				body, ctype = string(req.raw), req.ctype
			}
			r := c.send(method, req.path, body, ctype, tok)
			if r.status != http.StatusOK {
				t.Fatalf("%s %s: status %d: %s", method, req.path, r.status, r.body)
			}
			if method == http.MethodGet && pattern == "/backup" {
				if r.header.Get("Content-Type") != "application/octet-stream" || len(r.body) == 0 {
					t.Fatalf("backup: content type %q, %d bytes", r.header.Get("Content-Type"), len(r.body))
				}
				return
			}
			if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Fatalf("content type %q", r.header.Get("Content-Type"))
			}
			if b := bytes.TrimSpace(r.body); len(b) == 0 || (b[0] != '{' && b[0] != '[') {
				t.Fatalf("answer is not a JSON object or array: %s", r.body)
			}
		})
	}
	for op := range opCases {
		if !seen[op] {
			t.Errorf("test case for %q, which is not in the operation table", op)
		}
	}
}

// TestWrongMethodOnEveryPath checks that each path of the reference answers
// 405 in the error format to a method it does not serve.
func TestWrongMethodOnEveryPath(t *testing.T) {
	ops := readOperations(t)
	methods := map[string]map[string]bool{}
	for _, op := range ops {
		m, p, _ := strings.Cut(op, " ")
		p = strings.ReplaceAll(p, ":vmkey", ":key")
		if methods[p] == nil {
			methods[p] = map[string]bool{}
		}
		methods[p][m] = true
	}
	c := newSim(t, virtomizesim.Options{Seed: true})
	for p, ms := range methods {
		r := c.send(http.MethodPatch, keyParam.Replace(p), "", "", c.token)
		e := r.apiErr(t, http.StatusMethodNotAllowed)
		allow := strings.Split(r.header.Get("Allow"), ", ")
		for _, m := range allow {
			if !ms[m] && !(p == "/token" && m == http.MethodGet) {
				t.Errorf("%s: Allow lists %s", p, m)
			}
		}
		if len(allow) < len(ms) {
			t.Errorf("%s: Allow %v misses some of %v", p, allow, ms)
		}
		if e.Instance != keyParam.Replace(p) {
			t.Errorf("%s: instance %q", p, e.Instance)
		}
	}
}
