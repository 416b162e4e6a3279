package pgstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

// The store called directly, for what paseto.Auth never shows: repeats
// of one call (a reply lost, the call sent again) and the late-write guard
// of every write function.

// TestRepeatedCallsAnswerTheSame: a repeated CreateSession succeeds and
// changes nothing, a repeated rotation answers Rotated, a repeated reuse
// detection answers Reused; a sid taken by another session is refused.
func TestRepeatedCallsAnswerTheSame(t *testing.T) {
	s := newStore(t, time.Now, 0)
	now := time.Now()
	rec := paseto.SessionRecord{ID: "sid-1", Subject: "alice", Current: "h1", CreatedAt: now, ExpiresAt: now.Add(time.Hour),
		Device: paseto.Device{Label: "laptop"}}
	for range 2 {
		if ended, err := s.CreateSession(ctx, rec); err != nil || ended != nil {
			t.Fatalf("CreateSession: %v, %v", ended, err)
		}
	}
	clash := rec
	clash.Current = "other"
	if _, err := s.CreateSession(ctx, clash); err == nil {
		t.Fatal("CreateSession over another session's sid succeeded")
	}
	rot := paseto.Rotation{Subject: "alice", Session: "sid-1", Presented: "h1", Successor: "h2", Now: now}
	for i := range 2 {
		if res, err := s.Rotate(ctx, rot); err != nil || res.Outcome != paseto.Rotated {
			t.Fatalf("rotation, call %d: %+v, %v", i+1, res, err)
		}
	}
	reuse := paseto.Rotation{Subject: "alice", Session: "sid-1", Presented: "h1", Successor: "h3", Now: now}
	for i := range 2 {
		if res, err := s.Rotate(ctx, reuse); err != nil || res.Outcome != paseto.Reused {
			t.Fatalf("reuse, call %d: %+v, %v", i+1, res, err)
		}
	}
	other := paseto.Rotation{Subject: "alice", Session: "sid-1", Presented: "h2", Successor: "h4", Now: now}
	if _, err := s.Rotate(ctx, other); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("rotation of a session revoked for reuse: %v, want ErrRevoked", err)
	}
	if live, err := s.SessionLive(ctx, "alice", "sid-1", now); err != nil || live {
		t.Fatalf("SessionLive after reuse: %v, %v", live, err)
	}
	// Another subject's session is neither live for, nor revocable by, bob.
	rec2 := paseto.SessionRecord{ID: "sid-2", Subject: "alice", Current: "g1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if _, err := s.CreateSession(ctx, rec2); err != nil {
		t.Fatal(err)
	}
	if live, err := s.SessionLive(ctx, "bob", "sid-2", now); err != nil || live {
		t.Fatalf("SessionLive for another subject: %v, %v", live, err)
	}
	if ended, err := s.RevokeSession(ctx, "bob", "sid-2", now); err != nil || ended {
		t.Fatalf("RevokeSession by another subject: %v, %v", ended, err)
	}
	if ended, err := s.RevokeSession(ctx, "alice", "sid-2", now); err != nil || !ended {
		t.Fatalf("RevokeSession: %v, %v", ended, err)
	}
	if ended, err := s.RevokeSession(ctx, "alice", "sid-2", now); err != nil || ended {
		t.Fatalf("RevokeSession again: %v, %v", ended, err)
	}
}

// TestWriteFunctionsRefuseLateCalls: each write function, called with a
// deadline the server's clock has passed, raises PA001 and writes nothing.
func TestWriteFunctionsRefuseLateCalls(t *testing.T) {
	s := newStore(t, time.Now, 0)
	p := prefixOf(s)
	now := time.Now()
	if _, err := s.CreateSession(ctx, paseto.SessionRecord{ID: "sid-1", Subject: "alice", Current: "h1",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	n := now.UnixNano()
	past := time.Now().Add(-time.Millisecond)
	for _, tc := range []struct {
		name, sql string
		args      []any
	}{
		{"create", "SELECT * FROM " + p + "create($1, 'alice', 'x', $2, $3, 0, $3, '', '', '', $2, 0, false, $4)",
			[]any{"sid-2", n, n + int64(time.Hour), past}},
		{"create at a cap", "SELECT * FROM " + p + "create($1, 'alice', 'x', $2, $3, 0, $3, '', '', '', $2, 1, false, $4)",
			[]any{"sid-2", n, n + int64(time.Hour), past}},
		{"rotate", "SELECT * FROM " + p + "rotate('sid-1', 'alice', 'h1', 'h2', '', $1, 0, $1, $2)", []any{n, past}},
		{"revoke", "SELECT * FROM " + p + "revoke('sid-1', 'alice', $1, $2)", []any{n, past}},
		{"revoke others", "SELECT * FROM " + p + "revoke_others('alice', '', $1, $2)", []any{n, past}},
		{"revoke subject", "SELECT " + p + "revoke_subject('alice', $1)", []any{past}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Pool().Exec(ctx, tc.sql, tc.args...)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "PA001" {
				t.Fatalf("%v, want SQLSTATE PA001", err)
			}
			var rows int
			var cur string
			if err := s.Pool().QueryRow(ctx, "SELECT count(*), max(current_hash) FROM "+p+"sessions").Scan(&rows, &cur); err != nil {
				t.Fatal(err)
			}
			if rows != 1 || cur != "h1" {
				t.Fatalf("the late call wrote: %d rows, current %q", rows, cur)
			}
		})
	}
	if live, err := s.SessionLive(ctx, "alice", "sid-1", now); err != nil || !live {
		t.Fatalf("SessionLive: %v, %v", live, err)
	}
}

// TestPurgeRacingARetryIsNoReuse: Purge, on a host whose clock is ahead
// (or simply run just as a grace window closes), clears a kept successor
// while a retry whose instant is still inside the window is on its way.
// The retry finds nothing to hand out: it is denied, and the session is
// not revoked for a reuse that did not happen (as redisstore answers when
// the kept successor was evicted).
func TestPurgeRacingARetryIsNoReuse(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clock := storetest.NewClock(start)
	s := newStore(t, clock.Now, 0)
	rec := paseto.SessionRecord{ID: "sid-1", Subject: "alice", Current: "h1", CreatedAt: start, ExpiresAt: start.Add(time.Hour)}
	if _, err := s.CreateSession(ctx, rec); err != nil {
		t.Fatal(err)
	}
	const grace = 10 * time.Second
	rot := paseto.Rotation{Subject: "alice", Session: "sid-1", Presented: "h1", Successor: "h2",
		WrappedSuccessor: "w2", Grace: grace, Now: start}
	if res, err := s.Rotate(ctx, rot); err != nil || res.Outcome != paseto.Rotated {
		t.Fatalf("rotation: %+v, %v", res, err)
	}
	clock.Advance(grace + time.Second) // the janitor's clock: the window is over
	if _, err := s.Purge(ctx, 0); err != nil {
		t.Fatal(err)
	}
	retry := rot
	retry.Successor, retry.WrappedSuccessor, retry.Now = "h3", "w3", start.Add(grace/2)
	res, err := s.Rotate(ctx, retry)
	if res.Outcome == paseto.Reused || !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("retry inside the window after its successor was purged: %+v, %v; want ErrRevoked, no reuse", res, err)
	}
	if live, err := s.SessionLive(ctx, "alice", "sid-1", start.Add(grace/2)); err != nil || !live {
		t.Fatalf("session after the denied retry: live %v, %v; want live", live, err)
	}
	next := paseto.Rotation{Subject: "alice", Session: "sid-1", Presented: "h2", Successor: "h4", Now: start.Add(grace / 2)}
	if res, err := s.Rotate(ctx, next); err != nil || res.Outcome != paseto.Rotated {
		t.Fatalf("rotation of the current token after the denied retry: %+v, %v", res, err)
	}
}
