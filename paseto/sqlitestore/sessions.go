package sqlitestore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/internal/unixnano"
)

// Session management: listing a subject's sessions and the revocations.
// Every revocation deletes rows (or, for a session revoked for reuse,
// leaves its revoked row to expire): a row that is gone is a session that
// is not live, so no revocation depends on what a damaged row holds.

// ListSessions implements paseto.Store with one read, through the subject
// index, on a read connection: it waits for no writer and writes nothing.
// A row of the subject that this store could not have written is an error
// wrapping paseto.ErrStoreCorrupt, as SessionLive answers for it.
func (s *Store) ListSessions(ctx context.Context, subject string, now time.Time) ([]paseto.SessionInfo, error) {
	n, err := unixnano.From(now)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	stmt, err := s.list.get(ctx, s.r)
	if err != nil {
		return nil, s.fail("list sessions", err)
	}
	rows, err := stmt.QueryContext(ctx, subject)
	if err != nil {
		return nil, s.fail("list sessions", err)
	}
	defer rows.Close()
	var list []paseto.SessionInfo
	for rows.Next() {
		x, err := scanRow(rows)
		if err != nil {
			return nil, s.fail("list sessions", err)
		}
		if x.subject == subject && x.liveAt(n) {
			list = append(list, x.info())
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("list sessions", err)
	}
	return list, nil
}

// RevokeSession implements paseto.Store: the session's row is deleted in
// one write transaction, whatever it holds, unless it belongs to another
// subject (left as it is, false) or is already revoked for reuse (left to
// expire, false). ended reports whether it was live at now.
func (s *Store) RevokeSession(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	n, err := unixnano.From(now)
	if err != nil {
		return false, err
	}
	ended := false
	err = s.write(ctx, "revoke session", func(ctx context.Context, c *sql.Conn) error {
		x, err := scanRow(c.QueryRowContext(ctx, "SELECT "+rowColumns+" FROM pasetoauth_sessions WHERE sid = ?", sid))
		var ce corruptError
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case errors.As(err, &ce):
			// Deleted below if it is subject's: no row, no session.
		case err != nil:
			return err
		case x.subject != subject || x.revoked == 1:
			return nil
		default:
			ended = x.liveAt(n)
		}
		_, err = c.ExecContext(ctx, "DELETE FROM pasetoauth_sessions WHERE sid = ? AND subject = ? AND revoked <> 1", sid, subject)
		return err
	})
	if err != nil {
		return false, err
	}
	return ended, nil
}

// RevokeOtherSessions implements paseto.Store: in one write transaction,
// it reads the subject's sessions through the subject index and deletes
// every row of the subject but keep's (and but those already revoked for
// reuse), whatever they hold. It returns the IDs of those that were live
// at now.
func (s *Store) RevokeOtherSessions(ctx context.Context, subject, keep string, now time.Time) ([]string, error) {
	n, err := unixnano.From(now)
	if err != nil {
		return nil, err
	}
	var ended []string
	err = s.write(ctx, "revoke other sessions", func(ctx context.Context, c *sql.Conn) error {
		ended = ended[:0]
		rows, err := c.QueryContext(ctx, "SELECT "+rowColumns+" FROM pasetoauth_sessions WHERE subject = ? AND sid <> ?", subject, keep)
		if err != nil {
			return err
		}
		for rows.Next() {
			x, err := scanRow(rows)
			var ce corruptError
			switch {
			case errors.As(err, &ce):
			case err != nil:
				rows.Close()
				return err
			case x.subject == subject && x.liveAt(n):
				ended = append(ended, x.sid)
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		_, err = c.ExecContext(ctx, "DELETE FROM pasetoauth_sessions WHERE subject = ? AND sid <> ? AND revoked <> 1", subject, keep)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

// RevokeSubject implements paseto.Store: in one write transaction, every
// row of the subject is marked revoked, through the subject index, and
// due for deletion (which CreateSession does in small batches); a row
// already revoked is left as it is. A session created after it returns is
// live.
func (s *Store) RevokeSubject(ctx context.Context, subject string) error {
	now, err := unixnano.From(s.now())
	if err != nil {
		return err
	}
	return s.write(ctx, "revoke subject", func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `UPDATE pasetoauth_sessions SET revoked = 1, current = '', previous = '',
			wrapped = '', keep_until = 0, reused_by = '', forget_at = ? WHERE subject = ? AND revoked <> 1`, now, subject)
		return err
	})
}

// sortOldest orders sessions by CreatedAt, then ID, bytewise (as the
// other stores do).
func sortOldest(l []row) {
	slices.SortFunc(l, func(a, b row) int {
		if c := cmp.Compare(a.createdAt, b.createdAt); c != 0 {
			return c
		}
		return cmp.Compare(a.sid, b.sid)
	})
}
