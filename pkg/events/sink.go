package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/infractl/infra/internal/fsutil"
)

// Sink receives the JSON lines.
type Sink interface {
	// Write appends one line (with its newline).
	Write(line []byte) error
	// Commit makes everything written durable (flushed, and synced for files) and returns where the output ends.
	Commit() (*Position, error)
	// Close commits and releases the sink; a directory sink publishes the file being written.
	Close() error
}

// StreamSink writes to a stream (stdout). Once a line is written to a pipe, nothing can take it back: after a crash
// between a write and the state that records it, the next run writes those lines again (at least once).
type StreamSink struct {
	w *bufio.Writer
	f *os.File // non-nil when the stream is a file that can be synced
}

// NewStreamSink buffers w.
func NewStreamSink(w io.Writer) *StreamSink {
	s := &StreamSink{w: bufio.NewWriterSize(w, 64<<10)}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			s.f = f
		}
	}
	return s
}

// Write implements Sink.
func (s *StreamSink) Write(line []byte) error {
	_, err := s.w.Write(line)
	return err
}

// Commit implements Sink.
func (s *StreamSink) Commit() (*Position, error) {
	if err := s.w.Flush(); err != nil {
		return nil, err
	}
	if s.f != nil {
		if err := s.f.Sync(); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// Close implements Sink.
func (s *StreamSink) Close() error {
	_, err := s.Commit()
	return err
}

// Output file names: a file being written is "events-STAMP.jsonl.part", published (complete, never changed again) as
// "events-STAMP.jsonl" by an atomic rename.
const (
	filePrefix = "events-"
	fileSuffix = ".jsonl"
	partSuffix = ".part"
)

// DirSink writes files in a directory, rotated when they reach MaxSize bytes or the UTC day changes. Lines are appended
// to a ".part" file, synced on Commit; a file is published by renaming it when it is rotated or the sink is closed,
// so a directory watcher only ever sees complete files.
type DirSink struct {
	dir     string
	maxSize int64
	now     func() time.Time

	f    *os.File
	w    *bufio.Writer
	name string // base name of the part file
	size int64
	day  string
}

// NewDirSink writes into dir (which must exist), rotating at maxSize bytes (0: only by day).
func NewDirSink(dir string, maxSize int64) *DirSink {
	return &DirSink{dir: dir, maxSize: maxSize, now: time.Now}
}

// rotator is a sink that starts a new file for some lines. The exporter saves the state before writing such a line,
// so the file being published is always the acknowledged one: a crash can leave lines beyond the acknowledged
// position in that file and in the part file after it, which Reconcile reads, never in a file published unread.
type rotator interface {
	Rotates(line []byte) bool
}

// Rotates reports whether writing line publishes the file being written first (a new UTC day, or the size limit).
func (d *DirSink) Rotates(line []byte) bool {
	return d.f != nil && (d.day != d.now().UTC().Format("2006-01-02") ||
		(d.maxSize > 0 && d.size+int64(len(line)) > d.maxSize && d.size > 0))
}

// Write implements Sink.
func (d *DirSink) Write(line []byte) error {
	day := d.now().UTC().Format("2006-01-02")
	if d.Rotates(line) {
		if err := d.publish(); err != nil {
			return err
		}
	}
	if d.f == nil {
		if err := d.open(day); err != nil {
			return err
		}
	}
	n, err := d.w.Write(line)
	d.size += int64(n)
	return err
}

func (d *DirSink) open(day string) error {
	// A name already taken (several files in one millisecond) moves on by a millisecond: names keep sorting in order.
	for t := d.now().UTC(); ; t = t.Add(time.Millisecond) {
		name := filePrefix + t.Format("20060102T150405.000Z") + fileSuffix
		f, err := os.OpenFile(filepath.Join(d.dir, name+partSuffix), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(d.dir, name)); err == nil {
			f.Close()
			os.Remove(f.Name())
			continue
		}
		d.f, d.w, d.name, d.size, d.day = f, bufio.NewWriterSize(f, 64<<10), name+partSuffix, 0, day
		return fsutil.SyncDir(d.dir)
	}
}

// Commit implements Sink.
func (d *DirSink) Commit() (*Position, error) {
	if d.f == nil {
		return nil, nil
	}
	if err := d.w.Flush(); err != nil {
		return nil, err
	}
	if err := d.f.Sync(); err != nil {
		return nil, err
	}
	return &Position{File: d.name, Offset: d.size}, nil
}

// publish syncs the part file and renames it to its final name.
func (d *DirSink) publish() error {
	if _, err := d.Commit(); err != nil {
		return err
	}
	if err := d.f.Close(); err != nil {
		return err
	}
	part := filepath.Join(d.dir, d.name)
	d.f = nil
	if err := os.Rename(part, strings.TrimSuffix(part, partSuffix)); err != nil {
		return err
	}
	return fsutil.SyncDir(d.dir)
}

// Close implements Sink: the file being written is published.
func (d *DirSink) Close() error {
	if d.f == nil {
		return nil
	}
	return d.publish()
}

// Line is the part of an output line that identifies its event.
type Line struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Time string `json:"time"`
}

// Reconcile makes the directory agree with the state before anything is written: every line a crash left beyond the
// acknowledged position (written and synced, but the state not saved yet) is reported to found, so it is not exported
// a second time; a torn last line (a crash in the middle of a write) is cut off; files left being written are
// published.
func (d *DirSink) Reconcile(ack *Position, found func(Line) error) error {
	parts, err := filepath.Glob(filepath.Join(d.dir, filePrefix+"*"+fileSuffix+partSuffix))
	if err != nil {
		return err
	}
	sort.Strings(parts)
	if ack != nil && !slices.Contains(parts, filepath.Join(d.dir, ack.File)) {
		// Published after the state was saved: its lines beyond the position were written by that last run.
		final := filepath.Join(d.dir, strings.TrimSuffix(ack.File, partSuffix))
		if _, err := os.Stat(final); err == nil {
			if err := scanFrom(final, ack.Offset, false, found); err != nil {
				return err
			}
		}
	}
	for _, p := range parts {
		var off int64
		if ack != nil && filepath.Base(p) == ack.File {
			off = ack.Offset
		}
		if err := scanFrom(p, off, true, found); err != nil {
			return err
		}
		if err := os.Rename(p, strings.TrimSuffix(p, partSuffix)); err != nil {
			return err
		}
	}
	if len(parts) > 0 {
		return fsutil.SyncDir(d.dir)
	}
	return nil
}

// scanFrom reports the complete lines of path after offset; with cut, a torn last line is truncated away.
func scanFrom(path string, offset int64, cut bool, found func(Line) error) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if offset > st.Size() {
		return fmt.Errorf("%s is shorter (%d bytes) than the state file says (%d): it was changed by something else", path, st.Size(), offset)
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f, offset, st.Size()-offset), 64<<10)
	end := offset
	for {
		b, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // a torn line (no newline): never acknowledged, never published
		}
		if err != nil {
			return err
		}
		var l Line
		if jerr := json.Unmarshal(bytes.TrimSpace(b), &l); jerr != nil || l.Kind == "" || l.ID == "" {
			return fmt.Errorf("%s at byte %d: not an event line", path, end)
		}
		if err := found(l); err != nil {
			return err
		}
		end += int64(len(b))
	}
	if cut && end < st.Size() {
		if err := f.Truncate(end); err != nil {
			return err
		}
		return f.Sync()
	}
	return nil
}
