//go:build !linux

package download

import "os"

// startWriteback is a no-op where sync_file_range does not exist: the final fsync writes everything.
func startWriteback(*os.File, int64, int64) {}

// newSink returns the buffered sink: direct writes are for Linux only.
func newSink(f *os.File, _ int64) sink { return &flushingWriter{f: f} }
