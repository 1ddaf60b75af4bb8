package virtomizesim_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infractl/infra/internal/sim/virtomizesim"
)

// emptyCluster prepares credentials, a cluster, a user group and returns the
// keys of cluster and group.
func emptyCluster(c *client) (clusterKey, groupKey string) {
	cred := c.key("/clustercredentials", form("name", "vc", "username", "u", "password", "cred-pass", "url", "vc.example.com"))
	cl := c.key("/clusters", form("name", "c1", "credentialskey", strconv.Itoa(cred), "type", "vmware"))
	g := c.key("/usergroups", form("groupname", "team", "users[0]", "1"))
	return strconv.Itoa(cl), strconv.Itoa(g)
}

func TestCRUDAndReferentialErrors(t *testing.T) {
	clk := newClock()
	c := newSim(t, virtomizesim.Options{Now: clk.Now})

	// Missing parameters are all listed, in the documented error document.
	e := c.do(http.MethodPost, "/clusters", nil).apiErr(t, http.StatusBadRequest)
	want := []string{"missing parameter: name", "missing parameter: type", "missing parameter: credentialskey"}
	if !reflect.DeepEqual(e.Errors, want) || e.Instance != "/clusters" || e.Timestamp != clk.Now().UnixNano() {
		t.Fatalf("error document %+v", e)
	}

	// A cluster must refer to existing credentials.
	e = c.do(http.MethodPost, "/clusters", form("name", "c1", "credentialskey", "99", "type", "vmware")).apiErr(t, http.StatusBadRequest)
	if e.Errors[0] != "invalid parameter: credentialskey: cluster credentials 99 does not exist" {
		t.Fatalf("errors %v", e.Errors)
	}

	cred := c.key("/clustercredentials", form("name", "vc", "username", "u", "password", "cred-pass", "url", "vc.example.com", "insecure", "true"))
	got := c.ok(http.MethodGet, "/clustercredentials/"+strconv.Itoa(cred), nil)
	if bytes.Contains(got.body, []byte("cred-pass")) || bytes.Contains(got.body, []byte(`"password"`)) {
		t.Fatalf("credentials answer reveals the password: %s", got.body)
	}
	if m := got.obj(t); m["insecure"] != true || m["url"] != "vc.example.com" || m["http"] != false {
		t.Fatalf("credentials %v", m)
	}

	// Arrays go as name[0], name[1]; the raw form below is what curl -d sends.
	cb1 := c.key("/callbacks", form("callbackurl", "https://h.example/ok", "errorcallbackurl", "https://h.example/err"))
	cb2 := c.key("/callbacks", form("callbackurl", "https://h.example/ok2", "errorcallbackurl", "https://h.example/err2"))
	raw := fmt.Sprintf("name=c1&credentialskey=%d&type=vmware&callbacks[0]=%d&callbacks[1]=%d", cred, cb2, cb1)
	r := c.send(http.MethodPost, "/clusters", raw, "", c.token)
	if r.status != http.StatusOK {
		t.Fatalf("create cluster: %d %s", r.status, r.body)
	}
	cl := r.obj(t)
	if !reflect.DeepEqual(cl["callbacks"], []any{float64(cb2), float64(cb1)}) || cl["name"] != "c1" || cl["type"] != "vmware" {
		t.Fatalf("cluster %v", cl)
	}
	clKey := strconv.Itoa(int(cl["key"].(float64)))

	// Same name again is a conflict; a bare array or a bad boolean is a 400.
	c.do(http.MethodPost, "/clusters", form("name", "c1", "credentialskey", strconv.Itoa(cred), "type", "vmware")).apiErr(t, http.StatusConflict)
	e = c.do(http.MethodPost, "/clusters", form("name", "c2", "credentialskey", "1", "type", "x", "callbacks", "1")).apiErr(t, http.StatusBadRequest)
	if !strings.Contains(e.Errors[0], "callbacks[0]") {
		t.Fatalf("errors %v", e.Errors)
	}
	e = c.do(http.MethodPost, "/networks", form("name", "n", "cluster", clKey, "dhcp", "yes")).apiErr(t, http.StatusBadRequest)
	if e.Errors[0] != "invalid parameter: dhcp: expected true or false" {
		t.Fatalf("errors %v", e.Errors)
	}
	e = c.do(http.MethodPost, "/clusterdefaults", form("colour", "blue")).apiErr(t, http.StatusBadRequest)
	if e.Errors[0] != "unknown parameter: colour" {
		t.Fatalf("errors %v", e.Errors)
	}

	// Update, read back, list.
	upd := c.ok(http.MethodPut, "/clusters/"+clKey, form("name", "renamed", "credentialskey", strconv.Itoa(cred), "type", "proxmox")).obj(t)
	if upd["name"] != "renamed" || upd["type"] != "proxmox" || !reflect.DeepEqual(upd["callbacks"], cl["callbacks"]) {
		t.Fatalf("updated cluster %v", upd)
	}
	if l := c.ok(http.MethodGet, "/clusters", nil).list(t); len(l) != 1 || l[0]["name"] != "renamed" {
		t.Fatalf("clusters %v", l)
	}

	// A virtual machine needs an existing owner, operating system and cluster.
	g := strconv.Itoa(c.key("/usergroups", form("groupname", "team", "users[0]", "1")))
	vmForm := func(name, owner, os, cluster string) map[string][]string {
		return form("name", name, "owner", owner, "cpu", "2", "ram", "4GB", "oskey", os, "clusterkey", cluster, "disc", "40GB", "datastore", "auto")
	}
	e = c.do(http.MethodPost, "/virtualmachines", vmForm("vm1", "42", "99", "77")).apiErr(t, http.StatusBadRequest)
	want = []string{
		"invalid parameter: owner: user group 42 does not exist",
		"invalid parameter: oskey: operating system 99 does not exist",
		"invalid parameter: clusterkey: cluster 77 does not exist",
	}
	if !reflect.DeepEqual(e.Errors, want) {
		t.Fatalf("errors %v", e.Errors)
	}
	e = c.do(http.MethodPost, "/virtualmachines", form("name", "vm1", "owner", g, "cpu", "2", "ram", "4GB", "oskey", "1", "clusterkey", clKey, "disc", "40GB", "datastore", "nosuch")).apiErr(t, http.StatusBadRequest)
	if !strings.HasPrefix(e.Errors[0], "invalid parameter: datastore:") {
		t.Fatalf("errors %v", e.Errors)
	}
	vmKey := strconv.Itoa(c.key("/virtualmachines", vmForm("vm1", g, "1", clKey)))
	if c.sim.VMCount() != 1 {
		t.Fatalf("VMCount %d", c.sim.VMCount())
	}
	vm := c.ok(http.MethodGet, "/virtualmachines/"+vmKey, nil).obj(t)
	if vm["deployed"] != false || vm["name"] != "vm1" || !reflect.DeepEqual(vm["networks"], []any{}) || vm["owner"] != float64(1) {
		t.Fatalf("vm %v", vm)
	}

	// Referenced records cannot be deleted.
	c.do(http.MethodDelete, "/clusters/"+clKey, nil).apiErr(t, http.StatusConflict)
	c.do(http.MethodDelete, "/clustercredentials/"+strconv.Itoa(cred), nil).apiErr(t, http.StatusConflict)
	c.do(http.MethodDelete, "/usergroups/"+g, nil).apiErr(t, http.StatusConflict)

	del := c.ok(http.MethodDelete, "/virtualmachines/"+vmKey, nil).obj(t)
	if del["key"] != float64(1) || del["msg"] == "" {
		t.Fatalf("delete answer %v", del)
	}
	e = c.do(http.MethodGet, "/virtualmachines/"+vmKey, nil).apiErr(t, http.StatusNotFound)
	if e.Instance != "/virtualmachines/"+vmKey {
		t.Fatalf("instance %q", e.Instance)
	}
	c.ok(http.MethodDelete, "/clusters/"+clKey, nil)
	c.ok(http.MethodDelete, "/clustercredentials/"+strconv.Itoa(cred), nil)
	if c.sim.VMCount() != 0 {
		t.Fatalf("VMCount %d", c.sim.VMCount())
	}
}

func TestRoutingErrors(t *testing.T) {
	c := newSim(t, virtomizesim.Options{})
	for _, tc := range []struct {
		method, path string
		status       int
		instance     string
	}{
		{http.MethodGet, "/nosuch", http.StatusNotFound, "/nosuch"},
		{http.MethodGet, "/clusters/1/nosuch", http.StatusNotFound, "/clusters/1/nosuch"},
		{http.MethodDelete, "/clusters", http.StatusMethodNotAllowed, "/clusters"},
		{http.MethodPost, "/users/current", http.StatusMethodNotAllowed, "/users/current"},
		{http.MethodGet, "/clusters/abc", http.StatusBadRequest, "/clusters/abc"},
		{http.MethodGet, "/virtualmachines/parameter/7", http.StatusNotFound, "/virtualmachines/parameter/7"},
	} {
		e := c.send(tc.method, tc.path, "", "", c.token).apiErr(t, tc.status)
		if e.Instance != tc.instance {
			t.Errorf("%s %s: instance %q", tc.method, tc.path, e.Instance)
		}
	}
	// Outside /rest/v1 the error format is the same.
	res, err := http.Get(strings.TrimSuffix(c.base, virtomizesim.BasePath) + "/elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("outside the API: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// JSON bodies are refused.
	c.send(http.MethodPost, "/clusterdefaults", `{"host":"h"}`, "application/json", c.token).apiErr(t, http.StatusUnsupportedMediaType)
}

func TestInstallProgression(t *testing.T) {
	c := newSim(t, virtomizesim.Options{Seed: true, InstallPolls: 3})
	k := strconv.Itoa(c.key("/virtualmachines", form("name", "app01", "owner", "1", "cpu", "2", "ram", "4GB", "oskey", "2",
		"clusterkey", "1", "disc", "40GB", "datastore", "auto")))

	// Without a network there is nothing to install over.
	c.do(http.MethodPost, "/virtualmachines/"+k+"/install", nil).apiErr(t, http.StatusConflict)
	c.do(http.MethodPost, "/virtualmachines/"+k+"/poweron", nil).apiErr(t, http.StatusConflict)
	c.ok(http.MethodPost, "/virtualmachinenetworks", form("vmkey", k, "netkey", "1"))

	res := c.ok(http.MethodPost, "/virtualmachines/"+k+"/install", form("locale", "de_DE.UTF-8", "keyboard", "de")).obj(t)
	if res["statuscode"] != float64(200) || res["msg"] == "" {
		t.Fatalf("install answer %v", res)
	}
	c.do(http.MethodPost, "/virtualmachines/"+k+"/install", nil).apiErr(t, http.StatusConflict)

	type info struct {
		Name       string   `json:"name"`
		PowerState string   `json:"powerstate"`
		IPs        []string `json:"ips"`
	}
	var polls []info
	for i := 0; i < 5; i++ {
		var in info
		c.ok(http.MethodGet, "/virtualmachines/"+k+"/info", nil).json(t, &in)
		polls = append(polls, in)
		if len(in.IPs) > 0 {
			break
		}
		if c.ok(http.MethodGet, "/virtualmachines/"+k, nil).obj(t)["deployed"] != false {
			t.Fatalf("deployed before addresses were reported, poll %d", i+1)
		}
	}
	if len(polls) != 3 {
		t.Fatalf("deployed after %d polls, want 3: %+v", len(polls), polls)
	}
	for _, p := range polls[:2] {
		if p.PowerState != "poweredOff" || p.IPs == nil || len(p.IPs) != 0 || p.Name != "app01" {
			t.Fatalf("during installation: %+v", p)
		}
	}
	// web01 holds 192.168.10.128, the first address of the reservation.
	if last := polls[2]; last.PowerState != "poweredOn" || !reflect.DeepEqual(last.IPs, []string{"192.168.10.129"}) {
		t.Fatalf("after installation: %+v", last)
	}
	vm := c.ok(http.MethodGet, "/virtualmachines/"+k, nil).obj(t)
	if vm["deployed"] != true || vm["installparameters"] == float64(0) {
		t.Fatalf("vm %v", vm)
	}
	params := c.ok(http.MethodGet, "/virtualmachines/parameter/"+strconv.Itoa(int(vm["installparameters"].(float64))), nil).obj(t)
	if params["locale"] != "de_DE.UTF-8" || params["keyboard"] != "de" {
		t.Fatalf("install parameters %v", params)
	}
	c.do(http.MethodPost, "/virtualmachines/"+k+"/install", nil).apiErr(t, http.StatusConflict)

	// Power actions change what info reports.
	c.ok(http.MethodPost, "/virtualmachines/"+k+"/poweroff", nil)
	var in info
	c.ok(http.MethodGet, "/virtualmachines/"+k+"/info", nil).json(t, &in)
	if in.PowerState != "poweredOff" || len(in.IPs) != 0 {
		t.Fatalf("powered off: %+v", in)
	}
	c.ok(http.MethodPost, "/virtualmachines/"+k+"/poweron", nil)
	c.ok(http.MethodGet, "/virtualmachines/"+k+"/info", nil).json(t, &in)
	if in.PowerState != "poweredOn" || len(in.IPs) != 1 {
		t.Fatalf("powered on: %+v", in)
	}

	// Creating from a profile starts the installation too.
	cv := c.ok(http.MethodPost, "/profiles/1/createvirtualmachine", form("owner", "1", "name", "app02")).obj(t)
	if cv["status"] != "installing" {
		t.Fatalf("createvirtualmachine %v", cv)
	}
	k2 := strconv.Itoa(int(cv["key"].(float64)))
	for i := 0; i < 3; i++ {
		c.ok(http.MethodGet, "/virtualmachines/"+k2+"/info", nil).json(t, &in)
	}
	if !reflect.DeepEqual(in.IPs, []string{"192.168.10.130"}) {
		t.Fatalf("profile machine after 3 polls: %+v", in)
	}
	// An installation password must be a sha-512 crypt hash and is not echoed.
	k3 := strconv.Itoa(c.key("/virtualmachines", form("name", "app03", "owner", "1", "cpu", "2", "ram", "4GB", "oskey", "2",
		"clusterkey", "1", "disc", "40GB", "datastore", "auto")))
	c.ok(http.MethodPost, "/virtualmachinenetworks", form("vmkey", k3, "netkey", "1"))
	r := c.do(http.MethodPost, "/virtualmachines/"+k3+"/install", form("password", "plain-root-pw"))
	r.apiErr(t, http.StatusBadRequest)
	if bytes.Contains(r.body, []byte("plain-root-pw")) {
		t.Fatalf("error reveals the password: %s", r.body)
	}
}

func TestInstallCompletesAtOnceWithNegativePolls(t *testing.T) {
	c := newSim(t, virtomizesim.Options{Seed: true, InstallPolls: -1})
	cv := c.ok(http.MethodPost, "/profiles/1/createvirtualmachine", form("owner", "1", "name", "quick")).obj(t)
	if cv["status"] != "deployed" {
		t.Fatalf("createvirtualmachine %v", cv)
	}
}

func TestTokenAndDestroy(t *testing.T) {
	clk := newClock()
	c := newSim(t, virtomizesim.Options{Now: clk.Now, TokenTTL: time.Hour}) // one token minted by login

	// GET with a query, as in the reference.
	r := c.send(http.MethodGet, "/token?grant_type=client_credentials&client_id=admin&client_secret="+adminPassword, "", "", "")
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	r.json(t, &tok)
	if r.status != http.StatusOK || tok.AccessToken == "" || tok.ExpiresIn != 3600 || tok.TokenType != "Bearer" {
		t.Fatalf("token answer %d %s", r.status, r.body)
	}
	if c.sim.TokensMinted() != 2 {
		t.Fatalf("TokensMinted %d", c.sim.TokensMinted())
	}

	// Wrong secrets are refused without repeating them.
	r = c.send(http.MethodPost, "/token", form("client_id", "admin", "client_secret", "wrong-guess-123").Encode(), "", "")
	r.apiErr(t, http.StatusUnauthorized)
	if bytes.Contains(r.body, []byte("wrong-guess-123")) {
		t.Fatalf("error reveals the secret: %s", r.body)
	}
	c.send(http.MethodPost, "/token", form("grant_type", "password", "client_id", "admin", "client_secret", adminPassword).Encode(), "", "").apiErr(t, http.StatusBadRequest)

	// HTTP Basic client authentication works as well.
	req, _ := http.NewRequest(http.MethodPost, c.base+"/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("admin:"+adminPassword)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || c.sim.TokensMinted() != 3 {
		t.Fatalf("basic auth: %d, minted %d", res.StatusCode, c.sim.TokensMinted())
	}

	// Calls need a valid bearer token.
	r = c.send(http.MethodGet, "/clusters", "", "", "")
	if e := r.apiErr(t, http.StatusUnauthorized); e.Errors[0] != "missing authorization header" || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("no token: %+v", e)
	}
	c.send(http.MethodGet, "/clusters", "", "", "not-a-token").apiErr(t, http.StatusUnauthorized)
	if r := c.send(http.MethodGet, "/users/current", "", "", tok.AccessToken); r.status != http.StatusOK || r.obj(t)["username"] != "admin" {
		t.Fatalf("current user: %d %s", r.status, r.body)
	}

	// Destroy revokes it.
	r = c.send(http.MethodPost, "/destroy", form("access_token", tok.AccessToken).Encode(), "", "")
	if r.status != http.StatusOK || r.obj(t)["message"] == "" {
		t.Fatalf("destroy: %d %s", r.status, r.body)
	}
	c.send(http.MethodGet, "/clusters", "", "", tok.AccessToken).apiErr(t, http.StatusUnauthorized)
	c.send(http.MethodPost, "/destroy", form("access_token", tok.AccessToken).Encode(), "", "").apiErr(t, http.StatusUnauthorized)

	// Tokens expire after their lifetime.
	c.ok(http.MethodGet, "/clusters", nil)
	clk.Advance(time.Hour)
	e := c.send(http.MethodGet, "/clusters", "", "", c.token).apiErr(t, http.StatusUnauthorized)
	if e.Errors[0] != "token expired" {
		t.Fatalf("expired: %v", e.Errors)
	}

	// GET / needs no token.
	if r := c.send(http.MethodGet, "/", "", "", ""); r.status != http.StatusOK {
		t.Fatalf("overview: %d", r.status)
	}
}

func TestUsersLogInAndPermissions(t *testing.T) {
	c := newSim(t, virtomizesim.Options{Seed: true})
	viewer := c.login(virtomizesim.SeedViewerUser, virtomizesim.SeedViewerSecret)
	if r := c.send(http.MethodGet, "/clusters", "", "", viewer); r.status != http.StatusOK {
		t.Fatalf("viewer list: %d", r.status)
	}
	e := c.send(http.MethodPost, "/clusterdefaults", "host=h", "", viewer).apiErr(t, http.StatusForbidden)
	if !strings.Contains(e.Errors[0], "clusterdefaults:write") {
		t.Fatalf("errors %v", e.Errors)
	}

	// A new user has no permissions until given a group, then can log in and act.
	k := strconv.Itoa(c.key("/users", form("username", "bob", "password", "bob-pass")))
	bob := c.login("bob", "bob-pass")
	c.send(http.MethodGet, "/clusters", "", "", bob).apiErr(t, http.StatusForbidden)
	u := c.ok(http.MethodPut, "/users/"+k+"/permissions", form("permissiongroups[0]", "clusteradmin")).obj(t)
	if !reflect.DeepEqual(u["permissionsgroups"], []any{"clusteradmin"}) {
		t.Fatalf("user %v", u)
	}
	if r := c.send(http.MethodPost, "/clusterdefaults", "host=h", "", bob); r.status != http.StatusOK {
		t.Fatalf("bob creates defaults: %d %s", r.status, r.body)
	}
	// Deleting the user ends its sessions; the administrator cannot be deleted.
	c.ok(http.MethodDelete, "/users/"+k, nil)
	c.send(http.MethodGet, "/users/current", "", "", bob).apiErr(t, http.StatusUnauthorized)
	c.do(http.MethodDelete, "/users/1", nil).apiErr(t, http.StatusConflict)
}

func TestBackupRoundTrip(t *testing.T) {
	c := newSim(t, virtomizesim.Options{Seed: true})
	collections := []string{"/callbacks", "/clustercredentials", "/clusterdefaults", "/clusters", "/networks",
		"/notificationfilter", "/profiles", "/resourcecontingents", "/usergroups", "/users", "/virtualmachines",
		"/virtualmachinenetworks", "/virtualmachines/1/snapshots", "/setting", "/setting/notification",
		"/servicesettings", "/license", "/clusters/1/import"}
	snapshot := func() map[string]string {
		out := map[string]string{}
		for _, p := range collections {
			r := c.do(http.MethodGet, p, nil)
			out[p] = fmt.Sprintf("%d %s", r.status, r.body)
		}
		return out
	}
	before := snapshot()

	r := c.ok(http.MethodGet, "/backup", nil)
	archive := r.body
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="virtomize-backup-`) || !strings.HasSuffix(cd, `.tar.gz"`) {
		t.Fatalf("Content-Disposition %q", cd)
	}
	if r.header.Get("Content-Type") != "application/octet-stream" || len(archive) < 100 {
		t.Fatalf("backup: %q, %d bytes", r.header.Get("Content-Type"), len(archive))
	}

	// Change a little of everything.
	c.key("/clustercredentials", form("name", "new", "username", "u", "password", "p", "url", "h.example.com"))
	c.ok(http.MethodDelete, "/profiles/1", nil)
	c.ok(http.MethodPut, "/setting", form("installtimeout", "10m", "loglevelcore", "debug"))
	c.ok(http.MethodDelete, "/license", nil)
	c.ok(http.MethodPost, "/clusters/1/import", form("owner", "1", "vmnames[0]", "legacy-db01"))
	c.ok(http.MethodPost, "/virtualmachines/1/snapshots", form("name", "later"))
	c.ok(http.MethodDelete, "/users/3", nil)
	changed := snapshot()
	for _, p := range []string{"/clustercredentials", "/profiles", "/setting", "/license", "/virtualmachines", "/clusters/1/import", "/users"} {
		if changed[p] == before[p] {
			t.Fatalf("%s did not change", p)
		}
	}

	// Restore through a multipart upload, as in the reference.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("backup", "backup.tar.gz")
	_, _ = fw.Write(archive)
	_ = mw.Close()
	r = c.send(http.MethodPost, "/backup", buf.String(), mw.FormDataContentType(), c.token)
	if r.status != http.StatusOK || r.obj(t)["msg"] == "" {
		t.Fatalf("restore: %d %s", r.status, r.body)
	}
	after := snapshot()
	for _, p := range collections {
		if after[p] != before[p] {
			t.Errorf("%s after restore:\n%s\nwant:\n%s", p, after[p], before[p])
		}
	}
	if c.sim.VMCount() != 1 {
		t.Fatalf("VMCount %d after restore", c.sim.VMCount())
	}
	// Keys continue after the restored sequence.
	if k := c.key("/callbacks", form("callbackurl", "https://x.example/a", "errorcallbackurl", "https://x.example/b")); k != 2 {
		t.Fatalf("next callback key %d", k)
	}

	// A raw octet-stream body works too; rubbish is refused.
	if r := c.send(http.MethodPost, "/backup", string(archive), "application/octet-stream", c.token); r.status != http.StatusOK {
		t.Fatalf("raw restore: %d %s", r.status, r.body)
	}
	c.send(http.MethodPost, "/backup", "not an archive", "application/octet-stream", c.token).apiErr(t, http.StatusBadRequest)
	c.do(http.MethodPost, "/backup", nil).apiErr(t, http.StatusBadRequest)
}

func TestFreeIP(t *testing.T) {
	c := newSim(t, virtomizesim.Options{})
	cl, g := emptyCluster(c)
	n := strconv.Itoa(c.key("/networks", form("name", "small", "cluster", cl, "dhcp", "false", "cidr", "10.0.0.0/29",
		"gateway", "10.0.0.1", "dns", "10.0.0.2")))
	free := func() string {
		t.Helper()
		return c.ok(http.MethodGet, "/networks/"+n+"/getfreeip", nil).obj(t)["ip"].(string)
	}
	if ip := free(); ip != "10.0.0.3" {
		t.Fatalf("first free ip %s", ip)
	}
	vm := strconv.Itoa(c.key("/virtualmachines", form("name", "v", "owner", g, "cpu", "1", "ram", "2GB", "oskey", "3",
		"clusterkey", cl, "disc", "20GB", "datastore", "datastore1")))
	c.ok(http.MethodPost, "/virtualmachinenetworks", form("vmkey", vm, "netkey", n, "ip", "10.0.0.3"))
	if ip := free(); ip != "10.0.0.4" {
		t.Fatalf("free ip after .3 is used: %s", ip)
	}
	// An address outside the network, or one in use, is refused.
	c.do(http.MethodPost, "/virtualmachinenetworks", form("vmkey", vm, "netkey", n, "ip", "10.9.9.9")).apiErr(t, http.StatusBadRequest)
	c.do(http.MethodPost, "/virtualmachinenetworks", form("vmkey", vm, "netkey", n, "ip", "10.0.0.3")).apiErr(t, http.StatusConflict)
	for _, ip := range []string{"10.0.0.5", "10.0.0.4", "10.0.0.6"} {
		c.ok(http.MethodPost, "/virtualmachinenetworks", form("vmkey", vm, "netkey", n, "ip", ip))
	}
	// .7 is the broadcast address: the network is full.
	c.do(http.MethodGet, "/networks/"+n+"/getfreeip", nil).apiErr(t, http.StatusConflict)

	// Deleting an interface frees its address.
	nets := c.ok(http.MethodGet, "/virtualmachinenetworks/"+vm, nil).list(t)
	if len(nets) != 4 {
		t.Fatalf("interfaces of vm: %v", nets)
	}
	c.do(http.MethodDelete, "/virtualmachinenetworks/"+strconv.Itoa(int(nets[2]["key"].(float64))), form("vmkey", "999")).apiErr(t, http.StatusNotFound)
	c.ok(http.MethodDelete, "/virtualmachinenetworks/"+strconv.Itoa(int(nets[2]["key"].(float64))), form("vmkey", vm))
	if ip := free(); ip != nets[2]["ip"] {
		t.Fatalf("free ip after delete %s, want %v", ip, nets[2]["ip"])
	}

	// With a reservation, addresses come from it.
	r := strconv.Itoa(c.key("/networks", form("name", "reserved", "cluster", cl, "dhcp", "true", "cidr", "10.1.0.0/24",
		"ipreservation", "10.1.0.200/30")))
	if ip := c.ok(http.MethodGet, "/networks/"+r+"/getfreeip", nil).obj(t)["ip"]; ip != "10.1.0.200" {
		t.Fatalf("reserved free ip %v", ip)
	}
	c.do(http.MethodPost, "/networks", form("name", "bad", "cluster", cl, "dhcp", "true", "cidr", "10.1.0.0/24",
		"ipreservation", "10.2.0.0/30")).apiErr(t, http.StatusBadRequest)
	c.do(http.MethodPost, "/networks", form("name", "static", "cluster", cl, "dhcp", "false")).apiErr(t, http.StatusBadRequest)
}

func TestSnapshots(t *testing.T) {
	c := newSim(t, virtomizesim.Options{Seed: true})
	c.ok(http.MethodPut, "/virtualmachines/1", form("name", "web01", "owner", "1", "cpu", "4", "ram", "8GB", "oskey", "2",
		"clusterkey", "1", "disc", "80GB", "datastore", "datastore1"))
	s := c.ok(http.MethodPost, "/virtualmachines/1/snapshots", form("name", "big", "includememory", "true")).obj(t)
	if s["key"] != float64(2) || s["path"] != "/baseline/big" || s["iscurrent"] != true || s["vmkey"] != float64(1) {
		t.Fatalf("snapshot %v", s)
	}
	// Restoring the baseline brings back its hardware and powers off.
	c.ok(http.MethodPost, "/virtualmachines/1/snapshots/1/restore", nil)
	vm := c.ok(http.MethodGet, "/virtualmachines/1", nil).obj(t)
	if vm["cpu"] != float64(2) || vm["ram"] != "4GB" || vm["disc"] != "40GB" {
		t.Fatalf("after restore %v", vm)
	}
	if ps := c.ok(http.MethodGet, "/virtualmachines/1/info", nil).obj(t)["powerstate"]; ps != "poweredOff" {
		t.Fatalf("power state after restore %v", ps)
	}
	// The memory snapshot restores the running state.
	c.ok(http.MethodPost, "/virtualmachines/1/snapshots/2/restore", nil)
	if ps := c.ok(http.MethodGet, "/virtualmachines/1/info", nil).obj(t)["powerstate"]; ps != "poweredOn" {
		t.Fatalf("power state after memory restore %v", ps)
	}
	// updatehardware copies current hardware into a snapshot.
	c.ok(http.MethodPost, "/virtualmachines/1/snapshots/updatehardware", form("keys[0]", "1"))
	c.ok(http.MethodPost, "/virtualmachines/1/snapshots/1/restore", nil)
	if cpu := c.ok(http.MethodGet, "/virtualmachines/1", nil).obj(t)["cpu"]; cpu != float64(4) {
		t.Fatalf("cpu after updatehardware and restore %v", cpu)
	}
	// Deleting the parent moves the child up.
	c.ok(http.MethodDelete, "/virtualmachines/1/snapshots/1", nil)
	if p := c.ok(http.MethodGet, "/virtualmachines/1/snapshots/2", nil).obj(t)["path"]; p != "/big" {
		t.Fatalf("path after parent deleted %v", p)
	}
	c.do(http.MethodGet, "/virtualmachines/1/snapshots/1", nil).apiErr(t, http.StatusNotFound)
	c.do(http.MethodPost, "/virtualmachines/1/snapshots/updatehardware", form("keys[0]", "1")).apiErr(t, http.StatusBadRequest)
}

func TestClusterImportAndSync(t *testing.T) {
	c := newSim(t, virtomizesim.Options{Seed: true})
	res := c.ok(http.MethodPost, "/clusters/1/import", form("owner", "1", "vmnames[0]", "legacy-db01")).list(t)
	if len(res) != 1 || res[0]["name"] != "legacy-db01" {
		t.Fatalf("import %v", res)
	}
	k := strconv.Itoa(int(res[0]["key"].(float64)))
	in := c.ok(http.MethodGet, "/virtualmachines/"+k+"/info", nil).obj(t)
	if in["powerstate"] != "poweredOn" || !reflect.DeepEqual(in["ips"], []any{"192.168.10.20"}) {
		t.Fatalf("imported vm info %v", in)
	}
	c.do(http.MethodPost, "/clusters/1/import", form("owner", "1", "vmnames[0]", "legacy-db01")).apiErr(t, http.StatusBadRequest)

	ns := c.ok(http.MethodPost, "/clusters/1/networksync", nil).obj(t)["networkstatus"].([]any)
	if len(ns) != 3 || ns[2].(map[string]any)["status"] != "created" || ns[0].(map[string]any)["status"] != "exists" {
		t.Fatalf("networksync %v", ns)
	}
	ds := c.ok(http.MethodGet, "/clusters/1/datastores", nil).list(t)
	if len(ds) == 0 || ds[0]["name"] != "datastore1" || ds[0]["capacity"].(float64) <= ds[0]["freespace"].(float64) {
		t.Fatalf("datastores %v", ds)
	}
}

func TestLicenceAndContingentLimits(t *testing.T) {
	c := newSim(t, virtomizesim.Options{Seed: true})
	g := strconv.Itoa(c.key("/usergroups", form("groupname", "small", "users[0]", "1")))
	c.ok(http.MethodPost, "/resourcecontingents", form("usergroupkey", g, "cpulimit", "4", "memorylimit", "8GB", "disclimit", "100GB", "vmlimit", "1"))
	mk := func(name, cpu string) resp {
		return c.do(http.MethodPost, "/virtualmachines", form("name", name, "owner", g, "cpu", cpu, "ram", "4GB", "oskey", "2",
			"clusterkey", "1", "disc", "40GB", "datastore", "auto"))
	}
	mk("too-many-cpus", "8").apiErr(t, http.StatusForbidden)
	if r := mk("fits", "2"); r.status != http.StatusOK {
		t.Fatalf("within contingent: %d %s", r.status, r.body)
	}
	e := mk("second", "1").apiErr(t, http.StatusForbidden)
	if !strings.Contains(e.Errors[0], "vmlimit 1") {
		t.Fatalf("errors %v", e.Errors)
	}
	c.do(http.MethodPut, "/license", form("license", "short")).apiErr(t, http.StatusBadRequest)
	c.ok(http.MethodDelete, "/license", nil)
	c.do(http.MethodGet, "/license", nil).apiErr(t, http.StatusNotFound)
}

func TestConcurrentUse(t *testing.T) {
	c := newSim(t, virtomizesim.Options{Seed: true})
	const n = 16
	keys := make(chan int, n)
	errs := make(chan string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := form("callbackurl", fmt.Sprintf("https://h.example/%d", i), "errorcallbackurl", "https://h.example/e").Encode()
			req, err := http.NewRequest(http.MethodPost, c.base+"/callbacks", strings.NewReader(body))
			if err != nil {
				errs <- err.Error()
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", "Bearer "+c.token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer res.Body.Close()
			var m struct{ Key int }
			if res.StatusCode != http.StatusOK {
				errs <- res.Status
				return
			}
			if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
				errs <- err.Error()
				return
			}
			keys <- m.Key
		}(i)
	}
	wg.Wait()
	close(keys)
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	seen := map[int]bool{}
	for k := range keys {
		if seen[k] {
			t.Fatalf("key %d handed out twice", k)
		}
		seen[k] = true
	}
	if len(seen) != n {
		t.Fatalf("%d keys", len(seen))
	}
}
