package prasim

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCopyJumpItem(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	r := e.call("POST", "/jump-item/shell-jump/1/copy", `{"name":"web-01 copy","jump_group_id":2,"jump_group_type":"shared"}`)
	e.mustStatus(r, http.StatusOK)
	var res map[string]any
	r.decode(t, &res)
	if res["success"] != "true" || res["action"] != "copy" {
		t.Fatalf("copy response %v", res)
	}
	orig := e.call("GET", "/jump-item/shell-jump/1", "")
	cp := e.call("GET", fmt.Sprintf("/jump-item/shell-jump/%v", res["destId"]), "")
	e.mustStatus(cp, http.StatusOK)
	var a, b map[string]any
	orig.decode(t, &a)
	cp.decode(t, &b)
	if b["name"] != "web-01 copy" || b["jump_group_id"] != float64(2) || b["hostname"] != a["hostname"] || b["id"] == a["id"] {
		t.Fatalf("copy %v of %v", b, a)
	}
	errs := e.call("POST", "/jump-item/shell-jump/1/copy", `{"name":"x","jump_group_id":99,"jump_group_type":"shared"}`).errorsBag(t)
	if errs["jump_group_id"][0] != "The selected jump group id is invalid." {
		t.Fatalf("copy into a missing group: %v", errs)
	}
	errs = e.call("POST", "/jump-item/shell-jump/1/copy", `{"name":"x"}`).errorsBag(t)
	if len(errs["jump_group_id"]) == 0 || len(errs["jump_group_type"]) == 0 {
		t.Fatalf("copy without required fields: %v", errs)
	}
	e.mustStatus(e.call("POST", "/jump-item/shell-jump/999/copy", `{"name":"x","jump_group_id":1,"jump_group_type":"shared"}`), http.StatusNotFound)
	r = e.call("GET", "/jump-item/shell-jump/1/copy", "")
	e.mustStatus(r, http.StatusMethodNotAllowed)
	if r.header.Get("Allow") != "POST" {
		t.Fatalf("Allow %q", r.header.Get("Allow"))
	}
}

func TestCopyGroupPolicy(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	r := e.call("POST", "/group-policy/1/copy", `{"name":"Operators (night shift)"}`)
	e.mustStatus(r, http.StatusCreated)
	var gp map[string]any
	r.decode(t, &gp)
	if gp["name"] != "Operators (night shift)" || gp["id"] == float64(1) {
		t.Fatalf("copied policy %v", gp)
	}
	if loc := r.header.Get("Location"); !strings.HasSuffix(loc, fmt.Sprintf("/group-policy/%v", gp["id"])) {
		t.Fatalf("Location %q", loc)
	}
	for _, sub := range []string{"member", "team", "jumpoint", "jump-group", "vault-account", "vault-account-group"} {
		a := e.call("GET", "/group-policy/1/"+sub, "")
		b := e.call("GET", fmt.Sprintf("/group-policy/%v/%s", gp["id"], sub), "")
		if a.header.Get("X-BT-Pagination-Total") == "0" || a.header.Get("X-BT-Pagination-Total") != b.header.Get("X-BT-Pagination-Total") {
			t.Errorf("%s: original %s, copy %s", sub, a.body, b.body)
		}
	}
	errs := e.call("POST", "/group-policy/1/copy", `{"name":"operators"}`).errorsBag(t)
	if errs["name"][0] != "The name has already been taken." {
		t.Fatalf("copy to a taken name: %v", errs)
	}
}

func TestVaultCheckOutCheckInRotate(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	// Account 2 is the seeded username/password account.
	e.mustStatus(e.call("POST", "/vault/account/2/check-in", ""), http.StatusUnprocessableEntity)
	r := e.call("POST", "/vault/account/2/check-out", "")
	e.mustStatus(r, http.StatusOK)
	var cred map[string]any
	r.decode(t, &cred)
	if cred["type"] != "username_password" || cred["username"] != "dbadmin" || cred["password"] != "s4ndbox-Passw0rd" {
		t.Fatalf("credential %v", cred)
	}
	if errs := e.call("POST", "/vault/account/2/check-out", "").errorsBag(t); len(errs["id"]) == 0 {
		t.Fatal("second check-out allowed")
	}
	e.mustStatus(e.call("POST", "/vault/account/2/check-in", ""), http.StatusOK)
	e.mustStatus(e.call("POST", "/vault/account/2/rotate", ""), http.StatusOK)
	r = e.call("POST", "/vault/account/2/check-out", "")
	r.decode(t, &cred)
	if cred["password"] == "s4ndbox-Passw0rd" || cred["password"] == "" {
		t.Fatalf("password not rotated: %v", cred)
	}
	e.mustStatus(e.call("POST", "/vault/account/2/force-check-in", ""), http.StatusOK)
	e.mustStatus(e.call("POST", "/vault/account/2/check-in", ""), http.StatusUnprocessableEntity)
	// The SSH key account hands out its key; the list never shows secrets.
	r = e.call("POST", "/vault/account/1/check-out", "")
	r.decode(t, &cred)
	if !strings.Contains(fmt.Sprint(cred["private_key"]), "OPENSSH PRIVATE KEY") {
		t.Fatalf("ssh credential %v", cred)
	}
	list := e.call("GET", "/vault/account", "")
	if strings.Contains(string(list.body), "PRIVATE KEY") || strings.Contains(string(list.body), "s4ndbox") {
		t.Fatalf("secrets listed: %s", list.body)
	}
	e.mustStatus(e.call("POST", "/vault/account/999/rotate", ""), http.StatusNotFound)
	// Changing an account's type is refused.
	if errs := e.call("PATCH", "/vault/account/2", `{"type":"ssh"}`).errorsBag(t); len(errs["type"]) == 0 {
		t.Fatal("type changed")
	}
	e.mustStatus(e.call("PATCH", "/vault/account/2", `{"name":"db admin (prod)"}`), http.StatusOK)
}

func TestJumpItemAssociation(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	r := e.call("GET", "/vault/account/1/jump-item-association", "")
	e.mustStatus(r, http.StatusOK)
	if !strings.Contains(string(r.body), `"filter_type":"any_jump_items"`) {
		t.Fatalf("default association %s", r.body)
	}
	e.mustStatus(e.call("PATCH", "/vault/account/1/jump-item-association", `{"filter_type":"criteria","criteria":{"tag":[]}}`), http.StatusOK)
	e.mustStatus(e.call("POST", "/vault/account/1/jump-item-association/jump-item", `{"id":1,"type":"shell_jump"}`), http.StatusOK)
	e.mustStatus(e.call("POST", "/vault/account/1/jump-item-association/shared-jump-group", `{"shared_jump_group_id":2}`), http.StatusOK)
	r = e.call("GET", "/vault/account/1/jump-item-association", "")
	body := string(r.body)
	for _, want := range []string{`"filter_type":"criteria"`, `"jump_items":[{"id":1,"type":"shell_jump"}]`, `"shared_jump_groups":[2]`} {
		if !strings.Contains(body, want) {
			t.Errorf("association lacks %s: %s", want, body)
		}
	}
	e.mustStatus(e.call("POST", "/vault/account/1/jump-item-association/jump-item", `{"id":999,"type":"shell_jump"}`), http.StatusNotFound)
	if errs := e.call("POST", "/vault/account/1/jump-item-association/jump-item", `{"id":1,"type":"teleport"}`).errorsBag(t); len(errs["type"]) == 0 {
		t.Fatal("unknown type accepted")
	}
	if errs := e.call("POST", "/vault/account/1/jump-item-association/shared-jump-group", `{"shared_jump_group_id":99}`).errorsBag(t); len(errs["shared_jump_group_id"]) == 0 {
		t.Fatal("missing group accepted")
	}
	e.mustStatus(e.call("DELETE", "/vault/account/1/jump-item-association/jump-item", `{"id":1,"type":"shell_jump"}`), http.StatusNoContent)
	e.mustStatus(e.call("DELETE", "/vault/account/1/jump-item-association/jump-item", `{"id":1,"type":"shell_jump"}`), http.StatusNotFound)
	e.mustStatus(e.call("DELETE", "/vault/account/1/jump-item-association", ""), http.StatusNoContent)
	r = e.call("GET", "/vault/account/1/jump-item-association", "")
	if !strings.Contains(string(r.body), `"filter_type":"any_jump_items"`) {
		t.Fatalf("association not reset: %s", r.body)
	}
}

func TestGroupPolicyChangesForUser(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	e.mustStatus(e.call("POST", "/group-policy", `{"name":"Auditors"}`), http.StatusCreated)
	r := e.call("PATCH", "/user/3/group-policy-changes", `{"added":[1,2]}`)
	e.mustStatus(r, http.StatusOK)
	var list []map[string]any
	r.decode(t, &list)
	if len(list) != 2 {
		t.Fatalf("policies after adding: %s", r.body)
	}
	e.mustStatus(e.call("PATCH", "/user/3/group-policy-changes", `{"removed":[1]}`), http.StatusOK)
	r = e.call("GET", "/user/3/group-policies", "")
	r.decode(t, &list)
	if len(list) != 1 || list[0]["name"] != "Auditors" {
		t.Fatalf("policies after removing: %s", r.body)
	}
	if errs := e.call("PATCH", "/user/3/group-policy-changes", `{"added":[77]}`).errorsBag(t); len(errs["added.0"]) == 0 {
		t.Fatal("unknown policy accepted")
	}
	e.mustStatus(e.call("GET", "/user/99/group-policies", ""), http.StatusNotFound)
}

func TestJumpApprovalFlow(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	r := e.call("POST", "/jump-approval/request", `{"user_id":2,"jump_item_id":1,"jump_item_type":"shell_jump","start":0,"duration":3600,"reason":"deploy"}`)
	e.mustStatus(r, http.StatusOK)
	r = e.call("GET", "/jump-approval/2?state=pending", "")
	var list []map[string]any
	r.decode(t, &list)
	if len(list) != 1 || list[0]["request_reason"] != "deploy" {
		t.Fatalf("pending requests %s", r.body)
	}
	id := list[0]["id"]
	e.mustStatus(e.call("POST", "/jump-approval/approve", fmt.Sprintf(`{"id":%v,"user_id":1,"answer":"approved"}`, id)), http.StatusOK)
	r = e.call("GET", fmt.Sprintf("/jump-approval/2/view/%v", id), "")
	e.mustStatus(r, http.StatusOK)
	if !strings.Contains(string(r.body), `"state":"approved"`) {
		t.Fatalf("approved request %s", r.body)
	}
	e.mustStatus(e.call("POST", "/jump-approval/approve", fmt.Sprintf(`{"id":%v,"user_id":1,"answer":"denied"}`, id)), http.StatusBadRequest)
	e.mustStatus(e.call("GET", "/jump-approval/2?state=sometimes", ""), http.StatusUnprocessableEntity)
	e.mustStatus(e.call("GET", "/jump-approval/2?colour=red", ""), http.StatusUnauthorized)
	e.mustStatus(e.call("GET", "/jump-approval/99", ""), http.StatusNotFound)
}

func TestDownloads(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	r := e.call("GET", "/jump-client/installer/1", "")
	var inst map[string]any
	r.decode(t, &inst)
	iid, _ := inst["installer_id"].(string)
	if len(iid) != 32 {
		t.Fatalf("installer_id %q", iid)
	}
	r = e.raw("GET", "/jump-client/installer/"+iid+"/windows-64-msi", e.token, "", nil)
	e.mustStatus(r, http.StatusOK)
	if ct, cd := r.header.Get("Content-Type"), r.header.Get("Content-Disposition"); ct != "application/x-executable" || !strings.HasSuffix(cd, `.msi"`) {
		t.Fatalf("installer headers %q %q", ct, cd)
	}
	e.mustStatus(e.raw("GET", "/jump-client/installer/"+strings.Repeat("0", 32)+"/windows-64-msi", e.token, "", nil), http.StatusNotFound)
	// A new installer is valid for valid_duration minutes.
	r = e.call("POST", "/jump-client/installer", `{"jump_group_id":1,"valid_duration":10,"name":"short"}`)
	e.mustStatus(r, http.StatusCreated)
	var short map[string]any
	r.decode(t, &short)
	if short["expiration_timestamp"] != "2025-10-16T14:56:25+00:00" {
		t.Fatalf("expiration %v", short["expiration_timestamp"])
	}
	e.clock.Advance(10 * time.Minute)
	r = e.raw("GET", fmt.Sprintf("/jump-client/installer/%v/linux-64", short["installer_id"]), e.token, "", nil)
	e.mustStatus(r, http.StatusNotFound)
	e.mustStatus(e.raw("GET", "/jump-client/installer/"+iid+"/amiga", e.token, "", nil), http.StatusNotFound)
	e.mustStatus(e.raw("GET", "/jumpoint/1/installer", e.token, "", map[string]string{"Accept": "text/html"}), http.StatusNotAcceptable)
	head := e.raw("HEAD", "/jumpoint/1/installer", e.token, "", nil)
	e.mustStatus(head, http.StatusOK)
	if len(head.body) != 0 || head.header.Get("Content-Length") == "" {
		t.Fatalf("HEAD download: %d bytes, length %q", len(head.body), head.header.Get("Content-Length"))
	}

	r = e.raw("GET", "/openapi.yaml", e.token, "", map[string]string{"Accept": "application/yaml"})
	e.mustStatus(r, http.StatusOK)
	if !strings.HasPrefix(string(r.body), "components:") && !strings.Contains(string(r.body), "openapi: 3.0.0") {
		t.Fatalf("openapi.yaml %.200s", r.body)
	}
	if strings.Contains(string(r.body), "x-order") {
		t.Fatal("internal extension served")
	}
	e.mustStatus(e.raw("GET", "/openapi.yaml", "", "", nil), http.StatusUnauthorized)
	e.mustStatus(e.raw("GET", "/cli/win32", "", "", nil), http.StatusOK)
	e.mustStatus(e.raw("GET", "/cli/beos", "", "", nil), http.StatusNotFound)
}

func TestReferencesAcrossFamilies(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	cases := []struct{ path, body, field string }{
		{"/jump-item/remote-rdp", `{"name":"r","hostname":"h","jump_group_id":1,"jump_group_type":"shared","jumpoint_id":55}`, "jumpoint_id"},
		{"/jump-item/web-jump", `{"name":"w","url":"https://x/","jump_group_id":1,"jump_group_type":"shared","jumpoint_id":1,"jump_policy_id":55}`, "jump_policy_id"},
		{"/team/1/user", `{"user_id":55,"team_id":1}`, "user_id"},
		{"/jump-client/installer", `{"jump_group_id":55}`, "jump_group_id"},
		{"/vault/account-group/1/account", `{"account_id":55}`, "account_id"},
		{"/group-policy/1/team", `{"team_id":55}`, "team_id"},
	}
	for _, c := range cases {
		errs := e.call("POST", c.path, c.body).errorsBag(t)
		if len(errs[c.field]) == 0 || !strings.HasPrefix(errs[c.field][0], "The selected ") {
			t.Errorf("POST %s: errors %v, want %s invalid", c.path, errs, c.field)
		}
	}
	// A member of another team's list is addressed through the right team.
	errs := e.call("POST", "/team/1/user", `{"user_id":3,"team_id":2}`).errorsBag(t)
	if len(errs["team_id"]) == 0 {
		t.Fatalf("team_id differing from the path: %v", errs)
	}
	r := e.call("POST", "/team/2/user", `{"user_id":3,"team_id":2,"role":"manager"}`)
	e.mustStatus(r, http.StatusCreated)
	if !strings.HasSuffix(r.header.Get("Location"), "/team/2/user/3") {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	// Parents that do not exist are 404 for every nested collection.
	for _, p := range []string{"/team/9/user", "/group-policy/9/member", "/vault/account/9/user", "/vendor/9/user", "/jumpoint/9/user"} {
		e.mustStatus(e.call("GET", p, ""), http.StatusNotFound)
	}
	// Deleting a Jump Group that Jump Items use is refused.
	if errs := e.call("DELETE", "/jump-group/1", "").errorsBag(t); len(errs["id"]) == 0 {
		t.Fatal("Jump Group in use deleted")
	}
}

func TestNewRoutesAllowAndOptions(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	for path, allow := range map[string]string{
		"/jump-item/shell-jump":                  "GET,HEAD,POST",
		"/jump-item/shell-jump/1":                "GET,HEAD,PATCH,DELETE",
		"/jump-client":                           "GET,HEAD",
		"/jump-client/installer":                 "GET,HEAD,POST",
		"/vault/account/1/check-out":             "POST",
		"/vault/account/1/jump-item-association": "GET,HEAD,POST,PATCH,DELETE",
		"/group-policy/1/vault-account/1":        "GET,HEAD,DELETE",
		"/security-provider/1":                   "GET,HEAD,PATCH",
		"/openapi.yaml":                          "GET,HEAD",
		"/cli/linux":                             "GET,HEAD",
		"/vault/account-group/1/jump-item-association/jump-item": "POST,DELETE",
	} {
		r := e.raw("OPTIONS", path, "", "", nil)
		e.mustStatus(r, http.StatusOK)
		if r.header.Get("Allow") != allow {
			t.Errorf("OPTIONS %s Allow = %q, want %q", path, r.header.Get("Allow"), allow)
		}
	}
	e.mustStatus(e.call("DELETE", "/jump-client/installer", ""), http.StatusMethodNotAllowed)
	e.mustStatus(e.call("POST", "/jump-client", `{}`), http.StatusMethodNotAllowed)
	e.mustStatus(e.call("GET", "/jump-item/nothing", ""), http.StatusNotFound)
}

// TestVaultAccountTypes checks the account types of the document: a body is
// validated against the alternative its type selects, items show their
// type's fields, and the listing shows the summary schema.
func TestVaultAccountTypes(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	errs := e.call("POST", "/vault/account", `{"type":"ssh","name":"k"}`).errorsBag(t)
	if errs["username"][0] != "The username field is required." || errs["private_key"][0] != "The private key field is required." {
		t.Fatalf("ssh account without key: %v", errs)
	}
	if errs := e.call("POST", "/vault/account", `{"name":"k"}`).errorsBag(t); errs["type"][0] != "The type field is required." {
		t.Fatalf("account without type: %v", errs)
	}
	if errs := e.call("POST", "/vault/account", `{"type":"floppy","name":"k"}`).errorsBag(t); len(errs["type"]) == 0 {
		t.Fatalf("unknown type: %v", errs)
	}
	if errs := e.call("POST", "/vault/account", `{"type":"opaque_token","name":"k","token":"t","username":"u"}`).errorsBag(t); len(errs) == 0 {
		t.Fatal("a field of another type accepted")
	}
	r := e.call("POST", "/vault/account", `{"type":"opaque_token","name":"api token","token":"t0ken"}`)
	e.mustStatus(r, http.StatusCreated)
	if strings.Contains(string(r.body), `"username":`) || strings.Contains(string(r.body), "t0ken") {
		t.Fatalf("token account shows other fields or its secret: %s", r.body)
	}
	r = e.call("GET", "/vault/account/1", "")
	if !strings.Contains(string(r.body), `"username":"ec2-user"`) {
		t.Fatalf("ssh account %s", r.body)
	}
	r = e.call("GET", "/vault/account", "")
	if strings.Contains(string(r.body), `"username":`) || !strings.Contains(string(r.body), `"account_group_id":1`) {
		t.Fatalf("listing is not the summary: %s", r.body)
	}
	// Nested alternatives are closed: a filter rule's address is one form.
	errs = e.call("POST", "/jump-item/network-tunnel-jump", `{"name":"n","jump_group_id":1,"jump_group_type":"shared","jumpoint_id":1,"filter_rules":[{"ip_addresses":{"cidr":5}}]}`).errorsBag(t)
	if len(errs["filter_rules.0.ip_addresses"]) == 0 {
		t.Fatalf("bad filter rule: %v", errs)
	}
	e.mustStatus(e.call("POST", "/jump-item/network-tunnel-jump", `{"name":"n","jump_group_id":1,"jump_group_type":"shared","jumpoint_id":1,"filter_rules":[{"ip_addresses":{"cidr":"10.0.0.0/8"},"protocol":"TCP"}]}`), http.StatusCreated)
}

func TestVendorReactivate(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	r := e.call("GET", "/vendor/1/user", "")
	var users []map[string]any
	r.decode(t, &users)
	if len(users) == 0 {
		t.Fatalf("no vendor users: %s", r.body)
	}
	item := fmt.Sprintf("/vendor/1/user/%v", users[0]["id"])
	e.mustStatus(e.call("PATCH", item, `{"enabled":false}`), http.StatusOK)
	e.mustStatus(e.call("POST", item+"/reactivate", ""), http.StatusOK)
	r = e.call("GET", item, "")
	if !strings.Contains(string(r.body), `"enabled":true`) {
		t.Fatalf("vendor user after reactivation: %s", r.body)
	}
	e.mustStatus(e.call("POST", "/vendor/1/reactivate", ""), http.StatusOK)
	e.mustStatus(e.call("POST", "/vendor/9/reactivate", ""), http.StatusNotFound)
	e.mustStatus(e.call("POST", "/vendor/1/user/999/reactivate", ""), http.StatusNotFound)
	if r := e.call("POST", "/vendor/1/reactivate", `{"force":true}`); r.status != http.StatusUnauthorized {
		t.Fatalf("undocumented body field: status %d", r.status)
	}
}

// TestConcurrentActions mixes updates, downloads, copies and vault actions
// on the same items; run with -race.
func TestConcurrentActions(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	var wg sync.WaitGroup
	outcomes := make(chan int, 200)
	for i := range 20 {
		wg.Go(func() {
			e.call("PATCH", "/jumpoint/1", fmt.Sprintf(`{"comments":"edit %d"}`, i))
			e.raw("GET", "/jumpoint/1/installer", e.token, "", nil)
			e.call("POST", "/jump-item/shell-jump/1/copy", fmt.Sprintf(`{"name":"copy %d","jump_group_id":1,"jump_group_type":"shared"}`, i))
			outcomes <- e.call("POST", "/vault/account/2/check-out", "").status
			e.call("POST", "/vault/account/2/check-in", "")
			e.call("PATCH", "/vault/account/1/jump-item-association", `{"filter_type":"criteria"}`)
		})
	}
	wg.Wait()
	close(outcomes)
	ok := 0
	for s := range outcomes {
		if s == http.StatusOK {
			ok++
		} else if s != http.StatusUnprocessableEntity {
			t.Fatalf("check-out status %d", s)
		}
	}
	if ok == 0 {
		t.Fatal("no check-out succeeded")
	}
	r := e.call("GET", "/jump-item/shell-jump?name="+url.QueryEscape("copy 7"), "")
	if r.header.Get("X-BT-Pagination-Total") != "1" {
		t.Fatalf("copy 7: %s", r.body)
	}
}

func TestEndpointAutomationLinks(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	r := e.call("GET", "/endpoint-automation/job/1/execution", "")
	e.mustStatus(r, http.StatusOK)
	if !strings.Contains(string(r.body), `"endpoint_id":1`) || !strings.Contains(string(r.body), `"state":"finished"`) {
		t.Fatalf("executions %s", r.body)
	}
	r = e.call("GET", "/endpoint-automation/script/1/resource", "")
	e.mustStatus(r, http.StatusOK)
	if !strings.Contains(string(r.body), `"file_name":"setup-1.ps1"`) {
		t.Fatalf("script resource %s", r.body)
	}
	e.mustStatus(e.call("GET", "/endpoint-automation/job/9/execution", ""), http.StatusNotFound)
}
