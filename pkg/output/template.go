package output

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"text/template"
)

// ValidateTemplate parses a Go template with the functions that rendering
// provides, without running it.
func ValidateTemplate(tpl string) error {
	_, err := parseTemplate(tpl)
	return err
}

// TemplateFuncs are the functions available to --template besides the
// text/template built-ins:
//
//	json   compact JSON of a value
//	join   join SEP LIST: the elements of a list as text, separated by SEP
//	upper  a value as upper-case text (null gives "")
//	lower  a value as lower-case text (null gives "")
func TemplateFuncs() template.FuncMap {
	return template.FuncMap{
		"json":  templateJSON,
		"join":  templateJoin,
		"upper": func(v any) (string, error) { s, err := templateText(v); return strings.ToUpper(s), err },
		"lower": func(v any) (string, error) { s, err := templateText(v); return strings.ToLower(s), err },
	}
}

// templateText is a value as text: strings as they are, null as nothing,
// anything else as compact JSON.
func templateText(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	n, err := Normalize(v)
	if err != nil {
		return "", err
	}
	return scalarText(n), nil
}

func parseTemplate(tpl string) (*template.Template, error) {
	t, err := template.New("output").Funcs(TemplateFuncs()).Parse(tpl)
	if err != nil {
		return nil, fmt.Errorf("invalid template: %w", err)
	}
	return t, nil
}

// execTemplate runs t over v. Numbers are handed to the template as int64
// when they are integers that fit, otherwise as float64, so that they can be
// compared with eq, lt and friends.
func execTemplate(w io.Writer, t *template.Template, v any) error {
	return t.Execute(w, templateData(v))
}

func templateData(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		if f, err := strconv.ParseFloat(string(t), 64); err == nil && !math.IsInf(f, 0) {
			return f
		}
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = templateData(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = templateData(e)
		}
		return out
	}
	return v
}

func templateJSON(v any) (string, error) {
	n, err := Normalize(v)
	if err != nil {
		return "", err
	}
	return string(appendJSON(nil, n, jsonStyle{})), nil
}

func templateJoin(sep string, list any) (string, error) {
	if list == nil {
		return "", nil
	}
	rv := reflect.ValueOf(list)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return "", fmt.Errorf("join: expected a list, got %T", list)
	}
	parts := make([]string, rv.Len())
	for i := range parts {
		s, err := templateText(rv.Index(i).Interface())
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	return strings.Join(parts, sep), nil
}
