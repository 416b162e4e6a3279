// Answers: the Reply adapters copy to the response, the success replies of
// the refresh, fresh-login and logout endpoints, and Problem, how an error
// is answered.

package paseto

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// Reply is a complete HTTP answer decided by the Guard: the adapters copy it
// to the response as is, so every framework answers alike.
type Reply struct {
	Status int
	// Header lists the headers to set, in order. It may be shared between
	// replies: do not modify it.
	Header []Header
	// Body is the response body; nil for none.
	Body []byte
}

// Header is one response header of a Reply.
type Header struct{ Name, Value string }

var (
	refreshHeader = []Header{{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}}
	problemHeader = []Header{{"Content-Type", "application/json"}}
)

// RefreshReply is the answer of a successful refresh: 200, not cacheable,
// with the OAuth 2.0 token response (RFC 6749 §5.1) as JSON or, when the
// refresh token came from a cookie, the same without the tokens, which
// travel in the new HttpOnly cookies only.
func (g *Guard) RefreshReply(res Result) Reply {
	return Reply{Status: http.StatusOK, Header: refreshHeader, Body: refreshBody(res)}
}

func refreshBody(res Result) []byte {
	p := res.Pair
	if p == nil {
		return []byte("{}")
	}
	out := make([]byte, 0, 64+len(p.AccessToken)+len(p.RefreshToken))
	out = append(out, '{')
	if res.Source != SourceCookie {
		out = append(out, `"access_token":"`...)
		out = append(out, p.AccessToken...)
		out = append(out, `","refresh_token":"`...)
		out = append(out, p.RefreshToken...)
		out = append(out, `",`...)
	}
	out = append(out, `"token_type":"Bearer","expires_in":`...)
	out = strconv.AppendInt(out, p.ExpiresIn, 10)
	out = append(out, `,"refresh_expires_in":`...)
	out = strconv.AppendInt(out, p.RefreshExpiresIn, 10)
	return append(out, '}')
}

// FreshLoginReply is the answer of a fresh-login endpoint once FreshLogin
// returned tok for the access-token claims access: 200, not cacheable,
// with the OAuth 2.0 token response ({"access_token","token_type",
// "expires_in"}) or, when the token went into the access cookie, the same
// without the token, as RefreshReply does for cookie sessions.
func (g *Guard) FreshLoginReply(tok *AccessToken, access *Claims) (Reply, error) {
	var body any = tok
	if g.freshTokenInCookie(access) {
		body = struct {
			TokenType string `json:"token_type"`
			ExpiresIn int64  `json:"expires_in"`
		}{tok.TokenType, tok.ExpiresIn}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Header: refreshHeader, Body: b}, nil
}

// LogoutReply is the answer of a successful logout: 204 No Content. The
// cookies Logout expires are already on the response.
func LogoutReply() Reply { return Reply{Status: http.StatusNoContent} }

// Problem is how an error is answered over HTTP: the status, the
// WWW-Authenticate challenge (RFC 6750, RFC 9470) and a small JSON body with
// a stable code and no library internals. Every adapter renders a Problem
// the same way, in its framework's habits, and sets its Header on the
// response before calling a custom error handler, so that the challenge and
// Retry-After survive whatever body the handler writes.
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
//   - no token, and a subject mismatch (Auth.FreshLogin given another
//     user's credentials; the token itself is fine): 401, Bearer realm="…"
//     without an error code (RFC 6750 §3.1);
//   - malformed, invalid, expired, not yet valid, wrong issuer, audience or
//     type, revoked, reused, session expired, refresh denied by
//     Config.OnRefresh: 401, error="invalid_token";
//   - not fresh: 401, error="insufficient_user_authentication" and, when the
//     route has a maximum age, max_age (RFC 9470);
//   - CSRF: 403; insufficient scope: 403 with error="insufficient_scope";
//   - a login refused at Config.MaxSessions: 403 "too_many_sessions";
//   - a session to revoke that is none of the subject's: 404
//     "unknown_session";
//   - store unavailable: 503 with Retry-After: 1;
//   - a failure of Config.OnRefresh other than ErrRefreshDenied, whatever
//     it wraps, and anything else (an application error): 500 with no
//     detail.
func (g *Guard) ProblemFor(err error, p *Policy) Problem {
	var e *Error
	if hf := (*hookFailed)(nil); errors.As(err, &hf) {
		// Config.OnRefresh failed: the application's fault, whatever
		// its error wraps.
		return Problem{Status: http.StatusInternalServerError, Body: ErrorBody{"server_error", "internal error"}}
	}
	if isStoreError(err) {
		// ErrStoreFull and ErrStoreCorrupt share ErrStoreUnavailable's code
		// and message: clients learn nothing more.
		body := ErrorBody{Error: ErrStoreUnavailable.code, Message: ErrStoreUnavailable.text}
		return Problem{Status: http.StatusServiceUnavailable, Body: body, RetryAfter: storeRetryAfter}
	}
	if !errors.As(err, &e) {
		return Problem{Status: http.StatusInternalServerError, Body: ErrorBody{"server_error", "internal error"}}
	}
	for e.parent != nil {
		e = e.parent // a refined sentinel answers as the one it refines
	}
	body := ErrorBody{Error: e.code, Message: e.text}
	realm := `Bearer realm="` + g.cfg.Realm + `"`
	switch e {
	case ErrMissingToken, ErrSubjectMismatch:
		// The token itself is fine for a subject mismatch (credentials of
		// another user on a fresh login): no error="invalid_token" that
		// would make an RFC 6750 client throw it away.
		return Problem{Status: http.StatusUnauthorized, Challenge: realm, Body: body}
	case ErrNotFresh:
		ch := realm + `, error="insufficient_user_authentication", error_description="` + e.text + `"`
		if p != nil && p.MaxAge > 0 {
			ch += ", max_age=" + strconv.FormatInt(int64(p.MaxAge.Seconds()), 10)
		}
		return Problem{Status: http.StatusUnauthorized, Challenge: ch, Body: body}
	case ErrCSRF, ErrSessionLimit:
		return Problem{Status: http.StatusForbidden, Body: body}
	case ErrSessionNotFound:
		// The token is fine; the session named in the path is not one of
		// its subject's.
		return Problem{Status: http.StatusNotFound, Body: body}
	case ErrInsufficientScope:
		ch := realm + `, error="insufficient_scope", error_description="` + e.text + `"`
		if p != nil && len(p.Scopes) > 0 {
			ch += `, scope="` + strings.Join(p.Scopes, " ") + `"`
		}
		return Problem{Status: http.StatusForbidden, Challenge: ch, Body: body}
	case ErrConfig, ErrInvalidKey, ErrWeakKey, ErrReservedClaim, ErrClaimNotFound:
		return Problem{Status: http.StatusInternalServerError, Body: ErrorBody{"server_error", "internal error"}}
	}
	ch := realm + `, error="invalid_token", error_description="` + e.text + `"`
	return Problem{Status: http.StatusUnauthorized, Challenge: ch, Body: body}
}

// storeRetryAfter is the Retry-After of a 503: store outages that clear at
// all usually clear within seconds, and a client that waits a second spares
// a struggling store.
const storeRetryAfter = "1"

// Header returns the headers p's answer must carry: the WWW-Authenticate
// challenge and the Retry-After delay, when there are any. An error
// handler that writes its own body keeps them.
func (p Problem) Header() []Header {
	var h []Header
	if p.Challenge != "" {
		h = append(h, Header{"WWW-Authenticate", p.Challenge})
	}
	if p.RetryAfter != "" {
		h = append(h, Header{"Retry-After", p.RetryAfter})
	}
	return h
}

// Reply returns p as a complete answer: p's status, Header and
// Content-Type, and the small JSON body. The adapters' DefaultErrorHandler
// writes it.
func (p Problem) Reply() Reply {
	h := p.Header()
	if h == nil {
		h = problemHeader
	} else {
		h = append(h, problemHeader...)
	}
	return Reply{Status: p.Status, Header: h, Body: p.Body.JSON()}
}

// MarshalJSON returns JSON, so that a framework rendering an ErrorBody
// writes the same bytes.
func (b ErrorBody) MarshalJSON() ([]byte, error) { return b.JSON(), nil }

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
