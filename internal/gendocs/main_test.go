package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestManPagesKeepUnderscores(t *testing.T) {
	dir := t.TempDir()
	if err := run(dir, ""); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "man", "infra-auth-login.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BT_CLIENT_SECRET", "BT_API_HOST", "INFRA_*", "NO_COLOR"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("infra-auth-login.1 lost %q (underscores read as emphasis)", want)
		}
	}
	if strings.Contains(string(page), `\_`) {
		t.Error("infra-auth-login.1 shows escaped underscores")
	}
	for _, topic := range []string{"exit-codes", "environment", "formats", "kv"} {
		for _, p := range []string{filepath.Join("man", "infra-"+topic+".1"), filepath.Join("cli", "infra_"+topic+".md")} {
			b, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				t.Errorf("help topic %s: %v", topic, err)
			} else if len(b) < 200 {
				t.Errorf("%s is nearly empty", p)
			}
		}
	}
}

func TestEscapeUnderscores(t *testing.T) {
	for in, want := range map[string]string{
		"BT_CLIENT_SECRET, INFRA_*": `BT\_CLIENT\_SECRET, INFRA\_*`,
		"use `BT_API_HOST` here":    "use `BT_API_HOST` here",
		"    code_line stays":       "    code_line stays",
		"a_b\n    c_d\ne_f":         "a\\_b\n    c_d\ne\\_f",
	} {
		if got := escapeUnderscores(in); got != want {
			t.Errorf("escapeUnderscores(%q) = %q, want %q", in, got, want)
		}
	}
}
