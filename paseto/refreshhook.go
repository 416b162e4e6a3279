// The refresh-time hook (Config.OnRefresh): what it receives, what it may
// change, and how its answer is applied.

package paseto

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// RefreshHook decides what a refresh mints. It runs after the refresh
// token has verified and before the store rotates it, so c holds verified
// claims of the refresh token: Subject, Session, AuthTime, and the custom
// claims and Scopes granted at login, which every refresh token of the
// session keeps. Do not keep or modify c.
//
// Return the zero RefreshUpdate to mint the access token unchanged. An
// update changes the new access token only; the successor refresh token
// keeps the login's claims and grant, so each refresh decides afresh from
// them: a later refresh can restore scopes the hook narrowed, up to the
// login grant and never beyond.
//
// Errors:
//
//   - an error wrapping ErrRefreshDenied refuses the refresh: the session
//     is ended (Store.RevokeSession), none of its tokens is accepted from
//     then on, an EventRefreshDenied is reported, and the client is
//     answered 401 with code "denied_refresh";
//   - any other error, including an update that widens the scopes, fails
//     the refresh with 500 server_error, whatever it wraps, and changes
//     nothing: the presented refresh token stays current, so the client
//     may retry.
//
// It runs on the refresh path, for every refresh of every session
// (implicit refresh may run it on ordinary page loads): keep it fast, and
// bound any lookup by ctx, which carries the request's deadline. It also
// runs for a refresh token that the store then finds replaced (a retry
// within the grace window, or reuse).
type RefreshHook func(ctx context.Context, c *Claims) (RefreshUpdate, error)

// RefreshUpdate is what a RefreshHook changes in the access token a
// refresh mints. A nil field keeps what the session was granted at login.
type RefreshUpdate struct {
	// Claims, when not nil, replaces the custom claims of the new access
	// token (an empty map removes them all). The rules of
	// Template.Claims apply; a claim they refuse fails the refresh with
	// 500 and changes nothing.
	Claims map[string]any
	// Scopes, when not nil, replaces the scopes of the new access token
	// (an empty slice grants none). Each must be covered by the login's
	// grant (ScopeGranted, wildcards included): "admin:users" narrows
	// "admin:*", while a scope outside the grant fails the refresh with
	// ErrConfig (500) and changes nothing.
	Scopes []string
}

// onRefresh runs Config.OnRefresh on the verified refresh token rc and
// returns the template of the new access token. A refusal ends the
// session; any other failure changes nothing.
func (a *Auth) onRefresh(ctx context.Context, rc *Claims, tpl Template, now time.Time) (Template, error) {
	// The hook gets its own copy: whatever it does to it, the grant it is
	// checked against, and the successor refresh token minted from it, stay
	// the login's.
	view := *rc
	view.Scopes = slices.Clone(rc.Scopes)
	up, err := a.cfg.OnRefresh(ctx, &view)
	if err != nil {
		if !errors.Is(err, ErrRefreshDenied) {
			return tpl, &hookFailed{err}
		}
		if _, rerr := a.store.RevokeSession(ctx, rc.Subject, rc.Session, now); rerr != nil {
			// The session may still be live: 503, and the client's
			// retry meets the hook again.
			return tpl, storeError(rerr)
		}
		a.securityEvent(ctx, SecurityEvent{Kind: EventRefreshDenied, Subject: rc.Subject, Session: rc.Session, At: now})
		// The session is over: answer the refusal, and nothing else the
		// hook's error may wrap (a store error would turn it into a 503
		// that a retry can never clear).
		if err == ErrRefreshDenied {
			return tpl, err
		}
		return tpl, fmt.Errorf("%w: %v", ErrRefreshDenied, err)
	}
	if up.Claims != nil {
		tpl.Claims = up.Claims
	}
	if up.Scopes != nil {
		for _, s := range up.Scopes {
			if !ScopeGranted(rc.Scopes, s) {
				return tpl, &hookFailed{fmt.Errorf("%w: scope %q is not within the login's grant %q", ErrConfig, s, rc.Scopes)}
			}
		}
		tpl.Scopes = up.Scopes
	}
	return tpl, nil
}

// hookFailed marks an error of Config.OnRefresh other than a refusal, so
// that it is answered 500 whatever sentinel it wraps: the hook is
// application code, and its failures are not the client's.
type hookFailed struct{ err error }

func (e *hookFailed) Error() string { return "paseto: OnRefresh: " + e.err.Error() }

func (e *hookFailed) Unwrap() error { return e.err }
