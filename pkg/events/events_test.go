package events

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeItems serves a fixed report.
type fakeItems struct{ items []map[string]any }

func (f *fakeItems) Next() (map[string]any, error) {
	if len(f.items) == 0 {
		return nil, io.EOF
	}
	it := f.items[0]
	f.items = f.items[1:]
	return it, nil
}
func (f *fakeItems) Close() error { return nil }

func vault(ts, data string) map[string]any {
	return map[string]any{"timestamp": ts, "event_type": "Credentials Used", "account": "3", "data": data}
}

func session(lsid, end string) map[string]any {
	return map[string]any{"lsid": lsid, "end_time": map[string]any{"timestamp": end, "value": "x"}, "kind": "odd"}
}

func newExporter(t *testing.T, dir string, report func() []map[string]any) (*Exporter, *DirSink) {
	t.Helper()
	st, err := LoadState(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDirSink(dir, 0)
	ex := &Exporter{Kinds: Kinds, State: st, Path: filepath.Join(dir, "state"), Overlap: time.Minute, Sink: d,
		Source: func(_ context.Context, k Kind, from int64) (Items, error) {
			var out []map[string]any
			for _, it := range report() {
				if _, isSession := it["lsid"]; isSession == (k.Name == "session") {
					out = append(out, it)
				}
			}
			return &fakeItems{out}, nil
		}}
	if err := ex.Reconcile(d); err != nil {
		t.Fatal(err)
	}
	return ex, d
}

func lines(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "events-*"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
	}
	return out
}

// Identical Vault events are counted, not merged: a third identical event is exported, the first two are not again.
func TestIdenticalEventsCounted(t *testing.T) {
	dir := t.TempDir()
	report := []map[string]any{vault("1000", "a"), vault("1000", "a"), session("s1", "1001")}
	ex, d := newExporter(t, dir, func() []map[string]any { return report })
	if n, err := ex.Poll(context.Background()); err != nil || n != 3 {
		t.Fatalf("first poll: %d %v", n, err)
	}
	report = append(report, vault("1000", "a"))
	if n, err := ex.Poll(context.Background()); err != nil || n != 1 {
		t.Fatalf("second poll: %d %v", n, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	got := lines(t, dir)
	if len(got) != 4 || !strings.Contains(strings.Join(got, "\n"), `"report_kind":"odd"`) {
		t.Fatalf("lines: %q", got)
	}
}

// A crash after lines were synced but before the state was saved, with a torn last line: the next run counts the
// complete lines as exported, cuts the torn one, and exports only what is missing.
func TestReconcileAfterCrash(t *testing.T) {
	dir := t.TempDir()
	report := []map[string]any{session("s1", "1000"), session("s2", "1001")}
	ex, _ := newExporter(t, dir, func() []map[string]any { return report })
	if _, err := ex.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The process dies: the part file stays. Simulate lines written after the last state save: s3 complete, s4 torn.
	parts, _ := filepath.Glob(filepath.Join(dir, "*.part"))
	if len(parts) != 1 {
		t.Fatalf("part files: %v", parts)
	}
	line, _ := encodeLine("session", 1002, "s3", session("s3", "1002"))
	f, _ := os.OpenFile(parts[0], os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.Write(append(line, []byte(`{"kind":"session","id":"s4","ti`)...))
	f.Close()
	report = append(report, session("s3", "1002"), session("s4", "1003"))
	ex2, d2 := newExporter(t, dir, func() []map[string]any { return report })
	if n, err := ex2.Poll(context.Background()); err != nil || n != 1 {
		t.Fatalf("resumed poll exported %d (%v), want only s4", n, err)
	}
	if err := d2.Close(); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(lines(t, dir), "\n")
	for _, id := range []string{"s1", "s2", "s3", "s4"} {
		if c := strings.Count(got, `"id":"`+id+`"`); c != 1 {
			t.Errorf("%s: %d lines\n%s", id, c, got)
		}
	}
	if strings.Contains(got, `"ti`+"\n") || strings.HasSuffix(got, `"ti`) {
		t.Errorf("torn line kept:\n%s", got)
	}
}

// Files rotate by size and by UTC day; every published file is complete.
func TestDirSinkRotation(t *testing.T) {
	dir := t.TempDir()
	d := NewDirSink(dir, 100)
	now := time.Date(2026, 1, 1, 23, 59, 0, 0, time.UTC)
	d.now = func() time.Time { return now }
	line := []byte(strings.Repeat("x", 39) + "\n")
	for i := 0; i < 5; i++ { // 2 lines per file
		if err := d.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(2 * time.Minute)
	if err := d.Write(line); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "events-*.jsonl"))
	sizes := ""
	for _, f := range files {
		st, _ := os.Stat(f)
		sizes += " " + string(rune('0'+st.Size()/40))
	}
	if sizes != " 2 2 1 1" {
		t.Fatalf("lines per file:%s (%v)", sizes, files)
	}
}

func TestLoadStateRejectsForeignFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state")
	_ = os.WriteFile(p, []byte(`{"version":99,"kinds":{}}`), 0o600)
	if _, err := LoadState(p); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("got %v", err)
	}
	_ = os.WriteFile(p, []byte(`hello`), 0o600)
	if _, err := LoadState(p); err == nil {
		t.Fatal("garbage accepted")
	}
}

// crashingSink is a directory sink whose process dies before the (after+1)-th line: nothing more is written, flushed or
// saved.
type crashingSink struct {
	*DirSink
	after int
}

var errKilled = errors.New("killed")

func (c *crashingSink) Write(line []byte) error {
	if c.after == 0 {
		return errKilled
	}
	c.after--
	return c.DirSink.Write(line)
}

// A crash after several rotations within one report: every file published since the last saved state was the
// acknowledged one, so the next run finds each exported line and writes every event exactly once.
func TestCrashAfterRotationsExportsOnce(t *testing.T) {
	dir := t.TempDir()
	var report []map[string]any
	for i := range 12 {
		report = append(report, session(fmt.Sprintf("s%02d", i), strconv.Itoa(1000+i)))
	}
	get := func() []map[string]any { return report }
	ex, d := newExporter(t, dir, get)
	line, _ := encodeLine("session", 1000, "s00", report[0])
	d.maxSize = int64(2*len(line) + 1) // two lines a file
	ex.Sink = &crashingSink{DirSink: d, after: 7}
	if _, err := ex.Poll(context.Background()); !errors.Is(err, errKilled) {
		t.Fatalf("poll: %v, want the simulated kill", err)
	}
	if published, _ := filepath.Glob(filepath.Join(dir, "events-*.jsonl")); len(published) < 3 {
		t.Fatalf("published files %v: the test needs several rotations before the kill", published)
	}
	ex2, d2 := newExporter(t, dir, get)
	if _, err := ex2.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d2.Close(); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(lines(t, dir), "\n")
	for i := range 12 {
		if c := strings.Count(got, fmt.Sprintf(`"id":"s%02d"`, i)); c != 1 {
			t.Errorf("s%02d: %d lines", i, c)
		}
	}
}
