package virtomize_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/infractl/infra/pkg/api/request"
	vcat "github.com/infractl/infra/pkg/catalog/virtomize"
)

// referenceFile is the appliance's API reference as the vendor publishes it: the document the operation table is
// transcribed from, and the oracle the table is checked against.
const referenceFile = "testdata/virtomize-appliance-api.txt"

// reference is what the reference document says: its operations ("METHOD /path/:key", each once, in document
// order) and, per operation, its parameter table (name -> "type required").
type reference struct {
	ops    []string
	params map[string]map[string]string
}

// readReference reads every "HTTP Request" section: the line of operations after it (one or more "METHOD /path"
// pairs) and the "Name Type Description Required" table that may follow, up to the next blank line.
func readReference(t *testing.T) reference {
	t.Helper()
	b, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	next := func(i int) int {
		for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
			i++
		}
		return i
	}
	ref := reference{params: map[string]map[string]string{}}
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "HTTP Request" {
			continue
		}
		i = next(i + 1)
		words := strings.Fields(lines[i])
		var ops []string
		for k := 0; k+1 < len(words); k += 2 {
			op := words[k] + " " + words[k+1]
			ops = append(ops, op)
			if !slices.Contains(ref.ops, op) {
				ref.ops = append(ref.ops, op)
			}
		}
		if i = next(i + 1); i >= len(lines) || strings.TrimSpace(lines[i]) != "Name Type Description Required" {
			continue
		}
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			f := strings.Fields(lines[i])
			for _, op := range ops {
				if ref.params[op] == nil {
					ref.params[op] = map[string]string{}
				}
				ref.params[op][f[0]] = f[1] + " " + f[len(f)-1]
			}
		}
	}
	if len(ref.ops) < 100 {
		t.Fatalf("%s: only %d operations read; has the document's layout changed?", referenceFile, len(ref.ops))
	}
	return ref
}

// notOffered are operations of the reference that have no command, and why.
var notOffered = map[string]string{
	"GET /token": "it takes the password in the URL query; POST /token sends the same form in the body",
}

// TestTableIsTheReference: the operation table declares each operation of the reference exactly once, and nothing
// else.
func TestTableIsTheReference(t *testing.T) {
	table := vcat.Operations()
	for i, op := range table {
		if slices.Contains(table[:i], op) {
			t.Errorf("%s is declared twice", op)
		}
	}
	ref := readReference(t)
	for _, op := range ref.ops {
		if _, skip := notOffered[op]; !skip && !slices.Contains(table, op) {
			t.Errorf("%s: in the reference, not in the table", op)
		}
	}
	for _, op := range table {
		if !slices.Contains(ref.ops, op) {
			t.Errorf("%s: in the table, not in the reference", op)
		}
		if why, ok := notOffered[op]; ok {
			t.Errorf("%s is in the table, but is listed as not offered (%s)", op, why)
		}
	}
}

// TestSecretsAreNotFlags: the password parameters never become flags; SecretField hands each one the reference
// lists to the command layer instead.
func TestSecretsAreNotFlags(t *testing.T) {
	var secret []string
	vcat.Root().Walk(func(p []string, op *request.Op) {
		for _, f := range append(append([]request.Field{}, op.Body...), op.Query...) {
			if f.Name == "password" {
				t.Errorf("%s: password is a flag", strings.Join(p, " "))
			}
		}
		if f, ok := vcat.SecretField(op); ok && f.Name == "password" {
			secret = append(secret, op.Method+" "+op.Path)
		}
	})
	var want []string
	for op, params := range readReference(t).params {
		if _, ok := params["password"]; ok {
			method, path, _ := strings.Cut(op, " ")
			want = append(want, method+" "+keyParam.ReplaceAllString(path, "{$1}"))
		}
	}
	slices.Sort(secret)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(secret, want) {
		t.Errorf("secret parameters on %v, want %v", secret, want)
	}
}
