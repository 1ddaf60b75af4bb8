package prasim

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestJumpGroupLifecycle(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.call("POST", "/jump-group", `{"name":"Web Servers","comments":"front end"}`)
	e.mustStatus(r, http.StatusCreated)
	if loc := r.header.Get("Location"); loc != e.ts.URL+ConfigBase+"/jump-group/1" {
		t.Fatalf("Location = %q", loc)
	}
	want := `{"id":1,"name":"Web Servers","code_name":"web_servers","comments":"front end","ecm_group_id":null}`
	if strings.TrimSpace(string(r.body)) != want {
		t.Fatalf("created %s", r.body)
	}
	r = e.call("GET", "/jump-group/1", "")
	e.mustStatus(r, http.StatusOK)
	if strings.TrimSpace(string(r.body)) != want {
		t.Fatalf("get %s", r.body)
	}

	r = e.call("PATCH", "/jump-group/1", `{"comments":null,"code_name":"web","ecm_group_id":7}`)
	e.mustStatus(r, http.StatusOK)
	want = `{"id":1,"name":"Web Servers","code_name":"web","comments":null,"ecm_group_id":7}`
	if strings.TrimSpace(string(r.body)) != want {
		t.Fatalf("patched %s", r.body)
	}

	// A second group with a name whose code name would clash gets a suffix.
	r = e.call("POST", "/jump-group", `{"name":"WEB"}`)
	e.mustStatus(r, http.StatusCreated)
	var g map[string]any
	r.decode(t, &g)
	if g["id"] != float64(2) || g["code_name"] != "web_2" {
		t.Fatalf("second group %v", g)
	}

	r = e.call("DELETE", "/jump-group/1", "")
	e.mustStatus(r, http.StatusNoContent)
	if len(r.body) != 0 {
		t.Fatalf("204 with body %q", r.body)
	}
	r = e.call("GET", "/jump-group/1", "")
	e.mustStatus(r, http.StatusNotFound)
	if r.message(t) == "" {
		t.Fatal("empty 404 message")
	}
	e.mustStatus(e.call("DELETE", "/jump-group/1", ""), http.StatusNotFound)
	// Ids are never reused.
	r = e.call("POST", "/jump-group", `{"name":"Again"}`)
	r.decode(t, &g)
	if g["id"] != float64(3) {
		t.Fatalf("new id %v, want 3", g["id"])
	}
}

func TestJumpGroupUsers(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	// Seeded: group 2 (Lab) holds users 2 and 4.
	r := e.call("GET", "/jump-group/2/user", "")
	e.mustStatus(r, http.StatusOK)
	if got := strings.TrimSpace(string(r.body)); got != `[{"user_id":2,"jump_item_role_id":null,"jump_policy_id":null},{"user_id":4,"jump_item_role_id":3,"jump_policy_id":null}]` {
		t.Fatalf("members %s", got)
	}

	r = e.call("POST", "/jump-group/2/user", `{"user_id":3,"jump_item_role_id":2,"jump_policy_id":1}`)
	e.mustStatus(r, http.StatusCreated)
	if loc := r.header.Get("Location"); loc != e.ts.URL+ConfigBase+"/jump-group/2/user/3" {
		t.Fatalf("Location = %q", loc)
	}
	errs := e.call("POST", "/jump-group/2/user", `{"user_id":3}`).errorsBag(t)
	if errs["user_id"][0] != "The user id has already been taken." {
		t.Fatalf("duplicate member: %v", errs)
	}
	errs = e.call("POST", "/jump-group/2/user", `{"user_id":99,"jump_policy_id":42}`).errorsBag(t)
	if errs["user_id"][0] != "The selected user id is invalid." || errs["jump_policy_id"][0] != "The selected jump policy id is invalid." {
		t.Fatalf("dangling references: %v", errs)
	}
	errs = e.call("POST", "/jump-group/2/user", `{"user_id":"3"}`).errorsBag(t)
	if errs["user_id"][0] != "The user id must be an integer." {
		t.Fatalf("string integer: %v", errs)
	}
	errs = e.call("POST", "/jump-group/2/user", `{"jump_item_role_id":1}`).errorsBag(t)
	if errs["user_id"][0] != "The user id field is required." {
		t.Fatalf("missing key: %v", errs)
	}
	r = e.call("POST", "/jump-group/77/user", `{"user_id":3}`)
	e.mustStatus(r, http.StatusNotFound)
	if msg := r.message(t); !strings.Contains(msg, "Jump Group") {
		t.Fatalf("parent 404 message %q", msg)
	}

	r = e.call("PATCH", "/jump-group/2/user/3", `{"jump_item_role_id":null,"user_id":3}`)
	e.mustStatus(r, http.StatusOK)
	if got := strings.TrimSpace(string(r.body)); got != `{"user_id":3,"jump_item_role_id":null,"jump_policy_id":1}` {
		t.Fatalf("patched member %s", got)
	}
	errs = e.call("PATCH", "/jump-group/2/user/3", `{"user_id":4}`).errorsBag(t)
	if len(errs["user_id"]) == 0 {
		t.Fatal("changing the key must fail")
	}
	e.mustStatus(e.call("GET", "/jump-group/2/user/1", ""), http.StatusNotFound)

	// Deleting a Jump Policy clears it from memberships.
	e.mustStatus(e.call("DELETE", "/jump-policy/1", ""), http.StatusNoContent)
	r = e.call("GET", "/jump-group/2/user/3", "")
	e.mustStatus(r, http.StatusOK)
	if !strings.Contains(string(r.body), `"jump_policy_id":null`) {
		t.Fatalf("policy not cleared: %s", r.body)
	}
	// Deleting a user removes their memberships.
	e.mustStatus(e.call("DELETE", "/user/3", ""), http.StatusNoContent)
	e.mustStatus(e.call("GET", "/jump-group/2/user/3", ""), http.StatusNotFound)

	e.mustStatus(e.call("DELETE", "/jump-group/2/user/4", ""), http.StatusNoContent)
	r = e.call("GET", "/jump-group/2/user", "")
	if r.header.Get("X-BT-Pagination-Total") != "1" {
		t.Fatalf("members after removals: %s", r.body)
	}

	// Deleting the group deletes its member list.
	e.mustStatus(e.call("DELETE", "/jump-group/2", ""), http.StatusNoContent)
	e.mustStatus(e.call("GET", "/jump-group/2/user", ""), http.StatusNotFound)
	e.sim.mu.Lock()
	left := len(e.sim.db.tables["jump-group-user"]["2"].rowsOrNil())
	e.sim.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d memberships survive their group", left)
	}
}

func (t *table) rowsOrNil() map[int64]Row {
	if t == nil {
		return nil
	}
	return t.rows
}

func TestValidationErrors(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	cases := []struct {
		body, field, msg string
	}{
		{`{}`, "name", "The name field is required."},
		{`{"name":""}`, "name", "The name field is required."},
		{`{"name":12}`, "name", "The name must be a string."},
		{`{"name":"lab"}`, "name", "The name has already been taken."},
		{`{"name":"X","id":5}`, "id", "The id field is read-only and cannot be set."},
		{`{"name":"X","code_name":"has space"}`, "code_name", "The code name format is invalid."},
		{`{"name":"X","code_name":"NETDEV"}`, "code_name", "The code name has already been taken."},
		{`{"name":"X","ecm_group_id":"4"}`, "ecm_group_id", "The ecm group id must be an integer."},
		{`{"name":"X","ecm_group_id":1.5}`, "ecm_group_id", "The ecm group id must be an integer."},
		{`{"name":"X","ecm_group_id":0}`, "ecm_group_id", "The ecm group id must be at least 1."},
		{`{"name":"` + strings.Repeat("n", 256) + `"}`, "name", "The name must not be greater than 255 characters."},
		{`{"name":null}`, "name", "The name field is required."},
	}
	for _, c := range cases {
		errs := e.call("POST", "/jump-group", c.body).errorsBag(t)
		if len(errs[c.field]) == 0 || errs[c.field][0] != c.msg {
			t.Errorf("%s: errors %v, want %s: %q", c.body, errs, c.field, c.msg)
		}
	}
	// Nothing was created by the failures.
	r := e.call("GET", "/jump-group", "")
	if r.header.Get("X-BT-Pagination-Total") != "3" {
		t.Fatalf("total after failed creates: %s", r.header.Get("X-BT-Pagination-Total"))
	}
	// Uniqueness ignores the row being updated.
	e.mustStatus(e.call("PATCH", "/jump-group/2", `{"name":"LAB"}`), http.StatusOK)
	errs := e.call("PATCH", "/jump-group/2", `{"name":"Network Devices"}`).errorsBag(t)
	if errs["name"][0] != "The name has already been taken." {
		t.Fatalf("rename clash: %v", errs)
	}
	errs = e.call("POST", "/jump-policy", `{"display_name":"P","simultaneous_jumps":"sometimes","approval_max_duration":0,"approval_user_ids":["1",2]}`).errorsBag(t)
	for _, f := range []string{"simultaneous_jumps", "approval_max_duration", "approval_user_ids.1"} {
		if len(errs[f]) == 0 {
			t.Errorf("jump policy: no error for %s in %v", f, errs)
		}
	}
}

func TestRequestErrors(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	json := map[string]string{"Accept": "application/json", "Content-Type": "application/json"}

	r := e.raw("POST", "/jump-group", e.token, `{"name":`, json)
	e.mustStatus(r, http.StatusBadRequest)
	r.message(t)
	e.mustStatus(e.raw("POST", "/jump-group", e.token, `["a"]`, json), http.StatusBadRequest)
	e.mustStatus(e.raw("POST", "/jump-group", e.token, `{"name":"a"} {}`, json), http.StatusBadRequest)

	r = e.raw("POST", "/jump-group", e.token, `{"name":"Z","colour":"red","size":1}`, json)
	e.mustStatus(r, http.StatusUnauthorized)
	if msg := r.message(t); !strings.Contains(msg, "colour, size") {
		t.Fatalf("unknown fields message %q", msg)
	}
	r = e.raw("PATCH", "/jump-group/1", e.token, `{"nmae":"Z"}`, json)
	e.mustStatus(r, http.StatusUnauthorized)

	for _, c := range []struct{ method, path string }{{"GET", "/jump-group"}, {"GET", "/jump-group/1"}, {"DELETE", "/jump-group/1"}, {"HEAD", "/jump-group"}} {
		for _, accept := range []string{"", "text/html", "*/*", "application/json;q=0"} {
			r := e.raw(c.method, c.path, e.token, "", map[string]string{"Accept": accept})
			e.mustStatus(r, http.StatusNotAcceptable)
			if c.method != "HEAD" {
				r.message(t)
			}
		}
	}
	e.mustStatus(e.raw("GET", "/jump-group", e.token, "", map[string]string{"Accept": "text/html, application/json;q=0.9"}), http.StatusOK)

	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded"} {
		r := e.raw("POST", "/jump-group", e.token, `{"name":"CT"}`, map[string]string{"Accept": "application/json", "Content-Type": ct})
		e.mustStatus(r, http.StatusUnsupportedMediaType)
		r.message(t)
	}
	e.mustStatus(e.raw("PATCH", "/jump-group/1", e.token, `{"name":"CT"}`, map[string]string{"Content-Type": "application/json; charset=utf-8"}), http.StatusOK)

	r = e.call("PUT", "/jump-group/1", `{"name":"x"}`)
	e.mustStatus(r, http.StatusMethodNotAllowed)
	if r.header.Get("Allow") != "GET,HEAD,PATCH,DELETE" {
		t.Fatalf("Allow = %q", r.header.Get("Allow"))
	}
	if msg := r.message(t); msg != "The PUT method is not supported for this route. Supported methods: GET, HEAD, PATCH, DELETE." {
		t.Fatalf("405 message %q", msg)
	}
	r = e.call("POST", "/jump-item-role", `{"name":"x"}`)
	e.mustStatus(r, http.StatusMethodNotAllowed)
	if r.header.Get("Allow") != "GET,HEAD" {
		t.Fatalf("Allow = %q", r.header.Get("Allow"))
	}
	e.mustStatus(e.call("DELETE", "/jump-group", ""), http.StatusMethodNotAllowed)

	for _, p := range []string{"/nothing", "/jump-group/abc", "/jump-group/0", "/jump-group/1/user/x", "/jump-group/1/other", "/openapi.json"} {
		r := e.call("GET", p, "")
		e.mustStatus(r, http.StatusNotFound)
		r.message(t)
	}
	e.mustStatus(e.call("GET", "/jump-group/999", ""), http.StatusNotFound)
	e.mustStatus(e.call("PATCH", "/jump-group/999", `{"name":"x"}`), http.StatusNotFound)
	e.mustStatus(e.call("GET", "/jump-group/999/user", ""), http.StatusNotFound)
	e.mustStatus(e.call("GET", e.ts.URL+"/api/other", ""), http.StatusNotFound)
}

func TestHeadAndOptions(t *testing.T) {
	e := newEnv(t, Options{Seed: true})
	get := e.call("GET", "/jump-group?per_page=5", "")
	head := e.call("HEAD", "/jump-group?per_page=5", "")
	e.mustStatus(head, http.StatusOK)
	if len(head.body) != 0 {
		t.Fatalf("HEAD body %q", head.body)
	}
	for _, h := range []string{"Link", "X-BT-Pagination-Total", "X-BT-Pagination-Last-Page", "Content-Type"} {
		if head.header.Get(h) == "" || head.header.Get(h) != get.header.Get(h) {
			t.Errorf("HEAD %s = %q, GET has %q", h, head.header.Get(h), get.header.Get(h))
		}
	}
	e.mustStatus(e.call("HEAD", "/jump-group/1", ""), http.StatusOK)
	e.mustStatus(e.call("HEAD", "/jump-group/99", ""), http.StatusNotFound)

	for path, allow := range map[string]string{
		"/jump-group":          "GET,HEAD,POST",
		"/jump-group/1":        "GET,HEAD,PATCH,DELETE",
		"/jump-group/1/user":   "GET,HEAD,POST",
		"/jump-group/1/user/2": "GET,HEAD,PATCH,DELETE",
		"/user":                "GET,HEAD,POST",
		"/jump-item-role/1":    "GET,HEAD",
	} {
		r := e.raw("OPTIONS", path, "", "", nil)
		e.mustStatus(r, http.StatusOK)
		if r.header.Get("Allow") != allow {
			t.Errorf("OPTIONS %s Allow = %q, want %q", path, r.header.Get("Allow"), allow)
		}
	}
}

func TestUsersAndDates(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.call("POST", "/user", `{"username":"dave","public_display_name":"Dave","password":"hunter2hunter2","password_expiration":"2026-10-16T14:46:23.930Z","failed_logins":5}`)
	e.mustStatus(r, http.StatusCreated)
	body := string(r.body)
	for _, want := range []string{`"password_expiration":"2026-10-16T14:46:23+00:00"`, `"created_at":"2025-10-16T14:46:25+00:00"`, `"failed_logins":0`, `"last_authentication":null`, `"security_provider_id":1`} {
		if !strings.Contains(body, want) {
			t.Errorf("user lacks %s: %s", want, body)
		}
	}
	if strings.Contains(body, "hunter2") || strings.Contains(body, `"password"`) {
		t.Fatalf("password returned: %s", body)
	}
	if strings.Contains(body, `Z"`) {
		t.Fatalf("date-time with Z suffix: %s", body)
	}
	for value, msg := range map[string]string{
		"2026-10-16T14:46:23":         "The password expiration is not a valid date.",
		"2026-10-16T14:46:23+04:00":   "The password expiration must be in UTC.",
		"2025-10-16T14:46:25.9-08:00": "The password expiration must be in UTC.",
	} {
		errs := e.call("PATCH", "/user/2", `{"password_expiration":"`+value+`"}`).errorsBag(t)
		if errs["password_expiration"][0] != msg {
			t.Errorf("%s: %v", value, errs)
		}
	}
	e.mustStatus(e.call("PATCH", "/user/2", `{"password_expiration":"2026-01-02T03:04:05+00:00"}`), http.StatusOK)
	errs := e.call("PATCH", "/user/2", `{"perm_admin":true}`).errorsBag(t)
	if len(errs["perm_admin"]) == 0 {
		t.Fatal("read-only permission accepted")
	}
	errs = e.call("DELETE", "/user/1", "").errorsBag(t)
	if errs["id"][0] != "Administrators cannot be deleted." {
		t.Fatalf("admin delete: %v", errs)
	}
}

func TestConcurrentCreates(t *testing.T) {
	e := newEnv(t, Options{})
	const n = 40
	var wg sync.WaitGroup
	ids := make(chan float64, n)
	for i := range n {
		wg.Go(func() {
			r := e.call("POST", "/jump-group", fmt.Sprintf(`{"name":"g%d"}`, i))
			if r.status != http.StatusCreated {
				t.Errorf("status %d", r.status)
				return
			}
			var g map[string]any
			r.decode(t, &g)
			ids <- g["id"].(float64)
		})
	}
	wg.Wait()
	close(ids)
	seen := map[float64]bool{}
	for id := range ids {
		if id < 1 || id > n || seen[id] {
			t.Fatalf("unexpected id %v", id)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct ids", len(seen))
	}
}
