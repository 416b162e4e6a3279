package sqlitestore

import (
	"context"
	"testing"
)

// OpenWithPragmas is Open with extra PRAGMAs on every connection, such as
// query_only(1) to make the database read-only.
var OpenWithPragmas = open

// Exec runs statements on the writer connection, outside the store's
// rules: the tests damage rows with it.
func (s *Store) Exec(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := s.w.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatal(err)
	}
}

// SIDs lists the sessions' rows.
func (s *Store) SIDs(t testing.TB) []string {
	t.Helper()
	rows, err := s.w.QueryContext(context.Background(), "SELECT sid FROM pasetoauth_sessions ORDER BY sid")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var sid string
		if err := rows.Scan(&sid); err != nil {
			t.Fatal(err)
		}
		out = append(out, sid)
	}
	return out
}

// Count counts the sessions' rows where cond holds.
func (s *Store) Count(t testing.TB, cond string) int {
	t.Helper()
	var n int
	if err := s.w.QueryRowContext(context.Background(), "SELECT count(*) FROM pasetoauth_sessions WHERE "+cond).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
