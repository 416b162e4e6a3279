// Sessions: login, refresh (rotation with reuse detection), fresh re-login
// within a session, logout and revocation.

package paseto

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// TokenPair is what login and refresh return. It marshals to the OAuth 2.0
// token response (RFC 6749 §5.1).
type TokenPair struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	// RefreshExpiresIn is not in RFC 6749 but common (Keycloak and others).
	RefreshExpiresIn int64 `json:"refresh_expires_in"`

	// AccessExpiresAt and RefreshExpiresAt are the tokens' exp, for cookies.
	AccessExpiresAt  time.Time `json:"-"`
	RefreshExpiresAt time.Time `json:"-"`
	// Access are the claims of the access token.
	Access *Claims `json:"-"`
}

// LoginOptions adds to what Login mints.
type LoginOptions struct {
	// Claims are custom claims for the access tokens of this session. They
	// travel inside the (encrypted) refresh token and are copied into every
	// access token minted by refresh, unless Config.OnRefresh replaces
	// them.
	Claims map[string]any
	// Scopes granted to the session. Refresh copies them, or the narrower
	// set Config.OnRefresh chooses, so a session can never widen its
	// scopes.
	Scopes []string
	// CSRF is the hash of the double-submit CSRF value for cookie sessions;
	// the Guard sets it.
	CSRF string
	// Device is what the session is listed with (Auth.ListSessions): the
	// adapters' Device helpers fill the user agent and client IP from the
	// request, and the application may add a Label. Auth bounds it and
	// keeps the IP only as Config.KeepIP allows; an IP that is not one
	// fails the login with ErrConfig.
	Device Device
}

// Login starts a session for subject, whose credentials the application
// has just checked, and returns a fresh access token and a refresh token.
//
// With Config.MaxSessions set and the subject at the cap, Login ends the
// subject's oldest sessions (an EventSessionLimitEnded for each) or fails
// with ErrSessionLimit, as Config.AtMaxSessions says.
func (a *Auth) Login(ctx context.Context, subject string, o LoginOptions) (_ *TokenPair, err error) {
	ctx, run := a.begin(ctx, OpLogin)
	defer run.end(&err)
	device, err := a.device(o.Device)
	if err != nil {
		return nil, err
	}
	now := a.now().UTC().Truncate(time.Second)
	sid := newTokenID()
	tpl := Template{Subject: subject, Fresh: true, AuthTime: now, Session: sid, Claims: o.Claims, Scopes: o.Scopes, CSRF: o.CSRF,
		NotAfter: a.sessionEnd(now)}
	access, ac, err := a.access.Issue(tpl)
	if err != nil {
		return nil, err
	}
	tpl.Fresh = false
	refresh, rc, err := a.refresh.Issue(tpl)
	if err != nil {
		return nil, err
	}
	rec := SessionRecord{
		ID: sid, Subject: subject, Current: hashTokenID(rc.ID),
		CreatedAt: now, ExpiresAt: a.sessionEnd(now), IdleTimeout: a.cfg.IdleTimeout,
		Device: device, MaxSessions: a.cfg.MaxSessions, RefuseAtMax: a.cfg.AtMaxSessions == RefuseNewSession,
	}
	ended, err := a.store.CreateSession(ctx, rec)
	if errors.Is(err, ErrSessionLimit) {
		a.securityEvent(ctx, SecurityEvent{Kind: EventSessionLimitRefused, Subject: subject, At: now})
		return nil, err
	}
	if err != nil {
		return nil, storeError(err)
	}
	for _, sid := range ended {
		a.securityEvent(ctx, SecurityEvent{Kind: EventSessionLimitEnded, Subject: subject, Session: sid, At: now})
	}
	return a.pair(access, ac, refresh, rc, now), nil
}

// Refresh exchanges a refresh token for a new pair (RFC 9700 §4.14.2
// rotation). The access token is never fresh and keeps the session's
// auth_time and custom claims. A token that does not verify never reaches
// the store. A replaced token presented again within the grace window gets
// the same successor (the same token, ID and claims, minted again: another
// string, which the store takes as the first); outside it, or an older
// token, revokes the session, emits a SecurityEvent and fails with
// ErrRefreshReused.
//
// Requirements, if any, are checked on the refresh token's claims before
// the store is consulted. Config.OnRefresh, when set, runs next, still
// before the store: it may change the new access token's custom claims,
// narrow its scopes, or refuse, which ends the session and fails with
// ErrRefreshDenied (see RefreshHook).
func (a *Auth) Refresh(ctx context.Context, refreshToken string, reqs ...Requirement) (_ *TokenPair, err error) {
	ctx, run := a.begin(ctx, OpRefresh)
	defer run.end(&err)
	rc, err := a.refreshVerify.Verify(ctx, refreshToken, reqs...)
	if err != nil {
		return nil, err
	}
	if rc.Session == "" || rc.Subject == "" {
		return nil, fmt.Errorf("%w: refresh token without session or subject", ErrInvalidClaims)
	}
	claims := customClaims(rc)
	now := a.now()
	// No token outlives its session (it began at the login's auth_time),
	// so that once the store has forgotten an ended session, none of its
	// tokens is still alive. An auth_time ahead of this instance's clock
	// (the login ran on an instance whose clock is ahead, within Leeway)
	// is written as now: never later than the token's iat, and never
	// younger than it really is for freshness checks.
	// The successor is issued at nowSec too, so that a retry within the
	// grace window, which mints it again at the iat it kept, clamps to the
	// same instant (see keptSuccessor).
	nowSec := now.UTC().Truncate(time.Second)
	authTime := rc.AuthTime
	if authTime.After(nowSec) {
		authTime = nowSec
	}
	tpl := Template{Subject: rc.Subject, AuthTime: authTime, Session: rc.Session, Claims: claims, Scopes: rc.Scopes, CSRF: rc.CSRF,
		NotAfter: a.sessionEnd(rc.AuthTime)}
	accessTpl := tpl
	if a.cfg.OnRefresh != nil {
		if accessTpl, err = a.onRefresh(ctx, rc, tpl, now); err != nil {
			return nil, err
		}
	}
	successor, sc, err := a.refresh.issue(tpl, newTokenID(), nowSec)
	if err != nil {
		return nil, err
	}
	// Minted before the store rotates, so that an access token the
	// Issuer refuses (a hook's bad claim) leaves the session untouched.
	access, ac, err := a.access.Issue(accessTpl)
	if err != nil {
		return nil, err
	}
	rot := Rotation{
		Subject: rc.Subject, Session: rc.Session,
		Presented: hashTokenID(rc.ID), Successor: hashTokenID(sc.ID),
		Now: now, Grace: a.cfg.GracePeriod,
	}
	if rot.Grace > 0 {
		// Kept only for a retry within the grace window; without one,
		// nothing could read it.
		if rot.WrappedSuccessor, err = sealKept(rc.ID, rc.Session, sc); err != nil {
			return nil, err
		}
	}
	res, err := a.store.Rotate(ctx, rot)
	if err != nil {
		return nil, storeError(err)
	}
	switch res.Outcome {
	case Rotated:
	case Retried:
		// The successor this token was rotated to, minted again from what
		// the store kept: the same ID, so the store takes it as the one
		// it already knows.
		if successor, sc, err = a.keptSuccessor(ctx, rc, tpl, res.WrappedSuccessor); err != nil {
			return nil, err
		}
		a.securityEvent(ctx, SecurityEvent{Kind: EventRefreshRetried, Subject: rc.Subject, Session: rc.Session, At: now})
		run.setOutcome(OutcomeRetried)
	case Reused:
		a.securityEvent(ctx, SecurityEvent{Kind: EventRefreshReused, Subject: rc.Subject, Session: rc.Session, At: now})
		return nil, ErrRefreshReused
	default:
		return nil, fmt.Errorf("%w: store returned outcome %d", ErrStoreUnavailable, res.Outcome)
	}
	return a.pair(access, ac, successor, sc, now), nil
}

// customClaims copies c's custom claims for a Template.
func customClaims(c *Claims) map[string]any {
	custom := c.Custom()
	claims := make(map[string]any, len(custom))
	for k, v := range custom {
		claims[k] = v
	}
	return claims
}

// AccessToken is what FreshLogin returns. It marshals to the OAuth 2.0
// token response (RFC 6749 §5.1) without a refresh token: the session's
// refresh token is unchanged.
type AccessToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"` // "Bearer"
	ExpiresIn   int64  `json:"expires_in"`

	// ExpiresAt is the token's exp, for a cookie.
	ExpiresAt time.Time `json:"-"`
	// Access are the claims of the access token.
	Access *Claims `json:"-"`
}

// FreshLogin gives the user behind a valid access token a fresh access
// token for the same session, after the application has checked their
// credentials again (a password prompt before a sensitive action). It
// opens no session and leaves the refresh token as it is: logging out
// with either token ends the one session.
//
// access are the verified claims of the request's access token (the
// adapters' Claims getter on a Required route); subject is the user whose
// credentials the application has just checked. It fails with
// ErrSubjectMismatch when subject is not access's subject (credentials of
// another user), ErrWrongType for claims of another token type, and
// ErrRevoked when the session is no longer live (the store is asked, as for
// every request), all 401. Nothing is minted then.
//
// The new token is fresh (auth_time now), carries the session's scopes
// and custom claims and, for a cookie session, its CSRF binding (see
// Guard.FreshLogin to set it as the access cookie). It expires when access
// does, never later: a fresh login adds freshness, not time. Only a
// refresh extends access, and every refresh goes through Config.OnRefresh,
// so chained fresh logins can neither outlive the session nor keep
// claims or scopes the hook would no longer grant.
func (a *Auth) FreshLogin(ctx context.Context, access *Claims, subject string) (_ *AccessToken, err error) {
	ctx, run := a.begin(ctx, OpFreshLogin)
	defer run.end(&err)
	if access == nil || subject == "" {
		return nil, fmt.Errorf("%w: FreshLogin needs the access token's claims and a subject", ErrConfig)
	}
	if access.Type != TypeAccess {
		return nil, fmt.Errorf("%w: want %q", ErrWrongType, TypeAccess)
	}
	if access.Session == "" || access.Subject == "" {
		return nil, fmt.Errorf("%w: token belongs to no session", ErrRevoked)
	}
	if subtle.ConstantTimeCompare([]byte(subject), []byte(access.Subject)) != 1 {
		return nil, ErrSubjectMismatch
	}
	now := a.now()
	live, err := a.store.SessionLive(ctx, access.Subject, access.Session, now)
	switch {
	case err != nil:
		return nil, storeError(err)
	case !live:
		return nil, ErrRevoked
	}
	tok, ac, err := a.access.Issue(Template{
		Subject: access.Subject, Fresh: true, Session: access.Session,
		Claims: customClaims(access), Scopes: access.Scopes, CSRF: access.CSRF,
		NotAfter: access.Expiration,
	})
	if err != nil {
		return nil, err
	}
	return &AccessToken{
		AccessToken: tok, TokenType: "Bearer",
		ExpiresIn: int64(ac.Expiration.Sub(now) / time.Second),
		ExpiresAt: ac.Expiration, Access: ac,
	}, nil
}

// sessionEnd is the absolute end of a session that began at start (zero
// when start is unknown: no cap).
func (a *Auth) sessionEnd(start time.Time) time.Time {
	if start.IsZero() {
		return time.Time{}
	}
	return start.Add(a.cfg.SessionLifetime)
}

// Logout ends the session the token belongs to: from then on none of its
// tokens, access or refresh, is accepted. c is the verified claims of an
// access or a refresh token of the session.
func (a *Auth) Logout(ctx context.Context, c *Claims) (err error) {
	ctx, run := a.begin(ctx, OpLogout)
	defer run.end(&err)
	if c == nil {
		return fmt.Errorf("%w: no claims", ErrConfig)
	}
	if c.Session == "" || c.Subject == "" {
		return fmt.Errorf("%w: token belongs to no session", ErrInvalidClaims)
	}
	_, err = a.store.RevokeSession(ctx, c.Subject, c.Session, a.now())
	return storeError(err)
}

// RevokeSubject logs subject out everywhere: every session is ended, and
// none of their tokens is accepted from then on. Call it after a password
// change or when an account is compromised. Sessions started after it
// returns are not affected.
func (a *Auth) RevokeSubject(ctx context.Context, subject string) (err error) {
	ctx, run := a.begin(ctx, OpRevokeSubject)
	defer run.end(&err)
	if subject == "" {
		return fmt.Errorf("%w: empty subject", ErrConfig)
	}
	if err := a.store.RevokeSubject(ctx, subject); err != nil {
		return storeError(err)
	}
	a.securityEvent(ctx, SecurityEvent{Kind: EventSubjectRevoked, Subject: subject, At: a.now()})
	return nil
}

func (a *Auth) pair(access string, ac *Claims, refresh string, rc *Claims, now time.Time) *TokenPair {
	return &TokenPair{
		AccessToken: access, TokenType: "Bearer", RefreshToken: refresh,
		ExpiresIn:        int64(ac.Expiration.Sub(now) / time.Second),
		RefreshExpiresIn: int64(rc.Expiration.Sub(now) / time.Second),
		AccessExpiresAt:  ac.Expiration, RefreshExpiresAt: rc.Expiration,
		Access: ac,
	}
}

// hashTokenID is what stores see of a refresh-token ID.
func hashTokenID(jti string) string {
	h := sha256.Sum256([]byte(jti))
	return base64.RawURLEncoding.EncodeToString(h[:])
}
