// Auth: the Config that builds one, New, and its accessors. What an Auth does
// with sessions is in session.go.

package paseto

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Auth ties the pieces of a login system together: it mints token pairs at
// login, rotates refresh tokens with reuse detection, verifies access tokens
// and asks the store that their session is live, and logs out. Build it once with New; it
// is safe for concurrent use.
type Auth struct {
	cfg            Config
	access         *Issuer
	refresh        *Issuer
	accessVerifier *Verifier
	refreshVerify  *Verifier
	store          Store // the caller's store behind deadlines and failure logs
	now            func() time.Time
	rotating       sync.Mutex // serializes SetAccessKeys (keysource.go)
}

// Config configures an Auth. AccessKeys and RefreshKeys are required; every
// other field has a documented default.
type Config struct {
	// AccessKeys mint and verify access tokens: a Local ring (first-party
	// APIs) or a Public ring (other services verify with the public key).
	AccessKeys *KeyRing
	// RefreshKeys mint and verify refresh tokens. It must be a Local ring and
	// share no key with AccessKeys.
	RefreshKeys *KeyRing
	// AccessKeySource makes a verify-only Auth, for a resource server that
	// accepts another service's v4.public access tokens: their keys come
	// from the source (a remotekeys.Source fetching the issuer's key set),
	// AccessKeys and RefreshKeys must be nil, and Store is required: the
	// issuer's store (Redis), so that a token is accepted only while its
	// session is live. Such an Auth cannot mint: Login fails with ErrConfig
	// and refresh tokens are refused as invalid.
	AccessKeySource KeySource
	// Store keeps the sessions. Default: a MemoryStore, which
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
	// again (a client retry, two tabs) and receive the same successor: the
	// same token ID and claims, minted again, so its string may differ (a
	// v4.local token gets a new nonce), and either string rotates the
	// session. Zero, the default, is strict single use. At most
	// MaxGracePeriod.
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
	// up to that many verified tokens (VerifierConfig.CacheSize): a repeated token skips
	// decoding and cryptography, while expiry, the route's requirements and
	// the session lookup are still checked on every request. Zero, the default,
	// disables it.
	CacheSize int

	// Clock replaces time.Now, for tests.
	Clock func() time.Time
	// Logger receives security events (reuse at Warn level, grace retries
	// at Info; LogMsgSecurityEvent) and store failures (at Error level, at
	// most one line per operation and kind of failure every ten seconds;
	// LogMsgStoreFailure). Default slog.Default().
	Logger *slog.Logger
	// OnSecurityEvent, when set, is called for each security event after it
	// is logged, for alerting or auditing.
	OnSecurityEvent func(context.Context, SecurityEvent)
	// Observer, when set, is told every verification, cache lookup,
	// login, refresh, logout, revocation and store call, with outcomes and
	// durations, for metrics and traces (package paseto/otelpaseto). Nil,
	// the default, costs nothing.
	Observer Observer
	// OnRefresh, when set, is the application's say at every refresh,
	// explicit (Auth.Refresh, the refresh endpoints) or implicit (a cookie
	// session rotated by the Guard): it reflects a role change or refuses
	// a disabled user without waiting for the session to end. See
	// RefreshHook for what it receives, what it may change and how its
	// errors are answered.
	OnRefresh RefreshHook

	// MaxSessions caps the live sessions of one subject. At the cap a
	// login ends the subject's oldest session, or is refused with
	// ErrSessionLimit, as AtMaxSessions says. Default DefaultMaxSessions,
	// at most MaxSessionsLimit: there is always a cap, because listing a
	// subject's sessions and "revoke the others" cost in proportion to
	// them, and an account with unbounded sessions (a script logging in
	// in a loop) would make those calls, on the Redis store a single
	// atomic step, as slow as it likes.
	MaxSessions int
	// AtMaxSessions is what a login at MaxSessions does. Default
	// EndOldestSession. RefuseNewSession can lock a user out: someone
	// holding the password can fill the cap and keep refreshing; when
	// Login fails with ErrSessionLimit, offer the user to end every
	// session (Auth.RevokeOtherSessions with an empty keep) and log in
	// again.
	AtMaxSessions SessionLimitAction
	// KeepIP is how much of the client's IP address (LoginOptions.Device)
	// a session keeps. Default IPOff: none.
	KeepIP IPRetention
}

// SessionLimitAction is what a login does when its subject already has
// Config.MaxSessions live sessions.
type SessionLimitAction uint8

const (
	// EndOldestSession ends the subject's oldest sessions (by creation) to
	// make room, with an EventSessionLimitEnded security event for each.
	EndOldestSession SessionLimitAction = iota
	// RefuseNewSession refuses the login with ErrSessionLimit and changes
	// nothing: the user must sign out of another session first.
	RefuseNewSession
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
	// DefaultMaxSessions is Config.MaxSessions unless it says otherwise.
	DefaultMaxSessions = 100
	// MaxSessionsLimit bounds Config.MaxSessions.
	MaxSessionsLimit = 10_000
)

// New validates cfg and returns an Auth.
func New(cfg Config) (*Auth, error) {
	verifyOnly := cfg.AccessKeySource != nil
	if verifyOnly {
		if cfg.AccessKeys != nil || cfg.RefreshKeys != nil || cfg.Store == nil {
			return nil, fmt.Errorf("%w: with AccessKeySource, AccessKeys and RefreshKeys must be nil and Store (the issuer's) is required", ErrConfig)
		}
		// Refresh tokens are never this Auth's: a key nobody holds refuses
		// them all.
		cfg.RefreshKeys, _ = NewLocalKeyRing(GenerateSymmetricKey())
	}
	if (cfg.AccessKeys == nil && !verifyOnly) || cfg.RefreshKeys == nil {
		return nil, fmt.Errorf("%w: AccessKeys and RefreshKeys are required", ErrConfig)
	}
	if cfg.RefreshKeys.Purpose() != Local {
		return nil, fmt.Errorf("%w: refresh tokens must be v4.local (they are opaque to clients)", ErrConfig)
	}
	if !verifyOnly && cfg.AccessKeys.sharesKeyWith(cfg.RefreshKeys) {
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
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.MaxSessions < 0 || cfg.MaxSessions > MaxSessionsLimit {
		return nil, fmt.Errorf("%w: MaxSessions %d outside [1, %d]", ErrConfig, cfg.MaxSessions, MaxSessionsLimit)
	}
	if cfg.AtMaxSessions > RefuseNewSession {
		return nil, fmt.Errorf("%w: unknown AtMaxSessions %d", ErrConfig, cfg.AtMaxSessions)
	}
	if !cfg.KeepIP.valid() {
		return nil, fmt.Errorf("%w: unknown KeepIP %d", ErrConfig, cfg.KeepIP)
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
		cfg.Store = NewMemoryStore(MemoryStoreConfig{Clock: cfg.Clock})
	}
	a := &Auth{cfg: cfg, store: newBoundedStore(cfg.Store, cfg.StoreTimeout, cfg.Logger, cfg.Observer), now: cfg.Clock}
	var err error
	if !verifyOnly {
		if a.access, err = NewIssuer(cfg.AccessKeys, TypeAccess, IssuerConfig{
			Issuer: cfg.Issuer, Audience: cfg.Audience, Lifetime: cfg.AccessLifetime, Clock: cfg.Clock,
		}); err != nil {
			return nil, err
		}
	}
	if a.refresh, err = NewIssuer(cfg.RefreshKeys, TypeRefresh, IssuerConfig{
		Issuer: cfg.Issuer, Audience: cfg.Audience, Lifetime: cfg.RefreshLifetime, Clock: cfg.Clock,
	}); err != nil {
		return nil, err
	}
	refreshCfg := VerifierConfig{Issuer: cfg.Issuer, Audience: cfg.Audience, Leeway: cfg.Leeway, Clock: cfg.Clock}
	accessCfg := refreshCfg
	accessCfg.Sessions = a.store
	if cfg.CacheSize > 0 {
		accessCfg.CacheSize, accessCfg.observer = cfg.CacheSize, cfg.Observer
	}
	if verifyOnly {
		a.accessVerifier, err = NewVerifierFromSource(cfg.AccessKeySource, TypeAccess, accessCfg)
	} else {
		a.accessVerifier, err = NewVerifier(cfg.AccessKeys, TypeAccess, accessCfg)
	}
	if err != nil {
		return nil, err
	}
	// Refresh tokens are judged by the store's Rotate.
	if a.refreshVerify, err = NewVerifier(cfg.RefreshKeys, TypeRefresh, refreshCfg); err != nil {
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

// VerifyAccess verifies an access token, including that its session is
// live.
func (a *Auth) VerifyAccess(ctx context.Context, token string, reqs ...Requirement) (*Claims, error) {
	c, err := a.accessVerifier.Verify(ctx, token, reqs...)
	a.observeVerify(ctx, err)
	return c, err
}
