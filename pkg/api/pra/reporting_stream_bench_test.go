package pra_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infractl/infra/internal/sim/prasim"
	"github.com/infractl/infra/internal/sim/praxmlsim"
	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/pra"
	"github.com/infractl/infra/pkg/download"
	"github.com/infractl/infra/pkg/output"
)

// site starts the PRA simulator with the XML APIs and returns a client for it.
func site(t testing.TB) (*pra.Client, *praxmlsim.Handler) {
	t.Helper()
	sim := prasim.New(prasim.Options{ClientID: "c", ClientSecret: "s", Seed: true})
	h := praxmlsim.New(praxmlsim.Options{Seed: true})
	h.MountOn(sim)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := pra.New(api.Options{}, pra.Settings{Host: srv.URL, ClientID: "c", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	return c, h
}

// peak samples the Go heap while running f and returns the highest HeapInuse seen, in bytes.
func peak(f func() error) (uint64, error) {
	runtime.GC()
	var top atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > top.Load() {
				top.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	err := f()
	close(stop)
	wg.Wait()
	return top.Load(), err
}

// countingWriter counts bytes written.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// streamReport runs AccessSession with n generated sessions and writes it as the report command does: JSON lines
// and CSV straight from the rows of NextRow.
func streamReport(c *pra.Client, n int, format output.Format) (int, int64, error) {
	spec, _ := pra.FindReport("AccessSession")
	q := url.Values{"start_date": {"2024-07-01"}, "duration": {"31"}, "sim_sessions": {strconv.Itoa(n)}}
	rr, err := c.Report(context.Background(), spec, q)
	if err != nil {
		return 0, 0, err
	}
	defer rr.Close()
	w := &countingWriter{}
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	rec := make([]string, len(spec.Columns))
	if format == output.CSV {
		_ = cw.Write(spec.Columns)
	}
	var buf []byte
	rows := 0
	for {
		row, err := rr.NextRow()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rows, w.n, err
		}
		if format == output.CSV {
			for i, c := range spec.Columns {
				rec[i] = row.Cell(c)
			}
			err = cw.Write(rec)
		} else {
			buf = append(row.AppendJSON(buf[:0]), '\n')
			_, err = bw.Write(buf)
		}
		if err != nil {
			return rows, w.n, err
		}
		rows++
	}
	cw.Flush()
	err = bw.Flush()
	return rows, w.n, err
}

// TestReportMemoryDoesNotGrow converts reports of 2,000 and 20,000 sessions and checks the peak heap of the larger
// one stays close to the smaller's: memory does not grow with the report.
func TestReportMemoryDoesNotGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("streams tens of megabytes")
	}
	c, _ := site(t)
	var peaks [2]uint64
	var out [2]int64
	for i, n := range []int{2000, 20000} {
		var rows int
		p, err := peak(func() error {
			var err error
			rows, out[i], err = streamReport(c, n, output.JSON)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if rows != n+6 {
			t.Fatalf("%d sessions asked: got %d rows", n, rows)
		}
		peaks[i] = p
	}
	t.Logf("peak heap: %d KiB for %d bytes of JSON, %d KiB for %d bytes", peaks[0]>>10, out[0], peaks[1]>>10, out[1])
	if peaks[1] > peaks[0]+24<<20 || peaks[1] > 64<<20 {
		t.Fatalf("peak heap grew from %d to %d KiB for ten times the sessions", peaks[0]>>10, peaks[1]>>10)
	}
}

// BenchmarkReportStream converts a 100,000-session AccessSession report (about 300 MB of XML) to JSON lines and CSV,
// reporting the peak heap: it stays a few megabytes whatever the report size.
func BenchmarkReportStream(b *testing.B) {
	n := 100_000
	if v := os.Getenv("INFRA_BENCH_SESSIONS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	c, _ := site(b)
	for _, format := range []output.Format{output.JSON, output.CSV} {
		b.Run(string(format), func(b *testing.B) {
			var top uint64
			var bytes int64
			for i := 0; i < b.N; i++ {
				p, err := peak(func() error {
					rows, w, err := streamReport(c, n, format)
					bytes = w
					if err == nil && rows != n+6 {
						b.Fatalf("got %d rows", rows)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				top = max(top, p)
			}
			b.ReportMetric(float64(top)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(n), "sessions")
			b.ReportMetric(float64(bytes)/(1<<20), "output-MiB")
		})
	}
}

// BenchmarkBackupDownload streams a generated backup (256 MiB; INFRA_BENCH_BACKUP_BYTES=2147483648 for 2 GiB) to
// disk through pkg/download and reports the peak heap.
func BenchmarkBackupDownload(b *testing.B) {
	size := int64(256 << 20)
	if v := os.Getenv("INFRA_BENCH_BACKUP_BYTES"); v != "" {
		size, _ = strconv.ParseInt(v, 10, 64)
	}
	c, h := site(b)
	h.SetBackupSize(size)
	dir := b.TempDir()
	b.SetBytes(size)
	var top uint64
	for i := 0; i < b.N; i++ {
		p, err := peak(func() error {
			f, err := c.Backup(context.Background())
			if err != nil {
				return err
			}
			defer f.Close()
			res, err := download.Save(context.Background(), f.Body, download.Options{Path: dir, Name: "b.nsb", Force: true, Size: f.Size})
			if err == nil && res.Bytes != size {
				b.Fatalf("saved %d bytes", res.Bytes)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		top = max(top, p)
	}
	b.ReportMetric(float64(top)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(size)/(1<<20), "backup-MiB")
}

// TestBackupMemory downloads a 128 MiB backup and checks the heap stays far below its size.
func TestBackupMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 128 MiB")
	}
	c, h := site(t)
	const size = 128 << 20
	h.SetBackupSize(size)
	dir := t.TempDir()
	p, err := peak(func() error {
		f, err := c.Backup(context.Background())
		if err != nil {
			return err
		}
		defer f.Close()
		res, err := download.Save(context.Background(), f.Body, download.Options{Path: dir, Name: "b.nsb", Size: f.Size})
		if err == nil && res.Bytes != size {
			t.Fatalf("saved %d bytes", res.Bytes)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("peak heap %d KiB for a %d MiB backup", p>>10, size>>20)
	if p > 32<<20 {
		t.Fatalf("peak heap %d MiB while downloading %d MiB", p>>20, size>>20)
	}
}
