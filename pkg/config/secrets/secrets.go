// Package secrets stores vendor credentials, one per vendor and profile, either in the OS keyring (Secret Service on
// Linux and BSD, Keychain on macOS, Credential Manager on Windows) or, by explicit choice, in a plain JSON file with
// mode 0600 for hosts that have no keyring.
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/infractl/infra/internal/fsutil"
)

// ErrNotFound means the store has no secret for the vendor and profile.
var ErrNotFound = errors.New("secret not found")

// ErrUnavailable means the OS keyring cannot be used; errors wrapping it say why and what to use instead.
var ErrUnavailable = errors.New("no OS keyring available")

// Store keeps one secret per vendor and profile.
type Store interface {
	Name() string // "keyring" or "file (/path)"
	Get(vendor, profile string) (string, error)
	Set(vendor, profile, secret string) error
	Delete(vendor, profile string) error
}

func entryName(vendor, profile string) string { return vendor + ":" + profile }

// fileStore keeps secrets in a JSON object {"<vendor>:<profile>": "<secret>"}.
type fileStore struct{ path string }

// NewFile returns the plain-file store at path. It exists for hosts without a keyring and must be chosen explicitly
// (secret_store: file). The file is written atomically with mode 0600 in a 0700 directory; on Unix a file readable or
// writable by group or others is refused rather than read. Writers serialise on a lock file next to it.
func NewFile(path string) Store { return &fileStore{path: path} }

func (s *fileStore) Name() string { return "file (" + s.path + ")" }

func (s *fileStore) Get(vendor, profile string) (string, error) {
	m, err := s.read()
	if err != nil {
		return "", err
	}
	v, ok := m[entryName(vendor, profile)]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (s *fileStore) Set(vendor, profile, secret string) error {
	return s.update(func(m map[string]string) error {
		m[entryName(vendor, profile)] = secret
		return nil
	})
}

func (s *fileStore) Delete(vendor, profile string) error {
	return s.update(func(m map[string]string) error {
		k := entryName(vendor, profile)
		if _, ok := m[k]; !ok {
			return ErrNotFound
		}
		delete(m, k)
		return nil
	})
}

// read loads the file; a missing file is an empty store.
func (s *fileStore) read() (map[string]string, error) {
	m := map[string]string{}
	if _, err := os.Stat(filepath.Dir(s.path)); err == nil {
		if err := fsutil.PrivateDir(filepath.Dir(s.path)); err != nil {
			return nil, fmt.Errorf("secret file: %w", err)
		}
	}
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("secret file %s is a directory", s.path)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret file %s has permissions %04o, open to other users; refusing to use it: "+
			"run `chmod 600 %s` if its content is still trustworthy", s.path, st.Mode().Perm(), s.path)
	}
	if err := json.NewDecoder(f).Decode(&m); err != nil {
		// The decoder's message may quote file content; keep it out of the error.
		return nil, fmt.Errorf("secret file %s is not a valid JSON object of strings", s.path)
	}
	return m, nil
}

func (s *fileStore) update(change func(map[string]string) error) error {
	if err := fsutil.PrivateDir(filepath.Dir(s.path)); err != nil {
		return fmt.Errorf("secret file: %w", err)
	}
	lock, err := fsutil.Lock(context.Background(), s.path+".lock", 20*time.Millisecond)
	if err != nil {
		return fmt.Errorf("secret file lock: %w", err)
	}
	defer func() { _ = fsutil.Unlock(lock) }()
	m, err := s.read()
	if err != nil {
		return err
	}
	if err := change(m); err != nil {
		return err
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(s.path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write secret file: %w", err)
	}
	return nil
}
