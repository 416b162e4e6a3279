// Package stdhttp is the paseto.Request and paseto.Response view of a
// net/http request and response, shared by the adapters whose frameworks
// are built on net/http (echo v4, echo v5, net/http itself; gin for the
// body). Each view is one word, so passing it as an interface does not
// allocate.
package stdhttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
)

// Request is the paseto.Request view of R.
type Request struct{ R *http.Request }

// Context returns the request's context.
func (v Request) Context() context.Context { return v.R.Context() }

// Method returns the request method.
func (v Request) Method() string { return v.R.Method }

// HeaderValues returns every value of the header name.
func (v Request) HeaderValues(name string) []string { return v.R.Header.Values(name) }

// Query returns the first value of the query parameter name.
func (v Request) Query(name string) string { return v.R.URL.Query().Get(name) }

// Cookie returns the raw value of the cookie name, or "".
func (v Request) Cookie(name string) string {
	ck, err := v.R.Cookie(name)
	if err != nil {
		return ""
	}
	return ck.Value
}

// Body returns at most limit bytes of the body and puts them back, so a
// handler after the middleware can still read it.
func (v Request) Body(limit int64) ([]byte, error) { return ReadBody(&v.R.Body, limit) }

// Header is the paseto.Response view of response headers.
type Header http.Header

// AddHeader adds a response header.
func (h Header) AddHeader(name, value string) { http.Header(h).Add(name, value) }

// ErrBodyTooLarge is returned by ReadBody for a body over its limit.
var ErrBodyTooLarge = errors.New("request body too large")

// ReadBody reads at most limit bytes of *body and replaces *body with a
// reader of what it read, so that later handlers see the same body.
func ReadBody(body *io.ReadCloser, limit int64) ([]byte, error) {
	if *body == nil || *body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(*body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrBodyTooLarge
	}
	*body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}
