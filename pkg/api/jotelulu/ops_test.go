package jotelulu

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const (
	operationsFile = "testdata/jotelulu-operations.txt"
	evidenceFile   = "testdata/jotelulu-evidence.md"
)

func readTestdata(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIDsAndTitlesMatchOperationList(t *testing.T) {
	text := readTestdata(t, operationsFile)
	var ids, titles []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		id, title, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("unexpected line in %s: %q", operationsFile, line)
		}
		ids = append(ids, id)
		titles = append(titles, strings.TrimSpace(title))
	}
	ops := Ops()
	if len(ops) != len(ids) {
		t.Fatalf("table has %d operations, list has %d", len(ops), len(ids))
	}
	if len(ids) != 33 {
		t.Errorf("operation list has %d entries, want 33", len(ids))
	}
	for i, op := range ops {
		if op.ID != ids[i] {
			t.Errorf("operation %d: id %q, list says %q", i, op.ID, ids[i])
		}
		if op.Title != titles[i] {
			t.Errorf("%s: title %q, list says %q", op.ID, op.Title, titles[i])
		}
	}
}

var evidenceRow = regexp.MustCompile(`^\|\s*([^|]+?)\s*\|\s*(GET|POST|PUT|PATCH|DELETE) (/\S+)`)

func TestDocumentedPairsMatchEvidence(t *testing.T) {
	text := readTestdata(t, evidenceFile)
	want := map[string]string{} // "METHOD path" -> first column
	for _, line := range strings.Split(text, "\n") {
		m := evidenceRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		want[m[2]+" "+m[3]] = m[1]
	}
	if len(want) != 6 {
		t.Fatalf("found %d documented method+path pairs in the evidence file, want 6: %v", len(want), want)
	}
	got := map[string]string{}
	for _, op := range Ops() {
		if op.Source == Documented {
			got[op.Method+" "+op.Path] = op.ID
		}
	}
	for pair, label := range want {
		id, ok := got[pair]
		if !ok {
			t.Errorf("documented pair %q (%s) is not a documented operation in the table", pair, label)
			continue
		}
		// Rows named by operationId must land on that operation.
		first := strings.Fields(label)[0]
		if _, isID := Lookup(first); isID && first != id {
			t.Errorf("pair %q belongs to %s per the evidence, table gives it to %s", pair, first, id)
		}
	}
	for pair, id := range got {
		if _, ok := want[pair]; !ok {
			t.Errorf("%s is marked documented but %q is not in the evidence file", id, pair)
		}
	}
	// The one row described in words is the caller's organizations.
	if op, _ := Lookup("listcoreuserorganizations"); op.Method+" "+op.Path != "GET /api-gateway/core/v1/organizations" {
		t.Errorf("listcoreuserorganizations = %s %s", op.Method, op.Path)
	}
}

func TestMethodPathUnique(t *testing.T) {
	seen := map[string]string{}
	for _, op := range Ops() {
		// Two paths that differ only in placeholder names are the same route.
		key := op.Method + " " + regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(op.Path, "{}")
		if other, ok := seen[key]; ok {
			t.Errorf("%s and %s share %s", other, op.ID, key)
		}
		seen[key] = op.ID
	}
}

func TestPathsFollowConventions(t *testing.T) {
	known := PathParamNames()
	roots := []string{CoreRoot + "/", ServersRoot + "/", RemoteDesktopsRoot + "/"}
	segment := regexp.MustCompile(`^([a-z0-9]+(-[a-z0-9]+)*|\{[A-Za-z]+\})$`)
	for _, op := range Ops() {
		if !slices.ContainsFunc(roots, func(r string) bool { return strings.HasPrefix(op.Path, r) }) {
			t.Errorf("%s: path %s is outside the service roots", op.ID, op.Path)
		}
		for _, seg := range strings.Split(strings.TrimPrefix(op.Path, "/"), "/") {
			if !segment.MatchString(seg) {
				t.Errorf("%s: segment %q is neither kebab-case nor a placeholder", op.ID, seg)
			}
		}
		params := op.PathParams()
		for _, p := range params {
			if !slices.Contains(known, p) {
				t.Errorf("%s: unknown path parameter %q", op.ID, p)
			}
		}
		seen := map[string]bool{}
		for _, p := range params {
			if seen[p] {
				t.Errorf("%s: path parameter %q repeated", op.ID, p)
			}
			seen[p] = true
		}
		switch op.Method {
		case "GET", "POST", "PATCH", "PUT", "DELETE":
		default:
			t.Errorf("%s: method %q", op.ID, op.Method)
		}
		if op.Source != Documented && op.Source != Inferred {
			t.Errorf("%s: source %q", op.ID, op.Source)
		}
		if op.Summary == "" || len(op.Result) == 0 {
			t.Errorf("%s: summary or result missing", op.ID)
		}
		if op.Method == "GET" && len(op.Body) > 0 {
			t.Errorf("%s: GET with body fields", op.ID)
		}
		for _, f := range append(slices.Clone(op.Query), op.Body...) {
			switch f.Type {
			case "string", "integer", "boolean", "array", "object":
			default:
				t.Errorf("%s: field %s has type %q", op.ID, f.Name, f.Type)
			}
			if f.Help == "" {
				t.Errorf("%s: field %s has no help", op.ID, f.Name)
			}
		}
	}
}

func TestSeedFacts(t *testing.T) {
	// Facts stated in the reference descriptions.
	net, _ := Lookup("createisolatednetwork")
	for _, name := range []string{"name", "network", "netmask", "gateway"} {
		if f, ok := net.BodyField(name); !ok || !f.Required {
			t.Errorf("createisolatednetwork: %s should be a required body field", name)
		}
	}
	fw, _ := Lookup("createfirewallinboundrule")
	if f, _ := fw.BodyField("protocol"); !slices.Equal(f.Enum, []string{"TCP", "UDP", "ICMP"}) {
		t.Errorf("protocol enum = %v", f.Enum)
	}
	app, _ := Lookup("createinstanceapplication")
	if f, _ := app.BodyField("instanceId"); !f.Required {
		t.Error("createinstanceapplication: instanceId must be required")
	}
	for _, name := range []string{"applicationId", "name", "tagId", "directory", "executable"} {
		if _, ok := app.BodyField(name); !ok {
			t.Errorf("createinstanceapplication: missing body field %s", name)
		}
	}
	var async []string
	for _, op := range Ops() {
		if op.Async {
			async = append(async, op.ID)
		}
	}
	want := []string{"createinstanceapplication", "updateinstanceapplication", "createremotedesktopsubscription", "retryfailedinstance"}
	if !slices.Equal(async, want) {
		t.Errorf("async operations = %v, want %v", async, want)
	}
}

func TestLookupIgnoresCase(t *testing.T) {
	op, ok := Lookup("ListIsolatedNetworks")
	if !ok || op.ID != "listisolatednetworks" {
		t.Fatalf("Lookup = %+v, %v", op, ok)
	}
	if _, ok := Lookup("nosuchoperation"); ok {
		t.Error("Lookup found an unknown id")
	}
}

func TestOpsReturnsIndependentCopies(t *testing.T) {
	a := Ops()
	a[0].Path = "/changed"
	a[0].Body[0].Name = "changed"
	a[len(a)-1].Result[0] = "changed"
	b := Ops()
	if b[0].Path == "/changed" || b[0].Body[0].Name == "changed" || b[len(b)-1].Result[0] == "changed" {
		t.Error("changes to one Ops() result leak into the next")
	}
	u1, _ := Lookup("listinstanceusers")
	u1.Result[0] = "changed"
	u2, _ := Lookup("updateinstanceuser")
	if u2.Result[0] == "changed" {
		t.Error("operations share a result slice")
	}
}

func TestExpand(t *testing.T) {
	op, _ := Lookup("listprivatenetworkipfromnic")
	if got := op.PathParams(); !slices.Equal(got, []string{"subscriptionId", "instanceId", "nicId"}) {
		t.Errorf("PathParams = %v", got)
	}
	p, err := op.Expand(map[string]string{"subscriptionId": "7201", "instanceId": "i-1:x", "nicId": "9"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "/api-gateway/servers/v1/subscriptions/7201/instances/i-1:x/nics/9/ips"; p != want {
		t.Errorf("Expand = %q, want %q", p, want)
	}
	// A value that would change the path is refused, never escaped and sent.
	for _, bad := range []string{"a/b", "..", ".", "%2e%2e", ".%2E", `a\b`, "a?b", "a#b", "a%2fb", "a\r\nb", " ", "a\u202eb"} {
		if p, err := op.Expand(map[string]string{"subscriptionId": "7201", "instanceId": bad, "nicId": "9"}); err == nil {
			t.Errorf("Expand(%q) = %q, want an error", bad, p)
		} else if !strings.Contains(err.Error(), "instanceId") {
			t.Errorf("Expand(%q): error %q does not name the parameter", bad, err)
		}
	}
	if _, err := op.Expand(map[string]string{"subscriptionId": "7201"}); err == nil || !strings.Contains(err.Error(), "instanceId") {
		t.Errorf("Expand with a missing value: err = %v", err)
	}
}

func TestCheckNameAllowsNames(t *testing.T) {
	for _, name := range []string{"Office / Madrid", "100% uptime", "R&D #2", "a.b"} {
		if err := CheckName(name); err != nil {
			t.Errorf("CheckName(%q): %v", name, err)
		}
	}
	for _, bad := range []string{"", "  ", ".", "..", "%2e%2E", "a\x1bb", "a\u2066b"} {
		if CheckName(bad) == nil {
			t.Errorf("CheckName(%q) accepted", bad)
		}
	}
}
