package engine

import "github.com/infractl/infra/pkg/api/request"

// The engine builds commands from the request model of package request; these names let its own code read as before.
type (
	Field           = request.Field
	FieldType       = request.FieldType
	Kind            = request.Kind
	Confirm         = request.Confirm
	Arg             = request.Arg
	Op              = request.Op
	Group           = request.Group
	Call            = request.Call
	ListOptions     = request.ListOptions
	Download        = request.Download
	DownloadOptions = request.DownloadOptions
	Backend         = request.Backend
	Downloader      = request.Downloader
)

// Field types and operation kinds, as in package request.
const (
	String   = request.String
	Integer  = request.Integer
	Number   = request.Number
	Boolean  = request.Boolean
	DateTime = request.DateTime
	Array    = request.Array
	Object   = request.Object

	KindObject   = request.KindObject
	KindList     = request.KindList
	KindNone     = request.KindNone
	KindDownload = request.KindDownload
	KindRaw      = request.KindRaw

	ConfirmNone         = request.ConfirmNone
	ConfirmIrreversible = request.ConfirmIrreversible
)
