package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/infractl/infra/pkg/api"
	"github.com/infractl/infra/pkg/api/pra"
)

// ReportInput is the input of pra_report.
type ReportInput struct {
	Type       string `json:"type" jsonschema:"the report: AccessSession, AccessSessionListing, AccessSessionSummary, Team or VaultAccountActivity"`
	Since      string `json:"since,omitempty" jsonschema:"sessions that began on or after this date (YYYY-MM-DD)"`
	Days       int    `json:"days,omitempty" jsonschema:"with since: this many days (0: until now)"`
	From       string `json:"from,omitempty" jsonschema:"sessions that began at or after this time (RFC 3339, local time or @UNIX)"`
	To         string `json:"to,omitempty" jsonschema:"with from: until this time"`
	Ended      bool   `json:"ended,omitempty" jsonschema:"select closed sessions by when they ended"`
	LSID       string `json:"lsid,omitempty" jsonschema:"AccessSession: one session id instead of a range"`
	ReportType string `json:"report_type,omitempty" jsonschema:"AccessSessionSummary: user"`
	TeamID     int    `json:"team_id,omitempty" jsonschema:"Team: only this team"`
	Filter     string `json:"filter,omitempty" jsonschema:"VaultAccountActivity: all, rep:ID or account:ID"`
	Sample     int    `json:"sample,omitempty" jsonschema:"how many records to include as they are (default 5, at most 50)"`
}

// InstallInput is the input of virtomize_vm_install_and_wait.
type InstallInput struct {
	VMKey    int      `json:"vm_key" jsonschema:"the machine's key"`
	Locale   string   `json:"locale,omitempty" jsonschema:"locale of the installed system, e.g. en_US.UTF-8"`
	Keyboard string   `json:"keyboard,omitempty" jsonschema:"keymap of the installed system, e.g. us"`
	Timeout  string   `json:"timeout,omitempty" jsonschema:"longest wait, e.g. 45m (default 30m)"`
	Secrets  []string `json:"secrets,omitempty" jsonschema:"[\"password\"]: set the root password from the server's configuration"`
}

// PlanInput is the input of pra_plan.
type PlanInput struct {
	File  string `json:"file" jsonschema:"the site file to compare, by the name the server was started with (see the tool's description)"`
	Prune bool   `json:"prune,omitempty" jsonschema:"also list the objects of the file's kinds that the file does not name (they would be deleted)"`
}

func (s *Server) addWorkflows() {
	if s.enabled("pra") && len(s.o.SiteFiles) > 0 {
		names := make([]string, 0, len(s.o.SiteFiles))
		for n := range s.o.SiteFiles {
			names = append(names, n)
		}
		sort.Strings(names)
		sdk.AddTool(s.srv, &sdk.Tool{Name: "pra_plan", Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true},
			Description: "Compare a PRA site file (configuration as code) with the live site and return what applying it " +
				"would change: counts and, for each change, its action, kind, name and fields (old and new values). Reads " +
				"only. Site files: " + strings.Join(names, ", ") + "."},
			audited(s, "pra_plan", func(in PlanInput) string { return "pra plan " + in.File }, s.plan))
	}
	if s.enabled("pra") {
		var names []string
		for _, r := range pra.Reports {
			if r.Kind == pra.ReportRows {
				names = append(names, r.Name)
			}
		}
		sdk.AddTool(s.srv, &sdk.Tool{Name: "pra_report", Annotations: &sdk.ToolAnnotations{ReadOnlyHint: true},
			Description: "Run a PRA reporting API report (" + strings.Join(names, ", ") + ") and summarise it: the number " +
				"of records, the fields with their most frequent values, and a few records. The report is read as a stream, " +
				"so its size does not matter; progress is reported while it runs."},
			audited(s, "pra_report", func(in ReportInput) string { return "pra report " + in.Type }, s.report))
	}
	if s.enabled("virtomize") {
		destructive := false
		sdk.AddTool(s.srv, &sdk.Tool{Name: "virtomize_vm_install_and_wait",
			Annotations: &sdk.ToolAnnotations{DestructiveHint: &destructive},
			Description: "Install the operating system on a Virtomize machine and wait until it is deployed, powered on and " +
				"has an address; returns its name, power state and addresses. Changes data: the server must allow writes."},
			audited(s, "virtomize_vm_install_and_wait", func(in InstallInput) string { return "virtomize vm install" }, s.install))
	}
}

func (s *Server) plan(ctx context.Context, _ *sdk.CallToolRequest, in PlanInput) (any, error) {
	path, ok := s.o.SiteFiles[in.File]
	if !ok {
		return nil, &api.UsageError{Err: fmt.Errorf("file: %q is not a site file this server was started with", in.File)}
	}
	args := []string{"pra", "plan", "-f", path, "--output=json"}
	if in.Prune {
		args = append(args, "--prune")
	}
	var out bytes.Buffer
	if _, err := s.o.Executor.RunCommand(ctx, args, nil, &out); err != nil {
		return nil, err
	}
	var res map[string]any
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("reading the plan: %v", err)
	}
	Redact(res) // a plan shows credentials only as their source ({from: env:…}), but a field could hold one
	return capResult(res, s.o.MaxResultBytes), nil
}

func (s *Server) report(ctx context.Context, req *sdk.CallToolRequest, in ReportInput) (any, error) {
	var spec *pra.ReportSpec
	for i := range pra.Reports {
		if strings.EqualFold(pra.Reports[i].Name, in.Type) {
			spec = &pra.Reports[i]
		}
	}
	if spec == nil || spec.Kind != pra.ReportRows {
		return nil, &api.UsageError{Err: fmt.Errorf("type: %q is not a report pra_report runs (files such as recordings are not offered over MCP)", in.Type)}
	}
	args := []string{"pra", "report", spec.Name}
	add := func(flag, v string) {
		if v != "" {
			args = append(args, "--"+flag+"="+v)
		}
	}
	add("since", in.Since)
	add("from", in.From)
	add("to", in.To)
	add("lsid", in.LSID)
	add("report-type", in.ReportType)
	add("filter", in.Filter)
	if in.Days != 0 {
		add("days", strconv.Itoa(in.Days))
	}
	if in.TeamID != 0 {
		add("team-id", strconv.Itoa(in.TeamID))
	}
	if in.Ended {
		args = append(args, "--ended")
	}
	sample := in.Sample
	if sample <= 0 {
		sample = 5
	}
	sample = min(sample, 50)
	sum := newSummary(sample)
	var progress func(n int)
	if req != nil && req.Session != nil && req.Params.GetProgressToken() != nil {
		token := req.Params.GetProgressToken()
		progress = func(n int) {
			_ = req.Session.NotifyProgress(ctx, &sdk.ProgressNotificationParams{ProgressToken: token, Progress: float64(n),
				Message: fmt.Sprintf("%d records read", n)})
		}
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- sum.read(pr, progress) }()
	notice, err := s.o.Executor.RunCommand(ctx, args, nil, pw)
	pw.CloseWithError(err)
	if rerr := <-done; err == nil && rerr != nil {
		err = fmt.Errorf("reading the report: %v", rerr)
	}
	if err != nil {
		return nil, err
	}
	if progress != nil {
		progress(sum.records)
	}
	out := sum.result()
	out["report"] = spec.Name
	if notice != "" {
		out["message"] = api.Scrub(notice)
	}
	return capResult(out, s.o.MaxResultBytes), nil
}

// summary counts the records of a report and the values of their scalar fields, keeping a few records whole.
type summary struct {
	mu       sync.Mutex
	records  int
	sample   int
	samples  []any
	fields   map[string]*fieldStats
	redacted int
}

type fieldStats struct {
	present int
	values  map[string]int
	many    bool
}

const maxDistinct = 50

func newSummary(sample int) *summary {
	return &summary{sample: sample, fields: map[string]*fieldStats{}}
}

// read decodes JSON values (JSON lines, or one array) from r as they arrive.
func (s *summary) read(r io.Reader, progress func(int)) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			_, _ = io.Copy(io.Discard, r)
			return err
		}
		items, ok := v.([]any)
		if !ok {
			items = []any{v}
		}
		for _, it := range items {
			s.add(it)
			if progress != nil && s.records%200 == 0 {
				progress(s.records)
			}
		}
	}
}

func (s *summary) add(v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records++
	v, n := Redact(v)
	s.redacted += n
	if len(s.samples) < s.sample {
		s.samples = append(s.samples, v)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, e := range m {
		fs := s.fields[k]
		if fs == nil {
			fs = &fieldStats{values: map[string]int{}}
			s.fields[k] = fs
		}
		fs.present++
		var text string
		switch x := e.(type) {
		case string:
			text = x
		case json.Number, bool:
			text = fmt.Sprint(x)
		case map[string]any:
			// XML elements with attributes: their text, when they have one.
			if t, ok := x["#text"].(string); ok {
				text = t
			} else {
				continue
			}
		default:
			continue
		}
		if fs.many {
			continue
		}
		if _, seen := fs.values[text]; !seen && len(fs.values) >= maxDistinct {
			fs.many, fs.values = true, nil
			continue
		}
		fs.values[text]++
	}
}

func (s *summary) result() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	fields := map[string]any{}
	for k, fs := range s.fields {
		f := map[string]any{"present": fs.present}
		if fs.many {
			f["distinct"] = fmt.Sprintf("more than %d", maxDistinct)
		} else if len(fs.values) > 0 {
			type vc struct {
				Value string `json:"value"`
				Count int    `json:"count"`
			}
			var top []vc
			for v, c := range fs.values {
				top = append(top, vc{v, c})
			}
			sort.Slice(top, func(i, j int) bool {
				return top[i].Count > top[j].Count || top[i].Count == top[j].Count && top[i].Value < top[j].Value
			})
			f["distinct"] = len(top)
			f["top"] = top[:min(5, len(top))]
		}
		fields[k] = f
	}
	out := map[string]any{"records": s.records, "fields": fields, "sample": s.samples}
	if s.samples == nil {
		out["sample"] = []any{}
	}
	if s.redacted > 0 {
		out["note"] = fmt.Sprintf("%d secret value(s) redacted", s.redacted)
	}
	return out
}

// capResult drops sample records, then field details, until the result fits in max bytes, and says so.
func capResult(out map[string]any, max int) map[string]any {
	size := func() int { b, _ := json.Marshal(out); return len(b) }
	if size() <= max {
		return out
	}
	if l, ok := out["sample"].([]any); ok {
		for len(l) > 0 && size() > max {
			l = l[:len(l)-1]
			out["sample"] = l
		}
	}
	if size() > max {
		delete(out, "fields")
	}
	out["note"] = strings.TrimPrefix(fmt.Sprint(out["note"], "; result cut to stay under ", max, " bytes"), "<nil>; ")
	return out
}

func (s *Server) install(ctx context.Context, _ *sdk.CallToolRequest, in InstallInput) (any, error) {
	if !s.o.AllowWrite {
		return nil, refused("installing a machine changes data and this server is read-only; it must be started with --allow-write")
	}
	if in.VMKey < 1 {
		return nil, &api.UsageError{Err: errors.New("vm_key must be a positive integer")}
	}
	args := []string{"virtomize", "vm", "install", strconv.Itoa(in.VMKey), "--wait"}
	if in.Locale != "" {
		args = append(args, "--locale="+in.Locale)
	}
	if in.Keyboard != "" {
		args = append(args, "--keyboard="+in.Keyboard)
	}
	if in.Timeout != "" {
		d, err := time.ParseDuration(in.Timeout)
		if err != nil || d <= 0 {
			return nil, &api.UsageError{Err: fmt.Errorf("timeout: %q is not a positive duration such as 45m", in.Timeout)}
		}
		args = append(args, "--timeout="+d.String())
	}
	var stdin io.Reader
	for _, name := range in.Secrets {
		if name != "password" {
			return nil, &api.UsageError{Err: fmt.Errorf("secrets: %s is not a secret of the installation (password is)", name)}
		}
		src := s.o.Secrets[name]
		if src == nil {
			return nil, refused("the server has no value for the secret field password (configure it at start-up with --secret password=env:VAR, =file:PATH or =keyring:NAME)")
		}
		pw, err := src()
		if err != nil {
			return nil, fmt.Errorf("secret password: %v", err)
		}
		stdin = strings.NewReader(pw)
		args = append(args, "--password-stdin")
	}
	out := limitedBuffer{b: &bytes.Buffer{}, max: 1 << 20}
	notice, err := s.o.Executor.RunCommand(ctx, args, stdin, &out)
	if err != nil {
		return nil, err
	}
	values, err := decodeAll(out.b.Bytes())
	if err != nil || len(values) != 1 {
		return nil, fmt.Errorf("reading the result of the installation: %v", err)
	}
	v, _ := Redact(values[0])
	res := map[string]any{"machine": v}
	if notice != "" {
		lines := strings.Split(api.Scrub(notice), "\n")
		res["progress"] = lines[max(0, len(lines)-20):]
	}
	return res, nil
}
