// The Guard's logout endpoint: end the request's session, from its access
// token or, when none arrives, its refresh cookie, and expire the session
// cookies.

package paseto

import "errors"

// Logout serves a logout endpoint: it ends the session of the request and
// returns LogoutReply (204 No Content) for the adapter to copy. With cookies
// enabled it expires every session cookie, so that the browser stops
// sending them, whether the session was ended now, was already over, or the
// request was refused (no token, a failed CSRF check). The one exception
// is a store failure (503): the session may still be alive, so the cookies
// stay for the browser to retry the logout after Retry-After.
//
// The session is the access token's (policy p, usually Required()). When no
// valid access token arrives (the browser has dropped the expired access
// cookie, say), the refresh cookie is used instead, with the same CSRF
// check: the refresh cookie must therefore reach the logout endpoint, which
// belongs under CookieConfig.RefreshPath. Answer errors with ProblemFor.
func (g *Guard) Logout(r Request, w Response, p *Policy) (_ Reply, err error) {
	if g.cfg.Cookies != nil {
		defer func() {
			if !isStoreError(err) {
				g.ClearSessionCookies(w)
			}
		}()
	}
	res, err := g.Authenticate(r, w, p)
	if err == nil && res.Claims == nil {
		err = ErrMissingToken
	}
	if err != nil {
		if isStoreError(err) || errors.Is(err, ErrCSRF) {
			return Reply{}, err
		}
		c, rerr := g.refreshCookieClaims(r)
		if rerr != nil {
			if errors.Is(err, ErrMissingToken) {
				return Reply{}, rerr
			}
			return Reply{}, err
		}
		res.Claims = c
	}
	if err := g.auth.Logout(r.Context(), res.Claims); err != nil {
		return Reply{}, err
	}
	return LogoutReply(), nil
}

// refreshCookieClaims verifies the refresh cookie for Logout, with the CSRF
// double submit (logout is an unsafe request). It does not touch the store:
// ending a session needs no rotation.
func (g *Guard) refreshCookieClaims(r Request) (*Claims, error) {
	if g.cfg.Cookies == nil {
		return nil, ErrMissingToken
	}
	rt := g.refreshCookieValue(r)
	if rt == "" {
		return nil, ErrMissingToken
	}
	csrf := g.csrfRequirement(r)
	return g.auth.refreshVerify.Verify(r.Context(), g.refreshCookie(r, rt, []Requirement{csrf}), csrf)
}
