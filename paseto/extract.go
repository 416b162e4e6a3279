// Extraction, the first step of a request: where the Guard finds a token
// (the Authorization header, cookies, the query on routes that allow it, the
// JSON body of a refresh endpoint) and records where it came from.

package paseto

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/pasetoauth/pasetoauth/paseto/internal/strictjson"
)

// Source is where a token was found.
type Source uint8

// Token sources.
const (
	SourceNone Source = iota
	SourceHeader
	SourceCookie
	SourceQuery
	SourceBody
)

// accessToken finds the access token: the Authorization header, then the
// access cookie (when enabled), then the query (only where allowed).
func (g *Guard) accessToken(r Request, p *Policy) (string, Source, error) {
	tok, err := bearer(r)
	if err != nil || tok != "" {
		return tok, SourceHeader, err
	}
	if g.cfg.Cookies != nil {
		if tok := r.Cookie(g.cfg.Cookies.AccessName); tok != "" {
			return tok, SourceCookie, nil
		}
	}
	if p.allowQuery {
		if tok := r.Query(g.cfg.QueryParam); tok != "" {
			return tok, SourceQuery, nil
		}
	}
	return "", SourceNone, nil
}

// bearer reads "Authorization: Bearer <token>". The scheme is matched
// case-insensitively (RFC 7235); other schemes are not ours and count as no
// token; two Authorization headers, or "Bearer" without a token, are
// malformed.
func bearer(r Request) (string, error) { return bearerValues(r.HeaderValues("Authorization")) }

// bearerValues is bearer for the values of the Authorization header (or of
// an RPC's authorization metadata).
func bearerValues(vals []string) (string, error) {
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%w: more than one Authorization header", ErrMalformed)
	}
	v := strings.TrimSpace(vals[0])
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", nil
	}
	tok := strings.TrimLeft(rest, " ")
	if tok == "" || strings.ContainsAny(tok, " \t,") {
		return "", fmt.Errorf("%w: Authorization: Bearer needs exactly one token", ErrMalformed)
	}
	return tok, nil
}

func (g *Guard) refreshToken(r Request) (string, Source, error) {
	tok, err := bearer(r)
	if err != nil || tok != "" {
		return tok, SourceHeader, err
	}
	if g.cfg.Cookies != nil {
		if tok := g.refreshCookieValue(r); tok != "" {
			return tok, SourceCookie, nil
		}
	}
	if !unsafeMethod(r.Method()) {
		return "", SourceNone, ErrMissingToken
	}
	body, err := r.Body(g.cfg.MaxBodyBytes)
	if err != nil {
		return "", SourceNone, fmt.Errorf("%w: body: %w", ErrMalformed, err)
	}
	tok, err = refreshFromBody(body)
	return tok, SourceBody, err
}

// refreshFromBody reads {"refresh_token":"…"} strictly.
func refreshFromBody(body []byte) (string, error) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return "", ErrMissingToken
	}
	var tok string
	err := strictjson.Object(body, strictjson.Limits{MaxDepth: 1, MaxMembers: 8}, func(k []byte, v strictjson.Value) error {
		if string(k) != "refresh_token" {
			return nil
		}
		if v.Kind != strictjson.KindString {
			return fmt.Errorf("refresh_token must be a string")
		}
		var err error
		tok, err = v.String()
		return err
	})
	if err != nil {
		return "", fmt.Errorf("%w: body: %w", ErrMalformed, err)
	}
	if tok == "" {
		return "", ErrMissingToken
	}
	return tok, nil
}

// maxSameNameCookies bounds how many refresh cookies of one name
// refreshCookie tries: a parent domain two levels up and a few paths let an
// attacker place about six ahead of the browser's own.
const maxSameNameCookies = 8

// refreshCookieValue is the first non-empty refresh cookie: an empty one
// (planted, or a deletion that never took) must not hide the browser's
// own, as a framework's first-cookie lookup would.
func (g *Guard) refreshCookieValue(r Request) string {
	if vals := cookieValues(r, g.cfg.Cookies.RefreshName, 1); len(vals) > 0 {
		return vals[0]
	}
	return r.Cookie(g.cfg.Cookies.RefreshName)
}

// refreshCookie picks the refresh cookie to use. A browser sends two
// cookies of one name when they differ in Domain or Path, and a
// __Secure- refresh cookie (a scoped RefreshPath) may carry a Domain, so a
// sibling subdomain can plant one that sorts first. With several, the first
// that verifies under reqs, which hold the CSRF check binding it to this
// browser's CSRF value, is used; with one, first is. Nothing here touches
// the store.
func (g *Guard) refreshCookie(r Request, first string, reqs []Requirement) string {
	vals := cookieValues(r, g.cfg.Cookies.RefreshName, maxSameNameCookies)
	if len(vals) < 2 {
		return first
	}
	for _, v := range vals {
		if _, err := g.auth.refreshVerify.Verify(r.Context(), v, reqs...); err == nil {
			return v
		}
	}
	return first
}

// cookieValues returns up to limit values of the cookie name from the
// request's Cookie headers, in order.
func cookieValues(r Request, name string, limit int) []string {
	var out []string
	for _, line := range r.HeaderValues("Cookie") {
		for part := range strings.SplitSeq(line, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if v = strings.Trim(v, `"`); !ok || k != name || v == "" {
				continue
			}
			if out = append(out, v); len(out) == limit {
				return out
			}
		}
	}
	return out
}

func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}
