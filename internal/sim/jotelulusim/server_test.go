package jotelulusim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/infractl/infra/pkg/api/jotelulu"
)

var start = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a manually advanced clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// failures is a FailNext implementation the test can switch per operation.
type failures struct {
	mu  sync.Mutex
	ops map[string]bool
}

func (f *failures) set(op string, fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ops == nil {
		f.ops = map[string]bool{}
	}
	f.ops[op] = fail
}

func (f *failures) fail(op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops[op]
}

type fixture struct {
	t     *testing.T
	sim   *Server
	url   string
	token string
	clock *clock
	fails *failures
}

func newFixture(t *testing.T, mod func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: &clock{now: start}, fails: &failures{}}
	f.token = MakeToken("ana@acme.example", start.Add(time.Hour))
	o := Options{Token: f.token, Now: f.clock.Now, Seed: true, FailNext: f.fails.fail}
	if mod != nil {
		mod(&o)
	}
	f.sim = New(o)
	ts := httptest.NewServer(f.sim) // listens on 127.0.0.1, port 0
	t.Cleanup(ts.Close)
	f.url = ts.URL
	return f
}

type answer struct {
	status int
	env    map[string]any
	raw    string
}

func (a answer) data() map[string]any {
	m, _ := a.env["data"].(map[string]any)
	return m
}

func (a answer) list() []any {
	l, _ := a.env["data"].([]any)
	return l
}

func (a answer) errorFields() []string {
	var out []string
	for _, e := range a.env["errors"].([]any) {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	slices.Sort(out)
	return out
}

func (a answer) errorCode() string {
	errs, _ := a.env["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	code, _ := errs[0].(map[string]any)["code"].(string)
	return code
}

// send performs a raw request and checks the envelope of the answer.
func (f *fixture) send(method, path, auth string, body []byte) answer {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, raw: string(raw)}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	if err := json.Unmarshal(raw, &a.env); err != nil {
		f.t.Fatalf("%s %s: answer is not a JSON object: %s", method, path, raw)
	}
	checkEnvelope(f.t, method+" "+path, a)
	return a
}

// do sends data (nil for none) in a request envelope with the valid token.
func (f *fixture) do(method, path string, data any) answer {
	f.t.Helper()
	var body []byte
	if data != nil {
		body, _ = json.Marshal(map[string]any{"data": data,
			"meta": map[string]any{"requestId": uuid.NewString(), "timestamp": f.clock.Now().Format(time.RFC3339)}})
	}
	return f.send(method, path, "Bearer "+f.token, body)
}

// op calls an operation of the default table by id.
func (f *fixture) op(id string, params map[string]string, data any) answer {
	f.t.Helper()
	op, ok := jotelulu.Lookup(id)
	if !ok {
		f.t.Fatalf("no operation %s", id)
	}
	path, err := op.Expand(params)
	if err != nil {
		f.t.Fatal(err)
	}
	if data == nil && (op.Method == "POST" || op.Method == "PATCH") {
		data = map[string]any{}
	}
	return f.do(op.Method, path, data)
}

func checkEnvelope(t *testing.T, what string, a answer) {
	t.Helper()
	m, ok := a.env["meta"].(map[string]any)
	if !ok {
		t.Fatalf("%s: no meta in %s", what, a.raw)
	}
	if id, _ := m["correlationId"].(string); uuid.Validate(id) != nil {
		t.Errorf("%s: meta.correlationId %q is not a uuid", what, id)
	}
	if ts, _ := m["timestamp"].(string); !strings.HasSuffix(ts, "Z") {
		t.Errorf("%s: meta.timestamp %q is not an RFC 3339 UTC time", what, ts)
	} else if _, err := time.Parse(time.RFC3339, ts); err != nil {
		t.Errorf("%s: meta.timestamp %q is not RFC 3339", what, ts)
	}
	if a.status >= 400 {
		errs, _ := a.env["errors"].([]any)
		if len(errs) == 0 {
			t.Fatalf("%s: status %d without errors: %s", what, a.status, a.raw)
		}
		for _, e := range errs {
			em, _ := e.(map[string]any)
			if em["code"] == "" || em["message"] == "" || em["code"] == nil || em["message"] == nil {
				t.Errorf("%s: error entry without code or message: %v", what, e)
			}
		}
		if _, has := a.env["data"]; has {
			t.Errorf("%s: error answer carries data", what)
		}
	} else if _, has := a.env["data"]; !has {
		t.Errorf("%s: status %d without data: %s", what, a.status, a.raw)
	}
}

func must(t *testing.T, a answer, status int) answer {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.raw)
	}
	return a
}

var (
	pServer  = map[string]string{"subscriptionId": SeedServerSubID}
	pRD      = map[string]string{"subscriptionId": SeedRDSubID}
	pRDInst  = map[string]string{"subscriptionId": SeedRDSubID, "instanceId": SeedRDInstanceID}
	pOrg     = map[string]string{"organizationId": SeedOrgID}
	pBackend = map[string]string{"subscriptionId": SeedServerSubID, "mainNetworkId": SeedMainNetworkID}
)

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// failedRDInstance creates a remote desktop subscription whose deployment
// fails and polls it to the end; it returns the path parameters of the
// failed instance.
func (f *fixture) failedRDInstance() map[string]string {
	f.t.Helper()
	f.fails.set("createremotedesktopsubscription", true)
	defer f.fails.set("createremotedesktopsubscription", false)
	sub := must(f.t, f.op("createremotedesktopsubscription", pOrg, map[string]any{"name": "Failing"}), 201).data()
	p := map[string]string{"subscriptionId": sub["id"].(string), "instanceId": sub["instanceIds"].([]any)[0].(string)}
	for range 3 {
		f.op("getinstanceprogress", p, nil)
	}
	return p
}

type validCall struct {
	params map[string]string
	query  string
	data   map[string]any
	prep   func(f *fixture) map[string]string
	status int
}

var validCalls = map[string]validCall{
	"createcoreorganizationuser":                 {params: pOrg, data: map[string]any{"email": "new@acme.example", "name": "Nuria", "password": "correct-horse"}, status: 201},
	"listcoreorganizationusers":                  {params: pOrg},
	"listcoreuserorganizations":                  {},
	"getinstanceprogress":                        {params: pRDInst},
	"addapplicationtouser":                       {params: with(pRD, "applicationId", SeedInstanceAppID), data: map[string]any{"userIds": []string{SeedRDUserID}}},
	"listapplicationusers":                       {params: with(pRD, "applicationId", SeedInstanceAppID)},
	"removeapplicationfromuser":                  {params: with(pRD, "applicationId", SeedInstanceAppID, "userId", SeedRDUserID)},
	"createinstanceapplication":                  {params: pRD, data: map[string]any{"instanceId": SeedRDInstanceID, "applicationId": SeedCatalogVSCodeID}, status: 201},
	"listsubscriptionapplications":               {params: pRD},
	"updateinstanceapplication":                  {params: with(pRD, "applicationId", SeedInstanceAppID), data: map[string]any{"arguments": "--norestore"}, status: 202},
	"listapplications":                           {},
	"listapplicationtags":                        {},
	"listremotedesktopsubscriptioninstances":     {params: pRD},
	"createremotedesktopsubscription":            {params: pOrg, data: map[string]any{"name": "Design", "concurrentUsers": 3, "users": []string{SeedUserLuisID}}, status: 201},
	"listorganizationremotedesktopsubscriptions": {params: pOrg},
	"createinstanceusers":                        {params: pRDInst, data: map[string]any{"userIds": []string{SeedUserLuisID}, "permission": "user"}, status: 201},
	"deleteremotedesktopuser":                    {params: with(pRD, "userId", SeedRDUserID)},
	"listinstanceusers":                          {params: pRDInst},
	"updateinstanceuser":                         {params: with(pRDInst, "userId", SeedRDUserID), data: map[string]any{"virtualDrives": true}},
	"retryfailedinstance":                        {prep: (*fixture).failedRDInstance, status: 202},
	"createfirewallinboundrule": {params: pBackend, status: 201, data: map[string]any{
		"protocol": "TCP", "sourceIp": "203.0.113.0/24", "publicPort": 8080, "privatePort": 80, "nicIp": "10.10.0.20"}},
	"deletefirewallinboundruleicmp":   {params: with(pBackend, "ruleId", SeedRuleICMPID)},
	"deletefirewallinboundruletcpudp": {params: with(pBackend, "ruleId", SeedRuleTCPID)},
	"getfirewallinboundrules":         {params: pBackend},
	"listserversubscriptioninstances": {params: pServer, query: "?state=running"},
	"listprivatenetworkipfromnic":     {params: with(pServer, "instanceId", SeedInstanceWebID, "nicId", SeedNICWebID)},
	"createserverinstancenics":        {params: with(pServer, "instanceId", SeedInstanceDBID), data: map[string]any{"isolatedNetworkId": SeedFrontendNetworkID}, status: 201},
	"listserverinstancenics":          {params: with(pServer, "instanceId", SeedInstanceWebID)},
	"createisolatednetwork": {params: pServer, status: 201, data: map[string]any{
		"name": "dmz", "network": "192.168.50.0", "netmask": "255.255.255.0", "gateway": "192.168.50.1"}},
	"listisolatednetworks":          {params: pServer},
	"createsubscriptionpublicip":    {params: pServer, data: map[string]any{"isolatedNetworkId": SeedFrontendNetworkID}, status: 201},
	"getsubscriptionpublicips":      {params: pServer},
	"listorganizationsubscriptions": {params: pOrg},
}

// TestEveryOperationServed calls each operation of the table once, with valid
// input, on a freshly seeded simulator.
func TestEveryOperationServed(t *testing.T) {
	for _, op := range jotelulu.Ops() {
		t.Run(op.ID, func(t *testing.T) {
			vc, ok := validCalls[op.ID]
			if !ok {
				t.Fatalf("no valid call written for %s", op.ID)
			}
			f := newFixture(t, nil)
			params := vc.params
			if vc.prep != nil {
				params = vc.prep(f)
			}
			path, err := op.Expand(params)
			if err != nil {
				t.Fatal(err)
			}
			var data any
			if vc.data != nil {
				data = vc.data
			} else if op.Method == "POST" || op.Method == "PATCH" {
				data = map[string]any{}
			}
			want := vc.status
			if want == 0 {
				want = 200
			}
			a := must(t, f.do(op.Method, path+vc.query, data), want)
			if got := f.sim.Calls(op.ID); got != 1 {
				t.Errorf("Calls(%s) = %d, want 1", op.ID, got)
			}
			if got := f.sim.Calls(strings.ToUpper(op.ID)); got != 1 {
				t.Errorf("Calls is case-sensitive: %d", got)
			}
			// Every field answered is described by the table; documented
			// operations answer every documented field.
			objs := a.list()
			if objs == nil {
				objs = []any{a.data()}
			}
			if len(objs) == 0 {
				t.Fatalf("empty listing: %s", a.raw)
			}
			obj := objs[0].(map[string]any)
			for k := range obj {
				if !slices.Contains(op.Result, k) {
					t.Errorf("answer field %q is not in the table's Result %v", k, op.Result)
				}
			}
			if op.Source == jotelulu.Documented {
				for _, k := range op.Result {
					if _, ok := obj[k]; !ok {
						t.Errorf("documented field %q missing from %v", k, obj)
					}
				}
			}
			if id, ok := obj["id"]; ok {
				if _, isStr := id.(string); !isStr {
					t.Errorf("id %v is not a string", id)
				}
			}
		})
	}
	if len(validCalls) != len(jotelulu.Ops()) {
		t.Errorf("%d valid calls for %d operations", len(validCalls), len(jotelulu.Ops()))
	}
}

func TestListingsReflectChanges(t *testing.T) {
	f := newFixture(t, nil)
	running := must(t, f.op("listserversubscriptioninstances", pServer, nil), 200)
	if n := len(running.list()); n != 2 {
		t.Fatalf("%d instances, want 2", n)
	}
	stopped := must(t, f.do("GET", "/api-gateway/servers/v1/subscriptions/"+SeedServerSubID+"/instances?state=stopped", nil), 200).list()
	if len(stopped) != 1 || stopped[0].(map[string]any)["name"] != "db-01" {
		t.Errorf("state filter: %v", stopped)
	}
	bad := f.do("GET", "/api-gateway/servers/v1/subscriptions/"+SeedServerSubID+"/instances?state=sleeping", nil)
	if must(t, bad, 400).errorCode() != "invalid_value" {
		t.Errorf("bad enum: %s", bad.raw)
	}

	user := must(t, f.op("createcoreorganizationuser", pOrg, map[string]any{"email": "x@acme.example", "password": "s3cret-pass"}), 201)
	if strings.Contains(user.raw, "s3cret-pass") || strings.Contains(user.raw, "password") {
		t.Errorf("password echoed: %s", user.raw)
	}
	users := must(t, f.op("listcoreorganizationusers", pOrg, nil), 200).list()
	if len(users) != 4 || users[3].(map[string]any)["email"] != "x@acme.example" {
		t.Errorf("users after create: %v", users)
	}
	dup := f.op("createcoreorganizationuser", pOrg, map[string]any{"email": "X@acme.example"})
	if must(t, dup, 409).errorCode() != "conflict" {
		t.Errorf("duplicate e-mail: %s", dup.raw)
	}
	must(t, f.op("listcoreorganizationusers", map[string]string{"organizationId": "999"}, nil), 404)
}

func TestSecondOrganizationOnlyWhenAsked(t *testing.T) {
	one := newFixture(t, nil)
	if n := len(must(t, one.op("listcoreuserorganizations", nil, nil), 200).list()); n != 1 {
		t.Errorf("default seed has %d organizations", n)
	}
	two := newFixture(t, func(o *Options) { o.SecondOrg = true })
	orgs := must(t, two.op("listcoreuserorganizations", nil, nil), 200).list()
	if len(orgs) != 2 || orgs[0].(map[string]any)["name"] != orgs[1].(map[string]any)["name"] ||
		orgs[0].(map[string]any)["id"] == orgs[1].(map[string]any)["id"] {
		t.Errorf("want two organizations sharing a name: %v", orgs)
	}
	empty := newFixture(t, func(o *Options) { o.Seed = false })
	if n := len(must(t, empty.op("listcoreuserorganizations", nil, nil), 200).list()); n != 0 {
		t.Errorf("unseeded simulator has %d organizations", n)
	}
}

func TestRemoteDesktopDeploymentProgress(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.ProgressSteps = 4 })
	sub := must(t, f.op("createremotedesktopsubscription", pOrg, map[string]any{
		"name": "Sales", "users": []string{SeedUserLuisID}, "admins": []string{SeedUserAnaID},
		"applications": []string{SeedCatalogOfficeID}}), 201).data()
	if sub["state"] != "creating" {
		t.Fatalf("new subscription state %v", sub["state"])
	}
	p := map[string]string{"subscriptionId": sub["id"].(string), "instanceId": sub["instanceIds"].([]any)[0].(string)}
	subState := func() string {
		for _, s := range must(t, f.op("listorganizationremotedesktopsubscriptions", pOrg, nil), 200).list() {
			if s.(map[string]any)["id"] == p["subscriptionId"] {
				return s.(map[string]any)["state"].(string)
			}
		}
		t.Fatal("subscription not listed")
		return ""
	}
	// Users cannot be added while the instance is still creating.
	must(t, f.op("createinstanceusers", p, map[string]any{"userIds": []string{SeedUserMartaID}}), 409)
	var percents []float64
	for i := 1; i <= 4; i++ {
		pr := must(t, f.op("getinstanceprogress", p, nil), 200).data()
		percents = append(percents, pr["percentage"].(float64))
		want := "creating"
		if i == 4 {
			want = "deployed"
		}
		if pr["state"] != want {
			t.Fatalf("poll %d: state %v, want %s", i, pr["state"], want)
		}
		if i < 4 && subState() != "creating" {
			t.Fatalf("poll %d: subscription left creating early", i)
		}
	}
	if !slices.Equal(percents, []float64{25, 50, 75, 100}) {
		t.Errorf("percentages %v", percents)
	}
	if s := subState(); s != "deployed" {
		t.Errorf("subscription state %s after deployment", s)
	}
	// Further polls keep the final state.
	if pr := must(t, f.op("getinstanceprogress", p, nil), 200).data(); pr["state"] != "deployed" || pr["percentage"].(float64) != 100 {
		t.Errorf("after deployment: %v", pr)
	}
	users := must(t, f.op("listinstanceusers", p, nil), 200).list()
	perms := map[string]string{}
	for _, u := range users {
		um := u.(map[string]any)
		perms[um["organizationUserId"].(string)] = um["permission"].(string)
	}
	if perms[SeedUserLuisID] != "user" || perms[SeedUserAnaID] != "admin" || len(perms) != 2 {
		t.Errorf("initial users: %v", perms)
	}
	apps := must(t, f.op("listsubscriptionapplications", map[string]string{"subscriptionId": p["subscriptionId"]}, nil), 200).list()
	if len(apps) != 1 || apps[0].(map[string]any)["state"] != "installed" {
		t.Errorf("pre-installed application: %v", apps)
	}
	must(t, f.op("retryfailedinstance", p, nil), 409)
}

func TestFailureInjectionAndRetry(t *testing.T) {
	f := newFixture(t, nil)
	p := f.failedRDInstance()
	pr := must(t, f.op("getinstanceprogress", p, nil), 200).data()
	if pr["state"] != "error" || pr["percentage"].(float64) == 100 {
		t.Fatalf("failed deployment reports %v", pr)
	}
	insts := must(t, f.op("listremotedesktopsubscriptioninstances", map[string]string{"subscriptionId": p["subscriptionId"]}, nil), 200).list()
	if len(insts) != 1 || insts[0].(map[string]any)["state"] != "error" {
		t.Fatalf("instances after failure: %v", insts)
	}

	// A retry that fails again.
	f.fails.set("retryfailedinstance", true)
	r := must(t, f.op("retryfailedinstance", p, nil), 202).data()
	if r["state"] != "creating" {
		t.Fatalf("retry answered state %v", r["state"])
	}
	for range 3 {
		pr = must(t, f.op("getinstanceprogress", p, nil), 200).data()
	}
	if pr["state"] != "error" {
		t.Fatalf("injected retry failure ended %v", pr["state"])
	}

	// A retry that succeeds.
	f.fails.set("retryfailedinstance", false)
	must(t, f.op("retryfailedinstance", p, nil), 202)
	for i := 1; i <= 3; i++ {
		pr = must(t, f.op("getinstanceprogress", p, nil), 200).data()
		if (i < 3) != (pr["state"] == "creating") {
			t.Fatalf("poll %d after retry: %v", i, pr["state"])
		}
	}
	if pr["state"] != "deployed" {
		t.Fatalf("retry ended %v", pr["state"])
	}
	subs := must(t, f.op("listorganizationremotedesktopsubscriptions", pOrg, nil), 200).list()
	for _, s := range subs {
		if sm := s.(map[string]any); sm["id"] == p["subscriptionId"] && sm["state"] != "deployed" {
			t.Errorf("subscription state %v after a successful retry", sm["state"])
		}
	}
	if got := f.sim.Calls("retryfailedinstance"); got != 2 {
		t.Errorf("Calls(retryfailedinstance) = %d", got)
	}
}

func TestApplications(t *testing.T) {
	f := newFixture(t, nil)
	list := func() map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, a := range must(t, f.op("listsubscriptionapplications", pRD, nil), 200).list() {
			out[a.(map[string]any)["id"].(string)] = a.(map[string]any)
		}
		return out
	}

	// Custom applications need name, tagId, directory and executable.
	missing := must(t, f.op("createinstanceapplication", pRD, map[string]any{"instanceId": SeedRDInstanceID, "name": "Tool"}), 400)
	if got := missing.errorFields(); !slices.Equal(got, []string{"directory", "executable", "tagId"}) {
		t.Errorf("missing custom fields reported as %v", got)
	}
	noInstance := must(t, f.op("createinstanceapplication", pRD, map[string]any{"applicationId": SeedCatalogGimpID}), 400)
	if got := noInstance.errorFields(); !slices.Equal(got, []string{"instanceId"}) {
		t.Errorf("missing instanceId reported as %v", got)
	}
	must(t, f.op("createinstanceapplication", pRD, map[string]any{"instanceId": SeedRDInstanceID, "applicationId": "404"}), 400)

	custom := must(t, f.op("createinstanceapplication", pRD, map[string]any{"instanceId": SeedRDInstanceID,
		"name": "Ledger", "tagId": SeedTagBusinessID, "directory": `D:\Ledger`, "executable": "ledger.exe", "arguments": "/silent"}), 201).data()
	if custom["state"] != "installing" || custom["name"] != "Ledger" {
		t.Fatalf("custom application: %v", custom)
	}
	id := custom["id"].(string)
	// Access cannot be granted before installation ends.
	must(t, f.op("addapplicationtouser", with(pRD, "applicationId", id), map[string]any{"userIds": []string{SeedRDUserID}}), 409)
	if st := list()[id]["state"]; st != "installing" {
		t.Fatalf("after one listing: %v", st)
	}
	list()
	if st := list()[id]["state"]; st != "installed" {
		t.Fatalf("after three listings: %v", st)
	}

	// Failure injection, then an update that succeeds.
	f.fails.set("createinstanceapplication", true)
	broken := must(t, f.op("createinstanceapplication", pRD, map[string]any{"instanceId": SeedRDInstanceID, "applicationId": SeedCatalogGimpID}), 201).data()
	f.fails.set("createinstanceapplication", false)
	bid := broken["id"].(string)
	if broken["name"] != "GIMP" || broken["tagId"] != SeedTagDesignID {
		t.Errorf("marketplace defaults: %v", broken)
	}
	for range 3 {
		f.op("getinstanceprogress", pRDInst, nil)
	}
	if st := list()[bid]["state"]; st != "failed" {
		t.Fatalf("injected failure: state %v", st)
	}
	upd := must(t, f.op("updateinstanceapplication", with(pRD, "applicationId", bid), map[string]any{"arguments": "--safe"}), 202).data()
	if upd["state"] != "updating" || upd["arguments"] != "--safe" {
		t.Fatalf("update: %v", upd)
	}
	must(t, f.op("updateinstanceapplication", with(pRD, "applicationId", bid), map[string]any{"name": "x"}), 409)
	for range 3 {
		f.op("getinstanceprogress", pRDInst, nil)
	}
	if st := list()[bid]["state"]; st != "installed" {
		t.Fatalf("after update: %v", st)
	}
	must(t, f.op("updateinstanceapplication", with(pRD, "applicationId", bid), map[string]any{}), 400)
	must(t, f.op("updateinstanceapplication", with(pRD, "applicationId", bid), map[string]any{"tagId": "0"}), 400)

	// Grant, list, revoke.
	grant := must(t, f.op("addapplicationtouser", with(pRD, "applicationId", bid), map[string]any{"userIds": []string{SeedRDUserID}}), 200).list()
	if len(grant) != 1 || grant[0].(map[string]any)["email"] != "ana@acme.example" {
		t.Errorf("grant answer: %v", grant)
	}
	must(t, f.op("addapplicationtouser", with(pRD, "applicationId", bid), map[string]any{"userIds": []string{"123"}}), 400)
	must(t, f.op("addapplicationtouser", with(pRD, "applicationId", bid), map[string]any{"userIds": []string{}}), 400)
	p := with(pRD, "applicationId", bid, "userId", SeedRDUserID)
	must(t, f.op("removeapplicationfromuser", p, nil), 200)
	must(t, f.op("removeapplicationfromuser", p, nil), 404)
	if n := len(must(t, f.op("listapplicationusers", with(pRD, "applicationId", bid), nil), 200).list()); n != 0 {
		t.Errorf("%d users left after revoke", n)
	}
}

func TestRemoteDesktopUsers(t *testing.T) {
	f := newFixture(t, nil)
	local := must(t, f.op("createinstanceusers", pRDInst, map[string]any{"userIds": []string{SeedUserLuisID}, "userType": "local"}), 400)
	if got := local.errorFields(); !slices.Equal(got, []string{"username"}) {
		t.Errorf("local user without username: %v", got)
	}
	must(t, f.op("createinstanceusers", pRDInst, map[string]any{"userIds": []string{"999"}}), 400)
	created := must(t, f.op("createinstanceusers", pRDInst, map[string]any{"userIds": []string{SeedUserLuisID},
		"userType": "local", "username": "luis", "connectionType": "launchpad"}), 201).list()
	if len(created) != 1 {
		t.Fatalf("created %v", created)
	}
	u := created[0].(map[string]any)
	if u["email"] != "luis@acme.example" || u["connectionType"] != "launchpad" || u["username"] != "luis" {
		t.Errorf("created user: %v", u)
	}
	must(t, f.op("createinstanceusers", pRDInst, map[string]any{"userIds": []string{SeedUserLuisID}}), 409)
	uid := u["id"].(string)
	upd := must(t, f.op("updateinstanceuser", with(pRDInst, "userId", uid), map[string]any{"permission": "admin", "rdpAccess": true}), 200).data()
	if upd["permission"] != "admin" || upd["rdpAccess"] != true || upd["username"] != "luis" {
		t.Errorf("updated user: %v", upd)
	}
	must(t, f.op("updateinstanceuser", with(pRDInst, "userId", uid), map[string]any{"userType": "native", "username": ""}), 200)
	bad := must(t, f.op("updateinstanceuser", with(pRDInst, "userId", uid), map[string]any{"userType": "domain"}), 400)
	if bad.errorCode() != "required" {
		t.Errorf("domain user without username: %s", bad.raw)
	}
	// Removing a user also drops its application access.
	must(t, f.op("deleteremotedesktopuser", with(pRD, "userId", SeedRDUserID), nil), 200)
	if n := len(must(t, f.op("listapplicationusers", with(pRD, "applicationId", SeedInstanceAppID), nil), 200).list()); n != 0 {
		t.Errorf("deleted user still has application access (%d users)", n)
	}
	must(t, f.op("deleteremotedesktopuser", with(pRD, "userId", SeedRDUserID), nil), 404)
	if n := len(must(t, f.op("listinstanceusers", pRDInst, nil), 200).list()); n != 1 {
		t.Errorf("%d users left", n)
	}
}

func TestRequestValidation(t *testing.T) {
	f := newFixture(t, nil)
	netPath, _ := mustOp(t, "createisolatednetwork").Expand(pServer)

	empty := must(t, f.do("POST", netPath, map[string]any{}), 400)
	if got := empty.errorFields(); !slices.Equal(got, []string{"gateway", "name", "netmask", "network"}) {
		t.Errorf("required fields reported: %v", got)
	}
	for _, e := range empty.env["errors"].([]any) {
		if e.(map[string]any)["code"] != "required" {
			t.Errorf("error code %v", e)
		}
	}
	typed := must(t, f.do("POST", netPath, map[string]any{"name": 5, "network": "10.1.0.0", "netmask": "255.255.0.0", "gateway": "10.1.0.1", "colour": "red"}), 400)
	codes := map[string]string{}
	for _, e := range typed.env["errors"].([]any) {
		em := e.(map[string]any)
		codes[em["field"].(string)] = em["code"].(string)
	}
	if codes["name"] != "invalid_type" || codes["colour"] != "unknown_field" || len(codes) != 2 {
		t.Errorf("type and unknown-field errors: %v", codes)
	}

	fw, _ := mustOp(t, "createfirewallinboundrule").Expand(pBackend)
	enum := must(t, f.do("POST", fw, map[string]any{"protocol": "SCTP", "sourceIp": "0.0.0.0/0"}), 400)
	if enum.errorCode() != "invalid_value" {
		t.Errorf("enum error: %s", enum.raw)
	}

	// Envelope problems.
	auth := "Bearer " + f.token
	ts := start.Format(time.RFC3339)
	for name, body := range map[string]string{
		"no body":          "",
		"not json":         "{",
		"bare fields":      `{"name":"x","network":"10.9.0.0","netmask":"255.255.255.0","gateway":"10.9.0.1"}`,
		"no meta":          `{"data":{"name":"x"}}`,
		"no request id":    `{"data":{"name":"x"},"meta":{"timestamp":"` + ts + `"}}`,
		"bad timestamp":    `{"data":{"name":"x"},"meta":{"requestId":"r1","timestamp":"yesterday"}}`,
		"data not object":  `{"data":[1],"meta":{"requestId":"r1","timestamp":"` + ts + `"}}`,
		"trailing content": `{"data":{},"meta":{"requestId":"r1","timestamp":"` + ts + `"}} {}`,
	} {
		a := f.send("POST", netPath, auth, []byte(body))
		if a.status != 400 || a.errorCode() != "invalid_envelope" {
			t.Errorf("%s: status %d code %q", name, a.status, a.errorCode())
		}
	}
	ok := f.send("POST", netPath, auth, []byte(`{"data":{"name":"x","network":"10.9.0.0","netmask":"255.255.255.0","gateway":"10.9.0.1"},"meta":{"requestId":"r1","timestamp":"`+ts+`"}}`))
	must(t, ok, 201)
}

func mustOp(t *testing.T, id string) jotelulu.Op {
	t.Helper()
	op, ok := jotelulu.Lookup(id)
	if !ok {
		t.Fatalf("no operation %s", id)
	}
	return op
}

func TestIsolatedNetworks(t *testing.T) {
	f := newFixture(t, nil)
	create := func(network, mask, gw string) answer {
		return f.op("createisolatednetwork", pServer, map[string]any{"name": "n", "network": network, "netmask": mask, "gateway": gw})
	}
	if a := must(t, create("10.30.0.5", "255.255.255.0", "10.30.0.1"), 400); !slices.Equal(a.errorFields(), []string{"network"}) {
		t.Errorf("network not first address: %s", a.raw)
	}
	if a := must(t, create("10.30.0.0", "255.255.255.0", "10.31.0.1"), 400); !slices.Equal(a.errorFields(), []string{"gateway"}) {
		t.Errorf("gateway outside: %s", a.raw)
	}
	if a := must(t, create("10.30.0.0", "255.0.255.0", "10.30.0.1"), 400); !slices.Equal(a.errorFields(), []string{"netmask"}) {
		t.Errorf("non-contiguous mask: %s", a.raw)
	}
	must(t, create("10.10.0.0", "255.255.0.0", "10.10.1.1"), 409) // overlaps "backend"
	n := must(t, create("172.16.0.0", "255.255.240.0", "172.16.0.1"), 201).data()
	if n["cidr"] != "172.16.0.0/20" || n["mainNetworkId"] == "" || n["mainNetworkId"] == n["id"] {
		t.Errorf("created network: %v", n)
	}
	nets := must(t, f.op("listisolatednetworks", pServer, nil), 200).list()
	if len(nets) != 3 || nets[2].(map[string]any)["id"] != n["id"] {
		t.Errorf("networks: %v", nets)
	}
	// The new network has its own, empty rule list, addressed by mainNetworkId.
	rules := must(t, f.op("getfirewallinboundrules", with(pServer, "mainNetworkId", n["mainNetworkId"].(string)), nil), 200)
	if len(rules.list()) != 0 {
		t.Errorf("rules of a new network: %s", rules.raw)
	}
	must(t, f.op("getfirewallinboundrules", with(pServer, "mainNetworkId", n["id"].(string)), nil), 404)
}

func TestNICsAndPublicIPs(t *testing.T) {
	f := newFixture(t, nil)
	p := with(pServer, "instanceId", SeedInstanceWebID)
	auto := must(t, f.op("createserverinstancenics", p, map[string]any{"isolatedNetworkId": SeedFrontendNetworkID}), 201).data()
	if auto["ip"] != "10.20.0.2" || auto["isDefault"] != false {
		t.Errorf("automatic address: %v", auto)
	}
	must(t, f.op("createserverinstancenics", p, map[string]any{"isolatedNetworkId": SeedFrontendNetworkID}), 409)
	pdb := with(pServer, "instanceId", SeedInstanceDBID)
	must(t, f.op("createserverinstancenics", pdb, map[string]any{"isolatedNetworkId": SeedFrontendNetworkID, "ip": "10.20.0.2"}), 409)
	must(t, f.op("createserverinstancenics", pdb, map[string]any{"isolatedNetworkId": SeedFrontendNetworkID, "ip": "10.21.0.2"}), 400)
	must(t, f.op("createserverinstancenics", pdb, map[string]any{"isolatedNetworkId": SeedFrontendNetworkID, "ip": "10.20.0.1"}), 409) // gateway
	must(t, f.op("createserverinstancenics", pdb, map[string]any{"isolatedNetworkId": SeedFrontendNetworkID, "macAddress": "nope"}), 400)
	must(t, f.op("createserverinstancenics", pdb, map[string]any{"isolatedNetworkId": "0"}), 400)
	fixed := must(t, f.op("createserverinstancenics", pdb, map[string]any{"isolatedNetworkId": SeedFrontendNetworkID,
		"ip": "10.20.0.50", "macAddress": "02:AA:BB:CC:DD:EE"}), 201).data()
	if fixed["macAddress"] != "02:aa:bb:cc:dd:ee" {
		t.Errorf("MAC address: %v", fixed["macAddress"])
	}
	ips := must(t, f.op("listprivatenetworkipfromnic", with(pdb, "nicId", fixed["id"].(string)), nil), 200).list()
	if len(ips) != 1 || ips[0].(map[string]any)["ip"] != "10.20.0.50" {
		t.Errorf("NIC addresses: %v", ips)
	}
	must(t, f.op("listprivatenetworkipfromnic", with(pdb, "nicId", SeedNICWebID), nil), 404) // NIC of another instance
	if n := len(must(t, f.op("listserverinstancenics", p, nil), 200).list()); n != 2 {
		t.Errorf("web-01 has %d NICs", n)
	}

	a := must(t, f.op("createsubscriptionpublicip", pServer, map[string]any{"isolatedNetworkId": SeedNetworkID}), 201).data()
	b := must(t, f.op("createsubscriptionpublicip", pServer, map[string]any{"isolatedNetworkId": SeedFrontendNetworkID}), 201).data()
	if a["ip"] == b["ip"] || a["sourceNat"] != false || b["sourceNat"] != true {
		t.Errorf("public IPs: %v %v", a, b)
	}
	if n := len(must(t, f.op("getsubscriptionpublicips", pServer, nil), 200).list()); n != 3 {
		t.Errorf("%d public IPs", n)
	}
}

func TestFirewallRules(t *testing.T) {
	f := newFixture(t, nil)
	noPorts := must(t, f.op("createfirewallinboundrule", pBackend, map[string]any{"protocol": "UDP", "sourceIp": "198.51.100.7"}), 400)
	if got := noPorts.errorFields(); !slices.Equal(got, []string{"nicIp", "privatePort", "publicPort"}) {
		t.Errorf("UDP without ports: %v", got)
	}
	icmpBad := must(t, f.op("createfirewallinboundrule", pBackend, map[string]any{"protocol": "ICMP", "sourceIp": "any", "publicPort": 1}), 400)
	if got := icmpBad.errorFields(); !slices.Equal(got, []string{"icmpCode", "icmpType", "publicPort", "sourceIp"}) {
		t.Errorf("bad ICMP rule: %v", got)
	}
	must(t, f.op("createfirewallinboundrule", pBackend, map[string]any{"protocol": "TCP", "sourceIp": "0.0.0.0/0",
		"publicPort": 443, "privatePort": 8443, "nicIp": "10.10.0.20"}), 409) // public port taken
	must(t, f.op("createfirewallinboundrule", pBackend, map[string]any{"protocol": "TCP", "sourceIp": "0.0.0.0/0",
		"publicPort": 22, "privatePort": 22, "nicIp": "10.10.0.99"}), 400) // no such interface
	icmp := must(t, f.op("createfirewallinboundrule", pBackend, map[string]any{"protocol": "ICMP", "sourceIp": "192.0.2.0/24",
		"icmpType": 0, "icmpCode": 0}), 201).data()
	if icmp["icmpType"] != float64(0) || icmp["portForwardingId"] != nil {
		t.Errorf("ICMP rule: %v", icmp)
	}
	udp := must(t, f.op("createfirewallinboundrule", pBackend, map[string]any{"protocol": "UDP", "sourceIp": "0.0.0.0/0",
		"publicPort": 443, "privatePort": 443, "nicIp": "10.10.0.10"}), 201).data()
	if udp["portForwardingId"] == nil {
		t.Errorf("UDP rule without port forwarding: %v", udp)
	}

	// The wrong delete operation is refused and the rule survives.
	wrong := must(t, f.op("deletefirewallinboundruleicmp", with(pBackend, "ruleId", SeedRuleTCPID), nil), 409)
	if wrong.errorCode() != "wrong_protocol" || !strings.Contains(wrong.raw, "deletefirewallinboundruletcpudp") {
		t.Errorf("wrong delete: %s", wrong.raw)
	}
	must(t, f.op("deletefirewallinboundruletcpudp", with(pBackend, "ruleId", SeedRuleICMPID), nil), 409)
	must(t, f.op("deletefirewallinboundruletcpudp", with(pBackend, "ruleId", SeedRuleTCPID), nil), 200)
	must(t, f.op("deletefirewallinboundruletcpudp", with(pBackend, "ruleId", SeedRuleTCPID), nil), 404)
	must(t, f.op("deletefirewallinboundruleicmp", with(pBackend, "ruleId", icmp["id"].(string)), nil), 200)
	var ids []string
	for _, r := range must(t, f.op("getfirewallinboundrules", pBackend, nil), 200).list() {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	if !slices.Equal(ids, []string{SeedRuleICMPID, udp["id"].(string)}) {
		t.Errorf("remaining rules %v", ids)
	}
}

func TestTokens(t *testing.T) {
	f := newFixture(t, nil)
	path := "/api-gateway/core/v1/organizations"
	other := MakeToken("mallory", start.Add(time.Hour))
	for name, auth := range map[string]string{
		"missing":      "",
		"basic scheme": "Basic " + f.token,
		"empty bearer": "Bearer ",
		"other token":  "Bearer " + other,
	} {
		a := f.send("GET", path, auth, nil)
		if a.status != 401 || a.errorCode() != "unauthorized" {
			t.Errorf("%s: status %d code %q", name, a.status, a.errorCode())
		}
		if strings.Contains(a.raw, other) || strings.Contains(a.raw, f.token) {
			t.Errorf("%s: token echoed in %s", name, a.raw)
		}
	}
	must(t, f.send("GET", path, "bearer "+f.token, nil), 200)
	f.clock.Advance(time.Hour)
	expired := f.send("GET", path, "Bearer "+f.token, nil)
	if expired.status != 401 || expired.errorCode() != "token_expired" {
		t.Errorf("expired: %d %s", expired.status, expired.raw)
	}

	// Without a configured token any well-formed, unexpired JWT passes.
	open := newFixture(t, func(o *Options) { o.Token = "" })
	must(t, open.send("GET", path, "Bearer "+other, nil), 200)
	must(t, open.send("GET", path, "Bearer not-a-jwt", nil), 401)
	must(t, open.send("GET", path, "Bearer "+MakeToken("old", start.Add(-time.Second)), nil), 401)
	if got := open.sim.Calls("listcoreuserorganizations"); got != 3 {
		t.Errorf("Calls counts rejected requests too: got %d, want 3", got)
	}
}

func TestMakeToken(t *testing.T) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tok := MakeToken("ana@acme.example", exp)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || slices.Contains(parts, "") || strings.ContainsAny(tok, "+/=") {
		t.Fatalf("token %q is not three base64url parts", tok)
	}
	sub, got, err := ParseToken(tok)
	if err != nil || sub != "ana@acme.example" || !got.Equal(exp) {
		t.Errorf("ParseToken = %q, %v, %v", sub, got, err)
	}
	if _, _, err := ParseToken("a.b"); err == nil {
		t.Error("two-part token accepted")
	}
	if _, _, err := ParseToken(parts[0] + ".e30." + parts[2]); err == nil || !strings.Contains(err.Error(), "exp") {
		t.Errorf("token without exp: %v", err)
	}
}

func TestRoutingErrors(t *testing.T) {
	f := newFixture(t, nil)
	nf := must(t, f.do("GET", "/api-gateway/core/v1/nothing", nil), 404)
	if nf.errorCode() != "not_found" {
		t.Errorf("unknown path: %s", nf.raw)
	}
	// Unknown routes are answered before authentication, still enveloped.
	must(t, f.send("GET", "/elsewhere", "", nil), 404)
	req, _ := http.NewRequest("PUT", f.url+"/api-gateway/core/v1/organizations/"+SeedOrgID+"/users", nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, POST" {
		t.Errorf("wrong method: %d Allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	must(t, f.do("DELETE", "/api-gateway/core/v1/organizations", nil), 405)
	// An escaped slash stays inside one path parameter.
	esc := must(t, f.do("GET", "/api-gateway/core/v1/organizations/70%2F02/users", nil), 404)
	if msg := esc.env["errors"].([]any)[0].(map[string]any)["message"]; msg != `organization "70/02" not found` {
		t.Errorf("escaped parameter: %v", msg)
	}
}

func TestModifiedTableMovesRoutes(t *testing.T) {
	ops := Operations()
	for i := range ops {
		if ops[i].ID == "listisolatednetworks" {
			ops[i].Path = "/custom/v2/subs/{subscriptionId}/private-networks"
		}
		if ops[i].ID == "createisolatednetwork" {
			ops[i].Body = append(ops[i].Body, Field{Name: "description", Type: "string"})
		}
	}
	ops = append(ops, Op{ID: "futureop", Method: "GET", Path: "/api-gateway/core/v1/future"},
		Op{ID: "LISTCOREUSERORGANIZATIONS", Method: "GET", Path: "/custom/v2/my-organizations"})
	f := newFixture(t, func(o *Options) { o.Ops = ops })

	moved := must(t, f.do("GET", "/custom/v2/subs/"+SeedServerSubID+"/private-networks", nil), 200)
	if len(moved.list()) != 2 {
		t.Errorf("moved listing: %s", moved.raw)
	}
	must(t, f.do("GET", "/api-gateway/servers/v1/subscriptions/"+SeedServerSubID+"/networks/isolated-networks", nil), 405)
	if got := f.sim.Calls("listisolatednetworks"); got != 1 {
		t.Errorf("Calls = %d", got)
	}
	// Body validation follows the table too.
	must(t, f.op("createisolatednetwork", pServer, map[string]any{"name": "d", "network": "10.50.0.0",
		"netmask": "255.255.255.0", "gateway": "10.50.0.1", "description": "extra"}), 201)
	// An operation written by the caller with a known id is implemented.
	if orgs := must(t, f.do("GET", "/custom/v2/my-organizations", nil), 200); len(orgs.list()) == 0 {
		t.Errorf("caller-built operation: %s", orgs.raw)
	}
	un := must(t, f.do("GET", "/api-gateway/core/v1/future", nil), 501)
	if un.errorCode() != "not_implemented" {
		t.Errorf("unimplemented op: %s", un.raw)
	}
}

func TestConcurrentRequests(t *testing.T) {
	f := newFixture(t, nil)
	var wg sync.WaitGroup
	results := make(chan int, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, _ := json.Marshal(map[string]any{
				"data": map[string]any{"email": "u" + string(rune('a'+i)) + "@acme.example"},
				"meta": map[string]any{"requestId": uuid.NewString(), "timestamp": start.Format(time.RFC3339)}})
			req, _ := http.NewRequest("POST", f.url+"/api-gateway/core/v1/organizations/"+SeedOrgID+"/users", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+f.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				results <- 0
				return
			}
			resp.Body.Close()
			results <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(results)
	for code := range results {
		if code != 201 {
			t.Errorf("status %d", code)
		}
	}
	users := must(t, f.op("listcoreorganizationusers", pOrg, nil), 200).list()
	ids := map[string]bool{}
	for _, u := range users {
		ids[u.(map[string]any)["id"].(string)] = true
	}
	if len(users) != 23 || len(ids) != 23 {
		t.Errorf("%d users, %d distinct ids", len(users), len(ids))
	}
}
