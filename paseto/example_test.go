package paseto_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/pasetotest"
)

// Mint and verify a v4.local access token.
func Example() {
	key := paseto.GenerateSymmetricKey() // in production: paseto.ParseSymmetricKey(os.Getenv(...))
	ring, err := paseto.NewLocalKeyRing(key)
	if err != nil {
		panic(err)
	}
	issuer, _ := paseto.NewIssuer(ring, paseto.TypeAccess, paseto.IssuerConfig{})
	verifier, _ := paseto.NewVerifier(ring, paseto.TypeAccess, paseto.VerifierConfig{})

	token, _, err := issuer.Issue(paseto.Template{Subject: "alice", Fresh: true})
	if err != nil {
		panic(err)
	}
	claims, err := verifier.Verify(context.Background(), token)
	if err != nil {
		panic(err)
	}
	fmt.Println(claims.Subject, claims.Type, claims.Fresh)
	// Output: alice access true
}

// v4.public: sign with the secret key; services that only verify get the
// public key as a PASERK string.
func ExampleNewPublicKeyRing() {
	sk := paseto.GenerateSecretKey()
	ring, _ := paseto.NewPublicKeyRing(sk)
	issuer, _ := paseto.NewIssuer(ring, paseto.TypeAccess, paseto.IssuerConfig{Issuer: "https://auth.example"})
	token, _, _ := issuer.Issue(paseto.Template{Subject: "alice"})

	// Elsewhere, with only the public key:
	pub, _ := paseto.ParsePublicKey(sk.Public().PASERK())
	verifyRing, _ := paseto.NewPublicVerifyKeyRing(pub)
	verifier, _ := paseto.NewVerifier(verifyRing, paseto.TypeAccess, paseto.VerifierConfig{Issuer: "https://auth.example"})
	claims, err := verifier.Verify(context.Background(), token)
	fmt.Println(claims.Subject, err)
	// Output: alice <nil>
}

// Rotate keys: mint with the new key, keep the old one for as long as its
// tokens can live.
func ExampleNewLocalKeyRing_rotation() {
	oldKey, newKey := paseto.GenerateSymmetricKey(), paseto.GenerateSymmetricKey()
	oldRing, _ := paseto.NewLocalKeyRing(oldKey)
	oldIssuer, _ := paseto.NewIssuer(oldRing, paseto.TypeAccess, paseto.IssuerConfig{})
	issuedBefore, _, _ := oldIssuer.Issue(paseto.Template{Subject: "alice"})

	ring, _ := paseto.NewLocalKeyRing(newKey, oldKey)
	verifier, _ := paseto.NewVerifier(ring, paseto.TypeAccess, paseto.VerifierConfig{})
	_, err := verifier.Verify(context.Background(), issuedBefore)
	fmt.Println(ring.CurrentID() == newKey.ID(), err)
	// Output: true <nil>
}

// Sort verification failures with errors.Is; Code gives the stable string
// for API responses.
func ExampleVerifier_Verify_errorChecking() {
	ring, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	issuer, _ := paseto.NewIssuer(ring, paseto.TypeAccess, paseto.IssuerConfig{Clock: func() time.Time { return now }})
	token, _, _ := issuer.Issue(paseto.Template{Subject: "alice"})

	later := now.Add(time.Hour)
	verifier, _ := paseto.NewVerifier(ring, paseto.TypeAccess, paseto.VerifierConfig{Clock: func() time.Time { return later }})
	_, err := verifier.Verify(context.Background(), token)
	switch {
	case errors.Is(err, paseto.ErrExpired):
		fmt.Println("expired:", paseto.Code(err))
	case errors.Is(err, paseto.ErrInvalid), errors.Is(err, paseto.ErrMalformed):
		fmt.Println("forged or garbled")
	case err != nil:
		fmt.Println("other:", paseto.Code(err))
	}
	// Output: expired: expired_token
}

// A route that changes the password demands a token minted by a login in
// the last five minutes; tokens minted by refresh never qualify.
func ExampleRequireFresh() {
	ring, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	issuer, _ := paseto.NewIssuer(ring, paseto.TypeAccess, paseto.IssuerConfig{})
	verifier, _ := paseto.NewVerifier(ring, paseto.TypeAccess, paseto.VerifierConfig{})
	fresh := paseto.RequireFresh(5 * time.Minute)

	afterLogin, _, _ := issuer.Issue(paseto.Template{Subject: "alice", Fresh: true})
	afterRefresh, _, _ := issuer.Issue(paseto.Template{Subject: "alice", AuthTime: time.Now().Add(-time.Minute)})

	_, err := verifier.Verify(context.Background(), afterLogin, fresh)
	fmt.Println(err)
	_, err = verifier.Verify(context.Background(), afterRefresh, fresh)
	fmt.Println(paseto.Code(err))
	// Output:
	// <nil>
	// insufficient_user_authentication
}

// Custom claims go in as any JSON-marshallable value and come back typed.
func ExampleClaim() {
	ring, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	issuer, _ := paseto.NewIssuer(ring, paseto.TypeAccess, paseto.IssuerConfig{})
	verifier, _ := paseto.NewVerifier(ring, paseto.TypeAccess, paseto.VerifierConfig{})
	token, _, _ := issuer.Issue(paseto.Template{Subject: "alice", Claims: map[string]any{"role": "admin", "teams": []string{"core", "ops"}}})

	claims, _ := verifier.Verify(context.Background(), token)
	role, _ := paseto.Claim[string](claims, "role")
	teams, _ := paseto.Claim[[]string](claims, "teams")
	fmt.Println(role, teams)
	// Output: admin [core ops]
}

// Keys travel as PASERK strings; their IDs are safe to log.
func ExampleParseSymmetricKey() {
	k, err := paseto.ParseSymmetricKey("k4.local.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8")
	if err != nil {
		panic(err)
	}
	fmt.Println(k.ID())
	_, err = paseto.ParseSymmetricKey("k4.lid.iVtYQDjr5gEijCSjJC3fQaJm7nCeQSeaty0Jixy8dbsk")
	fmt.Println(errors.Is(err, paseto.ErrInvalidKey))
	// Output:
	// k4.lid.iVtYQDjr5gEijCSjJC3fQaJm7nCeQSeaty0Jixy8dbsk
	// true
}

// A login session: login, refresh, verify, logout.
func ExampleAuth() {
	accessRing, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refreshRing, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, err := paseto.New(paseto.Config{
		AccessKeys:  accessRing,
		RefreshKeys: refreshRing,
		GracePeriod: 10 * time.Second,
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	// After checking the user's password:
	pair, _ := auth.Login(ctx, "alice", paseto.LoginOptions{})

	// Later, the client trades its refresh token for a new pair.
	next, _ := auth.Refresh(ctx, pair.RefreshToken)
	claims, _ := auth.VerifyAccess(ctx, next.AccessToken)
	fmt.Println(claims.Subject, "fresh:", claims.Fresh)

	// Logout ends the session: none of its tokens is accepted any more.
	_ = auth.Logout(ctx, claims)
	_, err = auth.VerifyAccess(ctx, next.AccessToken)
	fmt.Println(paseto.Code(err))
	// Output:
	// alice fresh: false
	// revoked_token
}

// Reuse detection: a refresh token that was already exchanged comes back
// after the grace window, so the whole session is revoked — the thief's
// copy and the legitimate user's current tokens alike.
func ExampleAuth_Refresh_reuseDetected() {
	clock := pasetotest.NewClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)) // a fake clock, to step past the grace window
	accessRing, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refreshRing, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{
		AccessKeys: accessRing, RefreshKeys: refreshRing,
		GracePeriod: 10 * time.Second,
		Clock:       clock.Now,
		Logger:      slog.New(slog.DiscardHandler),
		OnSecurityEvent: func(_ context.Context, ev paseto.SecurityEvent) {
			fmt.Println("security event:", ev.Kind, ev.Subject)
		},
	})
	ctx := context.Background()

	first, _ := auth.Login(ctx, "alice", paseto.LoginOptions{})
	second, _ := auth.Refresh(ctx, first.RefreshToken)

	retry, _ := auth.Refresh(ctx, first.RefreshToken) // a retry within the grace window
	// It gets the same successor: minted again, so another string, but
	// the same token (ID and claims), which the store takes as the one.
	refreshes, _ := paseto.NewVerifier(refreshRing, paseto.TypeRefresh, paseto.VerifierConfig{Clock: clock.Now})
	r, _ := refreshes.Verify(ctx, retry.RefreshToken)
	s, _ := refreshes.Verify(ctx, second.RefreshToken)
	fmt.Println("same successor:", r.ID == s.ID)

	clock.Advance(time.Minute)
	_, err := auth.Refresh(ctx, first.RefreshToken) // replayed later: reuse
	fmt.Println(paseto.Code(err))
	_, err = auth.Refresh(ctx, second.RefreshToken)
	fmt.Println(paseto.Code(err))
	// Output:
	// security event: retried_refresh_token alice
	// same successor: true
	// security event: reused_refresh_token alice
	// reused_refresh_token
	// revoked_token
}

// A route that needs a login at most five minutes old, and what a client
// presenting a refreshed (not fresh) token gets: the adapters write exactly
// this Reply.
func ExampleGuard_FreshRequired() {
	access, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		panic(err)
	}
	refresh, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		panic(err)
	}
	auth, err := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh})
	if err != nil {
		panic(err)
	}
	guard, err := paseto.NewGuard(auth, paseto.GuardConfig{})
	if err != nil {
		panic(err)
	}
	policy := guard.FreshRequired(paseto.WithMaxAge(5 * time.Minute))

	reply := guard.ProblemFor(paseto.ErrNotFresh, policy).Reply()
	fmt.Println(reply.Status)
	for _, h := range reply.Header {
		fmt.Printf("%s: %s\n", h.Name, h.Value)
	}
	fmt.Println(string(reply.Body))
	// Output:
	// 401
	// WWW-Authenticate: Bearer realm="api", error="insufficient_user_authentication", error_description="fresh token required", max_age=300
	// Content-Type: application/json
	// {"error":"insufficient_user_authentication","message":"fresh token required"}
}

// users is the application's user table, for the examples below.
var users = map[string]struct {
	disabled bool
	role     string
}{"alice": {role: "admin"}, "mallory": {disabled: true, role: "user"}}

// A refresh-time hook: refuse disabled accounts (which ends the session)
// and write the current role into each new access token.
func ExampleRefreshHook() {
	accessRing, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refreshRing, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	onRefresh := func(ctx context.Context, c *paseto.Claims) (paseto.RefreshUpdate, error) {
		u, ok := users[c.Subject] // a real app asks its database, with ctx
		if !ok || u.disabled {
			return paseto.RefreshUpdate{}, fmt.Errorf("%w: account disabled", paseto.ErrRefreshDenied)
		}
		return paseto.RefreshUpdate{Claims: map[string]any{"role": u.role}}, nil
	}
	auth, err := paseto.New(paseto.Config{
		AccessKeys:  accessRing,
		RefreshKeys: refreshRing,
		OnRefresh:   onRefresh,
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	pair, _ := auth.Login(ctx, "alice", paseto.LoginOptions{Claims: map[string]any{"role": "user"}})
	next, _ := auth.Refresh(ctx, pair.RefreshToken)
	role, _ := paseto.Claim[string](next.Access, "role")
	fmt.Println("alice's role after refresh:", role)

	banned, _ := auth.Login(ctx, "mallory", paseto.LoginOptions{})
	_, err = auth.Refresh(ctx, banned.RefreshToken)
	fmt.Println(paseto.Code(err))
	_, err = auth.VerifyAccess(ctx, banned.AccessToken) // the session has ended
	fmt.Println(paseto.Code(err))
	// Output:
	// alice's role after refresh: admin
	// denied_refresh
	// revoked_token
}

// Fresh re-login: after the user typed their password again, a fresh
// access token for the same session.
func ExampleAuth_FreshLogin() {
	accessRing, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refreshRing, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{AccessKeys: accessRing, RefreshKeys: refreshRing})
	ctx := context.Background()
	pair, _ := auth.Login(ctx, "alice", paseto.LoginOptions{})
	next, _ := auth.Refresh(ctx, pair.RefreshToken) // not fresh
	claims, _ := auth.VerifyAccess(ctx, next.AccessToken)

	// The app has checked alice's password again:
	tok, err := auth.FreshLogin(ctx, claims, "alice")
	if err != nil {
		panic(err)
	}
	fresh, _ := auth.VerifyAccess(ctx, tok.AccessToken, paseto.RequireFresh(5*time.Minute))
	fmt.Println("same session:", fresh.Session == claims.Session, "fresh:", fresh.Fresh)

	// Credentials of another user get nothing.
	_, err = auth.FreshLogin(ctx, claims, "bob")
	fmt.Println(paseto.Code(err))
	// Output:
	// same session: true fresh: true
	// mismatched_subject
}

// Session and device management: a user's sessions listed with the device
// each was opened from, one signed out, then every other one.
func ExampleAuth_ListSessions() {
	clock := pasetotest.NewClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)) // a fake clock, to order the logins
	accessRing, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refreshRing, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{
		AccessKeys: accessRing, RefreshKeys: refreshRing,
		Clock:       clock.Now,
		MaxSessions: 10, // an eleventh login ends the oldest
	})
	ctx := context.Background()
	laptop, _ := auth.Login(ctx, "alice", paseto.LoginOptions{Device: paseto.Device{Label: "Firefox on Linux"}})
	clock.Advance(time.Minute)
	phone, _ := auth.Login(ctx, "alice", paseto.LoginOptions{Device: paseto.Device{Label: "Safari on iPhone"}})
	clock.Advance(time.Minute)
	_, _ = auth.Login(ctx, "alice", paseto.LoginOptions{Device: paseto.Device{Label: "Chrome on Windows"}})

	// The session page of the laptop: newest first, its own marked.
	sessions, _ := auth.ListSessions(ctx, "alice", laptop.Access.Session)
	for _, s := range sessions {
		fmt.Println(s.Label, s.Current)
	}
	// "Sign out this device" for the phone, then everything but the laptop.
	fmt.Println(auth.RevokeSession(ctx, "alice", phone.Access.Session))
	n, _ := auth.RevokeOtherSessions(ctx, "alice", laptop.Access.Session)
	fmt.Println(n, "other session ended")
	_, err := auth.VerifyAccess(ctx, phone.AccessToken)
	fmt.Println(paseto.Code(err))
	// Output:
	// Chrome on Windows false
	// Safari on iPhone false
	// Firefox on Linux true
	// <nil>
	// 1 other session ended
	// revoked_token
}
