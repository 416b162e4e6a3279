// The Guard's fresh-login endpoint: after the application has checked the
// credentials again, a fresh access token for the request's own session
// (Auth.FreshLogin), set as the access cookie for a cookie session. The
// reply, FreshLoginReply, is in problem.go with the other success replies.

package paseto

import "context"

// FreshLogin is Auth.FreshLogin for the request's session: after the app
// has checked the credentials of the user behind the access token access
// again, it mints a fresh access token for the same session. When cookies
// are enabled and access belongs to a cookie session (it carries a CSRF
// binding), the new token is also set as the access cookie, so the
// browser's next request is fresh; the caller should then leave it out of
// the response body, as RefreshReply does for cookie sessions. The refresh
// and CSRF cookies are untouched.
func (g *Guard) FreshLogin(ctx context.Context, w Response, access *Claims, subject string) (*AccessToken, error) {
	tok, err := g.auth.FreshLogin(ctx, access, subject)
	if err != nil {
		return nil, err
	}
	if g.freshTokenInCookie(access) {
		c := g.cfg.Cookies
		w.AddHeader("Set-Cookie", g.cookie(c.AccessName, tok.AccessToken, "/", true, tok.ExpiresAt.Sub(g.auth.now())))
	}
	return tok, nil
}

// freshTokenInCookie reports whether FreshLogin sets the fresh token for
// access as the access cookie: cookies are enabled and access belongs to a
// cookie session (it carries a CSRF binding).
func (g *Guard) freshTokenInCookie(access *Claims) bool {
	return g.cfg.Cookies != nil && access.CSRF != ""
}

// FreshLoginFor serves a fresh-login endpoint after the application has
// checked the credentials of subject: it mints the fresh token for the
// request's access-token claims access (FreshLogin, which sets the cookie
// for a cookie session) and returns FreshLoginReply for the adapter to
// copy. Answer errors with ProblemFor.
func (g *Guard) FreshLoginFor(ctx context.Context, w Response, access *Claims, subject string) (Reply, error) {
	tok, err := g.FreshLogin(ctx, w, access, subject)
	if err != nil {
		return Reply{}, err
	}
	return g.FreshLoginReply(tok, access)
}
