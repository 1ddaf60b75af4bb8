package download

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Rotation keeps the newest Keep files named PREFIX-STAMP[EXT] in Dir, where STAMP is the UTC time of the download
// (20060102T150405.000Z): names sort in time order, and files named otherwise are never touched.
type Rotation struct {
	Dir    string
	Prefix string
	Keep   int
	Now    func() time.Time // default time.Now
}

const stampLayout = "20060102T150405.000Z"

// Check validates the rotation before anything is downloaded.
func (r Rotation) Check() error {
	if st, err := os.Stat(r.Dir); err != nil || !st.IsDir() {
		return fmt.Errorf("--dir %s: not a directory", r.Dir)
	}
	if r.Keep < 1 {
		return fmt.Errorf("--keep %d: keep at least 1 file", r.Keep)
	}
	return nil
}

// Name is the file name of a download made now, with the extension ext (".nsb", ".tar.gz" or "").
func (r Rotation) Name(ext string) string {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	if !extPattern().MatchString(ext) {
		ext = "" // a server-suggested extension that is not plain letters and digits is dropped
	}
	return r.Prefix + "-" + now().UTC().Format(stampLayout) + ext
}

var extPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\.[A-Za-z0-9]{1,16}){0,2}$`) })

func (r Rotation) pattern() *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(r.Prefix) + `-\d{8}T\d{6}(\.\d{3})?Z(\.[A-Za-z0-9][A-Za-z0-9.]*)?$`)
}

// Rotated reports a rotated download. Its JSON shape is part of the output contract.
type Rotated struct {
	OK      bool     `json:"ok"`
	File    string   `json:"file,omitempty"`
	Bytes   int64    `json:"bytes"`
	Kept    []string `json:"kept"`
	Removed []string `json:"removed"`
	Error   string   `json:"error,omitempty"`
}

// Prune verifies the new file (it exists, is a regular file of the size that was downloaded and not empty) and only
// then removes the oldest rotated files beyond Keep. The new file is always kept.
func (r Rotation) Prune(res *Result) (*Rotated, error) {
	out := &Rotated{File: res.File, Bytes: res.Bytes, Kept: []string{}, Removed: []string{}}
	st, err := os.Stat(res.File)
	switch {
	case err != nil:
		return out, fmt.Errorf("the new file cannot be checked: %w", err)
	case !st.Mode().IsRegular() || st.Size() != res.Bytes || st.Size() == 0:
		return out, fmt.Errorf("the new file %s has %d bytes, %d were downloaded: nothing removed", res.File, st.Size(), res.Bytes)
	}
	entries, err := os.ReadDir(r.Dir)
	if err != nil {
		return out, err
	}
	re := r.pattern()
	newest := filepath.Base(res.File)
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && re.MatchString(e.Name()) && e.Name() != newest {
			names = append(names, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	out.Kept = append(out.Kept, newest)
	var errs []error
	for i, n := range names {
		if i < r.Keep-1 {
			out.Kept = append(out.Kept, n)
			continue
		}
		if err := os.Remove(filepath.Join(r.Dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		out.Removed = append(out.Removed, n)
	}
	out.OK = len(errs) == 0
	return out, errors.Join(errs...)
}

// Ext returns a file name's extension, keeping double ones such as .tar.gz.
func Ext(name string) string {
	ext := filepath.Ext(name)
	if inner := filepath.Ext(strings.TrimSuffix(name, ext)); inner == ".tar" {
		return inner + ext
	}
	return ext
}
