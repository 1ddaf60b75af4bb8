package pra

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/infractl/infra/internal/sim/praxmlsim"
	"github.com/infractl/infra/pkg/output"
)

// scannerSeeds are documents in the shapes of the guide's answers, and the corners of XML the scanner must treat as
// encoding/xml does.
var scannerSeeds = []string{
	`<?xml version="1.0" encoding="UTF-8"?>
<session_list xmlns="` + NSReporting + `"><session lsid="c69a"><session_type>support</session_type><lseq>100</lseq>` +
		`<start_time timestamp="1719820800">2024-07-01T08:00:00+00:00</start_time><end_time/>` +
		`<jump_group type="shared" id="1">remote_access</jump_group><custom_attributes/>` +
		`<session_chat_view_url>https://a.example.com/session_download?lsid=c69a&amp;view=1</session_chat_view_url>` +
		`<customer_list><customer gsnumber="2"><username>srv-01</username></customer></customer_list>` +
		`<session_details><event timestamp="1" event_type="Session Start"><performed_by gsnumber="1" type="representative"/>` +
		`<data><value name="os" value="Linux"/></data></event></session_details></session></session_list>`,
	`<bt:session_list xmlns:bt="` + NSReporting + `"><bt:session lsid="1"><bt:lseq>1</bt:lseq></bt:session></bt:session_list>`,
	`<session_list xmlns="https://example.com/other"><session/></session_list>`,
	`<session_list xmlns="` + NSReporting + `"><start_time>1</start_time><session>text</session><error>Bad range</error></session_list>`,
	`<error xmlns="` + NSCommand + `">Invalid action: x</error>`,
	`<logged_in_reps xmlns="` + NSCommand + `"><rep id="1"><type>Normal</type></rep></logged_in_reps>`,
	`<x a='1' b="&lt;&gt;&amp;&apos;&quot;&#65;&#x42;&#x1F600;">t&#13;&#10;u</x>`,
	"<x>\r\n a\rb\r\r\n</x>",
	`<x><![CDATA[<not> & a ]] tag]]>after</x>`,
	`<x><!-- c -- d --></x>`,
	`<x><!-- ok --><?pi data?><y/></x>`,
	`<!DOCTYPE x [ <!ENTITY e "v"> <!-- > --> ]><x>&e;</x>`,
	`<?xml version="1.1"?><x/>`,
	`<?xml version="1.0" encoding="ISO-8859-1"?><x/>`,
	`<?xml version="1.0" encoding="ascii"?><x/>`,
	"<x>\xff</x>",
	"<x>&#0;</x>",
	"<x>&#xD800;</x>",
	"<é>ü</é>",
	"<x:y:z/>",
	`<a:b xmlns:a="u"></c:b>`,
	`<a><b></a>`,
	`<a>`,
	`</a>`,
	`text<a/>`,
	` `,
	``,
	`<a b=c/>`,
	`<a b/>`,
	`<a>]]></a>`,
	`<a>&unknown;</a>`,
	`<a>&amp</a>`,
	`<a x:y="1" xmlns:x="xmlns" xmlns:p="q" p:z="2" xml:lang="en" xmlns="d"/>`,
	`<data kind="k">t<value name="a" value="1"/></data>`,
	`<x><y>1</y><y>2</y><y>3</y></x>`,
	"<session_list>\n  <session>\n    <lsid>1</lsid>\n  </session>\n  <session>2</session>\n</session_list>\n<trailing",
}

var errCut = errors.New("connection reset by peer")

// readerVariants returns the ways a document reaches the decoder: whole, a byte at a time, and cut by a network error
// after its last byte.
func readerVariants(data []byte) map[string]func() io.Reader {
	return map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(data) },
		"byte":     func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
		"cut":      func() io.Reader { return io.MultiReader(bytes.NewReader(data), iotest.ErrReader(errCut)) },
		"withdata": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
	}
}

func short(v any) string {
	s := fmt.Sprintf("%#v", v)
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// scanReport reads a whole report through ReportReader, in the form refReport returns.
func scanReport(r io.Reader, s *ReportSpec) ([]map[string]any, map[string]any, error) {
	rr, err := NewReportReader(s, io.NopCloser(r))
	if err != nil {
		return nil, nil, err
	}
	var items []map[string]any
	for {
		m, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return items, rr.Meta, nil
		}
		if err != nil {
			return items, rr.Meta, err
		}
		items = append(items, m)
	}
}

func compareWithEncodingXML(t *testing.T, data []byte) {
	spec, _ := FindReport("AccessSession")
	for name, open := range readerVariants(data) {
		root, v, err := document(open(), "command", "fuzz", NSCommand)
		wroot, wv, werr := refDocument(open(), "command", "fuzz", NSCommand)
		if errText(err) != errText(werr) || root != wroot || !reflect.DeepEqual(v, wv) {
			t.Fatalf("%s: document %s:\n got %q %s %v\nwant %q %s %v", name, short(string(data)), root, short(v), err, wroot, short(wv), werr)
		}
		items, meta, err := scanReport(open(), spec)
		witems, wmeta, werr := refReport(open(), spec)
		if errText(err) != errText(werr) || !reflect.DeepEqual(items, witems) || (werr == nil && !reflect.DeepEqual(meta, wmeta)) {
			t.Fatalf("%s: report %s:\n got %d %s %s %v\nwant %d %s %s %v", name, short(string(data)), len(items), short(items), short(meta), err, len(witems), short(witems), short(wmeta), werr)
		}
		compareRows(t, name, open(), spec)
		if fe, wfe := fileErrorFromXML(open(), "backup", "", NSCommand), refFileError(open()); errText(fe) != errText(wfe) {
			t.Fatalf("%s: file error %s:\n got %v\nwant %v", name, short(string(data)), fe, wfe)
		}
	}
}

// compareRows checks that each item NextRow reads is written, as JSON and as CSV cells, byte for byte as the output
// package writes its map form (flattened for CSV).
func compareRows(t *testing.T, variant string, r io.Reader, spec *ReportSpec) {
	rr, err := NewReportReader(spec, io.NopCloser(r))
	if err != nil {
		return
	}
	for {
		row, err := rr.NextRow()
		if err != nil {
			return
		}
		m := row.Map()
		var want bytes.Buffer
		if err := output.Render(&want, m, output.Options{Format: output.JSON}); err != nil {
			t.Fatal(err)
		}
		if got := string(row.AppendJSON(nil)) + "\n"; got != want.String() {
			t.Fatalf("%s: row JSON:\n got %s\nwant %s", variant, got, want.String())
		}
		flat := FlattenRow(m)
		if dotted(m) {
			continue // FlattenRow's result depends on map order when a name holds a dot
		}
		cols := append([]string{"value", "#text", "missing", "a.b"}, spec.Columns...)
		for k := range flat {
			cols = append(cols, k, k+"."+TextKey)
		}
		var got, wantCSV bytes.Buffer
		o := output.Options{Format: output.CSV, Columns: cols, NoHeaders: true}
		if err := output.Render(&wantCSV, flat, o); err != nil {
			t.Fatal(err)
		}
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = row.Cell(c)
		}
		cw := csv.NewWriter(&got)
		if err := cw.Write(cells); err != nil {
			t.Fatal(err)
		}
		cw.Flush()
		if got.String() != wantCSV.String() {
			t.Fatalf("%s: row cells %q:\n got %s\nwant %s", variant, cols, got.String(), wantCSV.String())
		}
	}
}

// dotted reports a key holding a dot in v.
func dotted(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if strings.Contains(k, ".") || dotted(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if dotted(e) {
				return true
			}
		}
	}
	return false
}

// refFileError is fileErrorFromXML on the reference decoder.
func refFileError(r io.Reader) error {
	d := refNewDecoder(io.LimitReader(r, 1<<20))
	start, err := refReadRoot(d)
	if err != nil {
		return fmt.Errorf("backup API : the appliance sent XML instead of a file, and it could not be read: %w", err)
	}
	v, err := refDecodeElement(d, start)
	if err != nil {
		return fmt.Errorf("backup API : reading the XML answer: %w", err)
	}
	if start.Name.Local == "error" {
		return &XMLError{API: "backup", Message: textOf(v)}
	}
	if m, ok := v.(map[string]any); ok {
		if e, ok := m["error"]; ok {
			return &XMLError{API: "backup", Message: textOf(e)}
		}
	}
	return fmt.Errorf("backup API : expected a file, the appliance sent an XML <%s> document", start.Name.Local)
}

// FuzzScanner checks that the scanner decodes every input as the encoding/xml decoder it replaced: the same values,
// the same items, the same errors, whatever the read sizes. The seeds run in go test; make fuzz runs it longer.
func FuzzScanner(f *testing.F) {
	for _, s := range scannerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithEncodingXML(t, data)
	})
}

// TestScannerLargeBuffers decodes documents longer than the read buffer, with names, text and attribute values
// across its boundary.
func TestScannerLargeBuffers(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<session_list xmlns="` + NSReporting + `">`)
	for i := 0; b.Len() < 300<<10; i++ {
		fmt.Fprintf(&b, "<session lsid=\"%d&amp;%s\"><lseq>%d</lseq><note>%s&#233;\r\n</note></session>\n", i, strings.Repeat("x", i%97), i, strings.Repeat("é", i%13))
	}
	b.WriteString(`</session_list>`)
	compareWithEncodingXML(t, []byte(b.String()))
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// simReport is an AccessSession report of n generated sessions, as the simulator writes it.
func simReport(b testing.TB, n int) []byte {
	h := praxmlsim.New(praxmlsim.Options{Seed: true})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", fmt.Sprintf("%s?generate_report=AccessSession&start_date=2024-01-01&duration=0&sim_sessions=%d", ReportingPath, n), nil))
	if rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte("<session ")) {
		b.Fatalf("simulator answered %d: %.200s", rec.Code, rec.Body.Bytes())
	}
	return rec.Body.Bytes()
}

// BenchmarkDecodeReport decodes a 5,000-session report held in memory with the scanner and with the encoding/xml
// decoder it replaced (MB/s is XML read per second).
func BenchmarkDecodeReport(b *testing.B) {
	doc := simReport(b, 5000)
	spec, _ := FindReport("AccessSession")
	for _, c := range []struct {
		name string
		read func(io.Reader, *ReportSpec) ([]map[string]any, map[string]any, error)
	}{{"scanner", scanReport}, {"encoding-xml", refReport}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if items, _, err := c.read(bytes.NewReader(doc), spec); err != nil || len(items) < 5000 {
					b.Fatal(len(items), err)
				}
			}
			// CPU time is steadier than wall time on a shared machine.
			cpu := cpuTime() - start
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(len(doc))*float64(b.N)/cpu.Seconds()/1e6, "cpu-MB/s")
		})
	}
}

// convertMaps writes a report as the output package's streams write the items of Next (flattened for CSV).
func convertMaps(w io.Writer, r io.Reader, spec *ReportSpec, format output.Format) (int, error) {
	rr, err := NewReportReader(spec, io.NopCloser(r))
	if err != nil {
		return 0, err
	}
	s, err := output.NewStream(w, output.Options{Format: format, Columns: spec.Columns})
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		m, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return n, s.Close()
		}
		if err != nil {
			return n, err
		}
		var item any = m
		if format == output.CSV {
			item = FlattenRow(m)
		}
		if err := s.Write(item); err != nil {
			return n, err
		}
		n++
	}
}

// convertRows writes a report from the rows of NextRow, as the report command does for JSON lines and CSV.
func convertRows(w io.Writer, r io.Reader, spec *ReportSpec, format output.Format) (int, error) {
	rr, err := NewReportReader(spec, io.NopCloser(r))
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	rec := make([]string, len(spec.Columns))
	if format == output.CSV {
		_ = cw.Write(spec.Columns)
	}
	var buf []byte
	n := 0
	for {
		row, err := rr.NextRow()
		if errors.Is(err, io.EOF) {
			cw.Flush()
			return n, bw.Flush()
		}
		if err != nil {
			return n, err
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
			return n, err
		}
		n++
	}
}

// TestConvertRowsAsMaps converts a generated report both ways: the outputs are the same bytes, and the items are
// those of the encoding/xml decoder (elements of the same shape repeat, as the key orders remembered assume).
func TestConvertRowsAsMaps(t *testing.T) {
	doc := simReport(t, 300)
	spec, _ := FindReport("AccessSession")
	items, _, err := scanReport(bytes.NewReader(doc), spec)
	want, _, werr := refReport(bytes.NewReader(doc), spec)
	if err != nil || werr != nil || len(items) < 300 || !reflect.DeepEqual(items, want) {
		t.Fatalf("%d items (%v), encoding/xml %d (%v), equal %v", len(items), err, len(want), werr, reflect.DeepEqual(items, want))
	}
	for _, format := range []output.Format{output.JSON, output.CSV} {
		var maps, rows bytes.Buffer
		n1, err1 := convertMaps(&maps, bytes.NewReader(doc), spec, format)
		n2, err2 := convertRows(&rows, bytes.NewReader(doc), spec, format)
		if err1 != nil || err2 != nil || n1 != n2 || n1 < 300 {
			t.Fatalf("%s: %d items (%v), %d rows (%v)", format, n1, err1, n2, err2)
		}
		if maps.String() != rows.String() {
			t.Fatalf("%s: outputs differ:\n%.400s\n%.400s", format, maps.String(), rows.String())
		}
	}
}

// BenchmarkConvertReport converts a 5,000-session report held in memory to JSON lines and CSV, from the maps of
// Next through the output package's streams and from the rows of NextRow (the report command's way).
func BenchmarkConvertReport(b *testing.B) {
	doc := simReport(b, 5000)
	spec, _ := FindReport("AccessSession")
	for _, format := range []output.Format{output.JSON, output.CSV} {
		for _, c := range []struct {
			name    string
			convert func(io.Writer, io.Reader, *ReportSpec, output.Format) (int, error)
		}{{"maps", convertMaps}, {"rows", convertRows}} {
			b.Run(string(format)+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(len(doc)))
				b.ReportAllocs()
				start := cpuTime()
				for b.Loop() {
					if n, err := c.convert(io.Discard, bytes.NewReader(doc), spec, format); err != nil || n < 5000 {
						b.Fatal(n, err)
					}
				}
				cpu := cpuTime() - start
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(len(doc))*float64(b.N)/cpu.Seconds()/1e6, "cpu-MB/s")
			})
		}
	}
}
