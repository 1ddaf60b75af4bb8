package cmdutil

import (
	"errors"
	"testing"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/output"
)

// TestResolveOutputPrecedence: -K, then -o, then the output setting (here INFRA_OUTPUT), then the command's declared
// default, then table.
func TestResolveOutputPrecedence(t *testing.T) {
	cases := []struct {
		name       string
		flag, env  string
		kvOut      bool
		def        output.Format
		want       output.Format
		wantStrict bool // explicit: --jq with another format is refused
	}{
		{name: "nothing", want: output.Table},
		{name: "declared default", def: output.JSON, want: output.JSON},
		{name: "setting beats default", env: "yaml", def: output.JSON, want: output.YAML},
		{name: "flag beats setting", flag: "CSV", env: "yaml", def: output.JSON, want: output.CSV, wantStrict: true},
		{name: "-K beats flag", flag: "json", kvOut: true, want: output.KV, wantStrict: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := testFactory(t, map[string]string{"INFRA_OUTPUT": tc.env})
			f.G.Output, f.G.KVOut, f.G.JQ = tc.flag, tc.kvOut, "."
			if tc.flag != "" {
				f.G.Changed["output"] = tc.flag
			}
			c := &cobra.Command{Use: "x"}
			if tc.def != "" {
				SetDefaultFormat(c, tc.def)
			}
			f.ResolveOutput(c)
			o, err := f.OutputOptions([]string{"id"})
			if err != nil || o.Format != tc.want || len(o.Columns) != 1 {
				t.Fatalf("got %+v, %v; want format %q", o, err, tc.want)
			}
			// Resolved once: later changes to the flags do not move it.
			f.G.Output, f.G.JQ = "kv", ""
			if o2, _ := f.OutputOptions(nil); o2.Format != tc.want || o2.JQ != "." {
				t.Errorf("resolved again: %+v", o2)
			}
			if err := f.ValidateOutput(); (err != nil) != (tc.wantStrict && tc.want != output.JSON) {
				t.Errorf("--jq with %q: %v", tc.want, err)
			}
		})
	}
}

// TestResolveOutputKeepsErrors: an invalid setting does not stop ResolveOutput (a command that prints nothing runs);
// it is the usage error of every later OutputOptions and ValidateOutput.
func TestResolveOutputKeepsErrors(t *testing.T) {
	f := testFactory(t, map[string]string{"INFRA_OUTPUT": "xml"})
	f.ResolveOutput(&cobra.Command{Use: "x"})
	_, err := f.OutputOptions(nil)
	var ue *api.UsageError
	if !errors.As(err, &ue) || !errors.Is(f.ValidateOutput(), err) {
		t.Errorf("OutputOptions: %v; ValidateOutput: %v", err, f.ValidateOutput())
	}
}

func testFactory(t *testing.T, env map[string]string) *Factory {
	dir := t.TempDir()
	ios, _, _, _ := Test()
	return New(ios, BuildInfo{Version: "t"}, func(k string) string {
		if k == "INFRA_CONFIG_DIR" {
			return dir
		}
		return env[k]
	})
}
