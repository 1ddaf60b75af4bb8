package pra

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/pra"
	"github.com/infractl/infra/pkg/cmdutil"
	"github.com/infractl/infra/pkg/output"
)

type reportFlags struct {
	since, from, to string
	days            int
	ended           bool
	lsid            string
	lsids           []string
	reportType      string
	teamID          string
	filter          string
	instance        string
	format          string
	params          []string
	file            fileTarget
}

// reportFlagUse says which reports each specific flag applies to (nil: every report with a time range).
var reportFlagUse = map[string][]string{
	"lsids":       {"AccessSession"},
	"report-type": {"AccessSessionSummary"},
	"team-id":     {"Team"},
	"filter":      {"VaultAccountActivity"},
	"instance":    {"CommandShellRecording"},
	"format":      {"CommandShellRecording"},
	"lsid":        {"AccessSession", "AccessSessionRecording", "CommandShellRecording", "UserRecording"},
	"file":        {"AccessSessionRecording", "CommandShellRecording", "EndpointLicenseUsage", "Syslog", "UserRecording"},
	"force":       {"AccessSessionRecording", "CommandShellRecording", "EndpointLicenseUsage", "Syslog", "UserRecording"},
}

var rangeFlags = []string{"since", "days", "from", "to", "ended"}

func newPRAReportCmd(f *cmdutil.Factory) *cobra.Command {
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "report TYPE [flags]",
		Short: "Run a report of the reporting API (sessions, recordings, teams, Vault activity, license usage, syslog)",
		Long: `Run one of the reporting API's reports:

` + reportsHelp() + `

Time range (AccessSession, AccessSessionListing, AccessSessionSummary, Team, VaultAccountActivity):
  --since DATE [--days N]      sessions that began on or after DATE (YYYY-MM-DD), for N days (0 or none: until now)
  --from TIME [--to TIME]      sessions that began at or after TIME; TIME is local time (2024-07-01T08:00,
                               "2024-07-01 08:00:05"), RFC 3339 with a zone, or @UNIX; sent as UTC timestamps
  --ended                      select closed sessions by when they ended instead (end_date / end_time)
AccessSession also takes --lsid ID or --lsids ID,ID,… instead of a range.

List reports are streamed: each element is converted and written as soon as it is read, so -o json (JSON lines, one
object per line), csv, yaml and kv use constant memory however large the report. The table format has to see every
row before drawing and keeps them. In csv and table output nested elements are flattened: an element's text under its
name (start_time) and its attributes as NAME.ATTR (start_time.timestamp). Values are strings, as in the XML.

Recordings, EndpointLicenseUsage and Syslog are files: saved like downloads (-f PATH or - for stdout, --force).

--param KEY=VALUE adds a raw query parameter (for parameters this version does not know, or the sandbox's
sim_sessions=N, which adds N generated sessions to a report).`,
		Example: `  infra pra report AccessSession --since 2024-07-01 --days 31 -o json > sessions.jsonl
  infra pra report AccessSessionListing --from '2024-07-01 08:00' --to '2024-07-01 18:00' -o csv
  infra pra report AccessSession --lsid c69a8e10bea9428f816cfababe9815fe -o yaml
  infra pra report AccessSessionSummary --since 2024-07-01 --days 31
  infra pra report Team --since 2024-07-01 --team-id 1 -o json
  infra pra report VaultAccountActivity --since 2024-07-01 --filter rep:7
  infra pra report CommandShellRecording --lsid c69a8e10bea9428f816cfababe9815fe --instance 0 --format txt -f -
  infra pra report EndpointLicenseUsage -f usage.zip`,
		ValidArgs: pra.ReportNames(),
		Args: oneNamedArg("report type", pra.ReportNames, func(name string) bool {
			_, ok := pra.FindReport(name)
			return ok
		}),
		RunE: func(c *cobra.Command, args []string) error {
			spec, _ := pra.FindReport(args[0])
			q, err := rf.query(c, spec, time.Now)
			if err != nil {
				return err
			}
			if err := f.ValidateOutput(); err != nil {
				return err
			}
			if spec.Kind == pra.ReportFile {
				if err := rf.file.precheck(); err != nil {
					return err
				}
			}
			return praRun(f, func(ctx context.Context, cl *pra.Client, _ *cobra.Command, _ []string) error {
				return runReport(ctx, f, cl, &rf, spec, q)
			})(c, args)
		},
	}
	rf.registerFlags(cmd)
	return cmd
}

// reportsHelp lists each report with its short help, for the long help of "pra report".
func reportsHelp() string {
	var lines []string
	for _, r := range pra.Reports {
		lines = append(lines, fmt.Sprintf("  %-24s %s", r.Name, r.Short))
	}
	return strings.Join(lines, "\n")
}

// oneNamedArg accepts exactly one argument that known accepts; what names the argument and names lists the choices.
func oneNamedArg(what string, names func() []string, known func(name string) bool) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usageErrorf("expected one %s: %s", what, strings.Join(names(), ", "))
		}
		if !known(args[0]) {
			return usageErrorf("unknown %s %q: use one of %s", what, args[0], strings.Join(names(), ", "))
		}
		return nil
	}
}

// runReport saves a file report, or streams a list report to the output.
func runReport(ctx context.Context, f *cmdutil.Factory, cl *pra.Client, rf *reportFlags, spec *pra.ReportSpec, q url.Values) error {
	if spec.Kind == pra.ReportFile {
		file, err := cl.ReportFile(ctx, spec, q)
		if err != nil {
			return err
		}
		_, err = rf.file.save(ctx, f, file, spec.Name)
		return err
	}
	rr, err := cl.Report(ctx, spec, q)
	if err != nil {
		return err
	}
	defer rr.Close()
	return streamReport(f, spec, rr)
}

// registerFlags declares the range, report-specific and raw parameter flags, then the file target's.
func (rf *reportFlags) registerFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&rf.since, "since", "", "start `DATE` (YYYY-MM-DD) of the range")
	fs.IntVar(&rf.days, "days", 0, "length of the range in days from --since (0: until now)")
	fs.StringVar(&rf.from, "from", "", "start `TIME` of the range (local time, RFC 3339 or @UNIX)")
	fs.StringVar(&rf.to, "to", "", "end `TIME` of the range (with --from)")
	fs.BoolVar(&rf.ended, "ended", false, "select sessions by when they ended (closed sessions only)")
	fs.StringVar(&rf.lsid, "lsid", "", "session `ID` (AccessSession, recordings)")
	fs.StringSliceVar(&rf.lsids, "lsids", nil, "session IDs, comma-separated (AccessSession)")
	fs.StringVar(&rf.reportType, "report-type", "user", "AccessSessionSummary grouping (user is the only accepted value)")
	fs.StringVar(&rf.teamID, "team-id", "", "only this team's activity (Team)")
	fs.StringVar(&rf.filter, "filter", "", "VaultAccountActivity filter: all, rep:ID or account:ID (the API's limit parameter)")
	fs.StringVar(&rf.instance, "instance", "", "command shell instance, from 0 (CommandShellRecording)")
	fs.StringVar(&rf.format, "format", "", "txt: command shell output as text (CommandShellRecording)")
	fs.StringArrayVar(&rf.params, "param", nil, "extra raw query parameter `KEY=VALUE` (repeatable)")
	rf.file.flags(cmd, "a recording or ZIP report")
}

// parseLocalTime reads a --from/--to value: local wall time, RFC 3339, or @UNIX seconds.
func parseLocalTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "@"); ok {
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("%q is not @UNIX-SECONDS", s)
		}
		return time.Unix(n, 0), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use 2006-01-02T15:04[:05] (local time), RFC 3339 with a zone, or @UNIX", s)
}

// reportQuery gathers a report's parameters and every problem found while building them.
type reportQuery struct {
	q        url.Values
	problems []string
	changed  func(flag string) bool
}

// add records one problem.
func (r *reportQuery) add(format string, a ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, a...))
}

// query builds and checks the report's parameters; every problem is reported at once, before anything is sent.
func (rf *reportFlags) query(c *cobra.Command, spec *pra.ReportSpec, now func() time.Time) (url.Values, error) {
	r := &reportQuery{q: url.Values{}, changed: c.Flags().Changed}
	for flag, reports := range reportFlagUse {
		if r.changed(flag) && !contains(reports, spec.Name) {
			r.add("--%s does not apply to %s (only to %s)", flag, spec.Name, strings.Join(reports, ", "))
		}
	}
	for _, flag := range rangeFlags {
		if r.changed(flag) && !spec.Range {
			r.add("--%s: %s takes no time range", flag, spec.Name)
		}
	}
	if spec.Range {
		rf.timeRange(r, now)
	}
	rf.reportParams(r, spec)
	if err := pra.CheckReportParams(spec, r.q); err != nil {
		r.problems = append(r.problems, strings.Split(err.Error(), "\n  ")...)
	}
	rf.rawParams(r)
	if len(r.problems) > 0 {
		return nil, &api.UsageError{Err: fmt.Errorf("invalid %s report request:\n  %s", spec.Name, strings.Join(dedupe(r.problems), "\n  "))}
	}
	return r.q, nil
}

// timeRange sets the range parameters of a report that takes one: a date range (--since/--days) or a time range
// (--from/--to), by start or, with --ended, by end.
func (rf *reportFlags) timeRange(r *reportQuery, now func() time.Time) {
	prefix := "start_"
	if rf.ended {
		prefix = "end_"
	}
	switch {
	case r.changed("since") && r.changed("from"):
		r.add("--since and --from cannot be combined: use a date range (--since/--days) or a time range (--from/--to)")
	case r.changed("since"):
		if _, err := time.Parse("2006-01-02", rf.since); err != nil {
			r.add("--since %q: use a date YYYY-MM-DD", rf.since)
		}
		if r.changed("to") {
			r.add("--to goes with --from; with --since use --days")
		}
		if rf.days < 0 {
			r.add("--days must be 0 (until now) or more")
		}
		r.q.Set(prefix+"date", rf.since)
		r.q.Set("duration", strconv.Itoa(rf.days))
	case r.changed("from"):
		rf.fromRange(r, prefix, now)
	default:
		if r.changed("days") {
			r.add("--days needs --since")
		}
		if r.changed("to") {
			r.add("--to needs --from")
		}
		if r.changed("ended") {
			r.add("--ended needs --since or --from")
		}
	}
}

// fromRange sets a time range from --from and optionally --to, sent as a UNIX timestamp and a duration in seconds.
func (rf *reportFlags) fromRange(r *reportQuery, prefix string, now func() time.Time) {
	if r.changed("days") {
		r.add("--days goes with --since; with --from use --to")
	}
	from, err := parseLocalTime(rf.from)
	if err != nil {
		r.add("--from: %v", err)
		return
	}
	r.q.Set(prefix+"time", strconv.FormatInt(from.Unix(), 10))
	dur := int64(0)
	if r.changed("to") {
		to, err := parseLocalTime(rf.to)
		if err != nil {
			r.add("--to: %v", err)
			return
		}
		if !to.After(from) {
			r.add("--to %s is not after --from %s", to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
			return
		}
		dur = int64(to.Sub(from) / time.Second)
	}
	if from.After(now()) {
		r.add("--from %s is in the future", from.Format(time.RFC3339))
	}
	r.q.Set("duration", strconv.FormatInt(dur, 10))
}

// reportParams sets the session ids, the summary grouping and the report-specific flags given.
func (rf *reportFlags) reportParams(r *reportQuery, spec *pra.ReportSpec) {
	if r.changed("lsid") {
		r.q.Set("lsid", rf.lsid)
	}
	if r.changed("lsids") {
		r.q.Set("lsids", strings.Join(splitList(rf.lsids), ","))
	}
	if spec.Name == "AccessSessionSummary" {
		r.q.Set("report_type", rf.reportType)
	}
	for flag, val := range map[string]string{"team-id": rf.teamID, "filter": rf.filter, "instance": rf.instance, "format": rf.format} {
		if r.changed(flag) {
			if p, ok := spec.Param(flag); ok {
				r.q.Set(p.Name, val)
			}
		}
	}
}

// rawParams adds each --param KEY=VALUE as it is (never generate_report, which the TYPE argument sets).
func (rf *reportFlags) rawParams(r *reportQuery) {
	for _, p := range rf.params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(k) == "" {
			r.add("--param %q: use KEY=VALUE", p)
			continue
		}
		if k == "generate_report" {
			r.add("--param generate_report: the report type is the TYPE argument")
			continue
		}
		r.q.Set(k, v)
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

func dedupe(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// streamReport writes the report's items as they are read.
func streamReport(f *cmdutil.Factory, spec *pra.ReportSpec, rr *pra.ReportReader) error {
	o, err := f.OutputOptions(spec.Columns)
	if err != nil {
		return err
	}
	flat := o.Tabular()
	// JSON lines and CSV are written from the reader's rows directly; the other formats get the items as maps.
	rw := newRowWriter(f.IO.Out, o)
	var s output.Stream
	if rw == nil {
		if s, err = output.NewStream(f.IO.Out, o); err != nil {
			return &api.UsageError{Err: err}
		}
	}
	if flat && o.Format != output.CSV && !o.TTY {
		f.Infof("hint: the table format keeps every row until the report ends; use -o json (JSON lines) or -o csv to stream large reports")
	}
	var n int
	var closeOut func() error
	var werr error
	if rw != nil {
		closeOut = rw.Close
		err, werr = rw.copy(rr, &n)
	} else {
		closeOut = s.Close
		err, werr = copyItems(s, rr, flat, &n)
	}
	if werr != nil {
		return werr
	}
	if err != nil {
		if cerr := closeOut(); cerr != nil {
			return errors.Join(err, cerr)
		}
		return fmt.Errorf("%w (after %d %s)", err, n, plural(n, spec.Item))
	}
	if err := closeOut(); err != nil {
		return err
	}
	if st, ok := rr.Meta["start_time"]; ok {
		f.Infof("%s from %s to %s", spec.Name, textValue(st), textValue(rr.Meta["end_time"]))
	}
	if n == 0 && f.IO.OutTTY {
		f.Infof("no results")
	} else if f.ShowProgress() {
		f.Infof("%d %s", n, plural(n, spec.Item))
	}
	return nil
}

// copyItems writes the report's items to s as maps (flattened for tabular formats), counting them in *n. It returns
// the error reading the report or the one writing the output.
func copyItems(s output.Stream, rr *pra.ReportReader, flat bool, n *int) (rerr, werr error) {
	for {
		item, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return err, nil
		}
		var row any = item
		if flat {
			row = pra.FlattenRow(item)
		}
		if err := s.Write(row); err != nil {
			return nil, err
		}
		*n++
	}
}

// rowWriter writes report rows as JSON lines or CSV straight from the reader's rows, without maps: byte for byte
// what the output package's streams write for the same items (pra's tests compare the two). Output is written in
// blocks of about rowBlock bytes, not row by row.
type rowWriter struct {
	out  io.Writer
	w    *bufio.Writer // CSV
	cw   *csv.Writer   // nil for JSON lines
	cols []string
	rec  []string
	buf  []byte // JSON lines not written yet
}

// rowBlock is the size of the blocks of output.
const rowBlock = 64 << 10

// newRowWriter returns a writer for JSON lines and for CSV with columns, nil for the other formats, --jq and
// --template.
func newRowWriter(w io.Writer, o output.Options) *rowWriter {
	if o.JQ != "" || o.Template != "" {
		return nil
	}
	rw := &rowWriter{out: w}
	switch {
	case o.Format == output.JSON:
		rw.buf = make([]byte, 0, rowBlock+rowBlock/2)
	case o.Format == output.CSV && len(o.Columns) > 0:
		rw.w = bufio.NewWriterSize(w, rowBlock)
		rw.cw, rw.cols, rw.rec = csv.NewWriter(rw.w), o.Columns, make([]string, len(o.Columns))
		if !o.NoHeaders {
			_ = rw.cw.Write(o.Columns) // buffered: an error shows on Close
		}
	default:
		return nil
	}
	return rw
}

// copy writes every row of rr, counting them in *n, as copyItems does.
func (rw *rowWriter) copy(rr *pra.ReportReader, n *int) (rerr, werr error) {
	for {
		row, err := rr.NextRow()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return err, nil
		}
		if rw.cw != nil {
			for i, c := range rw.cols {
				rw.rec[i] = row.Cell(c)
			}
			err = rw.cw.Write(rw.rec)
		} else if rw.buf = append(row.AppendJSON(rw.buf), '\n'); len(rw.buf) >= rowBlock {
			err = rw.flushJSON()
		}
		if err != nil {
			return nil, err
		}
		*n++
	}
}

// flushJSON writes the JSON lines held.
func (rw *rowWriter) flushJSON() error {
	_, err := rw.out.Write(rw.buf)
	rw.buf = rw.buf[:0]
	return err
}

// Close flushes the output.
func (rw *rowWriter) Close() error {
	if rw.cw == nil {
		return rw.flushJSON()
	}
	rw.cw.Flush()
	if err := rw.cw.Error(); err != nil {
		return err
	}
	return rw.w.Flush()
}

func textValue(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		s, _ := t[pra.TextKey].(string)
		return s
	}
	return ""
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
