package praxmlsim

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// histSession is a session known to the reporting API.
type histSession struct {
	lsid         string
	lseq         int
	start, end   time.Time // end zero: still in progress
	repID        int
	repName      string
	customer     string
	jumpoint     string
	group        string
	recording    bool
	shells       int
	externalKey  string
	fileTransfer int
}

// MaxReportSessions bounds sim_sessions.
const MaxReportSessions = 10_000_000

func seedHistory() []histSession {
	base := time.Date(2024, 7, 1, 8, 0, 0, 0, time.UTC)
	reps := []struct {
		id   int
		name string
	}{{1, "Admin"}, {7, "John Smith"}, {12, "Ann (Vendor)"}}
	var out []histSession
	for i := 0; i < 6; i++ {
		r := reps[i%len(reps)]
		st := base.Add(time.Duration(i)*26*time.Hour + time.Duration(i*7)*time.Minute)
		s := histSession{
			lsid: genLSID(uint64(1000 + i)), lseq: 100 + i, start: st, end: st.Add(time.Duration(20+i*5) * time.Minute),
			repID: r.id, repName: r.name, customer: fmt.Sprintf("srv-%02d", i+1), jumpoint: "London", group: "remote_access",
			recording: i%2 == 0, shells: i % 3, fileTransfer: i,
		}
		if i%2 == 1 {
			s.externalKey = fmt.Sprintf("INC-%d", 2000+i)
		}
		out = append(out, s)
	}
	// The two sessions still active (see the command API).
	act := time.Date(2026, 1, 5, 8, 45, 0, 0, time.UTC)
	out = append(out,
		histSession{lsid: SeedLSID1, lseq: 200, start: act, repID: 1, repName: "Admin", customer: "ABCDEF02", jumpoint: "London", group: "remote_access", externalKey: "INC-1001"},
		histSession{lsid: SeedLSID2, lseq: 201, start: act.Add(5 * time.Minute), repID: 7, repName: "John Smith", customer: "db-01", jumpoint: "Network01", group: "servers"})
	return out
}

func genLSID(n uint64) string {
	h := fnv.New128a()
	fmt.Fprintf(h, "session-%d", n)
	return fmt.Sprintf("%x", h.Sum(nil))
}

// window is the time range of a report query.
type window struct {
	from, to time.Time // to zero: until now
	byEnd    bool
}

func (wd window) has(s histSession) bool {
	t := s.start
	if wd.byEnd {
		if s.end.IsZero() {
			return false
		}
		t = s.end
	}
	return wd.hasTime(t)
}

// hasTime: t is at or after the start of the window and before its end (duration 0: until now).
func (wd window) hasTime(t time.Time) bool {
	return !t.Before(wd.from) && (wd.to.IsZero() || t.Before(wd.to))
}

// parseWindow reads start_date|start_time|end_date|end_time + duration; msg is an error message.
func parseWindow(q url.Values) (window, string) {
	var given []string
	for _, k := range []string{"start_date", "start_time", "end_date", "end_time"} {
		if q.Has(k) {
			given = append(given, k)
		}
	}
	if len(given) == 0 {
		return window{}, "Missing required parameter: one of start_date, start_time, end_date or end_time"
	}
	if len(given) > 1 {
		return window{}, "Only one of start_date, start_time, end_date or end_time may be given"
	}
	k := given[0]
	if !q.Has("duration") {
		return window{}, "Missing required parameter: duration"
	}
	dur, err := strconv.ParseInt(q.Get("duration"), 10, 64)
	if err != nil || dur < 0 {
		return window{}, "Invalid duration: " + q.Get("duration")
	}
	var wd window
	wd.byEnd = strings.HasPrefix(k, "end_")
	if strings.HasSuffix(k, "_date") {
		d, err := time.Parse("2006-01-02", q.Get(k))
		if err != nil {
			return window{}, "Invalid " + k + ": " + q.Get(k)
		}
		wd.from = d
		if dur > 0 {
			wd.to = d.AddDate(0, 0, int(dur))
		}
	} else {
		ts, err := strconv.ParseInt(q.Get(k), 10, 64)
		if err != nil || ts < 0 {
			return window{}, "Invalid " + k + ": " + q.Get(k)
		}
		wd.from = time.Unix(ts, 0).UTC()
		if dur > 0 {
			wd.to = wd.from.Add(time.Duration(dur) * time.Second)
		}
	}
	return wd, ""
}

// key is the time a session is selected by in wd.
func (wd window) key(s histSession) time.Time {
	if wd.byEnd {
		return s.end
	}
	return s.start
}

// sessions calls each for the seeded sessions in the window and n generated ones spread over it, in time order (of
// start, or of end when the window selects by end), then for the live ones.
func (h *Handler) sessions(wd window, n int, each func(histSession) error) error {
	h.mu.Lock()
	var hist []histSession
	for _, s := range h.history {
		if wd.has(s) {
			hist = append(hist, s)
		}
	}
	h.mu.Unlock()
	sort.SliceStable(hist, func(i, j int) bool { return wd.key(hist[i]).Before(wd.key(hist[j])) })
	emit := func(s histSession) error {
		for len(hist) > 0 && !wd.key(hist[0]).After(wd.key(s)) {
			if err := each(hist[0]); err != nil {
				return err
			}
			hist = hist[1:]
		}
		return each(s)
	}
	end := wd.to
	if end.IsZero() {
		end = h.now()
	}
	span := end.Sub(wd.from)
	if span <= 0 {
		span = time.Hour
	}
	step := span / time.Duration(n+1)
	names := []string{"Admin", "John Smith", "Ann (Vendor)"}
	ids := []int{1, 7, 12}
	for i := 0; i < n; i++ {
		st := wd.from.Add(step * time.Duration(i+1))
		if wd.byEnd {
			st = st.Add(-10 * time.Minute)
		}
		s := histSession{
			lsid: genLSID(uint64(i) + 1_000_000), lseq: 10_000 + i, start: st, end: st.Add(10 * time.Minute),
			repID: ids[i%3], repName: names[i%3], customer: fmt.Sprintf("host-%06d", i), jumpoint: "London",
			group: "remote_access", recording: i%4 == 0, shells: i % 2, fileTransfer: i % 5,
		}
		if i%3 == 0 {
			s.externalKey = fmt.Sprintf("GEN-%d", i)
		}
		if err := emit(s); err != nil {
			return err
		}
	}
	for _, s := range hist {
		if err := each(s); err != nil {
			return err
		}
	}
	h.mu.Lock()
	g := h.live
	h.mu.Unlock()
	return g.sessions(wd, h.now(), each)
}

func (h *Handler) findSession(lsid string) (histSession, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if i, ok := liveIndex(lsid); ok && i < h.live.count(h.now()) {
		return h.live.session(i, h.now()), true
	}
	for _, s := range h.history {
		if s.lsid == lsid {
			return s, true
		}
	}
	return histSession{}, false
}

var reportNames = []string{"AccessSession", "AccessSessionListing", "AccessSessionSummary", "AccessSessionRecording",
	"CommandShellRecording", "EndpointLicenseUsage", "Syslog", "Team", "VaultAccountActivity", "UserRecording"}

func (h *Handler) serveReporting(w http.ResponseWriter, r *http.Request) {
	q := r.Form
	name := q.Get("generate_report")
	if name == "" {
		h.writeError(w, NSReporting, "Missing required parameter: generate_report")
		return
	}
	if strings.EqualFold(name, "syslog") {
		name = "Syslog"
	}
	if !in(reportNames, name) {
		h.writeError(w, NSReporting, "Invalid report type: "+name)
		return
	}
	extra := 0
	if v := q.Get("sim_sessions"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxReportSessions {
			h.writeError(w, NSReporting, "Invalid sim_sessions: "+v)
			return
		}
		extra = n
	} else {
		extra = h.opts.ReportSessions
	}
	switch name {
	case "AccessSession":
		h.reportAccessSession(w, q, extra)
	case "AccessSessionListing":
		h.reportListing(w, q, extra)
	case "AccessSessionSummary":
		h.reportSummary(w, q, extra)
	case "Team":
		h.reportTeam(w, q)
	case "VaultAccountActivity":
		h.reportVault(w, q)
	case "AccessSessionRecording", "UserRecording":
		h.reportRecording(w, q, name)
	case "CommandShellRecording":
		h.reportShell(w, q)
	case "EndpointLicenseUsage":
		h.reportZip(w, "EndpointLicenseUsage.zip", map[string]string{
			"jump_items.csv":   "name,type,jump_group\nsrv-01,shell_jump,remote_access\n",
			"daily_counts.csv": "date,jump_items,licenses_used\n2024-07-01,6,6\n",
			"summary.csv":      "appliance,endpoint_licenses,used,churn\n" + ApplianceGUID + ",100,6,0\n",
		})
	case "Syslog":
		h.reportZip(w, "syslog.zip", map[string]string{"messages": "Jan  5 08:00:00 access.example.com admin: /login settings changed\n"})
	}
}

func (h *Handler) reportAccessSession(w http.ResponseWriter, q url.Values, extra int) {
	var only map[string]bool
	switch {
	case q.Has("lsid") || q.Has("lsids"):
		if q.Has("start_date") || q.Has("start_time") || q.Has("end_date") || q.Has("end_time") {
			h.writeError(w, NSReporting, "lsid and lsids cannot be combined with a time range")
			return
		}
		only = map[string]bool{}
		for _, id := range strings.Split(q.Get("lsid")+","+q.Get("lsids"), ",") {
			if id = strings.TrimSpace(id); id != "" {
				only[id] = true
			}
		}
	}
	var wd window
	if only == nil {
		var msg string
		if wd, msg = parseWindow(q); msg != "" {
			h.writeError(w, NSReporting, msg)
			return
		}
	}
	x := h.newXW(w, NSReporting)
	x.open("session_list")
	write := func(s histSession) error {
		writeSession(x, s)
		return x.err
	}
	if only != nil {
		h.mu.Lock()
		hist := append([]histSession(nil), h.history...)
		h.mu.Unlock()
		for _, s := range hist {
			if only[s.lsid] {
				_ = write(s)
			}
		}
		for id := range only {
			if _, ok := liveIndex(id); ok {
				if s, ok := h.findSession(id); ok {
					_ = write(s)
				}
			}
		}
	} else {
		_ = h.sessions(wd, extra, write)
	}
	x.close("session_list")
	_ = x.flush()
}

func ts(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// writeSession writes one session of the AccessSession report.
func writeSession(x *xw, s histSession) {
	x.open("session", "lsid", s.lsid)
	x.leaf("session_type", "support")
	x.leaf("lseq", strconv.Itoa(s.lseq))
	x.leaf("start_time", s.start.Format(time.RFC3339), "timestamp", ts(s.start))
	if s.end.IsZero() {
		x.empty("end_time")
		x.leaf("duration", "00:00:00")
	} else {
		x.leaf("end_time", s.end.Format(time.RFC3339), "timestamp", ts(s.end))
		d := s.end.Sub(s.start)
		x.leaf("duration", fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60))
	}
	x.leaf("jump_group", s.group, "type", "shared", "id", "1")
	x.leaf("jumpoint", s.jumpoint, "id", "1")
	x.open("custom_attributes")
	if s.externalKey != "" {
		x.leaf("custom_attribute", s.externalKey, "display_name", "External Key", "code_name", "external_key")
	}
	x.close("custom_attributes")
	writeSessionLinks(x, &s)
	x.leaf("file_transfer_count", strconv.Itoa(s.fileTransfer))
	x.leaf("file_move_count", "0")
	x.leaf("file_delete_count", "0")
	x.leaf("primary_customer", s.customer, "gsnumber", "2")
	x.leaf("primary_rep", s.repName, "gsnumber", "1", "id", strconv.Itoa(s.repID))
	writeSessionMembers(x, &s)
	writeSessionEvents(x, &s)
	x.close("session")
}

// writeSessionLinks writes the chat and recording URLs of an ended session and its command shell recordings.
func writeSessionLinks(x *xw, s *histSession) {
	if !s.end.IsZero() {
		base := "https://access.example.com/session_download?lsid=" + s.lsid
		x.leaf("session_chat_view_url", base+"&view=1")
		x.leaf("session_chat_download_url", base)
		if s.recording {
			x.leaf("session_recording_view_url", base+"&recording=1&view=1")
			x.leaf("session_recording_download_url", base+"&recording=1")
		}
	}
	if s.shells > 0 {
		x.open("command_shell_recordings")
		for i := 0; i < s.shells; i++ {
			x.open("command_shell_recording", "instance", strconv.Itoa(i))
			x.leaf("download_url", "https://access.example.com/api/reporting?generate_report=CommandShellRecording&lsid="+s.lsid+"&instance="+strconv.Itoa(i))
			x.leaf("view_url", "https://access.example.com/api/reporting?generate_report=CommandShellRecording&lsid="+s.lsid+"&instance="+strconv.Itoa(i)+"&format=txt")
			x.close("command_shell_recording")
		}
		x.close("command_shell_recordings")
	}
}

// writeSessionMembers writes the session's customer and representative.
func writeSessionMembers(x *xw, s *histSession) {
	x.open("customer_list")
	x.open("customer", "gsnumber", "2")
	x.leaf("username", s.customer)
	x.leaf("public_ip", "203.0.113.10")
	x.leaf("private_ip", "10.0.0.20")
	x.leaf("hostname", s.customer)
	x.leaf("os", "Linux")
	x.close("customer")
	x.close("customer_list")
	x.open("rep_list")
	x.open("representative", "gsnumber", "1", "id", strconv.Itoa(s.repID))
	x.leaf("username", strings.ToLower(strings.Fields(s.repName)[0]))
	x.leaf("display_name", s.repName)
	x.leaf("public_ip", "198.51.100.5")
	x.leaf("private_ip", "10.1.0.5")
	x.leaf("hostname", "rep-pc")
	x.leaf("os", "Windows 11")
	x.leaf("session_owner", "1")
	x.leaf("seconds_involved", strconv.Itoa(int(s.end.Sub(s.start).Seconds())))
	x.close("representative")
	x.close("rep_list")
}

// writeSessionEvents writes the session's start, the representative joining and, once ended, its end.
func writeSessionEvents(x *xw, s *histSession) {
	x.open("session_details")
	x.open("event", "timestamp", ts(s.start), "event_type", "Session Start")
	x.empty("performed_by", "gsnumber", "1", "type", "representative")
	x.close("event")
	x.open("event", "timestamp", ts(s.start.Add(time.Minute)), "event_type", "Conference Member Added")
	x.empty("performed_by", "gsnumber", "0", "type", "system")
	x.leaf("destination", s.repName, "gsnumber", "1", "type", "representative")
	x.open("data")
	x.empty("value", "name", "private_ip", "value", "10.1.0.5")
	x.empty("value", "name", "os", "value", "Windows 11")
	x.close("data")
	x.close("event")
	if !s.end.IsZero() {
		x.open("event", "timestamp", ts(s.end), "event_type", "Session End")
		x.empty("performed_by", "gsnumber", "0", "type", "system")
		x.close("event")
	}
	x.close("session_details")
}

func (h *Handler) reportListing(w http.ResponseWriter, q url.Values, extra int) {
	wd, msg := parseWindow(q)
	if msg != "" {
		h.writeError(w, NSReporting, msg)
		return
	}
	x := h.newXW(w, NSReporting)
	x.open("session_summary_list")
	_ = h.sessions(wd, extra, func(s histSession) error {
		attrs := []string{"lsid", s.lsid, "has_recording", map[bool]string{true: "1", false: "0"}[s.recording]}
		if s.externalKey != "" {
			attrs = append(attrs, "external_key", s.externalKey)
		}
		x.empty("session_summary", attrs...)
		return x.err
	})
	x.close("session_summary_list")
	_ = x.flush()
}

func (h *Handler) reportSummary(w http.ResponseWriter, q url.Values, extra int) {
	wd, msg := parseWindow(q)
	if msg != "" {
		h.writeError(w, NSReporting, msg)
		return
	}
	switch q.Get("report_type") {
	case "user":
	case "":
		h.writeError(w, NSReporting, "Missing required parameter: report_type")
		return
	default:
		h.writeError(w, NSReporting, "Invalid report_type: "+q.Get("report_type"))
		return
	}
	type agg struct {
		name     string
		n        int
		weekday  int
		duration time.Duration
	}
	by := map[int]*agg{}
	var order []int
	_ = h.sessions(wd, extra, func(s histSession) error {
		a, ok := by[s.repID]
		if !ok {
			a = &agg{name: s.repName}
			by[s.repID] = a
			order = append(order, s.repID)
		}
		a.n++
		if wdy := s.start.Weekday(); wdy != time.Saturday && wdy != time.Sunday {
			a.weekday++
		}
		if !s.end.IsZero() {
			a.duration += s.end.Sub(s.start)
		}
		return nil
	})
	x := h.newXW(w, NSReporting)
	x.open("summary_list")
	for _, id := range order {
		a := by[id]
		avg := a.duration / time.Duration(a.n)
		x.open("summary", "id", strconv.Itoa(id), "type", "user")
		x.leaf("display_name", a.name)
		x.leaf("total_sessions", strconv.Itoa(a.n))
		x.leaf("avg_sessions_per_weekday", strconv.FormatFloat(float64(a.weekday)/5, 'f', 1, 64))
		x.leaf("avg_duration", fmt.Sprintf("%02d:%02d:%02d", int(avg.Hours()), int(avg.Minutes())%60, int(avg.Seconds())%60))
		x.close("summary")
	}
	x.close("summary_list")
	_ = x.flush()
}

func (h *Handler) reportTeam(w http.ResponseWriter, q url.Values) {
	wd, msg := parseWindow(q)
	if msg != "" {
		h.writeError(w, NSReporting, msg)
		return
	}
	team := 0
	if v := q.Get("team_id"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			h.writeError(w, NSReporting, "Invalid team_id: "+v)
			return
		}
		team = n
	}
	end := wd.to
	if end.IsZero() {
		end = h.now()
	}
	x := h.newXW(w, NSReporting)
	x.open("team_activity_list")
	x.leaf("start_time", wd.from.Format(time.RFC3339), "timestamp", ts(wd.from))
	x.leaf("end_time", end.Format(time.RFC3339), "timestamp", ts(end))
	teams := []struct {
		id   int
		name string
	}{{1, "Tier 1 Admins"}, {2, "Database Team"}}
	for _, t := range teams {
		if team != 0 && t.id != team {
			continue
		}
		var evs []histSession
		_ = h.sessions(wd, 0, func(s histSession) error {
			if (t.id == 1) == (s.repID != 7) {
				evs = append(evs, s)
			}
			return nil
		})
		if len(evs) == 0 {
			continue
		}
		x.open("team_activity", "id", strconv.Itoa(t.id), "name", t.name)
		x.open("logged_in_privileged_users")
		x.open("representative", "gsnumber", "1", "id", strconv.Itoa(evs[0].repID))
		x.leaf("display_name", evs[0].repName)
		x.leaf("public_ip", "198.51.100.5")
		x.leaf("private_ip", "10.1.0.5")
		x.close("representative")
		x.close("logged_in_privileged_users")
		x.open("events")
		for _, s := range evs {
			x.open("event", "timestamp", ts(s.start), "event_type", "Conference Member State Changed")
			x.leaf("performed_by", s.repName, "gsnumber", "1", "type", "representative")
			x.open("data")
			x.empty("value", "name", "state", "value", "available")
			x.empty("value", "name", "hostname", "value", "rep-pc")
			x.close("data")
			x.close("event")
			if s.fileTransfer > 0 {
				x.open("event", "timestamp", ts(s.start.Add(time.Minute)), "event_type", "Files Shared")
				x.leaf("performed_by", s.repName, "gsnumber", "1", "type", "representative")
				x.open("destinations")
				x.leaf("destination", "Database Team", "gsnumber", "3", "type", "representative")
				x.close("destinations")
				x.open("files")
				x.empty("file", "name", "notes.txt", "size", "1234")
				x.close("files")
				x.close("event")
			}
		}
		x.close("events")
		x.close("team_activity")
	}
	x.close("team_activity_list")
	_ = x.flush()
}

func (h *Handler) reportVault(w http.ResponseWriter, q url.Values) {
	wd, msg := parseWindow(q)
	if msg != "" {
		h.writeError(w, NSReporting, msg)
		return
	}
	limit := q.Get("limit")
	var repF, accF int
	switch {
	case limit == "" || limit == "all":
	case strings.HasPrefix(limit, "rep:"):
		repF, _ = strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(limit, "rep:")))
	case strings.HasPrefix(limit, "account:"):
		accF, _ = strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(limit, "account:")))
	}
	if limit != "" && limit != "all" && repF <= 0 && accF <= 0 {
		h.writeError(w, NSReporting, "Invalid limit: "+limit)
		return
	}
	x := h.newXW(w, NSReporting)
	x.open("vault_account_activity_list")
	write := func(e vaultEvent) error {
		if (repF != 0 && repF != e.repID) || (accF != 0 && accF != e.account) {
			return nil
		}
		x.open("vault_account_activity", "timestamp", ts(e.at), "event_type", e.eventType, "account", strconv.Itoa(e.account))
		x.leaf("performed_by", e.repName, "id", strconv.Itoa(e.repID), "type", "representative")
		x.leaf("data", e.data)
		x.close("vault_account_activity")
		return x.err
	}
	// Events are selected by their own time, whichever parameter gives the range: they are instants.
	wd.byEnd = false
	h.mu.Lock()
	hist := append([]histSession(nil), h.history...)
	g := h.live
	h.mu.Unlock()
	types := []string{"Credentials Checked Out", "Credentials Used", "Credentials Checked In", "Password Changed"}
	for _, s := range hist {
		for i, et := range types {
			e := vaultEvent{at: s.start.Add(time.Duration(i) * time.Minute), eventType: et, account: 30 + s.lseq%3,
				repID: s.repID, repName: s.repName, data: s.lsid}
			if et == "Password Changed" {
				e.data = "Rotate after check in"
			}
			if wd.hasTime(e.at) {
				_ = write(e)
			}
		}
	}
	_ = g.vault(wd, h.now(), write)
	x.close("vault_account_activity_list")
	_ = x.flush()
}

func (h *Handler) fileHeaders(w http.ResponseWriter, ctype, name string, size int64) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
}

func (h *Handler) reportRecording(w http.ResponseWriter, q url.Values, name string) {
	lsid := lsidParam(q)
	if lsid == "" {
		h.writeError(w, NSReporting, "Missing required parameter: lsid")
		return
	}
	s, ok := h.findSession(lsid)
	if !ok || !s.recording || s.end.IsZero() {
		h.writeError(w, NSReporting, "No recording is available for session "+lsid)
		return
	}
	size := int64(64 << 10)
	prefix := "session"
	if name == "UserRecording" {
		prefix = "user"
	}
	h.fileHeaders(w, "video/x-flv", prefix+"-recording-"+lsid+".flv", size)
	_ = h.body(w, size, uint64(s.lseq))
}

func (h *Handler) reportShell(w http.ResponseWriter, q url.Values) {
	lsid := lsidParam(q)
	if lsid == "" {
		h.writeError(w, NSReporting, "Missing required parameter: lsid")
		return
	}
	if !q.Has("instance") {
		h.writeError(w, NSReporting, "Missing required parameter: instance")
		return
	}
	inst, err := strconv.Atoi(q.Get("instance"))
	if err != nil || inst < 0 {
		h.writeError(w, NSReporting, "Invalid instance: "+q.Get("instance"))
		return
	}
	s, ok := h.findSession(lsid)
	if !ok || inst >= s.shells {
		h.writeError(w, NSReporting, fmt.Sprintf("No command shell recording %d for session %s", inst, lsid))
		return
	}
	switch q.Get("format") {
	case "txt":
		text := fmt.Sprintf("$ hostname\n%s\n$ uptime\n 08:00:00 up 10 days\n$ exit\n", s.customer)
		h.fileHeaders(w, "text/plain; charset=UTF-8", fmt.Sprintf("shell-%s-%d.txt", lsid, inst), int64(len(text)))
		_, _ = w.Write([]byte(text))
	case "":
		size := int64(16 << 10)
		h.fileHeaders(w, "video/x-flv", fmt.Sprintf("shell-%s-%d.flv", lsid, inst), size)
		_ = h.body(w, size, uint64(inst+s.lseq))
	default:
		h.writeError(w, NSReporting, "Invalid format: "+q.Get("format"))
	}
}

func (h *Handler) reportZip(w http.ResponseWriter, name string, files map[string]string) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range []string{"jump_items.csv", "daily_counts.csv", "summary.csv", "messages"} {
		if c, ok := files[n]; ok {
			f, _ := zw.Create(n)
			_, _ = f.Write([]byte(c))
		}
	}
	_ = zw.Close()
	h.fileHeaders(w, "application/zip", name, int64(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

// body writes size generated bytes, or half of them when truncation is on.
func (h *Handler) body(w http.ResponseWriter, size int64, seed uint64) error {
	h.mu.Lock()
	cut := h.truncate
	h.mu.Unlock()
	n := size
	if cut {
		n = size / 2
	}
	err := pattern(w, n, seed)
	if cut {
		// Abort the connection so the client sees a short body.
		panic(http.ErrAbortHandler)
	}
	return err
}
