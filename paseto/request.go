package paseto

import "context"

// Request is the small view of an HTTP request that the adapters give the
// core. Implementations must copy nothing: they are called during the
// request only (the fiber adapter copies the strings it keeps).
type Request interface {
	Context() context.Context
	Method() string
	// HeaderValues returns every value of the named header, in order.
	HeaderValues(name string) []string
	// Cookie returns the named cookie's value, or "" when absent.
	Cookie(name string) string
	// Query returns the named query parameter, or "".
	Query(name string) string
	// Body returns up to limit bytes of the request body; more is an error.
	Body(limit int64) ([]byte, error)
}

// Response is the small view of an HTTP response used to add headers,
// such as Set-Cookie, before the status line is written.
type Response interface {
	AddHeader(name, value string)
}
