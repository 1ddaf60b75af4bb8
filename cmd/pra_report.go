package cmd

import (
	"context"
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
	var lines []string
	for _, r := range pra.Reports {
		lines = append(lines, fmt.Sprintf("  %-24s %s", r.Name, r.Short))
	}
	cmd := &cobra.Command{
		Use:   "report TYPE [flags]",
		Short: "Run a report of the reporting API (sessions, recordings, teams, Vault activity, license usage, syslog)",
		Long: `Run one of the reporting API's reports:

` + strings.Join(lines, "\n") + `

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
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("expected one report type: %s", strings.Join(pra.ReportNames(), ", "))
			}
			if _, ok := pra.FindReport(args[0]); !ok {
				return usageErrorf("unknown report type %q: use one of %s", args[0], strings.Join(pra.ReportNames(), ", "))
			}
			return nil
		},
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
			})(c, args)
		},
	}
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
	return cmd
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

// query builds and checks the report's parameters; every problem is reported at once, before anything is sent.
func (rf *reportFlags) query(c *cobra.Command, spec *pra.ReportSpec, now func() time.Time) (url.Values, error) {
	q := url.Values{}
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	changed := c.Flags().Changed
	for flag, reports := range reportFlagUse {
		if changed(flag) && !contains(reports, spec.Name) {
			add("--%s does not apply to %s (only to %s)", flag, spec.Name, strings.Join(reports, ", "))
		}
	}
	for _, flag := range rangeFlags {
		if changed(flag) && !spec.Range {
			add("--%s: %s takes no time range", flag, spec.Name)
		}
	}
	if spec.Range {
		prefix := "start_"
		if rf.ended {
			prefix = "end_"
		}
		switch {
		case changed("since") && changed("from"):
			add("--since and --from cannot be combined: use a date range (--since/--days) or a time range (--from/--to)")
		case changed("since"):
			if _, err := time.Parse("2006-01-02", rf.since); err != nil {
				add("--since %q: use a date YYYY-MM-DD", rf.since)
			}
			if changed("to") {
				add("--to goes with --from; with --since use --days")
			}
			if rf.days < 0 {
				add("--days must be 0 (until now) or more")
			}
			q.Set(prefix+"date", rf.since)
			q.Set("duration", strconv.Itoa(rf.days))
		case changed("from"):
			if changed("days") {
				add("--days goes with --since; with --from use --to")
			}
			from, err := parseLocalTime(rf.from)
			if err != nil {
				add("--from: %v", err)
				break
			}
			q.Set(prefix+"time", strconv.FormatInt(from.Unix(), 10))
			dur := int64(0)
			if changed("to") {
				to, err := parseLocalTime(rf.to)
				if err != nil {
					add("--to: %v", err)
					break
				}
				if !to.After(from) {
					add("--to %s is not after --from %s", to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
					break
				}
				dur = int64(to.Sub(from) / time.Second)
			}
			if from.After(now()) {
				add("--from %s is in the future", from.Format(time.RFC3339))
			}
			q.Set("duration", strconv.FormatInt(dur, 10))
		default:
			if changed("days") {
				add("--days needs --since")
			}
			if changed("to") {
				add("--to needs --from")
			}
			if changed("ended") {
				add("--ended needs --since or --from")
			}
		}
	}
	if changed("lsid") {
		q.Set("lsid", rf.lsid)
	}
	if changed("lsids") {
		q.Set("lsids", strings.Join(splitList(rf.lsids), ","))
	}
	if spec.Name == "AccessSessionSummary" {
		q.Set("report_type", rf.reportType)
	}
	for flag, val := range map[string]string{"team-id": rf.teamID, "filter": rf.filter, "instance": rf.instance, "format": rf.format} {
		if changed(flag) {
			if p, ok := spec.Param(flag); ok {
				q.Set(p.Name, val)
			}
		}
	}
	if err := pra.CheckReportParams(spec, q); err != nil {
		problems = append(problems, strings.Split(err.Error(), "\n  ")...)
	}
	for _, p := range rf.params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(k) == "" {
			add("--param %q: use KEY=VALUE", p)
			continue
		}
		if k == "generate_report" {
			add("--param generate_report: the report type is the TYPE argument")
			continue
		}
		q.Set(k, v)
	}
	if len(problems) > 0 {
		return nil, &api.UsageError{Err: fmt.Errorf("invalid %s report request:\n  %s", spec.Name, strings.Join(dedupe(problems), "\n  "))}
	}
	return q, nil
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
	s, err := output.NewStream(f.IO.Out, o)
	if err != nil {
		return &api.UsageError{Err: err}
	}
	if flat && o.Format != output.CSV && !o.TTY {
		f.Infof("hint: the table format keeps every row until the report ends; use -o json (JSON lines) or -o csv to stream large reports")
	}
	n := 0
	for {
		item, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if cerr := s.Close(); cerr != nil {
				return errors.Join(err, cerr)
			}
			return fmt.Errorf("%w (after %d %s)", err, n, plural(n, spec.Item))
		}
		var row any = item
		if flat {
			row = pra.FlattenRow(item)
		}
		if err := s.Write(row); err != nil {
			return err
		}
		n++
	}
	if err := s.Close(); err != nil {
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
