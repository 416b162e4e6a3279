// Package adaptertest holds the fixtures the adapters' tests and benchmarks
// share: a Guard over fresh keys, a memory store and a settable clock.
package adaptertest

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// Epoch is the fixtures' starting time.
var Epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// Clock is a settable clock: tests advance it instead of sleeping.
type Clock struct{ ns atomic.Int64 }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// Fixture is a ready Guard and what it is built from.
type Fixture struct {
	Auth  *paseto.Auth
	Guard *paseto.Guard
	Clock *Clock
}

// New returns a Fixture: v4.public access tokens when public is set,
// v4.local otherwise; the default memory store; cookies (CSRF header
// X-CSRF-Token) with implicit refresh two minutes before expiry; realm
// "api".
func New(tb testing.TB, public bool) *Fixture {
	tb.Helper()
	clock := &Clock{}
	clock.ns.Store(Epoch.UnixNano())
	var access *paseto.KeyRing
	var err error
	if public {
		access, err = paseto.NewPublicKeyRing(paseto.GenerateSecretKey())
	} else {
		access, err = paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	}
	if err != nil {
		tb.Fatal(err)
	}
	refresh, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		tb.Fatal(err)
	}
	auth, err := paseto.New(paseto.Config{
		AccessKeys: access, RefreshKeys: refresh,
		Clock: clock.Now, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatal(err)
	}
	guard, err := paseto.NewGuard(auth, paseto.GuardConfig{
		Cookies:         &paseto.CookieConfig{},
		ImplicitRefresh: 2 * time.Minute,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &Fixture{Auth: auth, Guard: guard, Clock: clock}
}

// Login starts a session for sub and returns its pair.
func (f *Fixture) Login(tb testing.TB, sub string) *paseto.TokenPair {
	tb.Helper()
	p, err := f.Auth.Login(context.Background(), sub)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// CookieLogin starts a cookie session for sub and returns the Cookie
// request header carrying its access, refresh and CSRF cookies, and the
// CSRF value for the X-CSRF-Token header.
func (f *Fixture) CookieLogin(tb testing.TB, sub string) (cookie, csrf string) {
	tb.Helper()
	sink := Header{}
	cs, err := f.Guard.LoginWithCookies(context.Background(), sink, sub)
	if err != nil {
		tb.Fatal(err)
	}
	c := f.Guard.Config().Cookies
	return strings.Join([]string{
		c.AccessName + "=" + cs.Pair.AccessToken,
		c.RefreshName + "=" + cs.Pair.RefreshToken,
		c.CSRFName + "=" + cs.CSRF,
	}, "; "), cs.CSRF
}

// Header collects response headers: a paseto.Response for calls made
// outside a request.
type Header http.Header

// AddHeader implements paseto.Response.
func (h Header) AddHeader(name, value string) { http.Header(h).Add(name, value) }
