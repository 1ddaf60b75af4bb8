// Package bulk runs one operation over many input records: records read from JSON Lines, CSV or key=value files,
// validated before anything is sent, executed concurrently within the vendor's rate limit, each outcome journaled so a
// re-run skips what is done, and creates made exactly once even when an answer is lost.
package bulk

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/infractl/infra/pkg/kv"
)

// Format is an input file format.
type Format string

// Input formats.
const (
	JSONL Format = "jsonl"
	CSV   Format = "csv"
	KV    Format = "kv"
)

// Record is one input item. Exactly one of JSON and Pairs is set: JSON for JSON Lines, Pairs for CSV (cells as quoted
// strings, empty cells left out) and key=value records.
type Record struct {
	Index int            // 1-based position in the input
	Line  int            // first line of the record in the input
	JSON  map[string]any // JSON Lines
	Pairs []kv.Pair      // CSV and key=value
	Key   string         // content hash: identifies the record in the journal
}

// Name describes the record in messages: "record 3 (line 4)".
func (r Record) Name() string { return fmt.Sprintf("record %d (line %d)", r.Index, r.Line) }

// DetectFormat picks the format from a file name, else from the first non-blank byte of the content: '{' is JSON
// Lines, a first line with commas and no '=' is CSV, anything else key=value.
func DetectFormat(name string, head []byte) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jsonl", ".ndjson", ".json":
		return JSONL
	case ".csv":
		return CSV
	case ".kv", ".env", ".txt":
		return KV
	}
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(t) > 0 && t[0] == '{' {
		return JSONL
	}
	first, _, _ := bytes.Cut(t, []byte("\n"))
	if bytes.Contains(first, []byte(",")) && !bytes.Contains(first, []byte("=")) {
		return CSV
	}
	return KV
}

// Read parses every record of r. name (a file name, or "-") helps detect the format when f is empty. A syntax error
// names the line; nothing is returned partially.
func Read(r io.Reader, name string, f Format) ([]Record, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if f == "" {
		f = DetectFormat(name, data)
	}
	var recs []Record
	switch f {
	case JSONL:
		recs, err = readJSONL(data)
	case CSV:
		recs, err = readCSV(data)
	case KV:
		recs, err = readKV(data)
	default:
		return nil, fmt.Errorf("unknown input format %q (use jsonl, csv or kv)", f)
	}
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, errors.New("the input holds no records")
	}
	for i := range recs {
		recs[i].Index = i + 1
		recs[i].Key = recs[i].hash(nil)
	}
	return recs, nil
}

func readJSONL(data []byte) ([]Record, error) {
	var recs []Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		t := bytes.TrimSpace(sc.Bytes())
		if len(t) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("line %d: not a JSON object: %v", line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("line %d: more than one JSON value on the line", line)
		}
		recs = append(recs, Record{Line: line, JSON: m})
	}
	return recs, sc.Err()
}

func readCSV(data []byte) ([]Record, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if !kv.ValidKey(h) {
			return nil, fmt.Errorf("CSV header column %d: %q is not a field name", i+1, h)
		}
		if seen[h] {
			return nil, fmt.Errorf("CSV header: column %q appears twice", h)
		}
		seen[h] = true
		header[i] = h
	}
	var recs []Record
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		var pairs []kv.Pair
		for i, v := range row {
			if v == "" {
				continue
			}
			pairs = append(pairs, kv.Pair{Key: header[i], Value: v, Quoted: true})
		}
		if len(pairs) == 0 {
			continue
		}
		recs = append(recs, Record{Line: line, Pairs: pairs})
	}
	return recs, nil
}

func readKV(data []byte) ([]Record, error) {
	groups, err := kv.ParseRecords(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	recs := make([]Record, 0, len(groups))
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		recs = append(recs, Record{Line: g[0].Line, Pairs: g})
	}
	return recs, nil
}

// KeyWithout is the record's key computed without the fields secret reports: a journal holds no value derived from
// a password, and a record whose only change is its secret is the same record.
func (r Record) KeyWithout(secret func(field string) bool) string { return r.hash(secret) }

// hash identifies a record by its content, independent of key order, so a journal still matches after the input
// file is re-ordered or records are added. Fields skip reports are left out.
func (r Record) hash(skip func(string) bool) string {
	if skip == nil {
		skip = func(string) bool { return false }
	}
	h := sha256.New()
	if r.JSON != nil {
		keys := make([]string, 0, len(r.JSON))
		for k := range r.JSON {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if skip(k) {
				continue
			}
			b, _ := json.Marshal(r.JSON[k])
			fmt.Fprintf(h, "%q=%s\n", k, b)
		}
	} else {
		ps := append([]kv.Pair(nil), r.Pairs...)
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
		for _, p := range ps {
			if top, _, _ := strings.Cut(p.Key, kv.Sep); skip(top) {
				continue
			}
			fmt.Fprintf(h, "%q=%q\n", p.Key, p.Value)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Field returns the value of field name as text ("" when absent).
func (r Record) Field(name string) string {
	if r.JSON != nil {
		switch v := r.JSON[name].(type) {
		case nil:
			return ""
		case string:
			return v
		default:
			b, _ := json.Marshal(v)
			return string(b)
		}
	}
	for i := len(r.Pairs) - 1; i >= 0; i-- {
		if r.Pairs[i].Key == name {
			return r.Pairs[i].Value
		}
	}
	return ""
}
