package fsutil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestLockRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	lock := filepath.Join(dir, "x.lock")
	if err := os.Symlink(victim, lock); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	_, err := Lock(context.Background(), lock, time.Millisecond)
	if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Lock on a link: %v", err)
	}
	if _, err := TryLock(lock); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("TryLock on a link: %v", err)
	}
	if _, err := ReadFile(lock, 10); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("ReadFile on a link: %v", err)
	}
	if _, err := os.Lstat(victim); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the link's target was created: %v", err)
	}
}

func TestLockRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenPrivate(dir); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("directory: %v", err)
	}
}

func TestTryLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	f, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Lock(ctx, path, time.Millisecond); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock with a cancelled context: %v", err)
	}
	if err := Unlock(f); err != nil {
		t.Fatal(err)
	}
	g, err := Lock(context.Background(), path, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	_ = Unlock(g)
}

func TestPrivateDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("mode bits do not apply")
	}
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := PrivateDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		st, _ := os.Stat(d)
		if st.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %04o", d, st.Mode().Perm())
		}
	}
	for _, mode := range []os.FileMode{0o777, 0o770, 0o1777, 0o702} {
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		err := PrivateDir(dir)
		if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "run `chmod 700 "+dir+"`") {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDir(dir); err != nil {
		t.Errorf("0755 (nobody else can write): %v", err)
	}
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDir(file); err == nil {
		t.Errorf("a file was accepted as a directory")
	}
}

func TestReplaceFileDoesNotFollow(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "entry.json")
	if err := os.Symlink(victim, path); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := ReplaceFile(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatalf("the link's target was written: %q", b)
	}
	if st, _ := os.Lstat(path); !st.Mode().IsRegular() {
		t.Fatalf("the link was not replaced by a file")
	}
}
