package praxmlsim

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
)

func (h *Handler) serveBackup(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	size := h.backup
	h.mu.Unlock()
	name := "backup-" + h.opts.Site + "-" + h.now().UTC().Format("2006-01-02") + ".nsb"
	h.fileHeaders(w, "application/octet-stream", name, size)
	_ = h.body(w, size, 42)
}

var scriptActions = sync.OnceValue(func() map[string][]string {
	return map[string][]string{
		"login":                    {"mechanism", "username", "password"},
		"start_jump_item_session":  {"jump.method", "credential_id", "search_string", "client.comments", "client.hostname", "client.private_ip", "client.public_ip", "client.tag"},
		"push_and_start_local":     {"hostname"},
		"push_and_start_remote":    {"target", "jumpoint"},
		"start_rdp_session":        {"target", "jumpoint", "username", "domain", "display_size", "quality", "console"},
		"start_shell_jump_session": {"target", "jumpoint", "username", "protocol", "port", "terminal"},
	}
})

var scriptRequired = sync.OnceValue(func() map[string]string {
	return map[string]string{"push_and_start_local": "hostname", "push_and_start_remote": "target", "start_rdp_session": "target", "start_shell_jump_session": "target"}
})

func (h *Handler) serveClientScript(w http.ResponseWriter, r *http.Request) {
	q := r.Form
	typ, op, action := q.Get("type"), q.Get("operation"), q.Get("action")
	switch {
	case typ != "rep" && typ != "web_console":
		h.writeError(w, NSCommand, "Invalid client type: "+typ)
		return
	case typ == "rep" && op != "generate", typ == "web_console" && op != "execute":
		h.writeError(w, NSCommand, "Invalid operation for client type "+typ+": "+op)
		return
	case typ == "web_console" && action != "start_jump_item_session":
		h.writeError(w, NSCommand, "The web_console type supports only start_jump_item_session")
		return
	}
	allowed, ok := scriptActions()[action]
	if !ok {
		h.writeError(w, NSCommand, "Invalid action: "+action)
		return
	}
	if req := scriptRequired()[action]; req != "" && q.Get(req) == "" {
		h.writeError(w, NSCommand, "Missing required parameter: "+req)
		return
	}
	params := url.Values{}
	for k, v := range q {
		if k == "type" || k == "operation" || k == "action" {
			continue
		}
		if !in(allowed, k) && !(strings.HasPrefix(k, "session.custom.") && action != "login") {
			h.writeError(w, NSCommand, "Invalid parameter for "+action+": "+k)
			return
		}
		params[k] = v
	}
	if action == "login" && len(params) > 0 && (params.Get("mechanism") != "username_password" || params.Get("username") == "" || !params.Has("password")) {
		h.writeError(w, NSCommand, "login needs mechanism=username_password, username and password together")
		return
	}
	if action == "start_jump_item_session" {
		crit := params.Has("search_string")
		for k := range params {
			if strings.HasPrefix(k, "client.") {
				crit = true
			}
		}
		if !crit {
			h.writeError(w, NSCommand, "At least one client.* parameter or search_string must be specified")
			return
		}
	}
	if typ == "web_console" {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		_, _ = w.Write([]byte("<html><body>Starting session in the web access console…</body></html>"))
		return
	}
	var b strings.Builder
	b.WriteString("BRCS1.0\n")
	if action == "login" {
		b.WriteString("action=login")
		if e := params.Encode(); e != "" {
			b.WriteString("&" + e)
		}
		b.WriteString("\n")
	} else {
		b.WriteString("action=login\n")
		b.WriteString("action=" + url.QueryEscape(action))
		if e := params.Encode(); e != "" {
			b.WriteString("&" + e)
		}
		b.WriteString("\n")
	}
	b.WriteString("action=delete_script_file\n")
	body := b.String()
	h.fileHeaders(w, "application/octet-stream", action+".brcs-"+h.opts.Site, int64(len(body)))
	_, _ = w.Write([]byte(body))
}
