package jotelulu

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/infractl/infra/pkg/api"
)

// SpecStatus says what a loaded OpenAPI document said about one operation.
type SpecStatus string

// Spec statuses.
const (
	SpecConfirmed SpecStatus = "confirmed" // same method and path as the built-in table
	SpecChanged   SpecStatus = "changed"   // the document gives another method or path, which is now used
	SpecAbsent    SpecStatus = "absent"    // the document has no operation with this id; the built-in path is kept
	SpecConflict  SpecStatus = "conflict"  // the document's path has other parameters; the built-in path is kept
)

// SpecResult is the outcome of applying a spec to one operation.
type SpecResult struct {
	ID     string
	Status SpecStatus
	// Was is the built-in "METHOD path" when Status is changed or conflict.
	Was string
	// Detail explains a conflict.
	Detail string
}

// SpecOp is one operation found in an OpenAPI document.
type SpecOp struct {
	ID     string // operationId as written in the document
	Method string
	Path   string // with the server URL's path prefix, if any
}

var specMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// MaxSpecSize bounds an API description read from a file or a URL (the largest real ones are a few megabytes).
const MaxSpecSize = 32 << 20

// IsSpecURL reports whether a --spec value is an http(s) URL rather than a file path.
func IsSpecURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

// LoadSpec reads an OpenAPI 3 (or Swagger 2) document in JSON or YAML and returns its operations by lower-case
// operationId. from is a file path or an http(s) URL; a URL is fetched with FetchSpec, using o without its
// credentials.
func LoadSpec(ctx context.Context, o api.Options, from string) (map[string]SpecOp, error) {
	if IsSpecURL(from) {
		return FetchSpec(ctx, o, from)
	}
	f, err := os.Open(from)
	if err != nil {
		return nil, fmt.Errorf("reading the API spec: %w", err)
	}
	defer f.Close()
	b, err := readSpec(f)
	if err != nil {
		return nil, err
	}
	return ParseSpec(b)
}

// FetchSpec downloads an OpenAPI document with a plain GET that carries no credentials: the authenticator of o is
// dropped, so the Jotelulu token never reaches the document's host (which is usually not the API host). The timeout,
// TLS settings, retries and trace of o apply, and the document is bounded by MaxSpecSize.
func FetchSpec(ctx context.Context, o api.Options, rawURL string) (map[string]SpecOp, error) {
	o.Auth = nil
	o.BaseURL = rawURL
	c, err := api.New(o)
	if err != nil {
		return nil, err
	}
	req, err := c.NewRequest(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, */*;q=0.5")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching the API spec: %w", err)
	}
	defer resp.Body.Close()
	b, err := readSpec(resp.Body)
	if err != nil {
		return nil, err
	}
	return ParseSpec(b)
}

func readSpec(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSpecSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the API spec: %w", err)
	}
	if len(b) > MaxSpecSize {
		return nil, fmt.Errorf("the API spec is larger than %d MiB", MaxSpecSize>>20)
	}
	return b, nil
}

// ParseSpec parses an OpenAPI document (JSON is a subset of YAML, so one decoder reads both).
func ParseSpec(b []byte) (map[string]SpecOp, error) {
	var doc struct {
		OpenAPI  string `yaml:"openapi"`
		Swagger  string `yaml:"swagger"`
		BasePath string `yaml:"basePath"`
		Servers  []struct {
			URL string `yaml:"url"`
		} `yaml:"servers"`
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("the API spec is neither JSON nor YAML: %w", err)
	}
	if doc.OpenAPI == "" && doc.Swagger == "" {
		return nil, fmt.Errorf("the API spec has no openapi (or swagger) version field: not an OpenAPI document")
	}
	prefix := strings.TrimRight(doc.BasePath, "/")
	if len(doc.Servers) > 0 {
		if u, err := url.Parse(doc.Servers[0].URL); err == nil {
			prefix = strings.TrimRight(u.Path, "/")
		}
	}
	out := map[string]SpecOp{}
	for p, item := range doc.Paths {
		for _, m := range specMethods {
			node, ok := item[m]
			if !ok {
				continue
			}
			var op struct {
				OperationID string `yaml:"operationId"`
			}
			if err := node.Decode(&op); err != nil || op.OperationID == "" {
				continue
			}
			key := strings.ToLower(op.OperationID)
			if prev, dup := out[key]; dup {
				return nil, fmt.Errorf("the API spec has operationId %q twice (%s %s and %s %s)", op.OperationID,
					prev.Method, prev.Path, strings.ToUpper(m), prefix+p)
			}
			out[key] = SpecOp{ID: op.OperationID, Method: strings.ToUpper(m), Path: prefix + p}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the API spec has no operations with an operationId")
	}
	return out, nil
}

// ApplySpec returns a copy of ops with method and path taken from the spec for every operation it names (ids
// matched without regard to case). Path parameters are matched by position and keep the table's names, so the
// rest of the program (and its flags) keeps working when the document names them differently.
func ApplySpec(ops []Op, spec map[string]SpecOp) ([]Op, []SpecResult) {
	out := make([]Op, len(ops))
	res := make([]SpecResult, 0, len(ops))
	for i, op := range ops {
		out[i] = op
		so, ok := spec[strings.ToLower(op.ID)]
		if !ok {
			res = append(res, SpecResult{ID: op.ID, Status: SpecAbsent})
			continue
		}
		was := op.Method + " " + op.Path
		mine := op.PathParams()
		segs := strings.Split(so.Path, "/")
		var theirs []int
		for j, s := range segs {
			if _, isParam := placeholder(s); isParam {
				theirs = append(theirs, j)
			}
		}
		if len(theirs) != len(mine) {
			var names []string
			for _, j := range theirs {
				names = append(names, segs[j])
			}
			res = append(res, SpecResult{ID: op.ID, Status: SpecConflict, Was: was,
				Detail: fmt.Sprintf("the spec's %s %s has path parameters [%s], the built-in path has {%s}; kept the built-in path",
					so.Method, so.Path, strings.Join(names, " "), strings.Join(mine, "} {"))})
			continue
		}
		for k, j := range theirs {
			segs[j] = "{" + mine[k] + "}"
		}
		path := strings.Join(segs, "/")
		out[i].Method, out[i].Path = so.Method, path
		if so.Method == op.Method && path == op.Path {
			res = append(res, SpecResult{ID: op.ID, Status: SpecConfirmed})
			continue
		}
		res = append(res, SpecResult{ID: op.ID, Status: SpecChanged, Was: was})
	}
	return out, res
}

// UnknownSpecOps lists the operationIds of the spec that are not in ops, sorted.
func UnknownSpecOps(ops []Op, spec map[string]SpecOp) []string {
	known := map[string]bool{}
	for _, op := range ops {
		known[strings.ToLower(op.ID)] = true
	}
	var out []string
	for k, so := range spec {
		if !known[k] {
			out = append(out, so.ID)
		}
	}
	sort.Strings(out)
	return out
}
