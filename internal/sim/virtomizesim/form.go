package virtomizesim

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// maxBody bounds request bodies (backups included).
const maxBody = 32 << 20

// listKey matches the indexed form of an array parameter: name[0].
var listKey = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\[([0-9]+)\]$`) })

// form holds the parameters of one request, decoded the way the appliance's
// curl examples send them: scalars as name=value, arrays as name[0]=a&name[1]=b,
// booleans as true|false. Getters record problems; done reports them all at
// once together with any parameter nobody asked for.
type form struct {
	scalars map[string]string
	lists   map[string]map[int]string
	files   map[string][]byte
	used    map[string]bool
	errs    []string
	clash   []string // conflicts with existing records, reported as 409
}

func newForm() *form {
	return &form{
		scalars: map[string]string{},
		lists:   map[string]map[int]string{},
		files:   map[string][]byte{},
		used:    map[string]bool{},
	}
}

// parseForm decodes the parameters of r. With fromQuery the URL query is
// read; otherwise the body is, as application/x-www-form-urlencoded,
// multipart/form-data or (raw) application/octet-stream, the latter stored as
// the file rawField.
func parseForm(w http.ResponseWriter, r *http.Request, fromQuery bool, rawField string) (*form, error) {
	f := newForm()
	if fromQuery {
		return f, f.addValues(r.URL.Query())
	}
	if r.Method == http.MethodGet || r.Body == nil {
		return f, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	ct := r.Header.Get("Content-Type")
	mt := ""
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, newError(http.StatusUnsupportedMediaType, "unsupported content type")
		}
	}
	switch mt {
	case "", "application/x-www-form-urlencoded":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyError(err)
		}
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, badRequest("request body is not form-encoded")
		}
		return f, f.addValues(vals)
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return nil, bodyError(err)
		}
		defer func() { _ = r.MultipartForm.RemoveAll() }()
		if err := f.addValues(url.Values(r.MultipartForm.Value)); err != nil {
			return nil, err
		}
		for name, hdrs := range r.MultipartForm.File {
			if len(hdrs) != 1 {
				return nil, badRequest("parameter given more than once: %s", name)
			}
			fh, err := hdrs[0].Open()
			if err != nil {
				return nil, bodyError(err)
			}
			data, err := io.ReadAll(fh)
			_ = fh.Close()
			if err != nil {
				return nil, bodyError(err)
			}
			f.files[name] = data
		}
		return f, nil
	case "application/octet-stream":
		if rawField == "" {
			return nil, newError(http.StatusUnsupportedMediaType, "unsupported content type: %s", mt)
		}
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyError(err)
		}
		f.files[rawField] = data
		return f, nil
	default:
		return nil, newError(http.StatusUnsupportedMediaType,
			"unsupported content type: %s (send application/x-www-form-urlencoded)", mt)
	}
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return newError(http.StatusRequestEntityTooLarge, "request body too large")
	}
	return badRequest("request body could not be read")
}

func (f *form) addValues(vals url.Values) error {
	for k, vs := range vals {
		if len(vs) != 1 {
			return badRequest("parameter given more than once: %s", k)
		}
		if m := listKey().FindStringSubmatch(k); m != nil {
			idx, err := strconv.Atoi(m[2])
			if err != nil {
				return badRequest("invalid parameter: %s: index out of range", k)
			}
			l := f.lists[m[1]]
			if l == nil {
				l = map[int]string{}
				f.lists[m[1]] = l
			}
			if _, dup := l[idx]; dup {
				return badRequest("parameter given more than once: %s[%d]", m[1], idx)
			}
			l[idx] = vs[0]
			continue
		}
		f.scalars[k] = vs[0]
	}
	return nil
}

func (f *form) fail(param, format string, args ...any) {
	f.errs = append(f.errs, invalid(param, format, args...).msgs[0])
}

// conflict records a clash with existing state; it is reported (as 409) only
// when the parameters are otherwise valid.
func (f *form) conflict(format string, args ...any) {
	f.clash = append(f.clash, fmt.Sprintf(format, args...))
}

func (f *form) missing(name string) {
	f.errs = append(f.errs, "missing parameter: "+name)
}

// optStr returns a scalar parameter and whether it was sent.
func (f *form) optStr(name string) (string, bool) {
	f.used[name] = true
	if _, isList := f.lists[name]; isList {
		f.used[name+"[]"] = true
		f.fail(name, "not a list")
		return "", false
	}
	v, ok := f.scalars[name]
	return v, ok
}

// str returns a scalar parameter; with req an absent or empty value is
// reported as missing.
func (f *form) str(name string, req bool) string {
	v, ok := f.optStr(name)
	if req && (!ok || v == "") {
		f.missing(name)
	}
	return v
}

// int returns an integer parameter and whether it was sent.
func (f *form) int(name string, req bool) (int, bool) {
	v, ok := f.optStr(name)
	if !ok || v == "" {
		if req {
			f.missing(name)
		}
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		f.fail(name, "expected an integer")
		return 0, false
	}
	return n, true
}

// int64 returns a 64-bit integer parameter and whether it was sent.
func (f *form) int64(name string, req bool) (int64, bool) {
	v, ok := f.optStr(name)
	if !ok || v == "" {
		if req {
			f.missing(name)
		}
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		f.fail(name, "expected an integer")
		return 0, false
	}
	return n, true
}

// bool returns a boolean parameter (true or false) and whether it was sent.
func (f *form) bool(name string, req bool) (bool, bool) {
	v, ok := f.optStr(name)
	if !ok || v == "" {
		if req {
			f.missing(name)
		}
		return false, false
	}
	switch v {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	f.fail(name, "expected true or false")
	return false, false
}

// strs returns an array parameter sent as name[0], name[1], … in index order,
// and whether it was sent. A bare "name=" with an empty value is an explicit
// empty list.
func (f *form) strs(name string, req bool) ([]string, bool) {
	f.used[name] = true
	f.used[name+"[]"] = true
	if v, ok := f.scalars[name]; ok {
		if v != "" {
			f.fail(name, "send a list as %s[0], %s[1], …", name, name)
			return nil, false
		}
		if _, alsoList := f.lists[name]; alsoList {
			f.fail(name, "sent both as an empty list and with elements")
			return nil, false
		}
		if req {
			f.missing(name)
		}
		return []string{}, true
	}
	l, ok := f.lists[name]
	if !ok {
		if req {
			f.missing(name)
		}
		return nil, false
	}
	idx := make([]int, 0, len(l))
	for i := range l {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		out = append(out, l[i])
	}
	return out, true
}

// ints is strs for integer arrays.
func (f *form) ints(name string, req bool) ([]int, bool) {
	vs, ok := f.strs(name, req)
	if !ok {
		return nil, false
	}
	out := make([]int, 0, len(vs))
	for _, v := range vs {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			f.fail(name, "expected a list of integers")
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

// file returns an uploaded file.
func (f *form) file(name string, req bool) []byte {
	f.used[name] = true
	if data, ok := f.files[name]; ok {
		return data
	}
	if _, ok := f.scalars[name]; ok {
		f.fail(name, "expected a file upload")
		return nil
	}
	if req {
		f.missing(name)
	}
	return nil
}

// pathParam accepts a body parameter that repeats a key from the path, as the
// reference lists path keys among the parameters; it must agree with the path.
func (f *form) pathParam(name string, val int) {
	f.used[name] = true
	v, ok := f.scalars[name]
	if !ok {
		return
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n != val {
		f.fail(name, "does not match the path")
	}
}

// done reports every problem found so far, including parameters that the
// operation does not take.
func (f *form) done() error {
	errs := append([]string(nil), f.errs...)
	var unknown []string
	for k := range f.scalars {
		if !f.used[k] {
			unknown = append(unknown, k)
		}
	}
	for k := range f.lists {
		if !f.used[k+"[]"] {
			unknown = append(unknown, k+"[…]")
		}
	}
	for k := range f.files {
		if !f.used[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, "unknown parameter: "+k)
	}
	if len(errs) > 0 {
		return &apiError{status: http.StatusBadRequest, msgs: errs}
	}
	if len(f.clash) > 0 {
		return &apiError{status: http.StatusConflict, msgs: f.clash}
	}
	return nil
}
