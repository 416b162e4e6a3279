// Package pgstore is a paseto.Store on PostgreSQL (through
// github.com/jackc/pgx/v5), for applications whose source of truth is
// PostgreSQL already: sessions and revocations survive restarts of the
// application and of the database, and any number of instances share them.
// It keeps the same contract as paseto.MemoryStore and the Redis store
// (all pass the storetest conformance suite).
//
//	store, err := pgstore.Open(ctx, os.Getenv("DATABASE_URL"), pgstore.Config{})
//	...
//	err = store.Migrate(ctx) // once, explicitly: nothing happens at start-up by itself
//	auth, err := paseto.New(paseto.Config{..., Store: store, GracePeriod: 5 * time.Second})
//
// # Fail closed
//
// A session is one row of the sessions table. A token is accepted only
// while that row exists, belongs to the token's subject, is not revoked
// and is not past its absolute or idle end at the time paseto.Auth passes.
// No row, a row of another subject, a revoked row (a reuse tombstone) or a
// row the store could not have written is never live; the last is an error
// wrapping paseto.ErrStoreCorrupt (503) on every operation that would
// grant something from it, or list it, while revocations delete it like
// any other, so a broken row can never keep a session alive by making its
// logout fail. The table's CHECK constraint keeps such rows out in the
// first place. Logging out, "sign out the others", the session cap and "log
// out everywhere" delete rows; nothing is ever kept as a deny list, so a
// lost or truncated table, or a restored backup that lacks a row, ends
// sessions and never revives one.
//
// # Atomic rotation
//
// Every write is a PL/pgSQL function (schema.sql) called as one statement:
// one round trip and one implicit transaction. The refresh step
// (paseto.Store.Rotate) locks the session row with SELECT … FOR UPDATE,
// decides between rotated, retried within the grace window, reuse and
// expiry exactly as paseto.MemoryStore does, writes, and commits. Two
// refreshes of one token, from any number of processes, therefore run one
// after the other on that row, and the second sees what the first wrote:
// exactly one rotates, the others are retries within the grace window (the
// same successor) or reuse without one.
//
// A single conditional UPDATE … RETURNING would be atomic too, but it
// cannot tell the caller why it updated nothing (a retry, reuse, expiry,
// an unknown session: each has its own answer, and reuse must then write
// too), and PostgreSQL before 18 cannot return the row as it was before
// the update; a second statement to find out would race with other
// refreshes. A SERIALIZABLE transaction would fail one of two racing
// refreshes with a serialisation error, for the application to retry. The
// row lock gives the same atomicity with no retry and no extra round trip,
// and the lock is held for the length of the function only (microseconds:
// the application never holds a transaction open). A repeat of the same
// call (a reply lost on the way back) answers the same, as the contract
// asks.
//
// A login under paseto.Config.MaxSessions counts the subject's live
// sessions, ends the oldest at the cap (or refuses, with RefuseAtMax) and
// inserts the new row in one function, under a transaction-scoped advisory
// lock on the subject, so that concurrent logins of one subject count one
// after the other.
//
// # Deadlines
//
// Every call runs under its context's deadline, or Config.Timeout when it
// has none; pgx abandons a connection whose deadline passes, so a hung
// server or network costs the caller its deadline and no more (503 with
// Retry-After through the paseto.Guard).
//
// A write that reaches the server after its caller gave up must not be
// applied: the caller has answered 503, and its client will come back with
// the token it still holds, which a late rotation would have made
// "reused". So every write function receives the deadline (less a margin
// for the reply: a quarter of the time left, at most 100 ms) and compares
// it with the server's clock (clock_timestamp()) after its last write,
// just before the commit; past it, it raises SQLSTATE PA001, the
// transaction rolls back, and the call fails with an error wrapping
// context.DeadlineExceeded. A server frozen with the call in its socket
// buffer, or a call that waited for a row lock, thus writes nothing when
// it finally runs. What remains is the commit itself (the WAL flush: a disk
// that stalls right there delays an applied write) and the clock
// difference between the application's host and the database's; a
// GracePeriod covers retries that fall in either. Open also sets the
// connections' statement_timeout to Config.Timeout, so the server stops
// working on a statement its caller gave up on.
//
// Each write function also sets synchronous_commit on for its own
// transaction, whatever the connection or the database says: an
// acknowledged logout or rotation is on disk (and, with synchronous
// replication, on the standby) before the application hears of it.
//
// # Schema
//
// The schema (one table, three indexes, six functions; see Schema, or
// schema.sql in the source) is created by Migrate, explicitly: New and Open
// do not contact the database, and no call creates anything. Migrate is
// idempotent and may run from several instances at once (it takes an
// advisory lock). Every name starts with Config.Prefix ("pasetoauth_"
// by default) and is resolved through the connection's search_path: set
// the schema there (search_path=auth in the URL) to keep the store in one
// of its own. Without the schema, every call fails with
// paseto.ErrStoreUnavailable, naming Migrate. After Migrate, the store's
// database role needs SELECT, INSERT, UPDATE and DELETE on the table and
// EXECUTE on the functions only.
//
// # Expiry
//
// Rows whose session has ended are not live whatever they hold, so nothing
// depends on deleting them but the table's size. Purge deletes them in
// batches (1000 rows by default), each batch one short statement that
// skips rows another call has locked (FOR UPDATE SKIP LOCKED): it never
// waits on a refresh and never holds locks for long. Janitor runs Purge on
// a ticker until its context ends; start it in one instance or several
// (they skip each other's rows). A logout, "sign out the others", the cap
// and "log out everywhere" delete their rows at once; a reuse tombstone
// is purged a minute after the reuse, a session at its absolute end or,
// as of its last refresh, its idle end. Purge also clears the successors
// kept for grace windows that are over (until then they stay in the row,
// encrypted for the holder of the token they replaced, and unused). Purge
// runs on its own host's clock: a retry that reaches a row after Purge
// cleared its successor, although the retry's own instant is still inside
// the window, is denied (paseto.ErrRevoked) and changes nothing; it is not
// taken for a reuse.
//
// # Costs
//
// Verifying an access token (SessionLive) is one primary-key lookup, one
// round trip. A login, a refresh, a logout, "sign out the others" and "log
// out everywhere" are one function call each, one round trip and one
// commit (which waits for the WAL flush). Listing a subject's sessions is
// one query through the index on subject, in proportion to the subject's
// rows (its live sessions and those not purged yet), never a scan of the
// table; so are "sign out the others", "log out everywhere" and a login
// under a cap. docs/benchmarks.md and docs/stores.md give measured figures.
//
// # Restarts, fail-overs and backups
//
// Sessions are rows, so they survive a restart or a crash of the server:
// every write is committed with synchronous_commit on before it is
// acknowledged. A fail-over to a standby keeps them as far as the standby
// has them: with synchronous replication (synchronous_standby_names, and
// the store's synchronous_commit on) it has every acknowledged write; with
// asynchronous replication a fail-over may lose the last writes before it,
// and a lost logout or "log out everywhere" then revives the sessions it
// ended, while a lost rotation makes its successor read as reuse (the
// session ends, fail closed). The same holds for a backup restored over
// newer data. Use synchronous replication, or end every session after such
// an event (TRUNCATE the table, or RevokeSubject for the subjects
// concerned). A read-only database (a hot standby, or
// default_transaction_read_only) keeps verifying tokens and listing
// sessions; logins, refreshes and logouts fail with 503 and change
// nothing.
//
// # Failures
//
// Every failure is returned wrapping paseto.ErrStoreUnavailable (a row the
// store could not have written: paseto.ErrStoreCorrupt, which is one), so
// paseto.Auth denies the request with 503 and Retry-After (fail closed);
// nothing is ever read as live for want of an answer. A refresh whose
// reply was lost after its commit has rotated the session; a client that
// then tries again with the same refresh token is a benign retry within
// paseto.Config.GracePeriod and reuse without one, so a grace period of a
// few seconds is recommended.
//
// Written for PostgreSQL 11 or later (hashtextextended is the newest
// feature it uses); tested on 15.
package pgstore
