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
	"strings"

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

// Save streams r into the target file atomically. On any error, including ctx cancellation and a short body, the
// temporary file is removed and an existing target is left untouched.
func Save(ctx context.Context, r io.Reader, o Options) (*Result, error) {
	target, err := Check(o)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.part")
	if err != nil {
		return nil, fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	var w io.Writer = &flushingWriter{f: tmp}
	var bar *progress.Bar
	if o.Progress != nil {
		bar = progress.NewBytes(o.Progress, true, o.Size, o.Label)
		w = io.MultiWriter(w, bar)
		defer bar.Finish()
	}
	// A large buffer: one read and one write system call per MiB rather than per 32 KiB, and one progress update.
	// Neither side is offered ReadFrom/WriteTo, which would fall back to io.Copy's 32 KiB buffer.
	n, err := io.CopyBuffer(w, ctxReader{ctx, r}, make([]byte, copyBuffer))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("download interrupted after %d bytes: %w", n, err)
	}
	if o.Size >= 0 && n != o.Size {
		return nil, fmt.Errorf("download incomplete: got %d of %d bytes; nothing was saved", n, o.Size)
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if !o.Force {
		// Re-check: another process may have created the file meanwhile. Link fails if it exists.
		if err := os.Link(tmp.Name(), target); err != nil {
			if errors.Is(err, os.ErrExist) {
				return nil, &api.UsageError{Err: fmt.Errorf("%s already exists: use --force to replace it", target)}
			}
			if err := os.Rename(tmp.Name(), target); err != nil {
				return nil, err
			}
		} else {
			os.Remove(tmp.Name())
		}
	} else if err := os.Rename(tmp.Name(), target); err != nil {
		return nil, err
	}
	done = true
	syncDir(dir)
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

// flushingWriter writes to the temporary file and, every writebackChunk bytes, starts the disk write-back of what
// came before (without waiting for it), so the final fsync waits for the last chunk only instead of the whole file:
// the disk works while the network does.
type flushingWriter struct {
	f             *os.File
	written, sent int64
}

func (w *flushingWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if w.written-w.sent >= writebackChunk {
		startWriteback(w.f, w.sent, w.written-w.sent)
		w.sent = w.written
	}
	return n, err
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
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
