package output

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// decodeJSON decodes s the way API responses are decoded.
func decodeJSON(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return v
}

var goldenCases = []struct{ name, data string }{
	{"list", `[{"id":1,"name":"web-1","port":22,"active":true},{"id":2,"name":"db-1","port":5432,"active":false}]`},
	{"object", `{"name":"Web servers","code_name":"web_servers","id":7,"comments":"","ratio":0.75}`},
	{"nested", `[{"id":1,"tags":["a","b"],"meta":{"os":"linux","cpu":{"cores":4}},"empty":{},"none":[]}]`},
	{"nulls", `[{"id":1,"name":null,"note":"x"},{"id":2,"name":"n","note":null,"extra":null}]`},
	{"unicode", `[{"id":1,"name":"Zürich — 日本語 ✓","note":"émoji 🚀"},{"id":22,"name":"ascii","note":"ß"}]`},
	{"empty", `[]`},
	{"strings", `{"s_bool":"true","s_num":"123","s_null":"null","padded":"  padded ","multi":"line one\nline two","html":"<b> & \"q\"","esc":"bell\u0007 esc\u001b[31m","hash":"#x"}`},
	{"numbers", `{"big":12345678901234567890123,"exp":1e5,"neg":-0.5,"int":42,"float":1.50,"list":[0,-1,2.5E-3]}`},
	{"scalar", `"just text"`},
}

var goldenVariants = []struct {
	name string
	o    Options
}{
	{"table", Options{Format: Table}},
	{"table-tty", Options{Format: Table, TTY: true}},
	{"json", Options{Format: JSON}},
	{"json-tty", Options{Format: JSON, TTY: true}},
	{"yaml", Options{Format: YAML}},
	{"csv", Options{Format: CSV}},
	{"kv", Options{Format: KV}},
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		for _, v := range goldenVariants {
			t.Run(c.name+"/"+v.name, func(t *testing.T) {
				var b bytes.Buffer
				if err := Render(&b, decodeJSON(t, c.data), v.o); err != nil {
					t.Fatal(err)
				}
				// CSV and kv carry strings verbatim; the other formats must
				// never let an escape character through (colour or data).
				if v.o.Format != CSV && v.o.Format != KV && bytes.Contains(b.Bytes(), []byte("\x1b")) {
					t.Errorf("output holds an escape character: %q", b.String())
				}
				checkGolden(t, c.name+"."+v.name, b.Bytes())
			})
		}
	}
}

func TestGoldenColor(t *testing.T) {
	for _, c := range []string{"list", "nested"} {
		data := ""
		for _, gc := range goldenCases {
			if gc.name == c {
				data = gc.data
			}
		}
		for _, f := range []Format{JSON, Table} {
			t.Run(c+"/"+string(f), func(t *testing.T) {
				var b bytes.Buffer
				if err := Render(&b, decodeJSON(t, data), Options{Format: f, TTY: true, Color: true}); err != nil {
					t.Fatal(err)
				}
				if !bytes.Contains(b.Bytes(), []byte("\x1b[")) {
					t.Errorf("no colour in %q", b.String())
				}
				checkGolden(t, c+"."+string(f)+"-color", b.Bytes())
			})
		}
	}
}
