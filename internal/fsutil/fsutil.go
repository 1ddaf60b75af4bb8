// Package fsutil holds infra's file-system safety rules in one place: private directories (created 0700, refused when
// another user could change them), files opened without following symbolic links, exclusive locks, and atomic writes
// (a temporary file in the same directory renamed over the target, so readers never see a half-written file and a
// crash leaves the old content intact).
package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with data. Its directory is made private with PrivateDir (created 0700, refused when
// others can write to it). The new file gets perm whatever the permissions of the file it replaces were. A symbolic
// link at path is followed, so the link itself survives and its target is replaced.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	if err := PrivateDir(filepath.Dir(path)); err != nil {
		return err
	}
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return Replace(path, data, perm)
}

// ReplaceFile is WriteFileAtomic for files infra owns alone (caches): a symbolic link at path is replaced by the new
// file, never followed.
func ReplaceFile(path string, data []byte, perm fs.FileMode) error {
	if err := PrivateDir(filepath.Dir(path)); err != nil {
		return err
	}
	return Replace(path, data, perm)
}

// Replace writes data to a temporary file beside path, syncs it, renames it into place and syncs the directory, so a
// crash leaves either the old content or the new one. It makes no check of the directory: callers that need a private
// one use WriteFileAtomic or ReplaceFile.
func Replace(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(name)
		}
	}()
	if err := tmp.Chmod(perm); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		_ = os.Remove(name)
		done = true
		return err
	}
	done = true
	return SyncDir(dir)
}

// SyncDir makes a rename or a new file in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
