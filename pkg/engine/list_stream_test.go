package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/engine"
	"github.com/infractl/infra/pkg/output"
)

// pagedBackend delivers n items, calling seen after each, then fails with err (when set).
type pagedBackend struct {
	n    int
	err  error
	seen func(i int)
}

func (b *pagedBackend) Invoke(context.Context, *request.Call) (any, error) {
	return nil, errors.New("unused")
}

func (b *pagedBackend) List(_ context.Context, _ *request.Call, _ request.ListOptions, each func(any) error) error {
	for i := 0; i < b.n; i++ {
		if err := each(map[string]any{"id": fmt.Sprint(i), "name": fmt.Sprintf("item %d", i)}); err != nil {
			return err
		}
		if b.seen != nil {
			b.seen(i)
		}
	}
	return b.err
}

// listCmd runs "thing list" over be in the given format; ready, when set, receives the output buffer before the
// command runs.
func listCmd(t *testing.T, be request.Backend, format string, ready func(*bytes.Buffer)) (*bytes.Buffer, error) {
	t.Helper()
	t.Setenv("INFRA_CONFIG_DIR", t.TempDir())
	ios, _, out, _ := cmdutil.Test()
	if ready != nil {
		ready(out)
	}
	f := cmdutil.New(ios, cmdutil.BuildInfo{Version: "t"}, func(string) string { return "" })
	f.G.Output = format // as -o FORMAT
	env := &engine.Env{F: f, Noun: "Test", Backend: func(context.Context) (request.Backend, error) { return be, nil }}
	c := env.OpCommand(&request.Op{Name: "list", Method: "GET", Path: "/things", Kind: request.KindList, Columns: []string{"id", "name"}}, "thing")
	c.SetArgs([]string{})
	c.SilenceErrors, c.SilenceUsage = true, true
	return out, c.ExecuteContext(context.Background())
}

// TestListStreamsAsItemsArrive: in the formats that stream, items reach the output while the list is still being
// read (so memory does not grow with it), and the whole output is what rendering the whole list gives.
func TestListStreamsAsItemsArrive(t *testing.T) {
	const n = 5000
	for _, format := range []string{"json", "csv", "kv", "yaml"} {
		var out *bytes.Buffer
		written := -1
		be := &pagedBackend{n: n, seen: func(i int) {
			if written < 0 && out.Len() > 0 {
				written = i
			}
		}}
		_, err := listCmd(t, be, format, func(b *bytes.Buffer) { out = b })
		if err != nil {
			t.Fatal(err)
		}
		if written < 0 || written > n/2 {
			t.Errorf("%s: the first bytes came out after item %d of %d", format, written, n)
		}
		var items []any
		for i := 0; i < n; i++ {
			items = append(items, map[string]any{"id": fmt.Sprint(i), "name": fmt.Sprintf("item %d", i)})
		}
		var want bytes.Buffer
		if err := output.Render(&want, items, output.Options{Format: output.Format(format), Columns: []string{"id", "name"}}); err != nil {
			t.Fatal(err)
		}
		if out.String() != want.String() {
			t.Errorf("%s: streamed output differs from the rendered list (%d and %d bytes)", format, out.Len(), want.Len())
		}
	}
}

// TestListCutByAnError: the command fails with the list's error; the items read are on stdout, and a JSON array is
// left open so that it cannot pass for the whole list. With no item, nothing is written.
func TestListCutByAnError(t *testing.T) {
	boom := errors.New("page 3: connection reset")
	out, err := listCmd(t, &pagedBackend{n: 250, err: boom}, "json", nil)
	if !errors.Is(err, boom) {
		t.Fatalf("got error %v, want %v", err, boom)
	}
	s := out.String()
	if !strings.HasPrefix(s, `[{"id":"0","name":"item 0"},`) || !strings.HasSuffix(s, `{"id":"249","name":"item 249"}`) {
		t.Errorf("output after the error: %.60q … %q", s, s[max(0, len(s)-40):])
	}
	out, err = listCmd(t, &pagedBackend{n: 0, err: boom}, "csv", nil)
	if !errors.Is(err, boom) || out.Len() != 0 {
		t.Errorf("no item: got %q, %v", out.String(), err)
	}
	// Table output still holds the rows and prints nothing when the list fails.
	out, err = listCmd(t, &pagedBackend{n: 10, err: boom}, "table", nil)
	if !errors.Is(err, boom) || out.Len() != 0 {
		t.Errorf("table: got %q, %v", out.String(), err)
	}
}
