// Package praxmlsim simulates the XML APIs of a BeyondTrust PRA appliance: the command API (/api/command), the
// reporting API (/api/reporting), the backup API (/api/backup) and the client scripting API (/api/client_script),
// with the element names and namespaces of the vendor's API guide. Answers are 200 with an <error> element for bad
// input, as the appliance does.
//
// It is an http.Handler meant to be mounted on the PRA simulator, which checks the bearer token and the rate limit
// first:
//
//	h := praxmlsim.New(praxmlsim.Options{Seed: true})
//	h.MountOn(prasimServer)
//
// Large answers are generated while they are written: a report of any number of sessions (the sim_sessions query
// parameter or Options.ReportSessions) and a backup of any size (Options.BackupSize or SetBackupSize) use constant
// memory.
package praxmlsim

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Namespaces of the answers (API guide).
const (
	NSCommand   = "https://www.beyondtrust.com/namespaces/API/command"
	NSReporting = "https://www.beyondtrust.com/namespaces/API/reporting"
)

// Namespace styles the simulator can answer with, to exercise namespace-aware clients.
const (
	NSDefault  = "default"  // xmlns="…" on the root (what the appliance sends)
	NSPrefixed = "prefixed" // xmlns:bt="…" and every element prefixed bt:
	NSNone     = "none"     // no namespace declaration
	NSForeign  = "foreign"  // a namespace that is not BeyondTrust's
)

// DefaultBackupSize is the size of a backup unless set otherwise.
const DefaultBackupSize = 1 << 20

// Options configure the handler.
type Options struct {
	Now            func() time.Time // clock; time.Now when nil
	Seed           bool             // logged-in reps, active sessions, connected clients and historical sessions
	ReportSessions int              // generated sessions added to range reports (besides the seeded ones)
	BackupSize     int64            // bytes in a backup (default 1 MiB)
	Site           string           // company site name, used in file names (default "sandbox")
	// LiveRate, when positive, makes the appliance busy: LiveRate new sessions a second (and their Vault events) from
	// LiveStart (default: now) on, appearing in reports as time passes (see live.go).
	LiveRate  float64
	LiveStart time.Time
}

// Handler serves the XML APIs. It is safe for concurrent use.
type Handler struct {
	opts Options
	now  func() time.Time

	mu        sync.Mutex
	reps      []rep
	active    map[string]*activeSession
	clients   []client
	shortcuts []map[string]string
	role      string
	nsStyle   string
	backup    int64
	truncate  bool
	html      bool
	healthErr string
	history   []histSession
	live      live

	requests atomic.Int64
	byAPI    sync.Map // api name → *atomic.Int64
}

// New returns a handler.
func New(o Options) *Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BackupSize <= 0 {
		o.BackupSize = DefaultBackupSize
	}
	if o.Site == "" {
		o.Site = "sandbox"
	}
	h := &Handler{opts: o, now: o.Now, active: map[string]*activeSession{}, role: "primary", nsStyle: NSDefault, backup: o.BackupSize}
	if o.Seed {
		h.seed()
	}
	if o.LiveRate > 0 {
		h.live = live{rate: o.LiveRate, origin: o.LiveStart}
		if h.live.origin.IsZero() {
			h.live.origin = h.now()
		}
	}
	return h
}

// Mounter is what the PRA simulator offers (prasim.Server.Mount).
type Mounter interface {
	Mount(prefix string, h http.Handler)
}

// Paths served.
var Paths = []string{"/api/command", "/api/reporting", "/api/backup", "/api/client_script"}

// MountOn mounts the handler on every path it serves.
func (h *Handler) MountOn(m Mounter) {
	for _, p := range Paths {
		m.Mount(p, h)
	}
}

// Requests returns how many requests reached the handler (after the PRA simulator's token check).
func (h *Handler) Requests() int { return int(h.requests.Load()) }

// RequestsTo returns how many requests reached one API: "command", "reporting", "backup" or "client_script".
func (h *Handler) RequestsTo(api string) int {
	if v, ok := h.byAPI.Load(api); ok {
		return int(v.(*atomic.Int64).Load())
	}
	return 0
}

// SetNamespaceStyle picks how answers declare their namespace (NSDefault, NSPrefixed, NSNone, NSForeign).
func (h *Handler) SetNamespaceStyle(s string) error {
	switch s {
	case NSDefault, NSPrefixed, NSNone, NSForeign:
	default:
		return fmt.Errorf("unknown namespace style %q", s)
	}
	h.mu.Lock()
	h.nsStyle = s
	h.mu.Unlock()
	return nil
}

// SetBackupSize sets the size of the next backups.
func (h *Handler) SetBackupSize(n int64) {
	h.mu.Lock()
	h.backup = n
	h.mu.Unlock()
}

// SetTruncate makes file answers stop short of their Content-Length (a cut connection).
func (h *Handler) SetTruncate(b bool) {
	h.mu.Lock()
	h.truncate = b
	h.mu.Unlock()
}

// SetHealthError makes check_health report a failure (<success>0</success>) with msg; "" restores health.
func (h *Handler) SetHealthError(msg string) {
	h.mu.Lock()
	h.healthErr = msg
	h.mu.Unlock()
}

// SetHTML makes every API answer with an HTML page, as a site with the XML API disabled or behind a login portal does.
func (h *Handler) SetHTML(b bool) {
	h.mu.Lock()
	h.html = b
	h.mu.Unlock()
}

// ActiveSession returns the custom attributes of an active session, or false when there is none with that id.
func (h *Handler) ActiveSession(lsid string) (map[string]string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.active[lsid]
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	for k, v := range s.attrs {
		out[k] = v
	}
	return out, true
}

// Shortcuts returns the Jump shortcuts imported so far (parameters as sent).
func (h *Handler) Shortcuts() []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]string(nil), h.shortcuts...)
}

// FailoverRole returns the current failover role.
func (h *Handler) FailoverRole() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.role
}

func (h *Handler) count(api string) {
	h.requests.Add(1)
	v, _ := h.byAPI.LoadOrStore(api, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// ServeHTTP dispatches by path. GET and POST are accepted, parameters in the query or a form-encoded body.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	name := strings.TrimPrefix(path, "/api/")
	h.count(name)
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.Method == http.MethodPost {
		ct := r.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "multipart/") {
			h.writeError(w, nsFor(name), "Multipart POST requests are not supported.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	}
	h.mu.Lock()
	html := h.html
	h.mu.Unlock()
	if html {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		_, _ = io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>Document Not Found</title></head><body><p>Document Not Found<br></p></body></html>\n")
		return
	}
	if err := r.ParseForm(); err != nil {
		h.writeError(w, nsFor(name), "The request parameters could not be parsed.")
		return
	}
	switch name {
	case "command":
		h.serveCommand(w, r)
	case "reporting":
		h.serveReporting(w, r)
	case "backup":
		h.serveBackup(w, r)
	case "client_script":
		h.serveClientScript(w, r)
	default:
		http.NotFound(w, r)
	}
}

func nsFor(api string) string {
	if api == "reporting" {
		return NSReporting
	}
	return NSCommand
}

// xw writes XML in the handler's namespace style, escaping text and attributes.
type xw struct {
	w        *bufio.Writer
	prefix   string
	rootAttr string
	rooted   bool
	err      error
}

func (h *Handler) newXW(w http.ResponseWriter, ns string) *xw {
	h.mu.Lock()
	style := h.nsStyle
	h.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	x := &xw{w: bufio.NewWriterSize(w, 32<<10)}
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	switch style {
	case NSPrefixed:
		x.prefix = "bt:"
		x.rootAttr = ` xmlns:bt="` + ns + `"`
	case NSNone:
	case NSForeign:
		x.rootAttr = ` xmlns="https://example.com/namespaces/other"`
	default:
		x.rootAttr = ` xmlns="` + ns + `"`
	}
	return x
}

func (x *xw) raw(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

func (x *xw) esc(s string) {
	if x.err == nil {
		x.err = xml.EscapeText(x.w, []byte(s))
	}
}

// open writes <name attrs…>; attrs are name, value pairs. The first element written is the root.
func (x *xw) open(name string, attrs ...string) { x.tag(name, false, attrs) }

// empty writes <name attrs…/>.
func (x *xw) empty(name string, attrs ...string) { x.tag(name, true, attrs) }

func (x *xw) tag(name string, selfClose bool, attrs []string) {
	x.raw("<" + x.prefix + name)
	if !x.rooted {
		x.raw(x.rootAttr)
		x.rooted = true
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		x.raw(" " + attrs[i] + `="`)
		x.esc(attrs[i+1])
		x.raw(`"`)
	}
	if selfClose {
		x.raw("/>")
	} else {
		x.raw(">")
	}
}

func (x *xw) close(name string) { x.raw("</" + x.prefix + name + ">") }

// leaf writes <name attrs…>text</name>.
func (x *xw) leaf(name, text string, attrs ...string) {
	x.open(name, attrs...)
	x.esc(text)
	x.close(name)
}

func (x *xw) flush() error {
	if x.err != nil {
		return x.err
	}
	return x.w.Flush()
}

// writeError answers 200 with an <error> root element, as the appliance does for bad input.
func (h *Handler) writeError(w http.ResponseWriter, ns, msg string) {
	x := h.newXW(w, ns)
	x.leaf("error", msg)
	_ = x.flush()
}

func (h *Handler) writeSuccess(w http.ResponseWriter, msg string) {
	x := h.newXW(w, NSCommand)
	x.leaf("success", msg)
	_ = x.flush()
}

// pattern writes n deterministic pseudo-random bytes to w without holding them (xorshift).
func pattern(w io.Writer, n int64, seed uint64) error {
	buf := make([]byte, 32<<10)
	s := seed | 1
	for n > 0 {
		chunk := int64(len(buf))
		if n < chunk {
			chunk = n
		}
		for i := 0; i < int(chunk); i += 8 {
			s ^= s << 13
			s ^= s >> 7
			s ^= s << 17
			for j := 0; j < 8 && i+j < int(chunk); j++ {
				buf[i+j] = byte(s >> (8 * j))
			}
		}
		if _, err := w.Write(buf[:chunk]); err != nil {
			return err
		}
		n -= chunk
	}
	return nil
}
