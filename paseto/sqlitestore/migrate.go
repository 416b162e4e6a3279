package sqlitestore

import (
	"context"
	"database/sql"
	_ "embed" // the schema
	"fmt"
)

// Schema is the SQL that Migrate runs: the store's tables and indexes,
// each created only if it does not exist. It is also in the repository
// as paseto/sqlitestore/schema.sql, for those who apply schemas with
// their own tools.
//
//go:embed schema.sql
var Schema string

// SchemaVersion is the version of Schema, recorded in the table
// pasetoauth_schema.
const SchemaVersion = 1

// Migrate creates the store's tables and indexes, in one transaction,
// unless they exist: it is idempotent, and safe to run at every start-up
// or from several processes at once. Nothing else creates them; until it
// has run, every call fails (503) with an error that says so. It refuses
// a database whose schema is newer than this version of the store knows.
func (s *Store) Migrate(ctx context.Context) error {
	var version int
	err := s.write(ctx, "migrate", func(ctx context.Context, c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, Schema); err != nil {
			return err
		}
		return c.QueryRowContext(ctx, "SELECT max(version) FROM pasetoauth_schema").Scan(&version)
	})
	if err != nil {
		return err
	}
	if version != SchemaVersion {
		return fmt.Errorf("sqlitestore: the database's schema is version %d; this store knows version %d", version, SchemaVersion)
	}
	return nil
}
