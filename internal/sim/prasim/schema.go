package prasim

import (
	"regexp"
	"strings"
	"sync"
)

// Type is the wire type of a resource field.
type Type int

// Field types. Enum values are strings restricted to Field.Enum; Array holds
// elements of Field.Items; Object is any JSON object, stored as given.
const (
	Integer Type = iota + 1
	String
	Boolean
	DateTime
	Enum
	Array
	Object
	Any // any JSON value, stored as given (schemas without a single type)
)

// RefAction says what happens to a referencing row when the referenced row
// is deleted.
type RefAction int

// Reference actions. SetNull is the zero value.
const (
	SetNull  RefAction = iota // the referencing field becomes null
	Cascade                   // the referencing row is deleted too
	Restrict                  // the delete is refused with a 422
)

// Ops is the set of operations a resource supports.
type Ops uint8

// Operations of a resource: list and create act on the collection path, the
// others on the item path.
const (
	OpList Ops = 1 << iota
	OpGet
	OpCreate
	OpUpdate
	OpDelete

	// OpRead is list plus get; OpAll is every operation.
	OpRead = OpList | OpGet
	OpAll  = OpList | OpGet | OpCreate | OpUpdate | OpDelete
)

// Has reports whether every operation in o is in ops.
func (ops Ops) Has(o Ops) bool { return ops&o == o }

// Field declares one property of a resource, following the OpenAPI schema of
// the vendor. The zero value of each constraint means "no constraint".
type Field struct {
	Name     string
	Type     Type
	Items    Type     // element type for Array fields
	Enum     []string // allowed values for Enum fields (and Array of Enum)
	Required bool     // must be present and non-empty on create; never null
	ReadOnly bool     // set by the server; a request body naming it is rejected
	// WriteOnly fields are accepted in requests but never returned.
	WriteOnly bool
	Nullable  bool
	// Min and Max bound Integer values when HasMin / HasMax are set.
	Min, Max       int64
	HasMin, HasMax bool
	// MinLength and MaxLength bound String lengths in characters; MaxLength 0
	// means unbounded.
	MinLength, MaxLength int
	// MaxItems bounds Array lengths; 0 means unbounded.
	MaxItems int
	Pattern  *regexp.Regexp // String values must match
	// Unique values may not repeat within one collection; strings compare
	// case-insensitively.
	Unique bool
	// Ref names a top-level resource whose key this value must be; OnDelete
	// says what happens here when that row goes away.
	Ref      string
	OnDelete RefAction
	// Default is stored when the field is absent on create.
	Default any
	// Immutable fields may be set on create; on update they may only repeat
	// the current value.
	Immutable bool
	// IgnoreOnCreate fields are validated on create but their value is
	// replaced by Default.
	IgnoreOnCreate bool
	// AutoNow date-times are set to the current time on create.
	AutoNow bool
	// DeriveFrom names a String field from which a code name is generated when
	// this field is absent or empty on create.
	DeriveFrom string
	// FromParent fields hold the key of the enclosing item (e.g. team_id of
	// a team member); they are filled from the path.
	FromParent bool
	// AltRef replaces Ref when the field AltWhenField holds AltWhenValue
	// (a personal Jump Item's jump_group_id names a user).
	AltRef, AltWhenField, AltWhenValue string
}

// Field constructors and modifiers keep the resource declarations compact.

const maxInt32 = 2147483647

// IntField declares an integer with no bounds.
func IntField(name string) Field { return Field{Name: name, Type: Integer} }

// IDField declares an object identifier: an integer from 1 to 2^31-1.
func IDField(name string) Field {
	return Field{Name: name, Type: Integer, Min: 1, HasMin: true, Max: maxInt32, HasMax: true}
}

// StrField declares a string whose length lies within [minLen, maxLen]
// (maxLen 0: unbounded).
func StrField(name string, minLen, maxLen int) Field {
	return Field{Name: name, Type: String, MinLength: minLen, MaxLength: maxLen}
}

// BoolField declares a boolean.
func BoolField(name string) Field { return Field{Name: name, Type: Boolean} }

// TimeField declares an RFC 3339 UTC date-time.
func TimeField(name string) Field { return Field{Name: name, Type: DateTime} }

// EnumField declares a string limited to values.
func EnumField(name string, values ...string) Field {
	return Field{Name: name, Type: Enum, Enum: values}
}

// ArrayField declares an array whose elements have type items.
func ArrayField(name string, items Type, maxItems int) Field {
	return Field{Name: name, Type: Array, Items: items, MaxItems: maxItems}
}

// codeNamePattern is the documented code name syntax: letters, digits,
// underscores and hyphens.
var codeNamePattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
})

// CodeNameField declares a unique code name of at most 64 characters,
// generated from the field source when not given.
func CodeNameField(name, source string) Field {
	f := StrField(name, 0, 64)
	f.Pattern = codeNamePattern()
	f.Unique = true
	f.DeriveFrom = source
	return f
}

// Req marks the field required.
func (f Field) Req() Field { f.Required = true; return f }

// RO marks the field read-only.
func (f Field) RO() Field { f.ReadOnly = true; return f }

// WO marks the field write-only.
func (f Field) WO() Field { f.WriteOnly = true; return f }

// Null marks the field nullable.
func (f Field) Null() Field { f.Nullable = true; return f }

// Uniq marks the field unique within its collection.
func (f Field) Uniq() Field { f.Unique = true; return f }

// Def sets the default value.
func (f Field) Def(v any) Field { f.Default = v; return f }

// Refs makes the field a reference to resource with the given delete action.
func (f Field) Refs(resource string, onDelete RefAction) Field {
	f.Ref = resource
	f.OnDelete = onDelete
	return f
}

// Between bounds an integer field.
func (f Field) Between(lo, hi int64) Field {
	f.Min, f.HasMin, f.Max, f.HasMax = lo, true, hi, true
	return f
}

// Resource declares one collection of the Configuration API. A single generic
// handler serves every declared resource.
type Resource struct {
	// Name identifies the resource in references and Parent, e.g. "jump-group".
	Name string
	// Label is the human name used in messages, e.g. "Jump Group".
	Label string
	// Path is the collection path below the API base. Placeholders in braces
	// name the keys of the ancestors, outermost first, e.g.
	// "/jump-group/{id}/user".
	Path string
	// Parent is the resource owning each instance of this collection; empty
	// for top-level resources. Deleting a parent row deletes its collections.
	Parent string
	// Key is the field identifying an item; "id" when empty.
	Key string
	// ClientKey means the key comes from the create body (it must then be a
	// required, unique field) instead of being assigned 1, 2, 3, ...
	ClientKey bool
	Ops       Ops
	Fields    []Field
	// Filters are the query parameters accepted by list. Each one's Name is
	// both the parameter and the matched field; strings match
	// case-insensitively and exactly, and all filters must match.
	Filters []Field
	// BeforeDelete may refuse a delete by returning a message (sent as 422).
	BeforeDelete func(row Row) string
	// VariantField names the field choosing between alternative item
	// schemas; Variants maps its values to the fields each one shows.
	VariantField string
	Variants     map[string]map[string]bool
}

// Row is a stored item: field name to value. Values are int64, string, bool,
// time.Time, []any, map[string]any or nil.
type Row map[string]any

func (r *Resource) key() string {
	if r.Key == "" {
		return "id"
	}
	return r.Key
}

func (r *Resource) field(name string) *Field {
	for i := range r.Fields {
		if r.Fields[i].Name == name {
			return &r.Fields[i]
		}
	}
	return nil
}

// attr turns a field name into the wording used in validation messages.
func attr(name string) string { return strings.ReplaceAll(name, "_", " ") }
