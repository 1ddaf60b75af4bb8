package pra

// The decoder the scanner replaced, on encoding/xml: the reference FuzzScanner compares it with.

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

func refCheckNS(n xml.Name, want string) error {
	if n.Space == "" || n.Space == want {
		return nil
	}
	return &NamespaceError{Element: n.Local, Got: n.Space, Want: want}
}

func refIsListChild(parent, child string) bool {
	for _, c := range listChildren[parent] {
		if c == child {
			return true
		}
	}
	return false
}

// refReport reads a row report as ReportReader did: every item, then the error that ended the list (nil at its end).
func refReport(r io.Reader, s *ReportSpec) ([]map[string]any, map[string]any, error) {
	d := refNewDecoder(r)
	start, err := refReadRoot(d)
	if err != nil {
		return nil, nil, fmt.Errorf("reporting API %s: %w", s.Name, err)
	}
	if err := refCheckNS(start.Name, NSReporting); err != nil {
		return nil, nil, fmt.Errorf("reporting API %s: %w", s.Name, err)
	}
	switch start.Name.Local {
	case s.Root:
	case "html", "HTML":
		return nil, nil, fmt.Errorf("reporting API %s: %w", s.Name, errHTML)
	case "error":
		v, _ := refDecodeElement(d, start)
		return nil, nil, &XMLError{API: "reporting", Action: s.Name, Message: textOf(v)}
	default:
		return nil, nil, fmt.Errorf("reporting API %s: expected <%s>, the appliance sent <%s>", s.Name, s.Root, start.Name.Local)
	}
	var items []map[string]any
	meta := map[string]any{}
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return items, meta, fmt.Errorf("reporting API %s: the report ends before </%s> (connection cut?)", s.Name, s.Root)
			}
			return items, meta, fmt.Errorf("reporting API %s: %w", s.Name, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := refCheckNS(t.Name, NSReporting); err != nil {
				return items, meta, fmt.Errorf("reporting API %s: %w", s.Name, err)
			}
			v, err := refDecodeElement(d, t)
			if err != nil {
				return items, meta, fmt.Errorf("reporting API %s: %w", s.Name, err)
			}
			switch t.Name.Local {
			case s.Item:
				m, ok := v.(map[string]any)
				if !ok {
					m = map[string]any{TextKey: v}
				}
				items = append(items, m)
			case "error":
				return items, meta, &XMLError{API: "reporting", Action: s.Name, Message: textOf(v)}
			default:
				meta[t.Name.Local] = v
			}
		case xml.EndElement:
			return items, meta, nil
		}
	}
}

func refNewDecoder(r io.Reader) *xml.Decoder {
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
func refReadRoot(d *xml.Decoder) (xml.StartElement, error) {
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

func refDecodeElement(d *xml.Decoder, start xml.StartElement) (any, error) {
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
			v, err := refDecodeElement(d, t)
			if err != nil {
				return nil, err
			}
			name := t.Name.Local
			prev, seen := obj[name]
			switch {
			case refIsListChild(start.Name.Local, name):
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
			// The shaping of the value as the map-building decoder did it, against which the tree's is compared.
			return refElementValue(obj, listChildren[start.Name.Local], children, strings.TrimSpace(string(text))), nil
		}
	}
}

func refDocument(r io.Reader, apiName, action, ns string) (string, any, error) {
	d := refNewDecoder(io.LimitReader(r, 64<<20))
	start, err := refReadRoot(d)
	if err != nil {
		return "", nil, fmt.Errorf("%s API %s: %w", apiName, action, err)
	}
	if err := refCheckNS(start.Name, ns); err != nil {
		return "", nil, fmt.Errorf("%s API %s: %w", apiName, action, err)
	}
	if strings.EqualFold(start.Name.Local, "html") {
		return "", nil, fmt.Errorf("%s API %s: %w", apiName, action, errHTML)
	}
	v, err := refDecodeElement(d, start)
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

// refElementValue is the converted element once its end is read.
func refElementValue(obj map[string]any, lists []string, children int, txt any) any {
	if obj == nil {
		if len(lists) > 0 && children == 0 && txt == "" {
			return map[string]any{lists[0]: []any{}}
		}
		return txt
	}
	if len(lists) > 0 && children == 0 {
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
	return obj
}
