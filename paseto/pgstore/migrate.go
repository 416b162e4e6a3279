package pgstore

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// schemaSQL is the store's schema: tables, indexes and the functions that
// do every write. Its names start with "pasetoauth_", which Schema and
// Migrate replace with Config.Prefix.
//
//go:embed schema.sql
var schemaSQL string

// Schema returns the SQL that Migrate runs, with the store's prefix, for a
// database administrator who applies schemas by hand or through a
// migration tool. Running it twice changes nothing.
func (s *Store) Schema() string {
	return strings.ReplaceAll(schemaSQL, "pasetoauth_", s.prefix)
}

// Migrate creates the store's tables, indexes and functions, or brings them
// up to date (see Schema). It is idempotent, and safe to run from several
// instances at once: it runs in one transaction under an advisory lock,
// so they wait for each other. Nothing calls it implicitly: run it once at
// deployment, or at start-up if the application chooses to. It needs the
// CREATE privilege on the first schema of the search_path; the store
// itself afterwards needs only SELECT, INSERT, UPDATE and DELETE on the
// table and EXECUTE on the functions (the default for functions).
//
// Migrate is bounded by ctx only (it is not a request): give it a deadline.
func (s *Store) Migrate(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "pasetoauth migrate "+s.prefix); err != nil {
			return err
		}
		// No arguments: the simple protocol, which runs every statement of
		// the file.
		_, err := tx.Exec(ctx, s.Schema())
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	return nil
}
