package jotelulusim

import (
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/infractl/infra/pkg/api/jotelulu"
)

// The published operation catalog (one "operationId<TAB>title" per line) and the page quotes that document six
// methods and paths, as kept with the client.
const (
	catalogFile  = "../../../pkg/api/jotelulu/testdata/jotelulu-operations.txt"
	evidenceFile = "../../../pkg/api/jotelulu/testdata/jotelulu-evidence.md"
)

func readCatalog(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(catalogFile)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range strings.Split(string(b), "\n") {
		if id, _, _ := strings.Cut(strings.TrimSpace(l), "\t"); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// documentedRoutes returns the "METHOD /path" pairs of the evidence's table of documented operations.
func documentedRoutes(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(evidenceFile)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\|[^|]*\| (GET|POST|PUT|PATCH|DELETE) (/api-gateway/[^ |]+)`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1]+" "+m[2])
	}
	if len(out) != 6 {
		t.Fatalf("%s: %d documented routes, want 6", evidenceFile, len(out))
	}
	slices.Sort(out)
	return out
}

// TestTableServesTheCatalog: every operation of the published catalog is in the simulator's table, and a request at
// its method and path is routed to that operation (no other route shadows it); the table has nothing else.
func TestTableServesTheCatalog(t *testing.T) {
	ids := readCatalog(t)
	ops := Operations()
	if len(ops) != len(ids) {
		t.Errorf("the table has %d operations, the catalog %d", len(ops), len(ids))
	}
	sim := New(Options{})
	for _, id := range ids {
		i := slices.IndexFunc(ops, func(o Op) bool { return o.ID == id })
		if i < 0 {
			t.Errorf("%s: not in the simulator's table", id)
			continue
		}
		op := ops[i]
		if op.handle == nil {
			t.Errorf("%s: no handler", id)
		}
		path := regexp.MustCompile(`\{[A-Za-z]+\}`).ReplaceAllString(op.Path, "p1")
		sim.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(op.Method, path, nil))
		if n := sim.Calls(id); n != 1 {
			t.Errorf("%s %s: routed to %s %d times, want once", op.Method, path, id, n)
		}
	}
	var documented []string
	for _, op := range ops {
		if op.Documented {
			documented = append(documented, op.Method+" "+op.Path)
		}
	}
	slices.Sort(documented)
	if want := documentedRoutes(t); !slices.Equal(documented, want) {
		t.Errorf("documented routes of the table:\n%v\nthe evidence documents:\n%v", documented, want)
	}
}

// TestClientAgreesWithTheSimulator compares two independent transcriptions of the same evidence: the client's
// operation table (pkg/api/jotelulu) and the simulator's. Method, path, documented or inferred, query parameters and
// body fields must agree for every operation of the catalog.
func TestClientAgreesWithTheSimulator(t *testing.T) {
	for _, id := range readCatalog(t) {
		mine := slices.IndexFunc(Operations(), func(o Op) bool { return o.ID == id })
		theirs, ok := jotelulu.Lookup(id)
		if mine < 0 || !ok {
			t.Errorf("%s: simulator has it %v, client has it %v", id, mine >= 0, ok)
			continue
		}
		sim := Operations()[mine]
		if got, want := theirs.Method+" "+theirs.Path, sim.Method+" "+sim.Path; got != want {
			t.Errorf("%s: the client sends %s, the simulator serves %s", id, got, want)
		}
		if (theirs.Source == jotelulu.Documented) != sim.Documented {
			t.Errorf("%s: the client says %s, the simulator documented=%v", id, theirs.Source, sim.Documented)
		}
		if got, want := clientFields(theirs.Query), simFields(sim.Query); got != want {
			t.Errorf("%s query:\n client    %s\n simulator %s", id, got, want)
		}
		if got, want := clientFields(theirs.Body), simFields(sim.Body); got != want {
			t.Errorf("%s body:\n client    %s\n simulator %s", id, got, want)
		}
	}
}

func clientFields(fs []jotelulu.Field) string {
	var out []string
	for _, f := range fs {
		out = append(out, fieldKey(f.Name, f.Type, f.Required, f.Enum))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func simFields(fs []Field) string {
	var out []string
	for _, f := range fs {
		out = append(out, fieldKey(f.Name, f.Type, f.Required, f.Enum))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func fieldKey(name, typ string, req bool, enum []string) string {
	return fmt.Sprintf("%s:%s:%v:%s", name, typ, req, strings.Join(enum, "|"))
}
