package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/internal/unixnano"
)

// Session management: listing a subject's sessions, ending one, ending the
// others, ending all of them. Each is one statement through the index on
// subject (one round trip), never a scan of the table.

// ListSessions implements paseto.Store: one query through the index on
// subject, at a cost in proportion to the subject's rows (its sessions,
// and those that ended but have not been purged yet). A session is listed
// exactly when SessionLive would accept it.
func (s *Store) ListSessions(ctx context.Context, subject string, now time.Time) ([]paseto.SessionInfo, error) {
	n, err := unixnano.From(now)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, s.q.list, subject, n)
	if err != nil {
		return nil, s.fail("list sessions", err)
	}
	var (
		out []paseto.SessionInfo
		r   row
	)
	_, err = pgx.ForEachRow(rows, []any{&r.sid, &r.current, &r.createdAt, &r.lastUsed, &r.expiresAt, &r.idle,
		&r.userAgent, &r.ip, &r.label}, func() error {
		if err := r.check(); err != nil {
			return err
		}
		if !r.liveAt(n) {
			return nil
		}
		end := r.expiresAt
		if r.idle > 0 {
			end = min(end, unixnano.AddSat(r.lastUsed, r.idle))
		}
		out = append(out, paseto.SessionInfo{
			ID: r.sid, CreatedAt: time.Unix(0, r.createdAt).UTC(), LastUsedAt: time.Unix(0, r.lastUsed).UTC(),
			ExpiresAt: time.Unix(0, end).UTC(),
			Device:    paseto.Device{UserAgent: r.userAgent, IP: r.ip, Label: r.label},
		})
		return nil
	})
	if err != nil {
		return nil, s.fail("list sessions", err)
	}
	return out, nil
}

// RevokeSession implements paseto.Store: the session's row is deleted
// (a reuse tombstone is left until Purge), in one function call. A
// session of another subject is left as it is.
func (s *Store) RevokeSession(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	n, err := unixnano.From(now)
	if err != nil {
		return false, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	deadline, err := writeDeadline(ctx)
	if err != nil {
		return false, s.fail("revoke session", err)
	}
	var live bool
	if err := s.pool.QueryRow(ctx, s.q.revoke, sid, subject, n, deadline).Scan(&live); err != nil {
		return false, s.fail("revoke session", err)
	}
	return live, nil
}

// RevokeOtherSessions implements paseto.Store: every row of the subject
// but keep (and reuse tombstones) is deleted, atomically, in one function
// call; the IDs of the sessions that were live at now are returned.
func (s *Store) RevokeOtherSessions(ctx context.Context, subject, keep string, now time.Time) ([]string, error) {
	n, err := unixnano.From(now)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	deadline, err := writeDeadline(ctx)
	if err != nil {
		return nil, s.fail("revoke other sessions", err)
	}
	var ended []string
	if err := s.pool.QueryRow(ctx, s.q.revokeOthers, subject, keep, n, deadline).Scan(&ended); err != nil {
		return nil, s.fail("revoke other sessions", err)
	}
	if len(ended) == 0 {
		ended = nil
	}
	return ended, nil
}

// RevokeSubject implements paseto.Store: every row of the subject, reuse
// tombstones included, is deleted in one function call. A SQL database
// loses no row it has acknowledged, so deleting the rows the index finds
// ends every session of the subject; a session created after the call
// returns is live.
func (s *Store) RevokeSubject(ctx context.Context, subject string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	deadline, err := writeDeadline(ctx)
	if err != nil {
		return s.fail("revoke subject", err)
	}
	if _, err := s.pool.Exec(ctx, s.q.revokeSubject, subject, deadline); err != nil {
		return s.fail("revoke subject", err)
	}
	return nil
}
