// The Guard's session-list endpoints: GET the caller's sessions, DELETE
// one of them, POST "sign out everywhere else". Each authenticates the
// request itself, like Logout, and answers a Reply for the adapter to copy.

package paseto

import (
	"encoding/json"
	"net/http"
)

// ListSessions serves a session list endpoint (GET /sessions): it
// authenticates the request with policy p (usually Required()) and
// answers 200, not cacheable, with the subject's live sessions, newest
// first and the request's own marked current:
//
//	{"sessions":[{"id":"…","created_at":"…","last_used_at":"…","expires_at":"…","user_agent":"…","current":true}]}
//
// ip and label appear when the session has them. Answer errors with
// ProblemFor.
func (g *Guard) ListSessions(r Request, w Response, p *Policy) (Reply, error) {
	c, err := g.sessionOwner(r, w, p)
	if err != nil {
		return Reply{}, err
	}
	list, err := g.auth.ListSessions(r.Context(), c.Subject, c.Session)
	if err != nil {
		return Reply{}, err
	}
	return SessionsReply(list)
}

// SessionsReply is the answer of ListSessions for list: 200, not
// cacheable, {"sessions":[…]}.
func SessionsReply(list []SessionInfo) (Reply, error) {
	if list == nil {
		list = []SessionInfo{}
	}
	body, err := json.Marshal(struct {
		Sessions []SessionInfo `json:"sessions"`
	}{list})
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Header: refreshHeader, Body: body}, nil
}

// RevokeSession serves the endpoint that signs one device out (DELETE
// /sessions/{id}): it authenticates the request with policy p and ends the
// subject's session sid (Auth.RevokeSession), answering 204 No Content.
// A sid that is no live session of the subject, unknown or another
// user's alike, is ErrSessionNotFound (404). When sid is the request's own
// session and cookies are enabled, the session cookies are expired as by
// Logout.
func (g *Guard) RevokeSession(r Request, w Response, p *Policy, sid string) (Reply, error) {
	c, err := g.sessionOwner(r, w, p)
	if err != nil {
		return Reply{}, err
	}
	if err := g.auth.RevokeSession(r.Context(), c.Subject, sid); err != nil {
		return Reply{}, err
	}
	if sid == c.Session && g.cfg.Cookies != nil && c.CSRF != "" {
		g.ClearSessionCookies(w)
	}
	return Reply{Status: http.StatusNoContent}, nil
}

// RevokeOtherSessions serves "sign out everywhere else" (POST
// /sessions/revoke-others): it authenticates the request with policy p
// and ends every other session of the subject (Auth.RevokeOtherSessions),
// answering 204 No Content. The request's own session stays live.
func (g *Guard) RevokeOtherSessions(r Request, w Response, p *Policy) (Reply, error) {
	c, err := g.sessionOwner(r, w, p)
	if err != nil {
		return Reply{}, err
	}
	if _, err := g.auth.RevokeOtherSessions(r.Context(), c.Subject, c.Session); err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusNoContent}, nil
}

// sessionOwner authenticates a session endpoint's request: it needs an
// access token of a session, whatever p allows.
func (g *Guard) sessionOwner(r Request, w Response, p *Policy) (*Claims, error) {
	res, err := g.Authenticate(r, w, p)
	if err != nil {
		return nil, err
	}
	if res.Claims == nil {
		return nil, ErrMissingToken
	}
	if res.Claims.Session == "" {
		return nil, ErrRevoked
	}
	return res.Claims, nil
}
