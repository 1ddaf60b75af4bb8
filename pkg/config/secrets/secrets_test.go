package secrets

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestFileStoreRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "infra")
	path := filepath.Join(dir, "secrets.json")
	s := NewFile(path)
	if s.Name() != "file ("+path+")" {
		t.Fatalf("Name() = %q", s.Name())
	}
	if _, err := s.Get("pra", "default"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get on a missing file: %v", err)
	}
	if err := s.Set("pra", "default", "s3cr3t"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("jotelulu", "lab", "tok\"en\n"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get("pra", "default"); err != nil || got != "s3cr3t" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if got, err := s.Get("jotelulu", "lab"); err != nil || got != "tok\"en\n" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if _, err := s.Get("pra", "lab"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of another profile: %v", err)
	}
	if runtime.GOOS != "windows" {
		for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != want {
				t.Errorf("%s mode %04o, want %04o", p, st.Mode().Perm(), want)
			}
		}
	}
	var onDisk map[string]string
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &onDisk); err != nil || onDisk["pra:default"] != "s3cr3t" || onDisk["jotelulu:lab"] != "tok\"en\n" || len(onDisk) != 2 {
		t.Fatalf("file content %s (%v)", data, err)
	}

	if err := s.Delete("pra", "default"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("pra", "default"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	if _, err := s.Get("pra", "default"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if got, _ := s.Get("jotelulu", "lab"); got != "tok\"en\n" {
		t.Fatal("Delete removed another entry")
	}
}

func TestFileStoreRefusesLoosePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(path, []byte(`{"pra:default":"hunter2hunter2"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s := NewFile(path)
	for name, op := range map[string]func() error{
		"Get": func() error { _, err := s.Get("pra", "default"); return err },
		"Set": func() error { return s.Set("pra", "lab", "x") },
	} {
		err := op()
		if err == nil {
			t.Fatalf("%s accepted a 0644 secret file", name)
		}
		for _, w := range []string{path, "0644", "chmod 600"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not mention %q", name, err, w)
			}
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s leaks the secret: %q", name, err)
		}
	}
	// Set must not have replaced the refused file.
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode changed to %04o", st.Mode().Perm())
	}
}

func TestFileStoreCorruptFileDoesNotLeak(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(path, []byte(`{"pra:default": hunter2hunter2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := NewFile(path).Get("pra", "default")
	if err == nil || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v", err)
	}
}

func TestFileStoreConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	var wg sync.WaitGroup
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- NewFile(path).Set("pra", "p"+strconv.Itoa(i), "v"+strconv.Itoa(i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s := NewFile(path)
	for i := range n {
		if got, err := s.Get("pra", "p"+strconv.Itoa(i)); err != nil || got != "v"+strconv.Itoa(i) {
			t.Errorf("entry %d: %q, %v (an update was lost)", i, got, err)
		}
	}
}
