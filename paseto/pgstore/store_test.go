package pgstore_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/pgstore"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

var ctx = context.Background()

var prefixOf = pgstore.PrefixOf

// harness runs the conformance suite on fresh tables per store. Keys and
// Forget list and delete single session rows, so the suite can lose any
// one of them (by hand: a SQL database loses nothing by itself), and the
// whole table at once (TRUNCATE, or an empty backup restored).
var harness = storetest.Harness{
	New: func(t *testing.T, now func() time.Time) paseto.Store {
		return newStore(t, now, 0)
	},
	Twin: func(t *testing.T, s paseto.Store) paseto.Store {
		ps := s.(*pgstore.Store)
		return twin(t, ps, time.Now) // decisions use the time Auth passes
	},
	Keys: func(t *testing.T, s paseto.Store) []string {
		ps := s.(*pgstore.Store)
		rows, err := ps.Pool().Query(ctx, "SELECT sid FROM "+prefixOf(ps)+"sessions ORDER BY sid")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		keys := []string{"every row"}
		for rows.Next() {
			var sid string
			if err := rows.Scan(&sid); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, "session row "+sid)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return keys
	},
	Forget: func(t *testing.T, s paseto.Store, key string) {
		ps := s.(*pgstore.Store)
		if key == "every row" {
			if _, err := ps.Pool().Exec(ctx, "TRUNCATE "+prefixOf(ps)+"sessions"); err != nil {
				t.Fatal(err)
			}
			return
		}
		sid := strings.TrimPrefix(key, "session row ")
		if _, err := ps.Pool().Exec(ctx, "DELETE FROM "+prefixOf(ps)+"sessions WHERE sid = $1", sid); err != nil {
			t.Fatal(err)
		}
	},
}

func TestConformance(t *testing.T) {
	needPG(t)
	storetest.Run(t, harness)
}

func TestNewRefusesBadOptions(t *testing.T) {
	p := &pgxpool.Pool{}
	for _, tc := range []struct {
		name string
		pool *pgxpool.Pool
		o    pgstore.Config
	}{
		{"nil pool", nil, pgstore.Config{}},
		{"upper-case prefix", p, pgstore.Config{Prefix: "Auth_"}},
		{"prefix with a quote", p, pgstore.Config{Prefix: `a"; DROP TABLE x; --`}},
		{"prefix with a dot", p, pgstore.Config{Prefix: "public.auth_"}},
		{"prefix starting with a digit", p, pgstore.Config{Prefix: "1auth_"}},
		{"long prefix", p, pgstore.Config{Prefix: strings.Repeat("a", 41)}},
		{"negative timeout", p, pgstore.Config{Timeout: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pgstore.New(tc.pool, tc.o); !errors.Is(err, paseto.ErrConfig) {
				t.Fatalf("New: %v, want ErrConfig", err)
			}
		})
	}
	if _, err := pgstore.Open(ctx, "postgres://u:secret@127.0.0.1:1/db?sslmode=bogus", pgstore.Config{}); !errors.Is(err, paseto.ErrConfig) ||
		strings.Contains(err.Error(), "secret") {
		t.Fatalf("Open with a bad URL: %v, want ErrConfig without the password", err)
	}
}

// TestOpenSetsStatementTimeout: Open's pool runs with the store's timeout
// as statement_timeout, unless the URL sets one.
func TestOpenSetsStatementTimeout(t *testing.T) {
	c := needPG(t)
	for _, tc := range []struct{ url, want string }{
		{c.url("pgstore_test"), "750ms"},
		{c.url("pgstore_test") + "&statement_timeout=3000", "3s"},
	} {
		s, err := pgstore.Open(ctx, tc.url, pgstore.Config{Timeout: 750 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = s.Pool().QueryRow(ctx, "SHOW statement_timeout").Scan(&got)
		_ = s.Close()
		if err != nil || got != tc.want {
			t.Fatalf("statement_timeout %q, %v; want %q", got, err, tc.want)
		}
	}
}

// TestMigrateIdempotent: Migrate twice in a row, and from eight stores at
// once, succeeds and leaves sessions alone.
func TestMigrateIdempotent(t *testing.T) {
	s := newStore(t, time.Now, 0)
	auth := newAuth(t, s, nil)
	p, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- twin(t, s, time.Now).Migrate(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.VerifyAccess(ctx, p.AccessToken); err != nil {
		t.Fatalf("after migrating again: %v", err)
	}
	if !strings.Contains(s.Schema(), "CREATE TABLE IF NOT EXISTS "+prefixOf(s)+"sessions") || strings.Contains(s.Schema(), "pasetoauth_") {
		t.Fatal("Schema does not carry the store's prefix throughout")
	}
}

// TestWithoutMigrate: a store whose schema was never created fails closed
// with ErrStoreUnavailable, saying what to do.
func TestWithoutMigrate(t *testing.T) {
	c := needPG(t)
	s, err := pgstore.New(c.pool(t, "pgstore_test"), pgstore.Config{Prefix: "never_migrated_"})
	if err != nil {
		t.Fatal(err)
	}
	live, err := s.SessionLive(ctx, "alice", "sid", time.Now())
	if live || !errors.Is(err, paseto.ErrStoreUnavailable) || !strings.Contains(err.Error(), "Migrate") {
		t.Fatalf("SessionLive: %v, %v; want ErrStoreUnavailable naming Migrate", live, err)
	}
	_, err = s.CreateSession(ctx, paseto.SessionRecord{ID: "sid", Subject: "alice", Current: "h", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
	if !errors.Is(err, paseto.ErrStoreUnavailable) || !strings.Contains(err.Error(), "Migrate") {
		t.Fatalf("CreateSession: %v; want ErrStoreUnavailable naming Migrate", err)
	}
}

// TestCorruptRow: a row the store could not have written (here, the
// table's CHECK constraint dropped and a live row's current hash emptied)
// is ErrStoreCorrupt on verification, refresh and listing, never live;
// and a logout still removes it.
func TestCorruptRow(t *testing.T) {
	s := newStore(t, time.Now, 0)
	auth := newAuth(t, s, nil)
	p, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tbl := prefixOf(s) + "sessions"
	if _, err := s.Pool().Exec(ctx, "ALTER TABLE "+tbl+" DROP CONSTRAINT "+tbl+"_sane"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, "UPDATE "+tbl+" SET current_hash = ''"); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.VerifyAccess(ctx, p.AccessToken); !errors.Is(err, paseto.ErrStoreCorrupt) {
		t.Fatalf("VerifyAccess: %v, want ErrStoreCorrupt", err)
	}
	if _, err := auth.Refresh(ctx, p.RefreshToken); !errors.Is(err, paseto.ErrStoreCorrupt) {
		t.Fatalf("Refresh: %v, want ErrStoreCorrupt", err)
	}
	if _, err := auth.ListSessions(ctx, "alice", ""); !errors.Is(err, paseto.ErrStoreCorrupt) {
		t.Fatalf("ListSessions: %v, want ErrStoreCorrupt", err)
	}
	if err := auth.RevokeSession(ctx, "alice", p.Access.Session); err != nil {
		t.Fatalf("RevokeSession of a corrupt row: %v", err)
	}
	if _, err := auth.VerifyAccess(ctx, p.AccessToken); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("after logout: %v, want ErrRevoked", err)
	}
}

// TestNullInRow: with a NOT NULL constraint dropped by hand, a NULL where
// the store wrote a value makes SQL's three-valued comparisons skip every
// refusal (NULL >= now is not true; NULL revoked is not true). Rotation must
// refuse such a row as corrupt, never rotate it, and the access check must
// not accept it.
func TestNullInRow(t *testing.T) {
	for _, col := range []string{"expires_at", "revoked", "subject", "last_used", "idle_ns", "previous_hash"} {
		t.Run(col, func(t *testing.T) {
			s := newStore(t, time.Now, 0)
			auth := newAuth(t, s, nil)
			p, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tbl := prefixOf(s) + "sessions"
			for _, q := range []string{
				"ALTER TABLE " + tbl + " DROP CONSTRAINT " + tbl + "_sane",
				"ALTER TABLE " + tbl + " ALTER COLUMN " + col + " DROP NOT NULL",
				"UPDATE " + tbl + " SET " + col + " = NULL",
			} {
				if _, err := s.Pool().Exec(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			// previous_hash plays no part in liveness.
			if _, err := auth.VerifyAccess(ctx, p.AccessToken); err == nil && col != "previous_hash" {
				t.Fatal("VerifyAccess accepted a session whose row holds a NULL")
			}
			if np, err := auth.Refresh(ctx, p.RefreshToken); err == nil || !errors.Is(err, paseto.ErrStoreCorrupt) {
				t.Fatalf("Refresh of a row holding a NULL: %v, %v; want ErrStoreCorrupt", np != nil, err)
			}
			// A logout still deletes the row, whatever it holds.
			if col != "subject" {
				if _, err := s.RevokeSession(ctx, "alice", p.Access.Session, time.Now()); err != nil {
					t.Fatal(err)
				}
				var n int
				if err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM "+tbl).Scan(&n); err != nil || n != 0 {
					t.Fatalf("rows after the logout: %d, %v; want 0", n, err)
				}
			}
		})
	}
}

// TestPurge: Purge deletes, in batches, the rows of sessions past their
// end, idle ones and reuse tombstones past their minute, and nothing
// live.
func TestPurge(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	s := newStore(t, clock.Now, 0)
	auth := newAuthClock(t, s, clock, func(c *paseto.Config) {
		c.SessionLifetime = time.Hour
		c.RefreshLifetime = time.Hour
	})
	idle := newAuthClock(t, s, clock, func(c *paseto.Config) {
		c.IdleTimeout = 10 * time.Minute
		c.GracePeriod = 0
	})
	for i := range 5 {
		p, err := auth.Login(ctx, "short", paseto.LoginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 { // keeps its successor for the 10s grace window
			if _, err := auth.Refresh(ctx, p.RefreshToken); err != nil {
				t.Fatal(err)
			}
		}
	}
	kept := func() (n int) {
		if err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM "+prefixOf(s)+"sessions WHERE wrapped <> ''").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := idle.Login(ctx, "idle", paseto.LoginOptions{}); err != nil {
		t.Fatal(err)
	}
	reused, err := idle.Login(ctx, "reused", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := idle.Refresh(ctx, reused.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := idle.Refresh(ctx, reused.RefreshToken); !errors.Is(err, paseto.ErrRefreshReused) {
		t.Fatalf("replay: %v, want reuse", err)
	}
	keep, err := idle.Login(ctx, "keep", paseto.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		if err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM "+prefixOf(s)+"sessions").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n, err := s.Purge(ctx, 2); err != nil || n != 0 || count() != 8 || kept() != 1 {
		t.Fatalf("Purge before anything ended: %d, %v, %d rows left", n, err, count())
	}
	clock.Advance(2 * time.Minute) // the tombstone's minute is over
	if n, err := s.Purge(ctx, 2); err != nil || n != 1 || kept() != 0 {
		t.Fatalf("Purge of the tombstone: %d, %v; %d successors kept past their window", n, err, kept())
	}
	keep, err = idle.Refresh(ctx, keep.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(9 * time.Minute) // "idle" is idle; "keep" is kept alive:
	if _, err := idle.Refresh(ctx, keep.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Purge(ctx, 2); err != nil || n != 1 {
		t.Fatalf("Purge of the idle session: %d, %v", n, err)
	}
	clock.Advance(time.Hour)
	// The five sessions are past their end, "keep" is idle.
	if n, err := s.Purge(ctx, 2); err != nil || n != 6 || count() != 0 {
		t.Fatalf("Purge of six ended sessions, two at a time: %d, %v, %d rows left", n, err, count())
	}
	if _, err := s.Purge(ctx, -1); err == nil {
		t.Fatal("Purge with a negative batch")
	}
}

// newAuth returns an Auth on store with a fresh key pair, the real clock
// and a grace period of 10s, tweaked by tweak.
func newAuth(tb testing.TB, store paseto.Store, tweak func(*paseto.Config)) *paseto.Auth {
	tb.Helper()
	return newAuthKeys(tb, store, paseto.GenerateSymmetricKey(), paseto.GenerateSymmetricKey(), time.Now, tweak)
}

func newAuthClock(tb testing.TB, store paseto.Store, clock *storetest.Clock, tweak func(*paseto.Config)) *paseto.Auth {
	tb.Helper()
	return newAuthKeys(tb, store, paseto.GenerateSymmetricKey(), paseto.GenerateSymmetricKey(), clock.Now, tweak)
}

func newAuthKeys(tb testing.TB, store paseto.Store, ak, rk paseto.SymmetricKey, now func() time.Time, tweak func(*paseto.Config)) *paseto.Auth {
	tb.Helper()
	access, err := paseto.NewLocalKeyRing(ak)
	if err != nil {
		tb.Fatal(err)
	}
	refresh, err := paseto.NewLocalKeyRing(rk)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := paseto.Config{
		AccessKeys: access, RefreshKeys: refresh, Store: store, Clock: now,
		GracePeriod: 10 * time.Second, Logger: quietLogger(),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	a, err := paseto.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestJanitor: Janitor purges on its ticker and returns when its context
// ends.
func TestJanitor(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	s := newStore(t, clock.Now, 0)
	auth := newAuthClock(t, s, clock, func(c *paseto.Config) {
		c.SessionLifetime = time.Hour
		c.RefreshLifetime = time.Hour
	})
	for range 3 {
		if _, err := auth.Login(ctx, "alice", paseto.LoginOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(2 * time.Hour)
	jctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Janitor(jctx, 10*time.Millisecond, 2, func(err error) { t.Errorf("janitor: %v", err) })
	}()
	for i := 0; ; i++ {
		var n int
		if err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM "+prefixOf(s)+"sessions").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if i == 500 {
			t.Fatalf("%d rows left 10s after the janitor started", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Janitor has not returned 10s after its context ended")
	}
}
