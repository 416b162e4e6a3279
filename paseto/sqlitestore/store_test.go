package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/sqlitestore"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

// tempDB is a fresh database file in t's temporary directory.
func tempDB(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "sessions.db")
}

// openStore opens the store on path, migrated, closed at the end of t.
func openStore(t testing.TB, path string, now func() time.Time) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(path, sqlitestore.Config{Clock: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// harness runs storetest on a fresh file per store; Twin opens a second
// Store on the same file, as a second process would, and Keys/Forget
// list and delete single rows.
func harness() storetest.Harness {
	paths := map[*sqlitestore.Store]string{}
	clocks := map[*sqlitestore.Store]func() time.Time{}
	return storetest.Harness{
		New: func(t *testing.T, now func() time.Time) paseto.Store {
			path := tempDB(t)
			s := openStore(t, path, now)
			paths[s], clocks[s] = path, now
			return s
		},
		Twin: func(t *testing.T, s paseto.Store) paseto.Store {
			st := s.(*sqlitestore.Store)
			return openStore(t, paths[st], clocks[st])
		},
		Keys: func(t *testing.T, s paseto.Store) []string {
			return rowKeys(t, s.(*sqlitestore.Store))
		},
		Forget: func(t *testing.T, s paseto.Store, key string) {
			forgetRow(t, s.(*sqlitestore.Store), key)
		},
	}
}

func TestStoreConformance(t *testing.T) {
	storetest.Run(t, harness())
}
