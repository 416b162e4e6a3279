package paseto

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	v4 "github.com/pasetoauth/pasetoauth/paseto/internal/v4"
	"golang.org/x/crypto/blake2b"
)

// Session defaults.
const (
	DefaultSessionLifetime = 30 * 24 * time.Hour
	DefaultIdleTimeout     = 7 * 24 * time.Hour
	// MaxGracePeriod bounds Config.GracePeriod.
	MaxGracePeriod = time.Minute
	// DefaultStoreTimeout bounds every store call unless
	// Config.StoreTimeout says otherwise.
	DefaultStoreTimeout = time.Second
	// MaxStoreTimeout bounds Config.StoreTimeout: a request should get its
	// 503 well before a server's write timeout drops the connection.
	MaxStoreTimeout = 30 * time.Second
)

// Config configures an Auth. AccessKeys and RefreshKeys are required; every
// other field has a documented default.
type Config struct {
	// AccessKeys mint and verify access tokens: a Local ring (first-party
	// APIs) or a Public ring (other services verify with the public key).
	AccessKeys *KeyRing
	// RefreshKeys mint and verify refresh tokens. It must be a Local ring and
	// share no key with AccessKeys.
	RefreshKeys *KeyRing
	// Store keeps sessions and revocations. Default: a MemoryStore, which
	// suits one process; use the Redis store for more.
	Store Store

	Issuer   string // iss written and required; optional
	Audience string // aud written and required; optional

	AccessLifetime  time.Duration // default DefaultAccessLifetime (15 min)
	RefreshLifetime time.Duration // default DefaultRefreshLifetime (30 days)
	// SessionLifetime is the absolute lifetime of a login session, however
	// often it is refreshed. Default DefaultSessionLifetime.
	SessionLifetime time.Duration
	// IdleTimeout ends a session not refreshed for that long. Default
	// DefaultIdleTimeout; negative disables it.
	IdleTimeout time.Duration
	// GracePeriod lets the refresh token that was just replaced be presented
	// again (a client retry, two tabs) and receive the same successor. Zero,
	// the default, is strict single use. At most MaxGracePeriod.
	GracePeriod time.Duration
	// Leeway tolerates clock skew when checking exp, nbf and iat.
	Leeway time.Duration
	// StoreTimeout bounds every call to the Store (and so every wait on
	// Redis): past it the request is answered 503 temporarily_unavailable with
	// Retry-After, and the Redis store refuses to apply a write that
	// reaches the server later. Default DefaultStoreTimeout (1 s), at most
	// MaxStoreTimeout. Keep it well under your server's write timeout.
	StoreTimeout time.Duration
	// CacheSize, when positive, gives the access-token verifier a cache of
	// up to that many verified tokens (WithCache): a repeated token skips
	// decoding and cryptography, while expiry, the route's requirements and
	// revocation are still checked on every request. Zero, the default,
	// disables it.
	CacheSize int

	// Clock replaces time.Now, for tests.
	Clock func() time.Time
	// Logger receives security events (reuse at Warn level, grace retries
	// at Info) and store failures (at Error level, at most one line per
	// operation every ten seconds). Default slog.Default().
	Logger *slog.Logger
	// OnSecurityEvent, when set, is called for each security event after it
	// is logged, for alerting or auditing.
	OnSecurityEvent func(context.Context, SecurityEvent)
	// OnRefresh, when set, is the application's say at every refresh,
	// explicit (Auth.Refresh, the refresh endpoints) or implicit (a cookie
	// session rotated by the Guard): it reflects a role change or refuses
	// a disabled user without waiting for the session to end. See
	// RefreshHook for what it receives, what it may change and how its
	// errors are answered.
	OnRefresh RefreshHook
}

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

// hookFailed marks an error of Config.OnRefresh other than a refusal, so
// that it is answered 500 whatever sentinel it wraps: the hook is
// application code, and its failures are not the client's.
type hookFailed struct{ err error }

func (e *hookFailed) Error() string { return "paseto: OnRefresh: " + e.err.Error() }
func (e *hookFailed) Unwrap() error { return e.err }

// Kinds of SecurityEvent.
const (
	// EventRefreshReused: a replaced refresh token came back outside the
	// grace window; the session has been revoked.
	EventRefreshReused = "reused_refresh_token"
	// EventRefreshRetried: a replaced refresh token came back within the
	// grace window and received the same successor. Usually a client
	// retrying, but a thief within the window looks the same: this leaves
	// a trace of it.
	EventRefreshRetried = "retried_refresh_token"
	// EventRefreshDenied: Config.OnRefresh refused a refresh; the session
	// has been ended.
	EventRefreshDenied = "denied_refresh"
)

// SecurityEvent reports something an operator should look at.
type SecurityEvent struct {
	// Kind is EventRefreshReused, EventRefreshRetried or
	// EventRefreshDenied.
	Kind    string
	Subject string
	Session string
	At      time.Time
}

// Auth ties the pieces of a login system together: it mints token pairs at
// login, rotates refresh tokens with reuse detection, verifies access tokens
// against the store's revocations, and logs out. Build it once with New; it
// is safe for concurrent use.
type Auth struct {
	cfg            Config
	access         *Issuer
	refresh        *Issuer
	accessVerifier *Verifier
	refreshVerify  *Verifier
	store          Store // the caller's store behind deadlines and failure logs
	now            func() time.Time
}

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

// New validates cfg and returns an Auth.
func New(cfg Config) (*Auth, error) {
	if cfg.AccessKeys == nil || cfg.RefreshKeys == nil {
		return nil, fmt.Errorf("%w: AccessKeys and RefreshKeys are required", ErrConfig)
	}
	if cfg.RefreshKeys.Purpose() != Local {
		return nil, fmt.Errorf("%w: refresh tokens must be v4.local (they are opaque to clients)", ErrConfig)
	}
	if cfg.AccessKeys.sharesKeyWith(cfg.RefreshKeys) {
		return nil, fmt.Errorf("%w: access and refresh tokens must use different keys", ErrConfig)
	}
	setDefault(&cfg.AccessLifetime, DefaultAccessLifetime)
	setDefault(&cfg.RefreshLifetime, DefaultRefreshLifetime)
	setDefault(&cfg.SessionLifetime, DefaultSessionLifetime)
	setDefault(&cfg.IdleTimeout, DefaultIdleTimeout)
	if cfg.IdleTimeout < 0 {
		cfg.IdleTimeout = 0
	}
	if cfg.GracePeriod < 0 || cfg.GracePeriod > MaxGracePeriod {
		return nil, fmt.Errorf("%w: grace period %v outside [0, %v]", ErrConfig, cfg.GracePeriod, MaxGracePeriod)
	}
	setDefault(&cfg.StoreTimeout, DefaultStoreTimeout)
	if cfg.StoreTimeout < 0 || cfg.StoreTimeout > MaxStoreTimeout {
		return nil, fmt.Errorf("%w: store timeout %v outside (0, %v]", ErrConfig, cfg.StoreTimeout, MaxStoreTimeout)
	}
	if cfg.CacheSize < 0 {
		return nil, fmt.Errorf("%w: negative cache size %d", ErrConfig, cfg.CacheSize)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore(MemoryStoreOptions{Clock: cfg.Clock})
	}
	common := []Option{WithClock(cfg.Clock)}
	if cfg.Issuer != "" {
		common = append(common, WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		common = append(common, WithAudience(cfg.Audience))
	}
	a := &Auth{cfg: cfg, store: newBoundedStore(cfg.Store, cfg.StoreTimeout, cfg.Logger), now: cfg.Clock}
	var err error
	if a.access, err = NewIssuer(cfg.AccessKeys, TypeAccess, append(common, WithLifetime(cfg.AccessLifetime))...); err != nil {
		return nil, err
	}
	if a.refresh, err = NewIssuer(cfg.RefreshKeys, TypeRefresh, append(common, WithLifetime(cfg.RefreshLifetime))...); err != nil {
		return nil, err
	}
	verifyOpts := append(common, WithLeeway(cfg.Leeway))
	accessOpts := append(verifyOpts[:len(verifyOpts):len(verifyOpts)], WithSessionCheck(a.store))
	if cfg.CacheSize > 0 {
		accessOpts = append(accessOpts, WithCache(cfg.CacheSize))
	}
	if a.accessVerifier, err = NewVerifier(cfg.AccessKeys, TypeAccess, accessOpts...); err != nil {
		return nil, err
	}
	// Refresh tokens are judged by the store's Rotate.
	if a.refreshVerify, err = NewVerifier(cfg.RefreshKeys, TypeRefresh, verifyOpts...); err != nil {
		return nil, err
	}
	return a, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

// Store returns the store the Auth uses (Config.Store), without the
// deadlines the Auth puts on its own calls.
func (a *Auth) Store() Store { return a.cfg.Store }

// AccessVerifier returns the verifier for access tokens, which asks the
// store whether the token's session is live.
func (a *Auth) AccessVerifier() *Verifier { return a.accessVerifier }

// Config returns the configuration with defaults filled in.
func (a *Auth) Config() Config { return a.cfg }

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
}

// Login starts a session for subject, whose credentials the application
// has just checked, and returns a fresh access token and a refresh token.
func (a *Auth) Login(ctx context.Context, subject string, o LoginOptions) (*TokenPair, error) {
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
	}
	if err := a.store.CreateSession(ctx, rec); err != nil {
		return nil, storeError(err)
	}
	return a.pair(access, ac, refresh, rc, now), nil
}

// Refresh exchanges a refresh token for a new pair (RFC 9700 §4.14.2
// rotation). The access token is never fresh and keeps the session's
// auth_time and custom claims. A token that does not verify never reaches
// the store. A replaced token presented again within the grace window gets
// the same successor; outside it, or an older token, revokes the session,
// emits a SecurityEvent and fails with ErrRefreshReused.
//
// Requirements, if any, are checked on the refresh token's claims before
// the store is consulted. Config.OnRefresh, when set, runs next, still
// before the store: it may change the new access token's custom claims,
// narrow its scopes, or refuse, which ends the session and fails with
// ErrRefreshDenied (see RefreshHook).
func (a *Auth) Refresh(ctx context.Context, refreshToken string, reqs ...Requirement) (*TokenPair, error) {
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
	authTime := rc.AuthTime
	if nowSec := now.UTC().Truncate(time.Second); authTime.After(nowSec) {
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
	successor, sc, err := a.refresh.Issue(tpl)
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
		rot.WrappedSuccessor = wrapSuccessor(rc.ID, successor)
	}
	res, err := a.store.Rotate(ctx, rot)
	if err != nil {
		return nil, storeError(err)
	}
	switch res.Outcome {
	case Rotated:
	case Retried:
		if successor, err = unwrapSuccessor(rc.ID, res.WrappedSuccessor); err != nil {
			return nil, fmt.Errorf("%w: kept successor unreadable: %w", ErrStoreUnavailable, err)
		}
		if sc, err = a.refreshVerify.Verify(ctx, successor); err != nil {
			return nil, err
		}
		a.securityEvent(ctx, SecurityEvent{Kind: EventRefreshRetried, Subject: rc.Subject, Session: rc.Session, At: now})
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

// onRefresh runs Config.OnRefresh on the verified refresh token rc and
// returns the template of the new access token. A refusal ends the
// session; any other failure changes nothing.
func (a *Auth) onRefresh(ctx context.Context, rc *Claims, tpl Template, now time.Time) (Template, error) {
	up, err := a.cfg.OnRefresh(ctx, rc)
	if err != nil {
		if !errors.Is(err, ErrRefreshDenied) {
			return tpl, &hookFailed{err}
		}
		if rerr := a.store.RevokeSession(ctx, rc.Subject, rc.Session); rerr != nil {
			// The session may still be live: 503, and the client's
			// retry meets the hook again.
			return tpl, storeError(rerr)
		}
		a.securityEvent(ctx, SecurityEvent{Kind: EventRefreshDenied, Subject: rc.Subject, Session: rc.Session, At: now})
		var e *Error
		if errors.As(err, &e) && e == ErrRefreshDenied {
			return tpl, err
		}
		return tpl, fmt.Errorf("%w: %w", ErrRefreshDenied, err)
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
// ErrRevoked or ErrSessionExpired when the session is no longer live (the
// store is asked, as for every request), all 401. Nothing is minted then.
//
// The new token is fresh (auth_time now), carries the session's scopes
// and custom claims and, for a cookie session, its CSRF binding (see
// Guard.FreshLogin to set it as the access cookie). Its exp is capped by
// the session's absolute end as reckoned from access's auth_time; a
// token of a session the store no longer vouches for is refused anyway.
func (a *Auth) FreshLogin(ctx context.Context, access *Claims, subject string) (*AccessToken, error) {
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
		NotAfter: a.sessionEnd(access.AuthTime),
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

// VerifyAccess verifies an access token, including that its session is
// live.
func (a *Auth) VerifyAccess(ctx context.Context, token string, reqs ...Requirement) (*Claims, error) {
	return a.accessVerifier.Verify(ctx, token, reqs...)
}

// Logout ends the session the token belongs to: from then on none of its
// tokens, access or refresh, is accepted. c is the verified claims of an
// access or a refresh token of the session.
func (a *Auth) Logout(ctx context.Context, c *Claims) error {
	if c == nil {
		return fmt.Errorf("%w: no claims", ErrConfig)
	}
	if c.Session == "" || c.Subject == "" {
		return fmt.Errorf("%w: token belongs to no session", ErrInvalidClaims)
	}
	return storeError(a.store.RevokeSession(ctx, c.Subject, c.Session))
}

// RevokeSubject logs subject out everywhere: every session is ended, and
// none of their tokens is accepted from then on. Call it after a password
// change or when an account is compromised. Sessions started after it
// returns are not affected.
func (a *Auth) RevokeSubject(ctx context.Context, subject string) error {
	if subject == "" {
		return fmt.Errorf("%w: empty subject", ErrConfig)
	}
	return storeError(a.store.RevokeSubject(ctx, subject))
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

// securityEvent logs ev, at Warn for reuse and at Info for a grace retry
// (most are a client's benign retry, and one page's parallel requests under
// implicit refresh produce several) or an application's refusal, then
// passes it to OnSecurityEvent.
func (a *Auth) securityEvent(ctx context.Context, ev SecurityEvent) {
	level := slog.LevelWarn
	if ev.Kind == EventRefreshRetried || ev.Kind == EventRefreshDenied {
		level = slog.LevelInfo
	}
	a.cfg.Logger.LogAttrs(ctx, level, "pasetoauth security event",
		slog.String("kind", ev.Kind), slog.String("sub", ev.Subject),
		slog.String("sid", ev.Session), slog.Time("at", ev.At))
	if a.cfg.OnSecurityEvent != nil {
		a.cfg.OnSecurityEvent(ctx, ev)
	}
}

// storeError keeps the session sentinels and turns anything else a store
// returns into ErrStoreUnavailable.
func storeError(err error) error {
	if err == nil || errors.Is(err, ErrRevoked) || errors.Is(err, ErrSessionExpired) || errors.Is(err, ErrStoreUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
}

// hashTokenID is what stores see of a refresh-token ID.
func hashTokenID(jti string) string {
	h := sha256.Sum256([]byte(jti))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// successorKey derives the key that wraps the successor kept for the grace
// window from the presented token's ID. Stores hold only the ID's hash, so
// reading the store does not reveal a usable refresh token.
func successorKey(jti string) *[32]byte {
	k := blake2b.Sum256([]byte("pasetoauth successor wrap v1\x00" + jti))
	return &k
}

func wrapSuccessor(jti, successor string) string {
	return v4.Encrypt(successorKey(jti), []byte(successor), nil, nil)
}

func unwrapSuccessor(jti, wrapped string) (string, error) {
	body, footer, err := v4.Split(wrapped, v4.LocalHeader, 1<<16, 0)
	if err != nil {
		return "", err
	}
	plain, err := v4.Decrypt(successorKey(jti), body, footer, nil)
	return string(plain), err
}
