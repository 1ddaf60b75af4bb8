package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/output"
)

// TestNewFormatIsOneRegistration: a format is one declaration given to output.Register (the built-in ones are listed
// in pkg/output/registry.go); -o, the output setting, their validation, the flag help and `infra help formats` all
// take it from there, with no other edit.
func TestNewFormatIsOneRegistration(t *testing.T) {
	unregister := output.Register(output.Spec{
		Name: "upper",
		Help: "every value in capitals (a format registered by this test)",
		Render: func(w io.Writer, v any, _ output.Options) error {
			_, err := fmt.Fprintln(w, strings.ToUpper(fmt.Sprint(v)))
			return err
		},
	})
	t.Cleanup(unregister)
	dir := t.TempDir()
	run := func(env map[string]string, args ...string) (int, string) {
		t.Helper()
		ios, _, out, errOut := cmdutil.Test()
		f := cmdutil.New(ios, cmdutil.BuildInfo{Version: "1.2.3", Commit: "abc", Date: "2025-01-01"}, func(k string) string {
			if k == "INFRA_CONFIG_DIR" {
				return dir
			}
			return env[k]
		})
		code := Run(context.Background(), f, args)
		return code, out.String() + errOut.String()
	}

	if code, out := run(nil, "version", "-o", "upper"); code != 0 || out != "MAP[COMMIT:ABC DATE:2025-01-01 VERSION:1.2.3]\n" {
		t.Errorf("-o upper: exit %d, output %q", code, out)
	}
	// As the output setting, the format is checked by the configuration and picks the output.
	if code, out := run(map[string]string{"INFRA_OUTPUT": "upper"}, "config", "list"); code != 0 || !strings.HasPrefix(out, "[MAP[") ||
		!strings.Contains(out, " MAP[KEY:OUTPUT SOURCE:ENV INFRA_OUTPUT VALUE:UPPER] ") {
		t.Errorf("INFRA_OUTPUT=upper: exit %d, output %q", code, out)
	}
	if _, out := run(nil, "version", "--help"); !strings.Contains(out, "output format: table, json, yaml, csv, kv, wide or upper (default table)") {
		t.Errorf("the -o help does not list the format:\n%s", out)
	}
	if _, out := run(nil, "help", "formats"); !strings.Contains(out, "\n  upper  every value in capitals (a format registered by this test)\n") {
		t.Errorf("help formats does not describe the format:\n%s", out)
	}

	unregister()
	if code, out := run(nil, "version", "-o", "upper"); code != cmdutil.ExitUsage || !strings.Contains(out, `"upper" is not valid (use table, json, yaml, csv, kv, wide)`) {
		t.Errorf("-o upper once removed: exit %d, output %q", code, out)
	}
}
