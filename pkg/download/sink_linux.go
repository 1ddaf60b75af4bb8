package download

import (
	"errors"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing a range of f to disk, without waiting (sync_file_range with
// SYNC_FILE_RANGE_WRITE). It is a hint: errors are left to the final fsync.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// Direct writes: the file is written with O_DIRECT, from page-aligned blocks, by goroutines of their own (each block
// at its offset, two at a time, so a slow write does not hold the next) while the next blocks are read. The data goes from the block to the disk without the page cache, so the final fsync has
// (almost) nothing left to write, and the network is read while the disk writes: a download runs at the speed of
// the slower of the two instead of that of the kernel's write-back of a few gigabytes of dirty pages.
const (
	directBlock   = 1 << 20 // size of the blocks read and written
	directBlocks  = 6       // blocks in flight (memory: directBlocks × directBlock)
	directWriters = 2       // writes at once
	directAlign   = 4096    // alignment of O_DIRECT writes (offset and length); blocks are page-aligned
	directMinSize = 8 << 20 // smaller downloads (or of unknown size) are written through the page cache
)

// newSink returns the direct sink for f when its file system takes O_DIRECT and the download is large, else the
// buffered one.
func newSink(f *os.File, size int64) sink {
	if size >= directMinSize && !bufferedOnly {
		if d := newDirectSink(f); d != nil {
			return d
		}
	}
	return &flushingWriter{f: f}
}

// bufferedOnly turns direct writes off (tests of the buffered sink).
var bufferedOnly bool

type directSink struct {
	f      *os.File
	mem    []byte      // the mapping that holds the blocks
	free   chan []byte // blocks to fill
	full   chan block  // blocks to write
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error       // the first write error
	direct atomic.Bool // O_DIRECT is set (cleared for the tail and after a refusal)
}

// block is data to write at an offset of the file.
type block struct {
	b   []byte
	off int64
}

// newDirectSink sets O_DIRECT on f and maps the blocks; nil when either fails.
func newDirectSink(f *os.File) *directSink {
	fd := int(f.Fd())
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil
	}
	// Anonymous memory is page-aligned, as O_DIRECT wants its buffers.
	mem, err := unix.Mmap(-1, 0, directBlocks*directBlock, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags|unix.O_DIRECT); err != nil {
		_ = unix.Munmap(mem)
		return nil
	}
	d := &directSink{f: f, mem: mem, free: make(chan []byte, directBlocks), full: make(chan block, directBlocks)}
	d.direct.Store(true)
	for i := range directBlocks {
		d.free <- mem[i*directBlock : (i+1)*directBlock : (i+1)*directBlock]
	}
	d.wg.Add(directWriters)
	for range directWriters {
		go d.writer()
	}
	return d
}

// writer writes full blocks at their offsets; after an error it only hands the blocks back.
func (d *directSink) writer() {
	defer d.wg.Done()
	for blk := range d.full {
		if d.failed() == nil {
			if err := d.write(blk.b, blk.off); err != nil {
				d.setErr(err)
			}
		}
		d.free <- blk.b[:cap(blk.b)]
	}
}

func (d *directSink) failed() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// setErr records the first write error.
func (d *directSink) setErr(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err == nil {
		d.err = err
	}
}

// write writes a block at off: its aligned part directly, a tail (only the last block has one) through the page
// cache. A file system that refuses a direct write gets the rest through the page cache too. Once O_DIRECT is
// cleared, the blocks still to write go through the page cache: the same bytes, which the final fsync writes.
func (d *directSink) write(b []byte, off int64) error {
	if n := len(b) &^ (directAlign - 1); d.direct.Load() && n > 0 {
		m, err := d.f.WriteAt(b[:n], off)
		if err != nil && !errors.Is(err, unix.EINVAL) {
			return err
		}
		b, off = b[m:], off+int64(m)
	}
	if len(b) == 0 {
		return nil
	}
	if err := d.buffered(); err != nil {
		return err
	}
	_, err := d.f.WriteAt(b, off)
	return err
}

// buffered clears O_DIRECT (once).
func (d *directSink) buffered() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.direct.Load() {
		return nil
	}
	fd := uintptr(d.f.Fd())
	flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
	if err == nil {
		_, err = unix.FcntlInt(fd, unix.F_SETFL, flags&^unix.O_DIRECT)
	}
	if err == nil {
		d.direct.Store(false)
	}
	return err
}

// readFrom reads r into the blocks and queues each block as it is filled, until the end of r, a read error or a
// write error.
func (d *directSink) readFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		b := <-d.free
		n, err := io.ReadFull(r, b)
		if n > 0 {
			d.full <- block{b[:n], total}
		} else {
			d.free <- b
		}
		total += int64(n)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return total, nil
		case err != nil:
			return total, err
		}
		if err := d.failed(); err != nil {
			return total, err
		}
	}
}

// close waits for the blocks queued, releases them and returns the first write error.
func (d *directSink) close() error {
	close(d.full)
	d.wg.Wait()
	err := d.failed()
	if merr := unix.Munmap(d.mem); err == nil {
		err = merr
	}
	return err
}
