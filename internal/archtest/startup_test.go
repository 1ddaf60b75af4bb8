package archtest

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// startPackages are the packages whose package-level variables are built on first use (sync.OnceValue) rather than
// before main: every invocation links them, so what their variables compute is paid by `infra --version` too
// (docs/benchmarks.md, "Start-up").
var startPackages = []string{
	"cmd", "cmd/jotelulu", "cmd/virtomize", "cmd/sitefilecmd",
	"pkg/api", "pkg/api/jotelulu", "pkg/api/virtomize", "pkg/api/request",
	"pkg/bulk", "pkg/catalog/jotelulu", "pkg/catalog/pra", "pkg/catalog/virtomize", "pkg/cmdutil",
	"pkg/config", "pkg/config/secrets", "pkg/engine", "pkg/events", "pkg/kv", "pkg/mcp", "pkg/output",
	"pkg/progress", "pkg/sandbox", "pkg/sitefile", "pkg/termsafe",
	"internal/fsutil", "internal/textdist",
	"internal/sim/faults", "internal/sim/jotelulusim", "internal/sim/prasim", "internal/sim/praxmlsim",
	"internal/sim/simutil", "internal/sim/virtomizesim",
}

// startWork names what a package-level initialiser computes before main that this rule keeps off the start path:
// regular expressions and templates compiled, map literals built, functions called on the spot, init functions.
func startWork(fset *token.FileSet, f *ast.File) []string {
	var found []string
	at := func(n ast.Node, what string) {
		found = append(found, fmt.Sprintf("%s: %s", fset.Position(n.Pos()), what))
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "init" {
			at(fd, "func init")
			continue
		}
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, v := range vs.Values {
				name := vs.Names[min(i, len(vs.Names)-1)].Name
				ast.Inspect(v, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.FuncLit:
						return false // runs when called, e.g. by sync.OnceValue on first use
					case *ast.CallExpr:
						if _, ok := n.Fun.(*ast.FuncLit); ok {
							at(n, name+": function literal called at package level")
							return false
						}
						if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
							if x, ok := sel.X.(*ast.Ident); ok && (x.Name == "regexp" || x.Name == "template") {
								at(n, name+": "+x.Name+"."+sel.Sel.Name+" at package level")
							}
						}
					case *ast.CompositeLit:
						if _, ok := n.Type.(*ast.MapType); ok && len(n.Elts) > 0 {
							at(n, name+": map literal at package level")
						}
					}
					return true
				})
			}
		}
	}
	return found
}

// TestNoStartWorkAtPackageLevel keeps regexps, templates and maps out of the package-level initialisers of the
// packages every invocation runs: wrap them in sync.OnceValue (or a function) so they are built when first used.
func TestNoStartWorkAtPackageLevel(t *testing.T) {
	fset := token.NewFileSet()
	for _, dir := range startPackages {
		files, err := filepath.Glob(filepath.Join("../..", dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v): update startPackages", dir, err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range startWork(fset, f) {
				t.Errorf("%s (build it on first use, e.g. with sync.OnceValue)", w)
			}
		}
	}
}

// The rule itself must see what it forbids.
func TestStartWorkDetects(t *testing.T) {
	src := `package p
import ("regexp"; "sync")
var a = regexp.MustCompile("x")
var b = map[string]int{"x": 1}
var c = func() int { return 1 }()
var d = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("x") })
var e = map[string]int{}
var f = []string{"x"}
func init() {}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(startWork(fset, f), "\n")
	for _, want := range []string{"p.go:3:9: a: regexp.MustCompile", "p.go:4:9: b: map literal", "p.go:5:9: c: function literal", "p.go:9:1: func init"} {
		if !strings.Contains(got, want) {
			t.Errorf("not detected: %s\nfound:\n%s", want, got)
		}
	}
	if n := len(startWork(fset, f)); n != 4 {
		t.Errorf("found %d, want 4 (d, e and f are allowed):\n%s", n, got)
	}
}

// moduleInitBudget bounds the bytes allocated by this module's package initialisers in `infra --version`
// (GODEBUG=inittrace=1). Before the start-up work they allocated about 60 KB; a regexp or a map of a few dozen
// entries built before main again would exceed the budget.
const moduleInitBudget = 16 << 10

// TestModuleInitAllocations builds the binary and reads the runtime's own trace of package initialisation: the
// count is of allocations, so it does not depend on the machine's speed or load.
func TestModuleInitAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "infra")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../.."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := exec.Command(bin, "--version")
	run.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	run.Stderr = &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("infra --version: %v\n%s", err, stderr.String())
	}
	total, pkgs := 0, 0
	var lines []string
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		// init github.com/infractl/infra/cmd @10 ms, 0.038 ms clock, 14456 bytes, 187 allocs
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[0] != "init" || !strings.HasPrefix(f[1], module) {
			continue
		}
		n, err := strconv.Atoi(f[7])
		if err != nil || f[8] != "bytes," {
			t.Fatalf("unexpected inittrace line %q", sc.Text())
		}
		total += n
		pkgs++
		lines = append(lines, sc.Text())
	}
	if pkgs == 0 {
		t.Fatalf("no inittrace line for %s packages:\n%s", module, stderr.String())
	}
	if total > moduleInitBudget {
		t.Errorf("this module's package initialisers allocate %d bytes before main, budget %d:\n%s",
			total, moduleInitBudget, strings.Join(lines, "\n"))
	}
}
