package pra

import (
	"bytes"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/infractl/infra/internal/sim/praxmlsim"
	"github.com/infractl/infra/pkg/api/pra"
	"github.com/infractl/infra/pkg/output"
)

// writeCounter records the size of each write.
type writeCounter struct {
	bytes.Buffer
	writes []int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, len(p))
	return w.Buffer.Write(p)
}

// TestRowWriterMatchesStreams converts a generated report of a few hundred kilobytes with the row writer and with
// the output package's streams of maps: the same bytes, written in blocks of rowBlock bytes.
func TestRowWriterMatchesStreams(t *testing.T) {
	h := praxmlsim.New(praxmlsim.Options{Seed: true})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", pra.ReportingPath+"?generate_report=AccessSession&start_date=2024-01-01&duration=0&sim_sessions=400", nil))
	doc := rec.Body.Bytes()
	spec, _ := pra.FindReport("AccessSession")
	reader := func() *pra.ReportReader {
		rr, err := pra.NewReportReader(spec, io.NopCloser(bytes.NewReader(doc)))
		if err != nil {
			t.Fatal(err)
		}
		return rr
	}
	for _, o := range []output.Options{{Format: output.JSON}, {Format: output.CSV, Columns: spec.Columns},
		{Format: output.CSV, Columns: spec.Columns, NoHeaders: true}} {
		var want bytes.Buffer
		s, err := output.NewStream(&want, o)
		if err != nil {
			t.Fatal(err)
		}
		var n1, n2 int
		if rerr, werr := copyItems(s, reader(), o.Format == output.CSV, &n1); rerr != nil || werr != nil || s.Close() != nil {
			t.Fatal(rerr, werr)
		}
		got := &writeCounter{}
		rw := newRowWriter(got, o)
		if rerr, werr := rw.copy(reader(), &n2); rerr != nil || werr != nil || rw.Close() != nil {
			t.Fatal(rerr, werr)
		}
		if n1 != n2 || n1 < 400 || got.String() != want.String() {
			t.Fatalf("%s (no headers %v): %d items written as maps, %d rows; outputs equal: %v", o.Format, o.NoHeaders, n1, n2, got.String() == want.String())
		}
		if got.Len() > 2*rowBlock && len(got.writes) > got.Len()/rowBlock+1 {
			t.Errorf("%s: %d bytes in %d writes, not in blocks of %d", o.Format, got.Len(), len(got.writes), rowBlock)
		}
	}
}
