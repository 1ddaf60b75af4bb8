package pra

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/infractl/infra/pkg/api"
)

// ReportKind says what a report returns.
type ReportKind int

// Report kinds.
const (
	ReportRows ReportKind = iota // an XML list, streamed item by item
	ReportFile                   // a file (recording, ZIP) to save
)

// ReportSpec describes one report type of the reporting API (API guide, "Reporting API").
type ReportSpec struct {
	Name  string // generate_report value as listed by the guide
	Wire  string // value sent, when the guide's example differs in case (syslog)
	Kind  ReportKind
	Root  string // root element of a row report
	Item  string // repeated element, one row each
	Range bool   // takes start_date|start_time|end_date|end_time + duration
	LSIDs bool   // AccessSession: lsid or lsids instead of a range
	// Params are the other parameters it takes.
	Params []Param
	// Columns are the default table/CSV columns (after flattening, see FlattenRow).
	Columns []string
	Short   string
	// FileName is the fallback file name for file reports.
	FileName func(q url.Values) string
}

// Reports lists the ten report types.
var Reports = []ReportSpec{
	{Name: "AccessSession", Kind: ReportRows, Root: "session_list", Item: "session", Range: true, LSIDs: true,
		Columns: []string{"lsid", "session_type", "lseq", "start_time", "end_time", "duration", "jump_group", "jumpoint", "primary_rep", "primary_customer", "file_transfer_count"},
		Short:   "full information for sessions in a time range or by session id"},
	{Name: "AccessSessionListing", Kind: ReportRows, Root: "session_summary_list", Item: "session_summary", Range: true,
		Columns: []string{"lsid", "has_recording", "external_key"},
		Short:   "session ids, external keys and whether a recording exists"},
	{Name: "AccessSessionSummary", Kind: ReportRows, Root: "summary_list", Item: "summary", Range: true,
		Params:  []Param{{Name: "report_type", Flag: "report-type", Required: true, Kind: PEnum, Enum: []string{"user"}, Help: "user (the only accepted value)"}},
		Columns: []string{"id", "type", "display_name", "total_sessions", "avg_sessions_per_weekday", "avg_duration"},
		Short:   "access session statistics by user"},
	{Name: "AccessSessionRecording", Kind: ReportFile,
		Params:   []Param{{Name: "lsid", Flag: "lsid", Required: true, Help: "session id"}},
		Short:    "download the video recording of a session",
		FileName: func(q url.Values) string { return "AccessSessionRecording-" + q.Get("lsid") }},
	{Name: "CommandShellRecording", Kind: ReportFile,
		Params: []Param{{Name: "lsid", Flag: "lsid", Required: true, Help: "session id"},
			{Name: "instance", Flag: "instance", Required: true, Kind: PInt, Min: 0, Max: 1 << 30, Help: "command shell instance, from 0 (see the AccessSession report)"},
			{Name: "format", Flag: "format", Kind: PEnum, Enum: []string{"txt"}, Help: "txt: the shell output as text instead of a recording"}},
		Short: "download a command shell recording",
		FileName: func(q url.Values) string {
			n := "CommandShellRecording-" + q.Get("lsid") + "-" + q.Get("instance")
			if q.Get("format") == "txt" {
				n += ".txt"
			}
			return n
		}},
	{Name: "EndpointLicenseUsage", Kind: ReportFile, Short: "download the endpoint license usage ZIP",
		FileName: func(url.Values) string { return "EndpointLicenseUsage.zip" }},
	{Name: "Syslog", Wire: "syslog", Kind: ReportFile, Short: "download a ZIP of the appliance's syslog files (last 30 days of /login changes)",
		FileName: func(url.Values) string { return "syslog.zip" }},
	{Name: "Team", Kind: ReportRows, Root: "team_activity_list", Item: "team_activity", Range: true,
		Params:  []Param{{Name: "team_id", Flag: "team-id", Kind: PInt, Min: 1, Max: 1<<31 - 1, Help: "only this team's activity"}},
		Columns: []string{"id", "name", "events", "logged_in_privileged_users"},
		Short:   "activity within teams"},
	{Name: "VaultAccountActivity", Kind: ReportRows, Root: "vault_account_activity_list", Item: "vault_account_activity", Range: true,
		Params:  []Param{{Name: "limit", Flag: "filter", Help: "all, rep:ID or account:ID"}},
		Columns: []string{"timestamp", "event_type", "account", "performed_by", "data"},
		Short:   "Vault account activity events"},
	{Name: "UserRecording", Kind: ReportFile,
		Params:   []Param{{Name: "lsid", Flag: "lsid", Required: true, Help: "session id"}},
		Short:    "download a user recording",
		FileName: func(q url.Values) string { return "UserRecording-" + q.Get("lsid") }},
}

// FindReport returns the report called name (case-insensitive).
func FindReport(name string) (*ReportSpec, bool) {
	for i := range Reports {
		if strings.EqualFold(Reports[i].Name, name) {
			return &Reports[i], true
		}
	}
	return nil, false
}

// ReportNames lists the report names.
func ReportNames() []string {
	out := make([]string, len(Reports))
	for i, r := range Reports {
		out[i] = r.Name
	}
	return out
}

// WireName is the generate_report value sent.
func (s *ReportSpec) WireName() string {
	if s.Wire != "" {
		return s.Wire
	}
	return s.Name
}

// Param returns the extra parameter called key (vendor or flag name).
func (s *ReportSpec) Param(key string) (*Param, bool) {
	for i := range s.Params {
		if s.Params[i].Name == key || s.Params[i].Flag == key {
			return &s.Params[i], true
		}
	}
	return nil, false
}

var rangeKeys = []string{"start_date", "start_time", "end_date", "end_time"}

// CheckReportParams validates q against the parameter sets the guide allows for s, reporting every problem.
func CheckReportParams(s *ReportSpec, q url.Values) error {
	var ps problems
	var given []string
	for _, k := range rangeKeys {
		if q.Has(k) {
			given = append(given, k)
		}
	}
	switch {
	case !s.Range:
		for _, k := range append(rangeKeys, "duration") {
			if q.Has(k) {
				ps.add("%s: %s takes no time range", k, s.Name)
			}
		}
	case s.LSIDs && (q.Has("lsid") || q.Has("lsids")):
		ps.checkSessionIDs(q, given)
	default:
		ps.checkRange(s, q, given)
	}
	if !s.LSIDs && s.Range {
		for _, k := range []string{"lsid", "lsids"} {
			if q.Has(k) {
				ps.add("%s: %s does not select by session id", k, s.Name)
			}
		}
	}
	for _, p := range s.Params {
		v, ok := q[p.Name]
		var first string
		if ok {
			first = v[0]
		}
		if !ps.present(&p, first, ok, s.Name) {
			continue
		}
		if _, err := CheckParam(&p, first); err != nil {
			ps.add("%s (--%s): %v", p.Name, p.Flag, err)
		}
		if p.Name == "limit" && !validVaultLimit(first) {
			ps.add("limit (--filter): %q: use all, rep:ID or account:ID", first)
		}
	}
	ps.checkUnknown(s, q)
	return ps.err()
}

// checkSessionIDs checks a report selected by session ids (lsid or lsids), which excludes a time range; given are
// the range parameters present.
func (ps *problems) checkSessionIDs(q url.Values, given []string) {
	if q.Has("lsid") && q.Has("lsids") {
		ps.add("give either one session id (--lsid) or a list (--lsids), not both")
	}
	if len(given) > 0 || q.Has("duration") {
		ps.add("session ids and a time range cannot be combined: AccessSession takes either a range or lsid/lsids")
	}
	if q.Has("lsids") {
		for _, id := range strings.Split(q.Get("lsids"), ",") {
			if strings.TrimSpace(id) == "" {
				ps.add("lsids: empty session id in %q", q.Get("lsids"))
				break
			}
		}
	}
}

// checkRange checks the time range of report s: exactly one start (given are those present), each a date or a
// UNIX timestamp as its name says, and a duration of whole seconds.
func (ps *problems) checkRange(s *ReportSpec, q url.Values, given []string) {
	switch len(given) {
	case 0:
		alt := ""
		if s.LSIDs {
			alt = ", or session ids (--lsid/--lsids)"
		}
		ps.add("%s needs a time range: --since DATE [--days N] or --from TIME [--to TIME] (add --ended for sessions that ended in the range)%s", s.Name, alt)
	case 1:
	default:
		ps.add("only one of %s may be given, got %s", strings.Join(rangeKeys, ", "), strings.Join(given, " and "))
	}
	if len(given) == 1 && !q.Has("duration") {
		ps.add("duration: required with %s", given[0])
	}
	for _, k := range given {
		v := q.Get(k)
		if strings.HasSuffix(k, "_date") {
			if _, err := time.Parse("2006-01-02", v); err != nil {
				ps.add("%s: %q is not a date YYYY-MM-DD", k, v)
			}
		} else if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
			ps.add("%s: %q is not a UNIX timestamp", k, v)
		}
	}
	if q.Has("duration") {
		if n, err := strconv.ParseInt(q.Get("duration"), 10, 64); err != nil || n < 0 {
			ps.add("duration: %q must be a whole number >= 0 (0 = until now)", q.Get("duration"))
		}
	}
}

// checkUnknown refuses the parameters report s does not know (in name order), except those already explained: a
// range for a report without one, session ids for a report that does not select by them.
func (ps *problems) checkUnknown(s *ReportSpec, q url.Values) {
	known := map[string]bool{}
	for _, p := range s.Params {
		known[p.Name] = true
	}
	if s.Range {
		for _, k := range append(rangeKeys, "duration") {
			known[k] = true
		}
	}
	if s.LSIDs {
		known["lsid"], known["lsids"] = true, true
	}
	var unknown []string
	for k := range q {
		if !known[k] && k != "generate_report" {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		explained := (!s.Range && (contains(rangeKeys, k) || k == "duration")) ||
			(s.Range && !s.LSIDs && (k == "lsid" || k == "lsids"))
		if !explained {
			ps.add("%s: not a parameter of %s", k, s.Name)
		}
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func validVaultLimit(v string) bool {
	v = strings.TrimSpace(v)
	if v == "all" {
		return true
	}
	for _, p := range []string{"rep:", "account:"} {
		if rest, ok := strings.CutPrefix(v, p); ok {
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			return err == nil && n > 0
		}
	}
	return false
}

// ReportReader streams the items of a row report: one XML element is decoded at a time, so memory does not grow with
// the size of the report.
type ReportReader struct {
	spec *ReportSpec
	body io.ReadCloser
	d    *xmlScanner
	tree tree
	row  Row
	done bool
	// Meta collects the root's children that are not items (Team's <start_time> and <end_time>).
	Meta map[string]any
}

// Report requests a row report; q must have passed CheckReportParams.
func (c *Client) Report(ctx context.Context, s *ReportSpec, q url.Values) (*ReportReader, error) {
	if s.Kind != ReportRows {
		return nil, fmt.Errorf("%s is a file report: download it", s.Name)
	}
	p := url.Values{}
	for k, v := range q {
		p[k] = v
	}
	p.Set("generate_report", s.WireName())
	// Reports are streamed: --timeout bounds each gap in the transfer, not the whole report.
	resp, err := c.xmlRequest(api.Streaming(ctx), http.MethodGet, ReportingPath, p)
	if err != nil {
		return nil, err
	}
	return newReportReader(s, resp.Body)
}

// NewReportReader reads a row report from r (tests and benchmarks; Report uses it).
func NewReportReader(s *ReportSpec, r io.ReadCloser) (*ReportReader, error) {
	return newReportReader(s, r)
}

func newReportReader(s *ReportSpec, body io.ReadCloser) (*ReportReader, error) {
	rr := &ReportReader{spec: s, body: body, d: newScanner(body), Meta: map[string]any{}}
	if err := readRoot(rr.d); err != nil {
		body.Close()
		return nil, fmt.Errorf("reporting API %s: %w", s.Name, err)
	}
	if err := checkNS(rr.d, NSReporting); err != nil {
		body.Close()
		return nil, fmt.Errorf("reporting API %s: %w", s.Name, err)
	}
	root := rr.d.name.local
	switch root {
	case s.Root:
	case "html", "HTML":
		body.Close()
		return nil, fmt.Errorf("reporting API %s: %w", s.Name, errHTML)
	case "error":
		v, _ := decodeElement(rr.d)
		body.Close()
		return nil, &XMLError{API: "reporting", Action: s.Name, Message: textOf(v)}
	default:
		body.Close()
		return nil, fmt.Errorf("reporting API %s: expected <%s>, the appliance sent <%s>", s.Name, s.Root, root)
	}
	return rr, nil
}

// Next returns the next item, or io.EOF after the last one. An <error> element met in the list is returned as an
// *XMLError.
func (r *ReportReader) Next() (map[string]any, error) {
	row, err := r.NextRow()
	if err != nil {
		return nil, err
	}
	return row.Map(), nil
}

// NextRow is Next without the maps: the item is returned in the scanner's own form, valid until the next call, for
// writers that convert it straight to JSON or CSV.
func (r *ReportReader) NextRow() (*Row, error) {
	if r.done {
		return nil, io.EOF
	}
	for {
		tok, err := r.d.next()
		if err != nil {
			r.done = true
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("reporting API %s: the report ends before </%s> (connection cut?)", r.spec.Name, r.spec.Root)
			}
			return nil, fmt.Errorf("reporting API %s: %w", r.spec.Name, err)
		}
		switch tok {
		case tokText:
			r.d.text = r.d.text[:0]
		case tokStart:
			if err := checkNS(r.d, NSReporting); err != nil {
				r.done = true
				return nil, fmt.Errorf("reporting API %s: %w", r.spec.Name, err)
			}
			name := r.d.name.local
			r.tree.reset()
			v, err := r.tree.decode(r.d)
			if err != nil {
				r.done = true
				return nil, fmt.Errorf("reporting API %s: %w", r.spec.Name, err)
			}
			switch name {
			case r.spec.Item:
				r.row = Row{t: &r.tree, s: r.d, v: v}
				return &r.row, nil
			case "error":
				r.done = true
				return nil, &XMLError{API: "reporting", Action: r.spec.Name, Message: textOf(r.tree.toAny(r.d, v))}
			default:
				r.Meta[name] = r.tree.toAny(r.d, v)
			}
		case tokEnd:
			r.done = true
			return nil, io.EOF
		}
	}
}

// Close releases the connection.
func (r *ReportReader) Close() error { return r.body.Close() }

// FlattenRow turns nested objects of an item into top-level keys for tables and CSV: an element's text stays under
// its own name and its attributes and children become NAME.KEY (start_time and start_time.timestamp). Lists are kept.
func FlattenRow(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				if k == TextKey {
					out[prefix] = x
					continue
				}
				walk(prefix+"."+k, x)
			}
		default:
			out[prefix] = v
		}
	}
	for k, v := range m {
		walk(k, v)
	}
	return out
}

// File is a file answer of the reporting, backup or client scripting API, ready to be read once.
type File struct {
	Body io.Reader
	Name string // from Content-Disposition (sanitised later by the saver) or the fallback
	Size int64  // Content-Length; -1 when unknown
	// Header is the response header.
	Header http.Header
	closer io.Closer
}

// Close releases the connection.
func (f *File) Close() error { return f.closer.Close() }

// openFile sends a request whose answer is a file. An XML answer instead (an <error> element, with status 200) is
// read and returned as an error before anything is written.
func (c *Client) openFile(ctx context.Context, method, path string, params url.Values, apiName, action, ns, fallback string) (*File, error) {
	resp, err := c.xmlRequest(api.Streaming(ctx), method, path, params)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(resp.Body, 4096)
	peek, _ := br.Peek(512)
	if isHTML(resp.Header, peek) {
		resp.Body.Close()
		if action == "" {
			return nil, fmt.Errorf("%s API: %w", apiName, errHTML)
		}
		return nil, fmt.Errorf("%s API %s: %w", apiName, action, errHTML)
	}
	if isXMLAnswer(resp.Header, peek) {
		defer resp.Body.Close()
		return nil, fileErrorFromXML(br, apiName, action, ns)
	}
	name := fallback
	if n := fileNameFrom(resp.Header); n != "" {
		name = n
	}
	return &File{Body: br, Name: name, Size: resp.ContentLength, Header: resp.Header, closer: resp.Body}, nil
}

// ReportFile requests a file report (recordings, license usage, syslog); q must have passed CheckReportParams.
func (c *Client) ReportFile(ctx context.Context, s *ReportSpec, q url.Values) (*File, error) {
	if s.Kind != ReportFile {
		return nil, fmt.Errorf("%s is a list report, not a file", s.Name)
	}
	p := url.Values{}
	for k, v := range q {
		p[k] = v
	}
	p.Set("generate_report", s.WireName())
	fallback := s.Name
	if s.FileName != nil {
		fallback = s.FileName(q)
	}
	return c.openFile(ctx, http.MethodGet, ReportingPath, p, "reporting", s.Name, NSReporting, fallback)
}
