package pra

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
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
	d := newDecoder(io.LimitReader(r, 1<<20))
	start, err := readRoot(d)
	if err != nil {
		return fmt.Errorf("%s API %s: the appliance sent XML instead of a file, and it could not be read: %w", apiName, action, err)
	}
	v, err := decodeElement(d, start)
	if err != nil {
		return fmt.Errorf("%s API %s: reading the XML answer: %w", apiName, action, err)
	}
	if start.Name.Local == "error" {
		return &XMLError{API: apiName, Action: action, Message: textOf(v)}
	}
	if m, ok := v.(map[string]any); ok {
		if e, ok := m["error"]; ok {
			return &XMLError{API: apiName, Action: action, Message: textOf(e)}
		}
	}
	return fmt.Errorf("%s API %s: expected a file, the appliance sent an XML <%s> document", apiName, action, start.Name.Local)
}

func newDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	d.Strict = true
	// Appliances declare UTF-8; accept the common aliases rather than failing.
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii", "":
			return input, nil
		}
		return nil, fmt.Errorf("unsupported XML encoding %q", charset)
	}
	return d
}

// readRoot skips the prolog and returns the root element.
func readRoot(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return xml.StartElement{}, errors.New("the answer is empty, not an XML document")
			}
			return xml.StartElement{}, fmt.Errorf("the answer is not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, errors.New("the answer is not an XML document")
			}
		}
	}
}

// checkNS accepts the API's namespace (under any prefix) or none at all, and refuses any other.
func checkNS(n xml.Name, want string) error {
	if n.Space == "" || n.Space == want {
		return nil
	}
	return &NamespaceError{Element: n.Local, Got: n.Space, Want: want}
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

func isListChild(parent, child string) bool {
	for _, c := range listChildren[parent] {
		if c == child {
			return true
		}
	}
	return false
}

// TextKey is the key under which an element's text is kept when the element also has attributes or children,
// e.g. <jump_group type="shared" id="1">Servers</jump_group> becomes {"id":"1","type":"shared","value":"Servers"}.
const TextKey = "value"

// decodeElement converts the element opened by start (already read) into the JSON form used by every renderer:
//
//   - an element with neither attributes nor children is its text (a string; values stay strings, as in the XML);
//   - otherwise an object: attributes and children by local name (namespaces and prefixes dropped), the text
//     under "value" (or "#text" when a child is itself called value);
//   - children that can repeat (see listChildren) are always lists; any other child seen twice becomes a list.
func decodeElement(d *xml.Decoder, start xml.StartElement) (any, error) {
	var obj map[string]any
	set := func(k string, v any) {
		if obj == nil {
			obj = map[string]any{}
		}
		obj[k] = v
	}
	for _, a := range start.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		set(a.Name.Local, a.Value)
	}
	var text []byte
	children := 0
	repeated := map[string]bool{}
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("the XML answer ends inside <%s>", start.Name.Local)
			}
			return nil, fmt.Errorf("the answer is not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			children++
			v, err := decodeElement(d, t)
			if err != nil {
				return nil, err
			}
			name := t.Name.Local
			prev, seen := obj[name]
			switch {
			case isListChild(start.Name.Local, name):
				l, _ := prev.([]any)
				set(name, append(l, v))
			case seen && repeated[name]:
				set(name, append(prev.([]any), v))
			case seen:
				repeated[name] = true
				set(name, []any{prev, v})
			default:
				set(name, v)
			}
		case xml.CharData:
			text = append(text, t...)
		case xml.EndElement:
			txt := strings.TrimSpace(string(text))
			if obj == nil {
				if lists := listChildren[start.Name.Local]; len(lists) > 0 && children == 0 && txt == "" {
					return map[string]any{lists[0]: []any{}}, nil
				}
				return txt, nil
			}
			if lists := listChildren[start.Name.Local]; len(lists) > 0 && children == 0 {
				if _, ok := obj[lists[0]]; !ok {
					obj[lists[0]] = []any{}
				}
			}
			if txt != "" {
				if _, clash := obj[TextKey]; clash {
					obj["#text"] = txt
				} else {
					obj[TextKey] = txt
				}
			}
			return obj, nil
		}
	}
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
	d := newDecoder(io.LimitReader(r, 64<<20))
	start, err := readRoot(d)
	if err != nil {
		return "", nil, fmt.Errorf("%s API %s: %w", apiName, action, err)
	}
	if err := checkNS(start.Name, ns); err != nil {
		return "", nil, fmt.Errorf("%s API %s: %w", apiName, action, err)
	}
	if strings.EqualFold(start.Name.Local, "html") {
		return "", nil, fmt.Errorf("%s API %s: %w", apiName, action, errHTML)
	}
	v, err := decodeElement(d, start)
	if err != nil {
		return "", nil, fmt.Errorf("%s API %s: %w", apiName, action, err)
	}
	if start.Name.Local == "error" {
		return "", nil, &XMLError{API: apiName, Action: action, Message: textOf(v)}
	}
	if m, ok := v.(map[string]any); ok {
		if e, ok := m["error"]; ok {
			return "", nil, &XMLError{API: apiName, Action: action, Message: textOf(e)}
		}
	}
	return start.Name.Local, v, nil
}
