package output

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestBuiltinFormatsInDocumentedOrder(t *testing.T) {
	if got, want := Names(), []string{"table", "json", "yaml", "csv", "kv", "wide"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	if got := NameList(); got != "table, json, yaml, csv, kv or wide" {
		t.Errorf("NameList() = %q", got)
	}
	for f, want := range map[Format]bool{Table: true, CSV: true, Wide: true, JSON: false, YAML: false, KV: false, "": true} {
		if got := (Options{Format: f}).Tabular(); got != want {
			t.Errorf("%q tabular: %v, want %v", f, got, want)
		}
	}
	if (Options{Format: Table, JQ: "."}).Tabular() || (Options{Format: CSV, Template: "{{.}}"}).Tabular() {
		t.Error("--jq and --template replace the format: the output is not tabular")
	}
}

// TestRegisteredFormat: a format declared with Register alone is parsed, described, rendered and streamed; without a
// stream of its own, NewStream collects the items and renders them on Close, and NewListStream declines.
func TestRegisteredFormat(t *testing.T) {
	remove := Register(Spec{Name: "count", Help: "the number of items", Tabular: true, Render: func(w io.Writer, v any, _ Options) error {
		l, _ := v.([]any)
		_, err := fmt.Fprintf(w, "%d items\n", len(l))
		return err
	}})
	defer remove()
	f, err := ParseFormat(" COUNT ")
	if err != nil || f != "count" || Describe(f) != "the number of items" || !(Options{Format: f}).Tabular() {
		t.Fatalf("ParseFormat: %q, %v; description %q", f, err, Describe(f))
	}
	if !strings.HasSuffix(NameList(), ", kv, wide or count") {
		t.Errorf("NameList() = %q", NameList())
	}
	var b bytes.Buffer
	if err := Render(&b, []string{"a", "b"}, Options{Format: f}); err != nil || b.String() != "2 items\n" {
		t.Errorf("Render: %q, %v", b.String(), err)
	}
	b.Reset()
	s, err := NewStream(&b, Options{Format: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range []string{"a", "b", "c"} {
		if err := s.Write(item); err != nil {
			t.Fatal(err)
		}
	}
	if b.Len() != 0 {
		t.Errorf("written before Close: %q", b.String())
	}
	if err := s.Close(); err != nil || b.String() != "3 items\n" {
		t.Errorf("stream: %q, %v", b.String(), err)
	}
	if NewListStream(&b, Options{Format: f}) != nil {
		t.Error("NewListStream streams a format that has no List")
	}

	remove()
	if _, err := ParseFormat("count"); err == nil || !strings.Contains(err.Error(), "valid formats are table, json, yaml, csv, kv") {
		t.Errorf("after removal: %v", err)
	}
}

func TestRegisterRefusesBadDeclarations(t *testing.T) {
	render := func(io.Writer, any, Options) error { return nil }
	for name, s := range map[string]Spec{
		"taken":     {Name: JSON, Render: render},
		"no name":   {Render: render},
		"no render": {Name: "x"},
		"upper":     {Name: "XML", Render: render},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Register accepted %+v", name, s)
				}
			}()
			Register(s)
		}()
	}
}
