package paseto

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// ErrCSRF means a token came from a cookie on an unsafe method without a
// matching CSRF token (403).
var ErrCSRF = newError("csrf_failed", "CSRF token missing or invalid")

// Problem is how an error is answered over HTTP: the status, the
// WWW-Authenticate challenge (RFC 6750, RFC 9470) and a small JSON body with
// a stable code and no library internals. Every adapter renders a Problem
// the same way, in its framework's habits.
type Problem struct {
	Status    int
	Challenge string // WWW-Authenticate value; "" for none
	Body      ErrorBody
	// RetryAfter is the Retry-After value (delay-seconds) of a 503; "" for
	// none.
	RetryAfter string
}

// ErrorBody is the JSON body of an error response.
type ErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// ProblemFor maps err to its HTTP answer for a route with policy p (p may be
// nil). The mapping:
//
//   - no token: 401, Bearer realm="…" without an error code (RFC 6750 §3.1);
//   - malformed, invalid, expired, not yet valid, wrong issuer, audience or
//     type, revoked, reused, session expired: 401, error="invalid_token";
//   - not fresh: 401, error="insufficient_user_authentication" and, when the
//     route has a maximum age, max_age (RFC 9470);
//   - CSRF: 403; insufficient scope: 403 with error="insufficient_scope";
//   - store unavailable: 503 with Retry-After: 1;
//   - anything else (an application error): 500 with no detail.
func (g *Guard) ProblemFor(err error, p *Policy) Problem {
	if errors.Is(err, ErrStoreFull) {
		err = ErrStoreUnavailable
	}
	var e *Error
	if !errors.As(err, &e) {
		return Problem{Status: http.StatusInternalServerError, Body: ErrorBody{"internal_error", "internal error"}}
	}
	body := ErrorBody{Error: e.code, Message: e.text}
	realm := `Bearer realm="` + g.cfg.Realm + `"`
	switch e {
	case ErrMissingToken:
		return Problem{Status: http.StatusUnauthorized, Challenge: realm, Body: body}
	case ErrNotFresh:
		ch := realm + `, error="insufficient_user_authentication", error_description="` + e.text + `"`
		if p != nil && p.MaxAge > 0 {
			ch += ", max_age=" + strconv.FormatInt(int64(p.MaxAge.Seconds()), 10)
		}
		return Problem{Status: http.StatusUnauthorized, Challenge: ch, Body: body}
	case ErrCSRF:
		return Problem{Status: http.StatusForbidden, Body: body}
	case ErrInsufficientScope:
		ch := realm + `, error="insufficient_scope", error_description="` + e.text + `"`
		if p != nil && len(p.Scopes) > 0 {
			ch += `, scope="` + strings.Join(p.Scopes, " ") + `"`
		}
		return Problem{Status: http.StatusForbidden, Challenge: ch, Body: body}
	case ErrStoreUnavailable:
		return Problem{Status: http.StatusServiceUnavailable, Body: body, RetryAfter: storeRetryAfter}
	case ErrConfig, ErrInvalidKey, ErrWeakKey, ErrReservedClaim, ErrClaimNotFound:
		return Problem{Status: http.StatusInternalServerError, Body: ErrorBody{"internal_error", "internal error"}}
	}
	ch := realm + `, error="invalid_token", error_description="` + e.text + `"`
	return Problem{Status: http.StatusUnauthorized, Challenge: ch, Body: body}
}

// storeRetryAfter is the Retry-After of a 503: store outages that clear at
// all usually clear within seconds, and a client that waits a second spares
// a struggling store.
const storeRetryAfter = "1"

// JSON returns the body as JSON. The body holds only the package's own
// constant strings, so it is written without reflection.
func (b ErrorBody) JSON() []byte {
	out := make([]byte, 0, 32+len(b.Error)+len(b.Message))
	out = append(out, `{"error":`...)
	out, _ = appendJSONString(out, b.Error)
	out = append(out, `,"message":`...)
	out, _ = appendJSONString(out, b.Message)
	return append(out, '}')
}
