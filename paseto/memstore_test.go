package paseto_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

var memT0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T, now func() time.Time) paseto.Store {
			return paseto.NewMemoryStore(paseto.MemoryStoreConfig{Clock: now})
		},
		// Two Auths over one MemoryStore stand for two goroutine pools in
		// one process.
		Twin: func(t *testing.T, s paseto.Store) paseto.Store { return s },
		Keys: func(t *testing.T, s paseto.Store) []string {
			return paseto.MemoryStoreKeys(s.(*paseto.MemoryStore))
		},
		Forget: func(t *testing.T, s paseto.Store, key string) {
			paseto.MemoryStoreForget(s.(*paseto.MemoryStore), key)
		},
	})
}

// memEnv is a MemoryStore on a fake clock and an Auth over it.
type memEnv struct {
	clock *storetest.Clock
	store *paseto.MemoryStore
	auth  *paseto.Auth
}

func newMemEnv(t *testing.T, opts paseto.MemoryStoreConfig, tweak func(*paseto.Config)) *memEnv {
	t.Helper()
	e := &memEnv{clock: storetest.NewClock(memT0)}
	opts.Clock = e.clock.Now
	e.store = paseto.NewMemoryStore(opts)
	access, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	cfg := paseto.Config{
		AccessKeys: access, RefreshKeys: refresh, Store: e.store, Clock: e.clock.Now,
		Logger: slog.New(slog.DiscardHandler),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	if e.auth, err = paseto.New(cfg); err != nil {
		t.Fatal(err)
	}
	return e
}

// create starts session sid of subject, ending after lifetime.
func (e *memEnv) create(t *testing.T, sid, subject string, lifetime, idle time.Duration) {
	t.Helper()
	now := e.clock.Now()
	_, err := e.store.CreateSession(context.Background(), paseto.SessionRecord{
		ID: sid, Subject: subject, Current: "h0-" + sid, CreatedAt: now, ExpiresAt: now.Add(lifetime), IdleTimeout: idle,
	})
	if err != nil {
		t.Fatalf("CreateSession(%s): %v", sid, err)
	}
}

func (e *memEnv) live(t *testing.T, subject, sid string) bool {
	t.Helper()
	live, err := e.store.SessionLive(context.Background(), subject, sid, e.clock.Now())
	if err != nil {
		t.Fatalf("SessionLive: %v", err)
	}
	return live
}

// held reports whether the store holds the record key, after the
// housekeeping due at the clock's time has run.
func (e *memEnv) held(key string) bool {
	paseto.MemoryStoreExpireAll(e.store)
	return slices.Contains(paseto.MemoryStoreKeys(e.store), key)
}

// advanceTo moves the clock to memT0+d.
func (e *memEnv) advanceTo(t *testing.T, d time.Duration) {
	t.Helper()
	step := memT0.Add(d).Sub(e.clock.Now())
	if step < 0 {
		t.Fatalf("clock cannot go back to T0+%v", d)
	}
	e.clock.Advance(step)
}

// TestMemoryStoreFullRefusesOnlyLogin: a full store answers login with 503
// (ErrStoreFull), but every kind of revocation still succeeds and takes
// effect at once, refreshes of the sessions left still work, and a revoked
// session gives its room back once its tombstone ends.
func TestMemoryStoreFullRefusesOnlyLogin(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// revoke ends p's session (and, for a subject, other's), returning
		// the refresh token that must now fail.
		revoke func(t *testing.T, e *memEnv, p *paseto.TokenPair) string
		// otherLive: the second session of the subject survives.
		otherLive bool
		// freesAtOnce: the revocation frees the session's room at once
		// (no tombstone).
		freesAtOnce bool
	}{
		{"logout", func(t *testing.T, e *memEnv, p *paseto.TokenPair) string {
			c, err := e.auth.VerifyAccess(ctx, p.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.auth.Logout(ctx, c); err != nil {
				t.Fatalf("Logout on a full store: %v", err)
			}
			return p.RefreshToken
		}, true, true},
		{"revoke subject", func(t *testing.T, e *memEnv, p *paseto.TokenPair) string {
			if err := e.auth.RevokeSubject(ctx, "alice"); err != nil {
				t.Fatalf("RevokeSubject on a full store: %v", err)
			}
			return p.RefreshToken
		}, false, true},
		{"reuse detected", func(t *testing.T, e *memEnv, p *paseto.TokenPair) string {
			next, err := e.auth.Refresh(ctx, p.RefreshToken)
			if err != nil {
				t.Fatalf("Refresh on a full store: %v", err)
			}
			if _, err := e.auth.Refresh(ctx, p.RefreshToken); !errors.Is(err, paseto.ErrRefreshReused) {
				t.Fatalf("replayed refresh token: got %v, want ErrRefreshReused", err)
			}
			return next.RefreshToken
		}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newMemEnv(t, paseto.MemoryStoreConfig{MaxEntries: 8}, nil)
			p, err := e.auth.Login(ctx, "alice", paseto.LoginOptions{})
			if err != nil {
				t.Fatal(err)
			}
			other, err := e.auth.Login(ctx, "alice", paseto.LoginOptions{})
			if err != nil {
				t.Fatal(err)
			}
			full := 0
			for i := range 10 {
				_, err := e.auth.Login(ctx, fmt.Sprintf("user-%d", i), paseto.LoginOptions{})
				if err != nil {
					if !errors.Is(err, paseto.ErrStoreFull) || !errors.Is(err, paseto.ErrStoreUnavailable) {
						t.Fatalf("login on a full store: got %v, want ErrStoreUnavailable wrapping ErrStoreFull", err)
					}
					full++
				}
			}
			if full == 0 || e.store.Len() > 8 {
				t.Fatalf("%d logins refused, Len %d: the store is not bounded", full, e.store.Len())
			}

			dead := tc.revoke(t, e, p)
			if _, err := e.auth.Refresh(ctx, dead); !errors.Is(err, paseto.ErrRevoked) {
				t.Fatalf("refresh after revocation: got %v, want ErrRevoked", err)
			}
			if _, err := e.auth.VerifyAccess(ctx, p.AccessToken); !errors.Is(err, paseto.ErrRevoked) {
				t.Fatalf("access token after revocation: got %v, want ErrRevoked", err)
			}
			_, err = e.auth.VerifyAccess(ctx, other.AccessToken)
			if tc.otherLive != (err == nil) {
				t.Fatalf("the subject's other session: access error %v, want live %v", err, tc.otherLive)
			}
			if tc.otherLive {
				if _, err := e.auth.Refresh(ctx, other.RefreshToken); err != nil {
					t.Fatalf("refresh of a live session on a full store: %v", err)
				}
			} else if _, err := e.auth.Refresh(ctx, other.RefreshToken); !errors.Is(err, paseto.ErrRevoked) {
				t.Fatalf("refresh of the subject's other session: got %v, want ErrRevoked", err)
			}
			if tc.freesAtOnce {
				// Logout and "log out everywhere" remove the sessions at
				// once: their room is free.
				if _, err := e.auth.Login(ctx, "bob", paseto.LoginOptions{}); err != nil {
					t.Fatalf("login after a logout freed room: %v", err)
				}
				if err := paseto.MemoryStoreCheck(e.store); err != nil {
					t.Fatal(err)
				}
				return
			}
			if _, err := e.auth.Login(ctx, "bob", paseto.LoginOptions{}); !errors.Is(err, paseto.ErrStoreFull) {
				t.Fatalf("login while the tombstones hold the room: got %v, want ErrStoreFull", err)
			}
			// The revoked records are kept only for their tombstone.
			e.clock.Advance(time.Minute)
			if _, err := e.auth.Login(ctx, "bob", paseto.LoginOptions{}); err != nil {
				t.Fatalf("login once the tombstones ended: %v", err)
			}
			if err := paseto.MemoryStoreCheck(e.store); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMemoryStoreForgetsOnTime: each kind of record goes exactly when it
// can no longer matter, not before, and nothing is kept for a revoked
// session's whole lifetime.
func TestMemoryStoreForgetsOnTime(t *testing.T) {
	ctx := context.Background()
	const day = 24 * time.Hour
	type check struct {
		at   time.Duration // since memT0
		held bool
	}
	tests := []struct {
		name string
		// prepare writes the records and returns the key to watch; it may
		// move the clock up to the first check.
		prepare func(t *testing.T, e *memEnv) string
		checks  []check
	}{
		{"live session at its absolute end", func(t *testing.T, e *memEnv) string {
			e.create(t, "s1", "alice", time.Hour, 0)
			return "session/s1"
		}, []check{{time.Hour - 1, true}, {time.Hour, false}}},
		{"subject at the end of its last session", func(t *testing.T, e *memEnv) string {
			e.create(t, "s1", "alice", time.Hour, 0)
			e.create(t, "s2", "alice", 2*time.Hour, 0)
			return "subject/alice"
		}, []check{{time.Hour, true}, {2*time.Hour - 1, true}, {2 * time.Hour, false}}},
		{"idle session after its idle timeout", func(t *testing.T, e *memEnv) string {
			e.create(t, "s1", "alice", 30*day, 10*time.Minute)
			return "session/s1"
		}, []check{{10 * time.Minute, true}, {10*time.Minute + 1, false}}},
		{"refreshed session outlives its first idle deadline", func(t *testing.T, e *memEnv) string {
			e.create(t, "s1", "alice", 30*day, 10*time.Minute)
			e.clock.Advance(5 * time.Minute)
			rotate(t, e, paseto.Rotation{Subject: "alice", Session: "s1", Presented: "h0-s1", Successor: "h1"}, paseto.Rotated)
			return "session/s1"
		}, []check{{10*time.Minute + 1, true}, {15 * time.Minute, true}, {15*time.Minute + 1, false}}},
		{"logged-out session at once", func(t *testing.T, e *memEnv) string {
			e.create(t, "s1", "alice", 30*day, 0)
			e.clock.Advance(time.Hour)
			if _, err := e.store.RevokeSession(ctx, "alice", "s1", e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(30 * time.Second)
			// A second logout finds nothing and changes nothing.
			if ended, err := e.store.RevokeSession(ctx, "alice", "s1", e.clock.Now()); err != nil || ended {
				t.Fatalf("second logout: ended %v, %v", ended, err)
			}
			return "session/s1"
		}, []check{{time.Hour + 30*time.Second, false}}},
		{"reuse-revoked session after its tombstone", func(t *testing.T, e *memEnv) string {
			e.create(t, "s1", "alice", 30*day, 0)
			e.clock.Advance(time.Hour)
			rotate(t, e, paseto.Rotation{Subject: "alice", Session: "s1", Presented: "h0-s1", Successor: "h1"}, paseto.Rotated)
			reuse := paseto.Rotation{Subject: "alice", Session: "s1", Presented: "h0-s1", Successor: "h2"}
			rotate(t, e, reuse, paseto.Reused)
			e.clock.Advance(time.Minute - 1)
			rotate(t, e, reuse, paseto.Reused) // a repeat still learns why
			return "session/s1"
		}, []check{{time.Hour + time.Minute - 1, true}, {time.Hour + time.Minute, false}}},
		{"subject-revoked session at once", func(t *testing.T, e *memEnv) string {
			e.create(t, "s1", "alice", 30*day, 0)
			e.create(t, "s2", "alice", 30*day, 0)
			e.clock.Advance(time.Hour)
			if err := e.store.RevokeSubject(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			_, err := e.store.Rotate(ctx, paseto.Rotation{Subject: "alice", Session: "s1", Presented: "h0-s1", Successor: "h1", Now: e.clock.Now()})
			if !errors.Is(err, paseto.ErrRevoked) {
				t.Fatalf("Rotate after RevokeSubject: %v", err)
			}
			if e.held("session/s2") {
				t.Fatal("session/s2 held after RevokeSubject")
			}
			return "session/s1"
		}, []check{{time.Hour, false}}},
		{"session revoked near its end", func(t *testing.T, e *memEnv) string {
			e.create(t, "s1", "alice", time.Hour, 0)
			e.clock.Advance(time.Hour - 10*time.Second)
			if _, err := e.store.RevokeSession(ctx, "alice", "s1", e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			return "session/s1"
		}, []check{{time.Hour - 10*time.Second, false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newMemEnv(t, paseto.MemoryStoreConfig{}, nil)
			key := tc.prepare(t, e)
			for _, c := range tc.checks {
				e.advanceTo(t, c.at)
				if got := e.held(key); got != c.held {
					t.Fatalf("at T0+%v: %s held %v, want %v", c.at, key, got, c.held)
				}
			}
			if err := paseto.MemoryStoreCheck(e.store); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func rotate(t *testing.T, e *memEnv, r paseto.Rotation, want paseto.RotationOutcome) paseto.RotationResult {
	t.Helper()
	r.Now = e.clock.Now()
	res, err := e.store.Rotate(context.Background(), r)
	if err != nil || res.Outcome != want {
		t.Fatalf("Rotate(%s -> %s): got %v, %v; want outcome %v", r.Presented, r.Successor, res.Outcome, err, want)
	}
	return res
}

// TestMemoryStoreSuccessorKeptForGraceOnly: the wrapped successor is held
// for the grace window and dropped right after; a retry is Retried only
// while it is held.
func TestMemoryStoreSuccessorKeptForGraceOnly(t *testing.T) {
	const grace = 10 * time.Second
	tests := []struct {
		name  string
		after time.Duration // from the rotation to the retry
		want  paseto.RotationOutcome
	}{
		{"at once", 0, paseto.Retried},
		{"at the window's edge", grace, paseto.Retried},
		{"just past the window", grace + 1, paseto.Reused},
		{"long after", time.Hour, paseto.Reused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newMemEnv(t, paseto.MemoryStoreConfig{}, nil)
			e.create(t, "s1", "alice", 24*time.Hour, 0)
			rot := paseto.Rotation{Subject: "alice", Session: "s1", Presented: "h0-s1", Successor: "h1", WrappedSuccessor: "w1", Grace: grace}
			rotate(t, e, rot, paseto.Rotated)
			e.clock.Advance(tc.after)
			paseto.MemoryStoreExpireAll(e.store)
			if kept := paseto.MemoryStoreKeepsSuccessor(e.store, "s1"); kept != (tc.want == paseto.Retried) {
				t.Fatalf("successor kept %v after %v", kept, tc.after)
			}
			retry := rot
			retry.Successor = "h1-retry"
			res := rotate(t, e, retry, tc.want)
			if tc.want == paseto.Retried && res.WrappedSuccessor != "w1" {
				t.Fatalf("retry got successor %q", res.WrappedSuccessor)
			}
		})
	}
	t.Run("not kept without grace", func(t *testing.T) {
		e := newMemEnv(t, paseto.MemoryStoreConfig{}, nil)
		e.create(t, "s1", "alice", 24*time.Hour, 0)
		rotate(t, e, paseto.Rotation{Subject: "alice", Session: "s1", Presented: "h0-s1", Successor: "h1", WrappedSuccessor: "w1"}, paseto.Rotated)
		if paseto.MemoryStoreKeepsSuccessor(e.store, "s1") {
			t.Fatal("successor kept with Grace 0")
		}
	})
}

// TestMemoryStoreRetryAfterItsSuccessorWasDropped: a retry whose own
// instant (Rotation.Now, taken as its request began) is inside the grace
// window reaches the store after another call, at the store's later clock,
// dropped the kept successor. Nothing is handed out, but a retry is no
// theft: it is denied and the session is not revoked for reuse.
func TestMemoryStoreRetryAfterItsSuccessorWasDropped(t *testing.T) {
	const grace = 10 * time.Second
	e := newMemEnv(t, paseto.MemoryStoreConfig{}, nil)
	e.create(t, "s1", "alice", 24*time.Hour, 0)
	rot := paseto.Rotation{Subject: "alice", Session: "s1", Presented: "h0-s1", Successor: "h1", WrappedSuccessor: "w1", Grace: grace}
	rotate(t, e, rot, paseto.Rotated)
	began := e.clock.Now().Add(grace / 2)
	e.clock.Advance(grace + time.Second)
	paseto.MemoryStoreExpireAll(e.store)
	retry := rot
	retry.Successor, retry.Now = "h1-retry", began
	res, err := e.store.Rotate(context.Background(), retry)
	if res.Outcome == paseto.Reused || !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("retry after its successor was dropped: %+v, %v; want ErrRevoked, no reuse", res, err)
	}
	next := paseto.Rotation{Subject: "alice", Session: "s1", Presented: "h1", Successor: "h2"}
	rotate(t, e, next, paseto.Rotated)
}

// TestMemoryStoreExpiresAsItGoes: ordinary writes remove ended records a
// few at a time, with no sweep and whatever subjects the logins are for.
func TestMemoryStoreExpiresAsItGoes(t *testing.T) {
	e := newMemEnv(t, paseto.MemoryStoreConfig{}, nil)
	const ending, writes = 2000, 3000
	for i := range ending {
		e.create(t, fmt.Sprintf("short-%d", i), fmt.Sprintf("user-%d", i), time.Minute, 0)
	}
	e.clock.Advance(2 * time.Minute)
	for i := range writes {
		e.create(t, fmt.Sprintf("long-%d", i), "busy", time.Hour, 0)
	}
	// What is left: the new sessions and their one subject.
	if got, want := e.store.Len(), writes+1; got != want {
		t.Fatalf("Len = %d after %d writes, want %d", got, writes, want)
	}
	if err := paseto.MemoryStoreCheck(e.store); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryStoreSessionLiveAllocs(t *testing.T) {
	e := newMemEnv(t, paseto.MemoryStoreConfig{}, nil)
	e.create(t, "s1", "alice", time.Hour, time.Hour)
	ctx, now := context.Background(), e.clock.Now()
	allocs := testing.AllocsPerRun(100, func() {
		if live, _ := e.store.SessionLive(ctx, "alice", "s1", now); !live {
			t.Fatal("session not live")
		}
	})
	if allocs != 0 {
		t.Fatalf("SessionLive allocates %v times per call", allocs)
	}
}

// TestMemoryStoreLostRecordIsDead: a record lost (here removed by hand)
// never brings a session back, and a new login works.
func TestMemoryStoreLostRecordIsDead(t *testing.T) {
	for _, key := range []string{"session/s1", "subject/alice"} {
		t.Run(key, func(t *testing.T) {
			e := newMemEnv(t, paseto.MemoryStoreConfig{}, nil)
			e.create(t, "s1", "alice", time.Hour, 0)
			paseto.MemoryStoreForget(e.store, key)
			if e.live(t, "alice", "s1") {
				t.Fatal("session live after losing " + key)
			}
			if err := e.store.RevokeSubject(context.Background(), "alice"); err != nil {
				t.Fatal(err)
			}
			e.create(t, "s2", "alice", time.Hour, 0)
			if e.live(t, "alice", "s1") || !e.live(t, "alice", "s2") {
				t.Fatal("after a new login: old session live or new one dead")
			}
			if err := paseto.MemoryStoreCheck(e.store); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMemoryStoreRemovedSubjectEndsSessions: once a subject's record is
// removed at its end, no session that pointed to it is live again, even
// asked about an earlier time (a caller's clock behind the store's).
func TestMemoryStoreRemovedSubjectEndsSessions(t *testing.T) {
	e := newMemEnv(t, paseto.MemoryStoreConfig{}, nil)
	e.create(t, "s1", "alice", time.Hour, 0)
	before := e.clock.Now().Add(30 * time.Minute)
	e.clock.Advance(time.Hour)
	e.create(t, "s2", "alice", time.Hour, 0) // removes alice's ended record on its way
	live, err := e.store.SessionLive(context.Background(), "alice", "s1", before)
	if err != nil || live {
		t.Fatalf("session of a removed subject record: live %v, %v", live, err)
	}
	if !e.live(t, "alice", "s2") {
		t.Fatal("new session dead")
	}
}

// TestMemoryStoreRevokeSubjectOrdersCreates: a session whose creation
// returned before RevokeSubject began is dead; one whose creation began
// after RevokeSubject returned is live.
func TestMemoryStoreRevokeSubjectOrdersCreates(t *testing.T) {
	e := newMemEnv(t, paseto.MemoryStoreConfig{}, nil)
	const rounds, creators, perCreator = 20, 4, 50
	for round := range rounds {
		var phase atomic.Int32 // 0 before RevokeSubject, 1 during, 2 after
		type made struct {
			sid        string
			before     bool // returned before RevokeSubject began
			afterwards bool // began after RevokeSubject returned
		}
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			all   []made
			start = make(chan struct{})
		)
		for c := range creators {
			wg.Go(func() {
				<-start
				for i := range perCreator {
					sid := fmt.Sprintf("r%d-c%d-%d", round, c, i)
					p0 := phase.Load()
					now := e.clock.Now()
					_, err := e.store.CreateSession(context.Background(), paseto.SessionRecord{
						ID: sid, Subject: "alice", Current: "h", CreatedAt: now, ExpiresAt: now.Add(time.Hour),
					})
					p1 := phase.Load()
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					all = append(all, made{sid, p1 == 0, p0 == 2})
					mu.Unlock()
				}
			})
		}
		close(start)
		for func() bool { mu.Lock(); defer mu.Unlock(); return len(all) < perCreator }() {
			runtime.Gosched() // let some creations finish first
		}
		phase.Store(1)
		if err := e.store.RevokeSubject(context.Background(), "alice"); err != nil {
			t.Fatal(err)
		}
		phase.Store(2)
		wg.Wait()
		for _, m := range all {
			live := e.live(t, "alice", m.sid)
			if m.before && live {
				t.Fatalf("round %d: %s, created before RevokeSubject, is live", round, m.sid)
			}
			if m.afterwards && !live {
				t.Fatalf("round %d: %s, created after RevokeSubject, is dead", round, m.sid)
			}
		}
	}
}

// TestMemoryStoreConcurrent runs every operation from several goroutines
// while the clock moves (run it with -race), then checks the store's
// invariants and that each goroutine saw its own writes.
func TestMemoryStoreConcurrent(t *testing.T) {
	e := newMemEnv(t, paseto.MemoryStoreConfig{MaxEntries: 600}, nil)
	ctx := context.Background()
	const workers, iterations = 8, 400
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			subject := fmt.Sprintf("user-%d", w%3) // shared by several workers
			for i := range iterations {
				sid := fmt.Sprintf("w%d-%d", w, i)
				now := e.clock.Now()
				_, err := e.store.CreateSession(ctx, paseto.SessionRecord{
					ID: sid, Subject: subject, Current: "a", CreatedAt: now,
					ExpiresAt: now.Add(time.Duration(1+i%5) * time.Second), IdleTimeout: time.Second,
				})
				if errors.Is(err, paseto.ErrStoreFull) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				switch i % 4 {
				case 0:
					_, err = e.store.Rotate(ctx, paseto.Rotation{Subject: subject, Session: sid, Presented: "a", Successor: "b", WrappedSuccessor: "w", Now: now, Grace: time.Second})
					if err == nil {
						_, err = e.store.Rotate(ctx, paseto.Rotation{Subject: subject, Session: sid, Presented: "a", Successor: "c", Now: now.Add(2 * time.Second), Grace: time.Second})
					}
				case 1:
					_, err = e.store.RevokeSession(ctx, subject, sid, e.clock.Now())
					if live, _ := e.store.SessionLive(ctx, subject, sid, now); err == nil && live {
						err = fmt.Errorf("%s live after RevokeSession", sid)
					}
				case 2:
					err = e.store.RevokeSubject(ctx, subject)
				}
				if err != nil && !errors.Is(err, paseto.ErrRevoked) && !errors.Is(err, paseto.ErrSessionExpired) {
					errs <- err
					return
				}
				_, _ = e.store.SessionLive(ctx, subject, fmt.Sprintf("w%d-%d", (w+1)%workers, i), now)
				e.clock.Advance(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := paseto.MemoryStoreCheck(e.store); err != nil {
		t.Fatal(err)
	}
	if n := e.store.Len(); n > 600 {
		t.Fatalf("Len %d over MaxEntries", n)
	}
	// Everything ends: once the clock passes every session's end, the
	// housekeeping leaves nothing behind.
	e.clock.Advance(time.Hour)
	paseto.MemoryStoreExpireAll(e.store)
	if n := e.store.Len(); n != 0 {
		t.Fatalf("Len %d after every session ended", n)
	}
}

// A subject's list of sessions stays in proportion to its live sessions:
// logins tidy it once it has doubled, so a user who logs in and out all
// day does not grow it, and listing costs what the live sessions cost.
func TestMemoryStoreSessionListStaysBounded(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	store := paseto.NewMemoryStore(paseto.MemoryStoreConfig{Clock: clock.Now})
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	a, err := paseto.New(paseto.Config{AccessKeys: access, RefreshKeys: refresh, Store: store, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	keep, _ := a.Login(ctx, "alice", paseto.LoginOptions{})
	most := 0
	for range 1000 {
		p, err := a.Login(ctx, "alice", paseto.LoginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Logout(ctx, p.Access); err != nil {
			t.Fatal(err)
		}
		most = max(most, paseto.MemoryStoreListed(store, "alice"))
	}
	if most > 16 {
		t.Fatalf("the list of 1 live session grew to %d entries", most)
	}
	if l, _ := a.ListSessions(ctx, "alice", ""); len(l) != 1 || l[0].ID != keep.Access.Session {
		t.Fatalf("listed %d sessions", len(l))
	}
}
