// Package request is the request model shared by the catalogs, the command engine and the API clients: operations and
// their fields and arguments, fully resolved calls, list and download options, and the Backend interface a vendor client
// implements. It imports only the standard library, so a client built on it carries nothing of the command line.
package request

import (
	"context"
	"net/url"
	"strings"
)

// FieldType is the wire type of a body field or query parameter.
type FieldType string

// Field types understood by the engine.
const (
	String   FieldType = "string"
	Integer  FieldType = "integer"
	Number   FieldType = "number"
	Boolean  FieldType = "boolean"
	DateTime FieldType = "date-time"
	Array    FieldType = "array"
	Object   FieldType = "object"
)

// Field describes one request body field or query parameter.
type Field struct {
	Name     string    // wire name, e.g. "jump_group_id"
	Flag     string    // flag name; defaults to Name with '_' replaced by '-'
	Type     FieldType // wire type
	Items    FieldType // element type for arrays
	Required bool
	ReadOnly bool // present in responses only; rejected on input
	Nullable bool
	Enum     []string
	Help     string
	MinLen   int
	MaxLen   int // 0 = unbounded
	Min, Max *int64
	Pattern  string
	Default  string // documented server-side default, for help only
}

// FlagName is the command-line flag for the field.
func (f *Field) FlagName() string {
	if f.Flag != "" {
		return f.Flag
	}
	return strings.ReplaceAll(f.Name, "_", "-")
}

// Kind says what an operation answers.
type Kind int

// Operation kinds.
const (
	KindObject   Kind = iota // one object
	KindList                 // a paginated list of objects
	KindNone                 // no body (204)
	KindDownload             // a file
	KindRaw                  // any JSON value, rendered as is
)

// Confirm says whether an operation needs confirmation.
type Confirm int

// Confirmation levels.
const (
	ConfirmNone Confirm = iota
	// ConfirmIrreversible prompts on a terminal and requires --yes when no terminal is attached.
	ConfirmIrreversible
)

// Arg is a positional argument bound to a path parameter.
type Arg struct {
	Param string // path parameter name, e.g. "id"
	Name  string // metavar in usage, e.g. "JUMP_GROUP_ID"
	Help  string
	// Integer: the id is a number; anything else is refused before a request is sent.
	Integer bool
}

// Op is one API operation exposed as a command.
type Op struct {
	Name    string // command verb: list, get, create, update, delete or a custom action
	Aliases []string
	ID      string // vendor operation id, if any
	Method  string
	Path    string // path template relative to the vendor API root, e.g. "/jump-group/{id}/user/{user_id}"
	Args    []Arg  // positional args, in order; every {param} in Path must be covered
	Query   []Field
	Body    []Field
	// BodyRequired: the request always carries a body (PATCH with no field set is refused).
	BodyRequired bool
	Kind         Kind
	Columns      []string // default table columns
	Short, Long  string
	Example      string
	Confirm      Confirm
	// MultiID allows the last positional argument to repeat (e.g. delete 1 2 3); each id is one request.
	MultiID bool
	// Hidden hides the command from help (aliases for compatibility).
	Hidden bool
	// Public: the operation needs no authentication (the client sends it without credentials).
	Public bool
	// Upload, when set, sends a local file as the request body instead of the fields.
	Upload *Upload
	// Session, when set, makes the operation act on the client's own session token rather than send a plain request.
	Session Session
}

// Upload declares an operation whose body is one local file, streamed as a multipart form field.
type Upload struct {
	Arg   string // the positional argument (Arg.Param) that names the local file
	Field string // the multipart form field that carries it, e.g. "backup"
}

// Session says what an operation does with the client's own session token.
type Session int

// Session operations.
const (
	SessionNone   Session = iota
	SessionToken          // answer a valid token: the cached one, or a new one minted at the operation's path
	SessionRevoke         // revoke the cached token at the operation's path and forget it
)

// Group is a command group (a resource or a family of resources).
type Group struct {
	Name    string
	Aliases []string
	Short   string
	Long    string
	Ops     []*Op
	Groups  []*Group
}

// Walk calls fn for every operation in g and its sub-groups, with the command path below g.
func (g *Group) Walk(fn func(path []string, op *Op)) {
	g.walk(nil, fn)
}

func (g *Group) walk(prefix []string, fn func(path []string, op *Op)) {
	p := append(append([]string(nil), prefix...), g.Name)
	for _, op := range g.Ops {
		fn(append(append([]string(nil), p...), op.Name), op)
	}
	for _, s := range g.Groups {
		s.walk(p, fn)
	}
}

// Call is one fully resolved request.
type Call struct {
	Op         *Op
	PathParams map[string]string
	Query      url.Values
	Body       map[string]any // nil when the operation sends no body
}

// Path renders the operation path with escaped parameters.
func (c *Call) Path() string {
	out := c.Op.Path
	for k, v := range c.PathParams {
		out = strings.ReplaceAll(out, "{"+k+"}", url.PathEscape(v))
	}
	return out
}

// TakesBody reports whether the operation sends a request body: creates and updates, and the deletes that declare one
// (PRA removes a single association criterion with a DELETE carrying the criterion).
func (op *Op) TakesBody() bool {
	switch op.Method {
	case "POST", "PATCH", "PUT":
		return true
	case "DELETE":
		return len(op.Body) > 0
	}
	return false
}

// WholeBody reports whether the body must be complete (required fields enforced): every body but a PATCH's.
func (op *Op) WholeBody() bool { return op.Method != "PATCH" }

// ListOptions controls pagination.
type ListOptions struct {
	Limit   int // 0 = no limit
	PerPage int // 0 = vendor default
	Page    int // >0: fetch only this page
}

// ListWhole walks a list the API answers in one piece (no paging parameters): a single object counts as one item,
// null as none; opts.Page/PerPage pick a page client-side and opts.Limit stops early.
func ListWhole(answer any, opts ListOptions, each func(item any) error) error {
	items, ok := answer.([]any)
	if !ok {
		if answer == nil {
			return nil
		}
		items = []any{answer}
	}
	if opts.Page > 0 {
		per := opts.PerPage
		if per <= 0 {
			per = 100
		}
		start := (opts.Page - 1) * per
		if start >= len(items) {
			return nil
		}
		items = items[start:min(len(items), start+per)]
	}
	for i, it := range items {
		if opts.Limit > 0 && i >= opts.Limit {
			break
		}
		if err := each(it); err != nil {
			return err
		}
	}
	return nil
}

// Download describes a saved file.
type Download struct {
	File  string `json:"file"`
	Bytes int64  `json:"bytes"`
}

// DownloadOptions controls where downloads go.
type DownloadOptions struct {
	Path  string // file or directory; "" = current directory with the server's file name; "-" = stdout
	Force bool
	// NonEmpty refuses an empty file (a backup of 0 bytes is a failure).
	NonEmpty bool
}

// Backend executes calls for one vendor.
type Backend interface {
	// Invoke sends a non-list call and returns the decoded JSON answer (nil for KindNone).
	Invoke(ctx context.Context, c *Call) (any, error)
	// List walks the pages of a list call, calling each for every item, until the end or opts.Limit items.
	List(ctx context.Context, c *Call, opts ListOptions, each func(item any) error) error
}

// Downloader is implemented by backends that can save files.
type Downloader interface {
	Download(ctx context.Context, c *Call, opts DownloadOptions) (*Download, error)
}
