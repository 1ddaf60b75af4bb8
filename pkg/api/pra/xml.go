package pra

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/infractl/infra/pkg/api"
)

// Namespaces declared by the XML answers of the command and reporting APIs (API guide, "Command API" and
// "Reporting API"). They identify the vocabulary; they are not URLs to fetch.
const (
	NSCommand   = "https://www.beyondtrust.com/namespaces/API/command"
	NSReporting = "https://www.beyondtrust.com/namespaces/API/reporting"
)

// Paths of the XML APIs.
const (
	CommandPath      = "/api/command"
	ReportingPath    = "/api/reporting"
	BackupPath       = "/api/backup"
	ClientScriptPath = "/api/client_script"
)

// XMLError is an <error> element in an answer of the command, reporting, backup or client scripting API. The
// appliance sends it with status 200, so it is checked for explicitly; it makes the command fail (exit code 1).
type XMLError struct {
	API     string // "command", "reporting", "backup", "client_script"
	Action  string // the action or report
	Message string
}

func (e *XMLError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "the appliance answered with an empty <error> element"
	}
	if e.Action != "" {
		return fmt.Sprintf("%s API %s: %s", e.API, e.Action, msg)
	}
	return fmt.Sprintf("%s API: %s", e.API, msg)
}

// NamespaceError reports an XML answer in a namespace other than the one the API declares.
type NamespaceError struct {
	Element, Got, Want string
}

func (e *NamespaceError) Error() string {
	return fmt.Sprintf("unexpected XML namespace %q on <%s> (expected %q): is the host a BeyondTrust PRA appliance?", e.Got, e.Element, e.Want)
}

// xmlRequest sends one request to an XML API. Reads use GET (so transient failures are retried); changes and
// requests carrying credentials use a form-encoded POST. The guide asks clients to close the connection after
// each call.
func (c *Client) xmlRequest(ctx context.Context, method, path string, params url.Values) (*http.Response, error) {
	var body any
	p := path
	if method == http.MethodGet {
		if len(params) > 0 {
			p += "?" + params.Encode()
		}
	} else {
		body = params
		if params == nil {
			body = url.Values{}
		}
	}
	req, err := c.core.NewRequest(ctx, method, p, body)
	if err != nil {
		return nil, err
	}
	req.Close = true
	req.Header.Set("Accept", "application/xml, text/xml, */*")
	resp, err := c.core.Do(req)
	if err != nil {
		return nil, decorateXML(err)
	}
	return resp, nil
}

// decorateXML adds the guide's permission hints to errors of the XML APIs.
func decorateXML(err error) error {
	var he *api.HTTPError
	if !errors.As(err, &he) {
		return err
	}
	switch he.StatusCode {
	case http.StatusForbidden, http.StatusUnauthorized:
		if he.Hint == "" {
			he.Hint = "check the API account's permissions in /login > Management > API Configuration (command, reporting, backup) and that the XML API is enabled"
		}
	case http.StatusNotFound:
		if he.Hint == "" {
			he.Hint = "the XML API may be disabled: check Enable XML API in /login > Management > API Configuration"
		}
	}
	return he
}

// errHTML is returned when the appliance answers with a web page (a login page, a disabled API) instead of XML.
var errHTML = errors.New("the appliance answered with an HTML page, not the API's XML: check that Enable XML API is set in /login > Management > API Configuration and that the host is the appliance's public site")

// isHTML reports an HTML answer.
func isHTML(h http.Header, peek []byte) bool {
	if strings.Contains(strings.ToLower(h.Get("Content-Type")), "text/html") {
		return true
	}
	p := bytes.ToLower(bytes.TrimLeft(peek, " \t\r\n\ufeff"))
	return bytes.HasPrefix(p, []byte("<!doctype html")) || bytes.HasPrefix(p, []byte("<html"))
}

// isXMLAnswer reports whether a response that should be a file is an XML document instead (an <error>).
func isXMLAnswer(h http.Header, peek []byte) bool {
	ct := strings.ToLower(h.Get("Content-Type"))
	if strings.Contains(ct, "xml") {
		return true
	}
	p := bytes.TrimLeft(peek, " \t\r\n\ufeff")
	return bytes.HasPrefix(p, []byte("<?xml")) || bytes.HasPrefix(p, []byte("<error"))
}

// fileErrorFromXML reads an XML answer received where a file was expected and returns the error it carries.
func fileErrorFromXML(r io.Reader, apiName, action, ns string) error {
	d := newScanner(io.LimitReader(r, 1<<20))
	if err := readRoot(d); err != nil {
		return fmt.Errorf("%s API %s: the appliance sent XML instead of a file, and it could not be read: %w", apiName, action, err)
	}
	root := d.name.local
	v, err := decodeElement(d)
	if err != nil {
		return fmt.Errorf("%s API %s: reading the XML answer: %w", apiName, action, err)
	}
	if root == "error" {
		return &XMLError{API: apiName, Action: action, Message: textOf(v)}
	}
	if m, ok := v.(map[string]any); ok {
		if e, ok := m["error"]; ok {
			return &XMLError{API: apiName, Action: action, Message: textOf(e)}
		}
	}
	return fmt.Errorf("%s API %s: expected a file, the appliance sent an XML <%s> document", apiName, action, root)
}

// readRoot skips the prolog and returns the root element (its name, attributes and namespace in the scanner).
func readRoot(s *xmlScanner) error {
	for {
		tok, err := s.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("the answer is empty, not an XML document")
			}
			return fmt.Errorf("the answer is not well-formed XML: %w", err)
		}
		switch tok {
		case tokStart:
			return nil
		case tokText:
			blank := len(bytes.TrimSpace(s.text)) == 0
			s.text = s.text[:0]
			if !blank {
				return errors.New("the answer is not an XML document")
			}
		}
	}
}

// checkNS accepts the API's namespace (under any prefix) or none at all, and refuses any other, for the start
// element just read.
func checkNS(s *xmlScanner, want string) error {
	if s.nsURL == "" || s.nsURL == want {
		return nil
	}
	return &NamespaceError{Element: s.name.local, Got: s.nsURL, Want: want}
}

// listChildren names, per parent element, the children that can repeat and so are always rendered as lists (also
// when there is only one or none), so the JSON shape does not depend on how many there are.
var listChildren = map[string][]string{
	"logged_in_reps":              {"rep"},
	"custom_attributes":           {"custom_attribute"},
	"enabled_shared_ips":          {"ip"},
	"permissions":                 {"permission"},
	"connected_client_list":       {"connected_client"},
	"connected_client_summary":    {"appliance_summary"},
	"appliance_summary":           {"count"},
	"client_connections":          {"client_connection"},
	"event_log":                   {"event"},
	"support_session_lsids":       {"lsid"},
	"session_list":                {"session"},
	"command_shell_recordings":    {"command_shell_recording"},
	"customer_list":               {"customer"},
	"rep_list":                    {"representative"},
	"session_details":             {"event"},
	"files":                       {"file"},
	"data":                        {"value", "row"},
	"system_information":          {"category"},
	"description":                 {"field"},
	"row":                         {"field"},
	"session_summary_list":        {"session_summary"},
	"summary_list":                {"summary"},
	"team_activity_list":          {"team_activity"},
	"logged_in_privileged_users":  {"representative"},
	"logged_in_representatives":   {"representative"},
	"events":                      {"event"},
	"destinations":                {"destination"},
	"vault_account_activity_list": {"vault_account_activity"},
	"connected_clients":           {"connected_representative", "connected_support_customer", "connected_presentation_attendee", "connected_push_agent"},
}

// TextKey is the key under which an element's text is kept when the element also has attributes or children,
// e.g. <jump_group type="shared" id="1">Servers</jump_group> becomes {"id":"1","type":"shared","value":"Servers"}.
const TextKey = "value"

// decodeElement converts the element whose start s has just read into the JSON form used by every renderer:
//
//   - an element with neither attributes nor children is its text (a string; values stay strings, as in the XML);
//   - otherwise an object: attributes and children by local name (namespaces and prefixes dropped), the text
//     under "value" (or "#text" when a child is itself called value);
//   - children that can repeat (see listChildren) are always lists; any other child seen twice becomes a list.
func decodeElement(s *xmlScanner) (any, error) {
	var t tree
	v, err := t.decode(s)
	if err != nil {
		return nil, err
	}
	return t.toAny(s, v), nil
}

// textOf returns the text of a converted element.
func textOf(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		if s, ok := t[TextKey].(string); ok {
			return s
		}
	}
	return ""
}

// document reads a whole (small) XML answer: it checks the namespace, turns an <error> root or child into an
// *XMLError and returns the root's name and converted content.
func document(r io.Reader, apiName, action, ns string) (string, any, error) {
	d := newScanner(io.LimitReader(r, 64<<20))
	if err := readRoot(d); err != nil {
		return "", nil, fmt.Errorf("%s API %s: %w", apiName, action, err)
	}
	if err := checkNS(d, ns); err != nil {
		return "", nil, fmt.Errorf("%s API %s: %w", apiName, action, err)
	}
	root := d.name.local
	if strings.EqualFold(root, "html") {
		return "", nil, fmt.Errorf("%s API %s: %w", apiName, action, errHTML)
	}
	v, err := decodeElement(d)
	if err != nil {
		return "", nil, fmt.Errorf("%s API %s: %w", apiName, action, err)
	}
	if root == "error" {
		return "", nil, &XMLError{API: apiName, Action: action, Message: textOf(v)}
	}
	if m, ok := v.(map[string]any); ok {
		if e, ok := m["error"]; ok {
			return "", nil, &XMLError{API: apiName, Action: action, Message: textOf(e)}
		}
	}
	return root, v, nil
}
