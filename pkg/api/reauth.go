package api

import (
	"bytes"
	"io"
	"net/http"
)

// requestFault reports whether a 401 blames the request itself rather than its token, as Options.RequestFault401
// decides from the body (PRA answers 401 for unrecognized query parameters and body fields). Such a 401 is not
// answered with a new token: the same request would be refused again, and each needless token costs one of the few
// an API account may hold. The body stays readable for the error.
func (c *Client) requestFault(resp *http.Response) bool {
	if c.opts.RequestFault401 == nil || resp.StatusCode != http.StatusUnauthorized || resp.Body == nil {
		return false
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return c.opts.RequestFault401(body)
}
