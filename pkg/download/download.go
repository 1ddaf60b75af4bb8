// Package download saves HTTP response bodies to disk safely: streamed in constant memory, written to a temporary file
// in the target directory, synced and renamed into place only when complete, never overwriting an existing file
// unless forced, with server-suggested names sanitised and the byte count checked against Content-Length.
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/infractl/infra/internal/fsutil"
	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/progress"
)

// Options say where and how to save.
type Options struct {
	// Path is a file name or an existing directory; "" means the current directory. In a directory the file is named
	// after Name.
	Path string
	// Name is the file name suggested by the server (see FileName) or the caller's default.
	Name string
	// Force allows replacing an existing file.
	Force bool
	// Size is the expected byte count (Content-Length); -1 when unknown.
	Size int64
	// Progress, when non-nil, receives a byte bar (pass nil when stderr is not a terminal).
	Progress io.Writer
	// Label describes the transfer on the progress bar.
	Label string
	// NonEmpty refuses an empty body (a backup or recording of 0 bytes is a failure, whatever the headers say).
	NonEmpty bool
}

// Result describes the saved file. Its JSON shape is part of the output contract: {"file": …, "bytes": …}.
type Result struct {
	File  string `json:"file"`
	Bytes int64  `json:"bytes"`
}

// FileName returns the sanitised file name from a Content-Disposition header, or fallback.
func FileName(h http.Header, fallback string) string {
	if _, params, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil {
		if n := Sanitize(params["filename"]); n != "" {
			return n
		}
	}
	return Sanitize(fallback)
}

// Sanitize reduces a server-suggested name to a safe base name: no directories, no "..", no control characters, no
// leading dots. It returns "" when nothing usable is left.
func Sanitize(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = name[strings.LastIndex(name, "/")+1:]
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == ':' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if name == "" || name == "." || name == ".." {
		return ""
	}
	return name
}

// Target resolves where Options would write, without touching the disk beyond a Stat.
func Target(o Options) (string, error) {
	p := o.Path
	if p == "" || isDir(p) {
		if o.Name == "" {
			return "", &api.UsageError{Err: errors.New("the server suggested no file name: give one with --file")}
		}
		return filepath.Join(p, o.Name), nil
	}
	return p, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Check fails with a usage error when the target exists and Force is not set; callers run it before sending the
// request so nothing is downloaded in vain.
func Check(o Options) (string, error) {
	target, err := Target(o)
	if err != nil {
		return "", err
	}
	if !o.Force {
		if _, err := os.Lstat(target); err == nil {
			return "", &api.UsageError{Err: fmt.Errorf("%s already exists: use --force to replace it", target)}
		}
	}
	return target, nil
}

// PartFile is where Save writes a download before renaming it into place: ".NAME.part" next to the target. The name
// depends only on the target, so a part file left by a killed download is found, and replaced, by the next download
// to the same place.
func PartFile(target string) string {
	return filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".part")
}

// commitLocked says whether the part file can be renamed while it is open and locked (Windows refuses to rename an
// open file: there the lock is released just before the rename).
const commitLocked = runtime.GOOS != "windows"

// Save streams r into the target file atomically. On any error, including ctx cancellation and a short body, the
// part file is removed and an existing target is left untouched. The part file is locked while it is written: a
// second download to the same target at the same time fails at once, and a stale part file of a download that was
// killed (its lock died with it) is truncated and reused, then renamed or removed like any other.
func Save(ctx context.Context, r io.Reader, o Options) (*Result, error) {
	target, err := Check(o)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(target)
	part := PartFile(target)
	tmp, err := fsutil.TryLock(part)
	if errors.Is(err, fsutil.ErrLocked) {
		return nil, fmt.Errorf("another download to %s is in progress (%s is locked)", target, part)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	locked := true
	release := func() {
		if locked {
			_ = fsutil.Unlock(tmp)
			locked = false
		}
	}
	done := false
	defer func() {
		if !done {
			os.Remove(part)
		}
		release()
	}()
	if err := tmp.Truncate(0); err != nil {
		return nil, fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	n, err := copyTo(ctx, newSink(tmp, o.Size), r, o)
	if err != nil {
		return nil, err
	}
	if o.NonEmpty && n == 0 {
		return nil, errors.New("download empty: the server sent 0 bytes; nothing was saved")
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	if !commitLocked {
		release()
	}
	if err := commit(part, target, o.Force); err != nil {
		return nil, err
	}
	done = true
	_ = fsutil.SyncDir(dir)
	abs, err := filepath.Abs(target)
	if err != nil {
		abs = target
	}
	return &Result{File: abs, Bytes: n}, nil
}

// copyBuffer is the size of the reads and writes of Save.
const copyBuffer = 1 << 20

// writebackChunk is how much is written before the kernel is asked to start writing it to disk.
const writebackChunk = 32 << 20

// sink writes the body into the part file.
type sink interface {
	readFrom(r io.Reader) (int64, error) // to the end of r
	close() error                        // finishes the writes (the caller syncs)
}

// flushingWriter writes to the temporary file through the page cache and, every writebackChunk bytes, starts the
// disk write-back of what came before (without waiting for it), so the final fsync waits for the last chunk only
// instead of the whole file: the disk works while the network does.
type flushingWriter struct {
	f             *os.File
	written, sent int64
}

// readFrom copies r in blocks of copyBuffer bytes: one read and one write system call per MiB rather than per
// 32 KiB. Neither side is offered ReadFrom/WriteTo, which would fall back to io.Copy's 32 KiB buffer.
func (w *flushingWriter) readFrom(r io.Reader) (int64, error) {
	return io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, make([]byte, copyBuffer))
}

func (w *flushingWriter) close() error { return nil }

func (w *flushingWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if w.written-w.sent >= writebackChunk {
		startWriteback(w.f, w.sent, w.written-w.sent)
		w.sent = w.written
	}
	return n, err
}

// copyTo streams r into w (with the progress bar, if any), finishes the writes and checks the byte count.
func copyTo(ctx context.Context, w sink, r io.Reader, o Options) (int64, error) {
	r = ctxReader{ctx, r}
	if o.Progress != nil {
		bar := progress.NewBytes(o.Progress, true, o.Size, o.Label)
		r = io.TeeReader(r, bar)
		defer bar.Finish()
	}
	n, err := w.readFrom(r)
	if cerr := w.close(); err == nil {
		err = cerr
	}
	if err != nil {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		return n, fmt.Errorf("download interrupted after %d bytes: %w", n, err)
	}
	if o.Size >= 0 && n != o.Size {
		return n, fmt.Errorf("download incomplete: got %d of %d bytes; nothing was saved", n, o.Size)
	}
	return n, nil
}

// commit moves the complete part file to target. Without force it never replaces a file that appeared meanwhile
// (link fails when the target exists).
func commit(part, target string, force bool) error {
	if force {
		return os.Rename(part, target)
	}
	if err := os.Link(part, target); err != nil {
		if errors.Is(err, os.ErrExist) {
			return &api.UsageError{Err: fmt.Errorf("%s already exists: use --force to replace it", target)}
		}
		return os.Rename(part, target)
	}
	return os.Remove(part)
}

// ctxReader stops reading when the context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
