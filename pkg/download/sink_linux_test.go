package download

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// oddReader hands out data in reads of irregular sizes, as a network connection does.
type oddReader struct {
	data []byte
	rng  *rand.Rand
}

func (r *oddReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.data), 1+r.rng.IntN(100<<10))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// TestSaveLargeFiles saves large bodies (with and without a tail shorter than an aligned block) through the direct
// sink where the file system takes it and through the buffered one: the files hold exactly the bodies.
func TestSaveLargeFiles(t *testing.T) {
	dir := t.TempDir()
	probe, err := os.Create(filepath.Join(dir, "probe"))
	if err != nil {
		t.Fatal(err)
	}
	s := newSink(probe, directMinSize)
	_, direct := s.(*directSink)
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	probe.Close()
	if !direct {
		t.Log("this file system refuses O_DIRECT: only the buffered sink is tested")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, buffered := range []bool{false, true} {
		bufferedOnly = buffered
		for _, size := range []int{directMinSize, directMinSize + 3*directBlock + 12345, directMinSize + directAlign + 1} {
			body := make([]byte, size)
			for i := range body {
				body[i] = byte(rng.Uint32())
			}
			res, err := Save(context.Background(), &oddReader{body, rng}, Options{Path: dir, Name: "big.bin", Size: int64(size), Force: true})
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(res.File)
			if err != nil || res.Bytes != int64(size) || !bytes.Equal(got, body) {
				t.Fatalf("buffered %v, %d bytes: saved %d, read back %d bytes (%v), equal %v", buffered, size, res.Bytes, len(got), err, bytes.Equal(got, body))
			}
		}
	}
	bufferedOnly = false
}

// errReader fails after some data.
type errReader struct{ n int }

func (r *errReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

// TestSaveLargeInterrupted: a large download cut in the middle leaves nothing, whichever sink wrote it.
func TestSaveLargeInterrupted(t *testing.T) {
	dir := t.TempDir()
	_, err := Save(context.Background(), &errReader{n: 5 * directBlock}, Options{Path: dir, Name: "cut.bin", Size: directMinSize})
	if err == nil {
		t.Fatal("saved a cut download")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left %v", entries)
	}
}
