package pasetotest

import (
	"context"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// TokenOption shapes an access token minted by [Kit.AccessToken]. Every
// [SessionOption] is one too.
type TokenOption interface {
	applyToken(*tokenSpec)
}

// SessionOption shapes a session started by [Kit.Login] or
// [Kit.CookieLogin], and the access token of [Kit.AccessToken]: its
// scopes, custom claims and device.
type SessionOption interface {
	TokenOption
	applySession(*paseto.LoginOptions)
}

// tokenSpec is what the options ask of an access token.
type tokenSpec struct {
	login    paseto.LoginOptions
	session  string // an existing session; "" to start one
	notFresh bool
	authTime time.Time
	lifetime time.Duration
	// issuedAt, when set, is the clock reading to mint at, given the
	// kit's now, the token's lifetime and the verifier's leeway.
	issuedAt func(now time.Time, lifetime, leeway time.Duration) time.Time
}

type sessionOption func(*paseto.LoginOptions)

func (f sessionOption) applySession(o *paseto.LoginOptions) { f(o) }
func (f sessionOption) applyToken(s *tokenSpec)             { f(&s.login) }

type tokenOption func(*tokenSpec)

func (f tokenOption) applyToken(s *tokenSpec) { f(s) }

// Scopes grants scopes to the session, or the token. Each must be an RFC
// 6749 scope-token (printable ASCII, no space, quote or backslash).
func Scopes(scopes ...string) SessionOption {
	return sessionOption(func(o *paseto.LoginOptions) { o.Scopes = append(o.Scopes, scopes...) })
}

// Claim adds the custom claim name with value, marshalled with
// encoding/json, as paseto.LoginOptions.Claims does. A reserved name
// ([paseto.ReservedClaims]) fails the test when the token is minted.
func Claim(name string, value any) SessionOption {
	return sessionOption(func(o *paseto.LoginOptions) {
		if o.Claims == nil {
			o.Claims = map[string]any{}
		}
		o.Claims[name] = value
	})
}

// Device sets the device the session is listed with
// ([paseto.Auth.ListSessions]).
func Device(d paseto.Device) SessionOption {
	return sessionOption(func(o *paseto.LoginOptions) { o.Device = d })
}

// InSession mints the access token for the existing session sid instead of
// starting a new one: a second token of a session from [Kit.Login], say,
// so that logging out of one ends both. The session must be live, and
// the subject's: the test fails otherwise.
func InSession(sid string) TokenOption {
	return tokenOption(func(s *tokenSpec) { s.session = sid })
}

// NotFresh mints the token as a refresh does: not fresh, so that
// FreshRequired routes refuse it (401 insufficient_user_authentication).
// Its auth_time is its issue time unless [AuthTime] says otherwise.
func NotFresh() TokenOption {
	return tokenOption(func(s *tokenSpec) { s.notFresh = true })
}

// AuthTime sets when the user last presented credentials (auth_time),
// which FreshRequired(paseto.WithMaxAge(d)) compares with the clock. It
// must not be after the token's issue time: the test fails otherwise.
// Default: the issue time.
func AuthTime(t time.Time) TokenOption {
	return tokenOption(func(s *tokenSpec) { s.authTime = t })
}

// Lifetime sets how long the token lives from its issue time. Default
// paseto.Config.AccessLifetime. At least a second.
func Lifetime(d time.Duration) TokenOption {
	return tokenOption(func(s *tokenSpec) { s.lifetime = d })
}

// IssuedAt mints the token as if the kit's Clock read t: t is its iat, nbf
// and (unless [AuthTime] or NotFresh say otherwise) auth_time, and its
// exp is t plus its lifetime. A t in the past gives a token that aged; one
// past the verifier's leeway in the future, a token not yet valid. The
// last of IssuedAt, [Expired] and [NotYetValid] wins.
func IssuedAt(t time.Time) TokenOption {
	return tokenOption(func(s *tokenSpec) {
		s.issuedAt = func(time.Time, time.Duration, time.Duration) time.Time { return t }
	})
}

// Expired mints a token that expired just over the verifier's leeway ago
// (401 invalid_token, paseto.ErrExpired): issued a lifetime, the leeway and
// a second before the kit's Clock. Its session is live.
func Expired() TokenOption {
	return tokenOption(func(s *tokenSpec) {
		s.issuedAt = func(now time.Time, life, leeway time.Duration) time.Time {
			return now.Add(-life - leeway - time.Second)
		}
	})
}

// NotYetValid mints a token issued a minute past the verifier's leeway in
// the future (401 invalid_token, paseto.ErrNotYetValid): what a server
// whose clock runs ahead mints.
func NotYetValid() TokenOption {
	return tokenOption(func(s *tokenSpec) {
		s.issuedAt = func(now time.Time, _, leeway time.Duration) time.Time {
			return now.Add(leeway + time.Minute)
		}
	})
}

// AccessToken mints an access token for subject that kit.Auth and
// kit.Guard accept, unless an option asks for one they refuse ([Expired],
// [NotYetValid], an [IssuedAt] or [Lifetime] that puts exp in the past).
// By default it is the token a login gives: fresh, issued now by the
// kit's Clock, living paseto.Config.AccessLifetime, with the Config's
// issuer and audience, in a new live session of subject started with
// [paseto.Auth.Login] (so its session counts towards
// paseto.Config.MaxSessions). The options set its scopes, custom claims,
// freshness, auth_time, issue time and lifetime, or choose an existing
// session ([InSession]).
//
// The store's faults do not apply to the kit's calls, nor do its
// counters. The test fails when the token cannot be minted: a reserved
// claim name, an auth_time after the issue time, a session that is not
// live.
func (k *Kit) AccessToken(tb testing.TB, subject string, opts ...TokenOption) string {
	tb.Helper()
	var s tokenSpec
	for _, o := range opts {
		o.applyToken(&s)
	}
	ctx := bypass(context.Background())
	cfg := k.Auth.Config()
	now := k.Clock.Now()
	sid := s.session
	if sid == "" {
		pair, err := k.Auth.Login(ctx, subject, s.login)
		if err != nil {
			tb.Fatalf("pasetotest: session for %q: %v", subject, err)
		}
		sid = pair.Access.Session
	} else {
		live, err := k.Store.SessionLive(ctx, subject, sid, now)
		if err != nil || !live {
			tb.Fatalf("pasetotest: InSession(%q): not a live session of %q (err %v)", sid, subject, err)
		}
	}
	life := cfg.AccessLifetime
	if s.lifetime != 0 {
		life = s.lifetime
	}
	at := now
	if s.issuedAt != nil {
		at = s.issuedAt(now, life, cfg.Leeway)
	}
	iss, err := paseto.NewIssuer(cfg.AccessKeys, paseto.TypeAccess, paseto.IssuerConfig{
		Issuer: cfg.Issuer, Audience: cfg.Audience, Lifetime: life, Clock: func() time.Time { return at },
	})
	if err != nil {
		tb.Fatalf("pasetotest: %v", err)
	}
	authTime := s.authTime
	if authTime.IsZero() {
		authTime = at
	}
	tok, _, err := iss.Issue(paseto.Template{
		Subject: subject, Fresh: !s.notFresh, AuthTime: authTime, Session: sid,
		Scopes: s.login.Scopes, Claims: s.login.Claims,
	})
	if err != nil {
		tb.Fatalf("pasetotest: minting an access token for %q: %v", subject, err)
	}
	return tok
}
