package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/sqlitestore"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

var ctx = context.Background()

// keys are one application's keys, kept across a restart.
type keys struct{ access, refresh paseto.SymmetricKey }

func newKeys() keys {
	return keys{paseto.GenerateSymmetricKey(), paseto.GenerateSymmetricKey()}
}

// newAuth builds an Auth over store with k and the clock now.
func newAuth(t testing.TB, store paseto.Store, k keys, now func() time.Time, tweak func(*paseto.Config)) *paseto.Auth {
	t.Helper()
	access, err := paseto.NewLocalKeyRing(k.access)
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := paseto.NewLocalKeyRing(k.refresh)
	if err != nil {
		t.Fatal(err)
	}
	cfg := paseto.Config{AccessKeys: access, RefreshKeys: refresh, Store: store, Clock: now, Logger: quiet}
	if tweak != nil {
		tweak(&cfg)
	}
	a, err := paseto.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func login(t testing.TB, a *paseto.Auth, sub string) *paseto.TokenPair {
	t.Helper()
	p, err := a.Login(ctx, sub, paseto.LoginOptions{})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	return p
}

// refused checks that neither token of p is accepted.
func refused(t *testing.T, a *paseto.Auth, what string, p *paseto.TokenPair) {
	t.Helper()
	if _, err := a.VerifyAccess(ctx, p.AccessToken); err == nil {
		t.Fatalf("%s: access token accepted", what)
	}
	if _, err := a.Refresh(ctx, p.RefreshToken); err == nil {
		t.Fatalf("%s: refresh token accepted", what)
	}
}

// TestRestart: sessions, rotations and every kind of revocation survive
// closing the store and opening the file again, as across a restart of
// the application.
func TestRestart(t *testing.T) {
	path, k := tempDB(t), newKeys()
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	grace := func(c *paseto.Config) { c.GracePeriod = 10 * time.Second }

	s1, err := sqlitestore.Open(path, sqlitestore.Config{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a1 := newAuth(t, s1, k, clock.Now, grace)
	live := login(t, a1, "alice")
	rotated, err := a1.Refresh(ctx, login(t, a1, "alice").RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	out := login(t, a1, "alice")
	if err := a1.Logout(ctx, out.Access); err != nil {
		t.Fatal(err)
	}
	bob := login(t, a1, "bob")
	if err := a1.RevokeSubject(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	stolen := login(t, a1, "carol")
	if _, err := a1.Refresh(ctx, stolen.RefreshToken); err != nil {
		t.Fatal(err)
	}
	clock.Advance(11 * time.Second)
	if _, err := a1.Refresh(ctx, stolen.RefreshToken); !errors.Is(err, paseto.ErrRefreshReused) {
		t.Fatalf("reuse: %v", err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := openStore(t, path, clock.Now) // Migrate again: idempotent
	a2 := newAuth(t, s2, k, clock.Now, grace)
	for _, p := range []*paseto.TokenPair{live, rotated} {
		if _, err := a2.VerifyAccess(ctx, p.AccessToken); err != nil {
			t.Fatalf("after restart, a live session's access token: %v", err)
		}
		if _, err := a2.Refresh(ctx, p.RefreshToken); err != nil {
			t.Fatalf("after restart, a live session's refresh token: %v", err)
		}
	}
	refused(t, a2, "logged out before the restart", out)
	refused(t, a2, "subject revoked before the restart", bob)
	refused(t, a2, "revoked for reuse before the restart", stolen)
	l, err := a2.ListSessions(ctx, "alice", "")
	if err != nil || len(l) != 2 {
		t.Fatalf("after restart, alice's sessions: %d, %v", len(l), err)
	}
}

// TestCorruptRow: a row this store could not have written is never live:
// the request is denied (503, ErrStoreCorrupt), and a logout deletes it.
func TestCorruptRow(t *testing.T) {
	for _, tc := range []struct{ name, set string }{
		{"revoked out of range", "revoked = 7"},
		{"live without a current token", "current = ''"},
		{"negative time", "expires_at = -1"},
		{"no subject", "subject = ''"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := storetest.NewClock(time.Now())
			s := openStore(t, tempDB(t), clock.Now)
			a := newAuth(t, s, newKeys(), clock.Now, nil)
			p := login(t, a, "alice")
			other := login(t, a, "alice")
			s.Exec(t, "UPDATE pasetoauth_sessions SET "+tc.set+" WHERE sid = ?", p.Access.Session)
			if _, err := a.VerifyAccess(ctx, p.AccessToken); !errors.Is(err, paseto.ErrStoreCorrupt) {
				t.Fatalf("VerifyAccess: %v, want ErrStoreCorrupt", err)
			}
			if _, err := a.Refresh(ctx, p.RefreshToken); !errors.Is(err, paseto.ErrStoreUnavailable) {
				t.Fatalf("Refresh: %v, want ErrStoreUnavailable", err)
			}
			if _, err := a.ListSessions(ctx, "alice", ""); tc.set != "subject = ''" && !errors.Is(err, paseto.ErrStoreUnavailable) {
				t.Fatalf("ListSessions: %v, want ErrStoreUnavailable", err)
			}
			// The other session is untouched, and revoking the damaged one
			// (logout by its subject and ID) deletes it.
			if _, err := a.VerifyAccess(ctx, other.AccessToken); err != nil {
				t.Fatal(err)
			}
			if tc.set != "subject = ''" {
				// Not live, so not "ended" by this call: ErrSessionNotFound.
				if err := a.RevokeSession(ctx, "alice", p.Access.Session); err != nil && !errors.Is(err, paseto.ErrSessionNotFound) {
					t.Fatalf("RevokeSession of a corrupt row: %v", err)
				}
				if ids := s.SIDs(t); len(ids) != 1 || ids[0] != other.Access.Session {
					t.Fatalf("rows after the revocation: %v", ids)
				}
			}
			if err := a.RevokeSubject(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			refused(t, a, "after RevokeSubject", other)
		})
	}
}

// TestReadOnlyDatabase: on a database that refuses writes, reads still
// answer, every write fails with ErrStoreUnavailable, and nothing is
// half-applied: the same refresh token works once writes are back.
func TestReadOnlyDatabase(t *testing.T) {
	path, k := tempDB(t), newKeys()
	rw := openStore(t, path, time.Now)
	p := login(t, newAuth(t, rw, k, time.Now, nil), "alice")
	ro, err := sqlitestore.OpenWithPragmas(path, sqlitestore.Config{}, []string{"query_only(1)"})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	a := newAuth(t, ro, k, time.Now, nil)
	if _, err := a.VerifyAccess(ctx, p.AccessToken); err != nil {
		t.Fatalf("VerifyAccess on a read-only database: %v", err)
	}
	if _, err := a.Refresh(ctx, p.RefreshToken); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("Refresh: %v, want ErrStoreUnavailable", err)
	}
	if _, err := a.Login(ctx, "bob", paseto.LoginOptions{}); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("Login: %v, want ErrStoreUnavailable", err)
	}
	if err := a.RevokeSession(ctx, "alice", p.Access.Session); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("RevokeSession: %v, want ErrStoreUnavailable", err)
	}
	if err := ro.Migrate(ctx); err == nil {
		t.Fatal("Migrate on a read-only database succeeded")
	}
	if _, err := newAuth(t, rw, k, time.Now, nil).Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatalf("Refresh once writable again: %v", err)
	}
}

// TestLockedBeyondDeadline: another writer holds the database's write
// lock past the call's deadline. The refresh fails with
// ErrStoreUnavailable at its deadline (not after SQLite's busy timeout),
// reads are not held up, and the refresh that gave up is not applied
// later: once the lock is released, the same token rotates normally.
func TestLockedBeyondDeadline(t *testing.T) {
	path, k := tempDB(t), newKeys()
	s := openStore(t, path, time.Now)
	a := newAuth(t, s, k, time.Now, func(c *paseto.Config) { c.StoreTimeout = 200 * time.Millisecond })
	p := login(t, a, "alice")

	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	holder, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = a.Refresh(ctx, p.RefreshToken)
	took := time.Since(start)
	if !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("Refresh under a held lock: %v, want ErrStoreUnavailable", err)
	}
	// Not a timing assertion on the deadline itself: only that the wait
	// was not SQLite's busy timeout (a minute).
	if took > 20*time.Second {
		t.Fatalf("Refresh waited %v for the lock", took)
	}
	if _, err := a.Login(ctx, "bob", paseto.LoginOptions{}); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("Login under a held lock: %v", err)
	}
	if _, err := a.VerifyAccess(ctx, p.AccessToken); err != nil {
		t.Fatalf("VerifyAccess while another process writes: %v", err)
	}
	if _, err := holder.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatalf("the refresh that timed out was applied after all: %v", err)
	}
}

// TestLateWriteNotApplied: a call whose deadline has passed by the time it
// could write changes nothing.
func TestLateWriteNotApplied(t *testing.T) {
	path, k := tempDB(t), newKeys()
	s := openStore(t, path, time.Now)
	a := newAuth(t, s, k, time.Now, nil)
	p := login(t, a, "alice")
	gone, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	if _, err := s.Rotate(gone, paseto.Rotation{Subject: "alice", Session: p.Access.Session,
		Presented: "x", Successor: "y", Now: time.Now()}); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("Rotate after its deadline: %v", err)
	}
	if err := s.RevokeSubject(gone, "alice"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RevokeSubject after its deadline: %v", err)
	}
	if _, err := a.Refresh(ctx, p.RefreshToken); err != nil {
		t.Fatalf("a late call changed the session: %v", err)
	}
}

// TestNotADatabase: a file that is not a SQLite database is refused at
// Open with an error that says so.
func TestNotADatabase(t *testing.T) {
	path := tempDB(t)
	if err := os.WriteFile(path, []byte(strings.Repeat("this is not a database\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sqlitestore.Open(path, sqlitestore.Config{})
	if err == nil || !strings.Contains(err.Error(), "not a SQLite database") {
		t.Fatalf("Open: %v", err)
	}
	for _, bad := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if _, err := sqlitestore.Open(bad, sqlitestore.Config{}); err == nil {
			t.Fatalf("Open(%q) succeeded", bad)
		}
	}
}

// TestMigrate: before Migrate every call fails (503) saying so; Migrate is
// idempotent, also from two stores at once; a newer schema is refused.
func TestMigrate(t *testing.T) {
	path := tempDB(t)
	s, err := sqlitestore.Open(path, sqlitestore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := newAuth(t, s, newKeys(), time.Now, nil)
	if _, err := a.Login(ctx, "alice", paseto.LoginOptions{}); !errors.Is(err, paseto.ErrStoreUnavailable) {
		t.Fatalf("Login before Migrate: %v", err)
	}
	if _, err := s.SessionLive(ctx, "alice", "x", time.Now()); err == nil || !strings.Contains(err.Error(), "Migrate") {
		t.Fatalf("SessionLive before Migrate: %v", err)
	}
	other := openStore(t, path, time.Now)
	errs := make(chan error, 2)
	for _, st := range []*sqlitestore.Store{s, other} {
		go func() { errs <- st.Migrate(ctx) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
	p := login(t, a, "alice")
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.VerifyAccess(ctx, p.AccessToken); err != nil {
		t.Fatalf("a session after Migrate ran again: %v", err)
	}
	s.Exec(t, "UPDATE pasetoauth_schema SET version = 2")
	if err := s.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("Migrate over a newer schema: %v", err)
	}
}

// TestExpiry: dead rows (past their end, revoked for reuse past the
// tombstone, "logged out everywhere") are deleted by later logins, a few
// at a time, and kept successors are cleared after their grace window.
func TestExpiry(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	s := openStore(t, tempDB(t), clock.Now)
	a := newAuth(t, s, newKeys(), clock.Now, func(c *paseto.Config) {
		c.SessionLifetime = time.Hour
		c.GracePeriod = 10 * time.Second
	})
	for i := range 20 {
		p := login(t, a, "user-"+string(rune('a'+i)))
		if _, err := a.Refresh(ctx, p.RefreshToken); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.RevokeSubject(ctx, "user-a"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.SIDs(t)); n != 20 {
		t.Fatalf("%d rows, want 20", n)
	}
	if kept := s.Count(t, "wrapped <> ''"); kept != 19 { // RevokeSubject cleared user-a's
		t.Fatalf("%d kept successors, want 19", kept)
	}
	clock.Advance(time.Minute)
	login(t, a, "zed")
	if kept := s.Count(t, "wrapped <> ''"); kept != 19-8 {
		t.Fatalf("%d kept successors after a login, want 11: each login clears 8", kept)
	}
	if n := len(s.SIDs(t)); n != 20 { // user-a's row went, zed's came
		t.Fatalf("%d rows after a login, want 20", n)
	}
	clock.Advance(time.Hour)
	for range 3 {
		login(t, a, "zed")
	}
	// 20 sessions ended; 3 logins delete 8 each (zed's first session among them).
	if n := len(s.SIDs(t)); n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}
}

// A refresh retried inside its grace window that reaches the store after a
// login's clean-up (on the store's later clock) cleared its kept successor
// is refused and changes nothing: a retry is no theft, so the session is
// not revoked as reused, and its current token still rotates.
func TestRetryAfterItsSuccessorWasCleared(t *testing.T) {
	const grace = 10 * time.Second
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	s := openStore(t, tempDB(t), clock.Now)
	create := func(sid string) {
		t.Helper()
		rec := paseto.SessionRecord{ID: sid, Subject: "alice", Current: "h0-" + sid, CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(24 * time.Hour), MaxSessions: 100}
		if _, err := s.CreateSession(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	create("s1")
	rot := paseto.Rotation{Subject: "alice", Session: "s1", Presented: "h0-s1", Successor: "h1", WrappedSuccessor: "w1", Now: clock.Now(), Grace: grace}
	if res, err := s.Rotate(ctx, rot); err != nil || res.Outcome != paseto.Rotated {
		t.Fatalf("rotate: %+v, %v", res, err)
	}
	began := clock.Now().Add(grace / 2)
	clock.Advance(grace + time.Minute)
	create("s2") // its clean-up clears s1's kept successor
	if kept := s.Count(t, "wrapped <> ''"); kept != 0 {
		t.Fatalf("%d kept successors after the login's clean-up, want 0", kept)
	}
	retry := rot
	retry.Successor, retry.Now = "h1-retry", began
	res, err := s.Rotate(ctx, retry)
	if res.Outcome == paseto.Reused || !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("retry after its successor was cleared: %+v, %v; want ErrRevoked, no reuse", res, err)
	}
	next := paseto.Rotation{Subject: "alice", Session: "s1", Presented: "h1", Successor: "h2", Now: clock.Now()}
	if res, err := s.Rotate(ctx, next); err != nil || res.Outcome != paseto.Rotated {
		t.Fatalf("the session's current token no longer rotates: %+v, %v", res, err)
	}
}
