package api

import (
	"context"
	"errors"
	"fmt"
	"net/url"
)

// UnreachableError reports that a site could not be reached at all: the connection was refused, the name did not
// resolve, the TLS handshake timed out. The site said nothing about the credentials, so it is not an authentication
// failure: its kind is KindOther.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach %s: %s", e.Host, netCause(e.Err, e.Err))
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Unreachable wraps a transport error of a request to host as an *UnreachableError when it is a network failure
// (not a certificate or pin refusal, not a cancellation); other errors are returned as they are.
func Unreachable(host string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || !retryableNetErr(err) {
		return err
	}
	var already *UnreachableError
	if errors.As(err, &already) {
		return err
	}
	return &UnreachableError{Host: host, Err: err}
}

// netCause returns the innermost network error of a *url.Error (the dial or handshake failure), else fallback.
func netCause(err, fallback error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return fallback
}
