package fsutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// ErrUnsafe is matched (errors.Is) by every *UnsafeError.
var ErrUnsafe = errors.New("unsafe file or directory")

// ErrLocked means another process holds the lock that TryLock asked for.
var ErrLocked = errors.New("locked by another process")

// UnsafeError reports a file or directory infra refuses to use because another user could change it, or because it is
// not the kind of file infra created there.
type UnsafeError struct {
	Path    string
	Problem string // what is wrong: "it is writable by group or others (mode 0777)"
	Fix     string // what to do: "run `chmod 700 DIR`"
}

func (e *UnsafeError) Error() string {
	return fmt.Sprintf("refusing to use %s: %s; %s", e.Path, e.Problem, e.Fix)
}

// Is makes errors.Is(err, ErrUnsafe) true.
func (e *UnsafeError) Is(target error) bool { return target == ErrUnsafe }

// PrivateDir creates dir (and its missing parents) with mode 0700 and checks that only the current user can change
// it: it must be a directory owned by the current user and not writable by group or others. Directories that fail
// the check are refused with an *UnsafeError naming the fix; they are never repaired silently, because their content
// may already have been tampered with.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return &UnsafeError{Path: dir, Problem: "it is not a directory", Fix: "remove it or choose another directory"}
	}
	if perm := st.Mode().Perm(); checkPerms && perm&0o022 != 0 {
		return &UnsafeError{Path: dir, Problem: fmt.Sprintf("it is writable by group or others (mode %04o)", perm),
			Fix: fmt.Sprintf("run `chmod 700 %s` if its content is still trustworthy", dir)}
	}
	if uid, mine := owner(st); !mine {
		return &UnsafeError{Path: dir, Problem: fmt.Sprintf("it is owned by another user (uid %d)", uid),
			Fix: "use a directory of your own (set INFRA_CONFIG_DIR or INFRA_CACHE_DIR), or `chown` it to yourself"}
	}
	return nil
}

// OpenPrivate opens path for reading and writing, creating it with mode 0600, without following a symbolic link.
// A symbolic link, a non-regular file (FIFO, device, directory) or a file owned by another user is refused with an
// *UnsafeError, and nothing is created at a link's target.
func OpenPrivate(path string) (*os.File, error) {
	return openChecked(path, os.O_RDWR|os.O_CREATE)
}

// ReadFile reads a regular file of the current user without following a symbolic link; at most limit bytes are read
// (more is an error). A missing file is an error matching fs.ErrNotExist.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := openChecked(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

func openChecked(path string, flag int) (*os.File, error) {
	if st, err := os.Lstat(path); err == nil {
		if err := checkFile(path, st); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, flag|noFollow, 0o600)
	if err != nil {
		// Lost a race with someone planting a link: O_NOFOLLOW refused it; say so.
		if st, lerr := os.Lstat(path); lerr == nil {
			if cerr := checkFile(path, st); cerr != nil {
				return nil, cerr
			}
		}
		return nil, err
	}
	st, err := f.Stat()
	if err == nil {
		err = checkFile(path, st)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func checkFile(path string, st fs.FileInfo) error {
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		return &UnsafeError{Path: path, Problem: "it is a symbolic link (infra never follows links for its own files)",
			Fix: fmt.Sprintf("remove it (`rm %s`) and check who created it", path)}
	case !st.Mode().IsRegular():
		return &UnsafeError{Path: path, Problem: "it is not a regular file", Fix: fmt.Sprintf("remove it (`rm %s`)", path)}
	}
	if uid, mine := owner(st); !mine {
		return &UnsafeError{Path: path, Problem: fmt.Sprintf("it is owned by another user (uid %d)", uid),
			Fix: fmt.Sprintf("remove it (`rm %s`) and check who created it", path)}
	}
	return nil
}

// Lock opens path like OpenPrivate and takes an exclusive lock on it, retrying every retry until ctx ends. The lock
// is released by Unlock, or by the system when the process dies. The caller may read and write the file.
func Lock(ctx context.Context, path string, retry time.Duration) (*os.File, error) {
	f, err := OpenPrivate(path)
	if err != nil {
		return nil, err
	}
	var t *time.Ticker
	for {
		ok, err := tryLock(f)
		if err != nil || ok {
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("locking %s: %w", path, err)
			}
			return f, nil
		}
		if t == nil {
			t = time.NewTicker(retry)
			defer t.Stop()
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// TryLock is Lock without waiting: when another process holds the lock it returns an error matching ErrLocked.
func TryLock(path string) (*os.File, error) {
	f, err := OpenPrivate(path)
	if err != nil {
		return nil, err
	}
	ok, err := tryLock(f)
	if err == nil && !ok {
		err = ErrLocked
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return f, nil
}

// Unlock releases a lock taken by Lock or TryLock and closes the file.
func Unlock(f *os.File) error {
	err := unlock(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
