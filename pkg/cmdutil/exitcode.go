package cmdutil

import (
	"errors"

	"github.com/infractl/infra/pkg/api"
)

// Exit codes of the infra binary. They are a documented contract for scripts.
const (
	ExitOK          = 0   // success
	ExitError       = 1   // API or other error
	ExitUsage       = 2   // bad usage or rejected input (including the server's 422 validation errors)
	ExitAuth        = 3   // authentication or permission problem (401, 403, token endpoint failures)
	ExitNotFound    = 4   // the resource does not exist (404)
	ExitRateLimited = 5   // still rate limited (429) after the automatic retries
	ExitConflict    = 6   // the item already exists, or the request conflicts with its current state (409)
	ExitDrift       = 7   // plan --exit-code: the site differs from the site file (not an error)
	ExitInterrupted = 130 // interrupted (Ctrl-C, context cancelled)
)

// ExitCodeInfo documents one exit code.
type ExitCodeInfo struct {
	Code    int
	Kind    api.ErrorKind // the errors that end with this code
	Meaning string
	Example string // what typically leads to it ("" for success)
}

// ExitCodes is the exit-code contract, the one table from which ExitCode maps errors and `infra help exit-codes`
// prints; docs/README.md repeats it (a test keeps the two equal).
var ExitCodes = []ExitCodeInfo{
	{ExitOK, api.KindOther, "success", ""},
	{ExitError, api.KindOther, "API or other error", "500 from the site, 400, a file that cannot be written, a site that cannot be reached (`cannot reach HOST: …`)"},
	{ExitUsage, api.KindUsage, "usage or validation error — nothing was sent", "unknown command or flag, missing required field, bad enum, a 422 validation answer, PRA's 401 for unrecognized parameters or fields, mixed connection settings, irreversible action without `--yes` and no terminal"},
	{ExitAuth, api.KindAuth, "authentication or permission error", "no credentials configured, token refused (401), API account without permission (403)"},
	{ExitNotFound, api.KindNotFound, "not found", "404 for an id"},
	{ExitRateLimited, api.KindRateLimited, "rate-limited after retries", "429 that did not clear within the retry budget"},
	{ExitConflict, api.KindConflict, "already exists or conflicts with the current state", "a create whose name is taken (PRA's 422 \"has already been taken\", a 409 from Virtomize or Jotelulu), a delete refused while the item is in use (409); `--if-not-exists` turns a duplicate create into success"},
	{ExitDrift, codedOnly, "the site differs from the site file", "`infra pra plan --exit-code` (or virtomize) found changes to make"},
	{ExitInterrupted, api.KindInterrupted, "interrupted", "Ctrl-C or SIGTERM; the request in flight is cancelled"},
}

// codedOnly marks a code no error kind maps to: only an error that names it with an ExitCode method ends with it.
const codedOnly api.ErrorKind = -1

// ExitCode maps an error to the process exit code documented for the CLI: 0 for nil, the code an error names with an
// ExitCode() int method (plan's drift), else the code of the error's kind (see api.KindOf).
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	kind := api.KindOf(err)
	for _, e := range ExitCodes {
		if e.Code != ExitOK && e.Kind == kind {
			return e.Code
		}
	}
	return ExitError
}
