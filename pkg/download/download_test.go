package download

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infractl/infra/internal/fsutil"
)

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"installer.bin":          "installer.bin",
		"../../etc/passwd":       "passwd",
		`..\..\win.ini`:          "win.ini",
		"..":                     "",
		"/":                      "",
		".hidden":                "hidden",
		"a\x00b\nc":              "abc",
		"C:evil.exe":             "Cevil.exe",
		"  bomgar-scc.bin  ":     "bomgar-scc.bin",
		"dir/sub/../../x.tar.gz": "x.tar.gz",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFileName(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Disposition", `attachment; filename="../x/backup.nsb"`)
	if got := FileName(h, "fallback"); got != "backup.nsb" {
		t.Fatalf("got %q", got)
	}
	if got := FileName(http.Header{}, "fallback.zip"); got != "fallback.zip" {
		t.Fatalf("got %q", got)
	}
}

func TestSaveAtomicNoOverwrite(t *testing.T) {
	dir := t.TempDir()
	res, err := Save(context.Background(), strings.NewReader("hello"), Options{Path: dir, Name: "f.txt", Size: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes != 5 || filepath.Base(res.File) != "f.txt" {
		t.Fatalf("result %+v", res)
	}
	_, err = Save(context.Background(), strings.NewReader("other"), Options{Path: dir, Name: "f.txt", Size: -1})
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("overwrite without force: %v", err)
	}
	if b, _ := os.ReadFile(res.File); string(b) != "hello" {
		t.Fatalf("file changed: %q", b)
	}
	if _, err := Save(context.Background(), strings.NewReader("other"), Options{Path: res.File, Force: true, Size: -1}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(res.File); string(b) != "other" {
		t.Fatalf("force did not replace: %q", b)
	}
	assertNoTemp(t, dir)
}

func TestSaveShortBodyLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	_, err := Save(context.Background(), strings.NewReader("abc"), Options{Path: filepath.Join(dir, "x"), Size: 10})
	if err == nil || !strings.Contains(err.Error(), "3 of 10") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("target exists after failed download")
	}
	assertNoTemp(t, dir)
}

func TestSaveCancelled(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Save(ctx, strings.NewReader("abc"), Options{Path: filepath.Join(dir, "x"), Size: -1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	assertNoTemp(t, dir)
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".part") {
			t.Fatalf("temporary file left behind: %s", e.Name())
		}
	}
}

// A part file left by a download that was killed (no process holds its lock) is replaced and then gone after the
// next download to the same place.
func TestSaveRemovesStalePartFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "backup.nsb")
	part := PartFile(target)
	if filepath.Base(part) != ".backup.nsb.part" {
		t.Fatalf("part file %s", part)
	}
	if err := os.WriteFile(part, []byte("stale bytes of a killed download, longer than the new one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Save(context.Background(), strings.NewReader("fresh"), Options{Path: target, Size: 5}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "fresh" {
		t.Fatalf("content %q", b)
	}
	assertNoTemp(t, dir)

	// A failed download cleans a stale part file too.
	if err := os.WriteFile(PartFile(filepath.Join(dir, "y")), []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Save(context.Background(), strings.NewReader("ab"), Options{Path: filepath.Join(dir, "y"), Size: 9}); err == nil {
		t.Fatal("short body accepted")
	}
	assertNoTemp(t, dir)
}

// A download to a place another download is writing to fails at once and leaves the other's part file alone.
func TestSaveRefusesConcurrentDownload(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "f.bin")
	f, err := fsutil.TryLock(PartFile(target))
	if err != nil {
		t.Fatal(err)
	}
	defer fsutil.Unlock(f)
	if _, err := f.WriteString("in progress"); err != nil {
		t.Fatal(err)
	}
	_, err = Save(context.Background(), strings.NewReader("x"), Options{Path: target, Size: -1})
	if err == nil || !strings.Contains(err.Error(), "another download to "+target+" is in progress") {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(PartFile(target)); string(b) != "in progress" {
		t.Fatalf("the other download's part file changed: %q", b)
	}
}

// A symbolic link planted as the part file is refused, never written through.
func TestSaveRefusesSymlinkedPartFile(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	target := filepath.Join(dir, "f.bin")
	if err := os.Symlink(victim, PartFile(target)); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if _, err := Save(context.Background(), strings.NewReader("x"), Options{Path: target, Size: -1}); !errors.Is(err, fsutil.ErrUnsafe) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Lstat(victim); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the link's target was created")
	}
}
