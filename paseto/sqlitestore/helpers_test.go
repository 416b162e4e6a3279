package sqlitestore_test

import (
	"log/slog"
	"testing"

	"github.com/pasetoauth/pasetoauth/paseto/sqlitestore"
)

// rowKeys names each row of s as a record for storetest's key-loss test.
func rowKeys(t *testing.T, s *sqlitestore.Store) []string {
	var keys []string
	for _, sid := range s.SIDs(t) {
		keys = append(keys, "session:"+sid)
	}
	return keys
}

func forgetRow(t *testing.T, s *sqlitestore.Store, key string) {
	s.Exec(t, "DELETE FROM pasetoauth_sessions WHERE 'session:' || sid = ?", key)
}

var quiet = slog.New(slog.DiscardHandler)
