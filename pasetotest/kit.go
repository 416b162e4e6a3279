package pasetotest

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/internal/fakeclock"
	"github.com/pasetoauth/pasetoauth/paseto"
)

// Clock is the settable clock a [Kit] runs on, safe for concurrent use: a
// test may move it while requests run. Its methods are Now() time.Time
// (what a paseto.Config.Clock takes), Advance(d time.Duration), which
// moves it by d, and Set(t time.Time). Tests drive expiry, idle timeouts
// and freshness windows by moving it, never by sleeping.
//
// It is the same clock as paseto/storetest's Clock.
type Clock = fakeclock.Clock

// NewClock returns a Clock reading t, for [Config.Clock] when a store
// built before the kit must read the kit's clock.
func NewClock(t time.Time) *Clock { return fakeclock.New(t) }

// start is the Clock's reading unless Config.Clock says otherwise.
var start = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// Config configures a [Kit]. The zero value is ready to use: fresh random
// keys, v4.local access tokens, a memory store, a Clock reading
// 2030-01-01 00:00:00 UTC, cookies enabled on the Guard.
type Config struct {
	// Seed, when set, derives the kit's keys from it, so that two kits
	// with the same Seed (two runs of a test, two services in one test)
	// mint and accept the same tokens. The keys are test keys, derived
	// from a string in the test's source: never use a seed, or a key,
	// outside tests. Empty: keys from crypto/rand, new for every kit.
	Seed string
	// Public makes access tokens v4.public (signed) instead of v4.local.
	Public bool
	// Clock is the kit's clock. Default: a new Clock reading
	// 2030-01-01 00:00:00 UTC.
	Clock *Clock
	// Store is the store behind the kit's FaultyStore. Default a
	// paseto.MemoryStore on the kit's Clock. A store with a clock of its
	// own should read the kit's (see NewClock).
	Store paseto.Store
	// Auth, when set, adjusts the paseto.Auth before the Auth is built,
	// as the application configures its own: lifetimes, OnRefresh, issuer
	// and audience, MaxSessions, StoreTimeout. The kit has set AccessKeys,
	// RefreshKeys, Store (its FaultyStore), Clock (its Clock's Now), a
	// Logger that discards and OnSecurityEvent (Kit.Events). Leave Clock
	// and the keys alone, or the kit mints for, and moves, something else;
	// a Store set here should wrap the kit's (c.Store), or the kit's
	// Store no longer sees the Auth's calls. An OnSecurityEvent set here
	// runs after the kit has recorded the event.
	Auth func(*paseto.Config)
	// Guard, when set, adjusts the paseto.GuardConfig before the Guard is
	// built. It starts with Cookies set to &paseto.CookieConfig{} (the
	// defaults: __Host- names, the X-CSRF-Token header), so that
	// Kit.CookieLogin works; set Cookies to nil for a bearer-only Guard.
	Guard func(*paseto.GuardConfig)
}

// Kit is a ready [paseto.Auth] and [paseto.Guard] for an application's
// tests, with the clock and the store they run on. Build it with [New];
// hand Auth and Guard to the code under test as the application's main
// would.
type Kit struct {
	// Auth is built as Config.Auth adjusts it, over the kit's keys, Clock
	// and Store.
	Auth *paseto.Auth
	// Guard is built over Auth as Config.Guard adjusts it.
	Guard *paseto.Guard
	// Clock is the clock Auth, Guard and the default store read.
	Clock *Clock
	// Store is Auth's store: a FaultyStore over Config.Store or the
	// memory store.
	Store *FaultyStore

	mu     sync.Mutex
	events []paseto.SecurityEvent
}

// New returns a Kit built as o says. It fails tb when the
// configuration does (paseto.New or paseto.NewGuard refusing it).
func New(tb testing.TB, o Config) *Kit {
	tb.Helper()
	k := &Kit{Clock: o.Clock}
	if k.Clock == nil {
		k.Clock = NewClock(start)
	}
	inner := o.Store
	if inner == nil {
		inner = paseto.NewMemoryStore(paseto.MemoryStoreConfig{Clock: k.Clock.Now})
	}
	k.Store = NewFaultyStore(inner)
	access, refresh, err := keyRings(o.Seed, o.Public)
	if err != nil {
		tb.Fatalf("pasetotest: keys: %v", err)
	}
	cfg := paseto.Config{
		AccessKeys: access, RefreshKeys: refresh, Store: k.Store,
		Clock: k.Clock.Now, Logger: slog.New(slog.DiscardHandler),
	}
	if o.Auth != nil {
		o.Auth(&cfg)
	}
	appEvent := cfg.OnSecurityEvent
	cfg.OnSecurityEvent = func(ctx context.Context, ev paseto.SecurityEvent) {
		k.mu.Lock()
		k.events = append(k.events, ev)
		k.mu.Unlock()
		if appEvent != nil {
			appEvent(ctx, ev)
		}
	}
	if k.Auth, err = paseto.New(cfg); err != nil {
		tb.Fatalf("pasetotest: %v", err)
	}
	gc := paseto.GuardConfig{Cookies: &paseto.CookieConfig{}}
	if o.Guard != nil {
		o.Guard(&gc)
	}
	if k.Guard, err = paseto.NewGuard(k.Auth, gc); err != nil {
		tb.Fatalf("pasetotest: %v", err)
	}
	return k
}

// keyRings returns the access and refresh rings: derived from seed when
// it is set, random otherwise.
func keyRings(seed string, public bool) (access, refresh *paseto.KeyRing, err error) {
	key := func(label string) []byte {
		h := sha256.Sum256([]byte("pasetotest v1 " + label + "\x00" + seed))
		return h[:]
	}
	if public {
		sk := paseto.GenerateSecretKey()
		if seed != "" {
			if sk, err = paseto.NewSecretKeyFromSeed(key("access public")); err != nil {
				return nil, nil, err
			}
		}
		access, err = paseto.NewPublicKeyRing(sk)
	} else {
		k := paseto.GenerateSymmetricKey()
		if seed != "" {
			if k, err = paseto.NewSymmetricKey(key("access local")); err != nil {
				return nil, nil, err
			}
		}
		access, err = paseto.NewLocalKeyRing(k)
	}
	if err != nil {
		return nil, nil, err
	}
	rk := paseto.GenerateSymmetricKey()
	if seed != "" {
		if rk, err = paseto.NewSymmetricKey(key("refresh local")); err != nil {
			return nil, nil, err
		}
	}
	refresh, err = paseto.NewLocalKeyRing(rk)
	return access, refresh, err
}

// Events returns the security events ([paseto.SecurityEvent]) the Auth has
// emitted so far, oldest first: a refresh token's reuse, a retry within
// the grace window, sessions ended at the session cap.
func (k *Kit) Events() []paseto.SecurityEvent {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.events)
}

// Login starts a session for subject with [paseto.Auth.Login], as the
// application's login handler does once the credentials check out, and
// returns its token pair: a fresh access token and the refresh token,
// both accepted until the kit's Clock passes their expiry or the session
// ends. opts set the session's scopes, custom claims and device. The
// store's faults do not apply to it, nor do its counters. It fails tb when
// Login fails (a session cap with paseto.RefuseNewSession, say).
func (k *Kit) Login(tb testing.TB, subject string, opts ...SessionOption) *paseto.TokenPair {
	tb.Helper()
	var lo paseto.LoginOptions
	for _, o := range opts {
		o.applySession(&lo)
	}
	pair, err := k.Auth.Login(bypass(context.Background()), subject, lo)
	if err != nil {
		tb.Fatalf("pasetotest: login of %q: %v", subject, err)
	}
	return pair
}
