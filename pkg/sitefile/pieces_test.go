package sitefile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// pieceFiles are site files laid out as export writes them (read a piece at a time) and files that are not, or whose
// pieces do not read alone (read whole).
var pieceFiles = []struct {
	text   string
	pieces bool
}{
	{"", true},
	{"# only a comment\n\n", true},
	{"jump-group:\n  - name: A\n    comments: x\n  - name: B\n", true},
	{"jump-group:\n- name: A\n- name: B\njumpoint:\n- name: J\n", true},
	{"# header\njump-group: # the groups\n  # first\n  - name: A\n\n# between\n  - name: B\n    comments: |+\n      two\n\n\n  - name: C\n", true},
	{"jump-group: []\njumpoint:\njump-item/shell-jump: null\n", true},
	{"jump-group:\n  - name: A\n    bogus: 1\n  - name: a\n  - name: A\nnope:\n  - x: 1\n", true},
	{"jump-group:\n  - name: A\n    comments: 'it''s'\n  - name: \"B\"\n    comments: \"multi\n      line\"\n", true},
	{"jump-group:\n  - name: A\n    comments: [1,\n      2]\n", true},
	{"jump-group:\n  - &a\n    name: A\n  - *a\n", true},                       // entries are read together
	{"jump-group:\n  - &a\n    name: A\njumpoint:\n  - *a\n", false},           // an alias to another piece's anchor
	{"jump-group:\n  - name: A\n    comments: \"open\n  - name: B\"\n", false}, // a quoted scalar across pieces
	{"jump-group:\n  - name: A\n    comments: [a,\n  - b]\n", false},
	{"jump-group:\n  - name: A\n comments: x\n", false},
	{"jump-group:\n  - name: A\n- name: B\n", false},
	{"{jump-group: [{name: A}]}\n", false},
	{"jump-group: [{name: A}]\n{jumpoint: []}\n", false},
	{"- name: A\n", false},
	{"---\njump-group:\n  - name: A\n", false},
	{"jump-group:\n  - name: A\n---\njumpoint: []\n", false},
	{"%YAML 1.2\n---\njump-group: []\n", false},
	{"jump-group:\n\t- name: A\n", false},
	{"jump-group:\r\n  - name: A\r\n", false},
	{"  jump-group:\n  - name: A\n", false},
	{"jump-group: x\n  - name: A\n", false},
	{"jump-group: &g\n  - name: A\n", false},
	{"jump-group: [\n", false},
	{"just a scalar\n", false},
	{"jump-group:\n  - name: A\n    name: B\n  - name: C\n    comments: {a: 1, a: 2}\n", true},
	{"setting:\n  a: 1\n  list:\n    - x\n", false},
}

func TestPiecesReadAsTheWholeFile(t *testing.T) {
	c := praCatalog()
	for _, f := range pieceFiles {
		data := []byte(f.text)
		_, _, ok := c.parsePieces("f.yaml", bytesOpener(data))
		if ok != f.pieces {
			t.Errorf("%q: read in pieces %v, want %v", f.text, ok, f.pieces)
		}
		doc, err := c.Parse("f.yaml", data)
		wdoc, werr := c.parseWhole("f.yaml", data)
		if fmt.Sprint(err) != fmt.Sprint(werr) || !sameDocument(doc, wdoc) {
			t.Errorf("%q:\npieces: %v %+v\nwhole:  %v %+v", f.text, err, doc, werr, wdoc)
		}
	}
}

func TestPiecesOfAnExport(t *testing.T) {
	c := praCatalog()
	be := bigSite(300)
	kinds := []string{"jump-group", "jumpoint", "jump-item/shell-jump", "user"}
	site, err := c.Read(context.Background(), be, kinds, ReadOptions{AllAssocs: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := site.Export(&buf, kinds, "a header\nof two lines"); err != nil {
		t.Fatal(err)
	}
	// The export, and the export with a problem in its last object (read whole: the same problems).
	for _, text := range []string{buf.String(), buf.String() + "  - username: x\n    bogus: [\n"} {
		doc, err := c.Parse("site.yaml", []byte(text))
		wdoc, werr := c.parseWhole("site.yaml", []byte(text))
		if fmt.Sprint(err) != fmt.Sprint(werr) || !sameDocument(doc, wdoc) {
			t.Fatalf("pieces and whole differ: %v / %v", err, werr)
		}
	}
	if _, _, ok := c.parsePieces("site.yaml", bytesOpener(buf.Bytes())); !ok {
		t.Error("an export is not read in pieces")
	}
	if n := strings.Count(buf.String(), "\n  - "); n < 300 {
		t.Errorf("%d objects exported", n)
	}
}

// FuzzPieces: a file read in pieces gives the document and problems of the whole read.
func FuzzPieces(f *testing.F) {
	for _, pf := range pieceFiles {
		f.Add(pf.text)
	}
	c := praCatalog()
	f.Fuzz(func(t *testing.T, text string) {
		doc, err, ok := c.parsePieces("f.yaml", bytesOpener([]byte(text)))
		if !ok {
			return
		}
		wdoc, werr := c.parseWhole("f.yaml", []byte(text))
		if fmt.Sprint(err) != fmt.Sprint(werr) || !sameDocument(doc, wdoc) {
			t.Errorf("%q:\npieces: %v %+v\nwhole:  %v %+v", text, err, doc, werr, wdoc)
		}
	})
}

// sameDocument reports whether two documents declare the same kinds and names and give the same objects.
func sameDocument(a, b *Document) bool {
	if a == nil || b == nil {
		return a == b
	}
	objects := func(d *Document) []*Object { return slices.Collect(d.Objects()) }
	return a.File == b.File && reflect.DeepEqual(a.Kinds, b.Kinds) && reflect.DeepEqual(a.names, b.names) &&
		reflect.DeepEqual(a.withAssocs, b.withAssocs) && reflect.DeepEqual(objects(a), objects(b))
}

func TestObjectsOfAFileReadInPieces(t *testing.T) {
	c := praCatalog()
	file := "jump-group:\n  - name: A\n  - name: B\n    bogus: 1\n  - name: a\n  - name: C\n"
	doc, err := c.Parse("f.yaml", []byte(file))
	if err == nil || doc.open == nil || doc.objects != nil {
		t.Fatalf("want problems and a document read in pieces, got %v", err)
	}
	var names []string
	for o := range doc.Objects() {
		names = append(names, fmt.Sprintf("%s:%d", o.Name, o.Line))
	}
	// B has a problem, the second A is declared twice: neither is an object.
	if got := strings.Join(names, " "); got != "A:2 C:6" {
		t.Errorf("objects %s", got)
	}
	for o := range doc.Objects() { // stopping early
		if o.Name != "A" {
			t.Errorf("first object %s", o.Name)
		}
		break
	}
}

func TestParseFileReadsTheFileAgain(t *testing.T) {
	c := praCatalog()
	be := seeded()
	path := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(path, []byte("jump-group:\n  - name: Prod\n    comments: changed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := c.ParseFile(path)
	if err != nil || doc.File != "site.yaml" || doc.open == nil {
		t.Fatalf("ParseFile: %v %+v", err, doc)
	}
	site, err := c.Read(context.Background(), be, doc.Kinds, ReadOptions{Doc: doc})
	if err != nil {
		t.Fatal(err)
	}
	if plan, err := site.Diff(doc, false); err != nil || plan.Update != 1 {
		t.Fatalf("plan %+v, %v", plan, err)
	}
	// Changed between the first read and the plan: no plan.
	if err := os.WriteFile(path, []byte("jump-group:\n  - name: Prod\n    comments: other\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if plan, err := site.Diff(doc, false); err == nil || !strings.Contains(err.Error(), "site.yaml changed while it was read") {
		t.Errorf("plan of a changed file: %+v, %v", plan, err)
	}
	// A file that cannot be read is an error, not Problems.
	_, err = c.ParseFile(filepath.Join(t.TempDir(), "missing.yaml"))
	var ps Problems
	if err == nil || errors.As(err, &ps) || !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
	// A pipe is read once, and held.
	if pr, pw, err := os.Pipe(); err == nil && runtime.GOOS != "windows" {
		go func() {
			_, _ = pw.Write([]byte("jump-group:\n  - name: Prod\n    comments: changed\n"))
			pw.Close()
		}()
		doc, err := c.ParseFile(fmt.Sprintf("/dev/fd/%d", pr.Fd()))
		pr.Close()
		if err != nil || len(slices.Collect(doc.Objects())) != 1 || doc.Err() != nil {
			t.Errorf("pipe: %v %+v", err, doc)
		}
	}
	// A file not laid out as export writes it is read whole, as Parse does.
	if err := os.WriteFile(path, []byte("{jump-group: [{name: Prod}]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err = c.ParseFile(path)
	if err != nil || doc.open != nil || len(slices.Collect(doc.Objects())) != 1 {
		t.Errorf("flow style file: %v %+v", err, doc)
	}
}
