// Package sqlitestore is a paseto.Store in one SQLite database file, for
// an application that runs on one server and wants its sessions and
// revocations to survive a restart without running a database server. It
// uses modernc.org/sqlite, a SQLite compiled to pure Go: no cgo, no shared
// library. It keeps the same contract as paseto.MemoryStore and the Redis
// store (all pass the storetest conformance suite).
//
// Several Stores may open one file, in one process or in several on the
// same machine (a rolling restart, a second worker): SQLite's file locks
// make them one store. The file must be on a local disk: WAL mode needs
// shared memory between the processes, which network file systems do not
// give. For several servers, use the Redis or PostgreSQL store.
//
// # Set-up
//
// Open opens the file (creating an empty database if there is none) and
// puts it in WAL mode; Migrate creates the tables and indexes, and nothing
// else does:
//
//	store, err := sqlitestore.Open("/var/lib/myapp/sessions.db", sqlitestore.Config{})
//	...
//	defer store.Close()
//	if err := store.Migrate(ctx); err != nil { ... }
//
// Migrate runs Schema (schema.sql in this directory) in one transaction;
// every statement in it is idempotent, so it is safe at every start-up and
// from two processes at once. Until it has run, every call fails (503)
// with an error naming it. The tables share the database with any others:
// their names start with pasetoauth_.
//
// # Connections
//
// A Store holds two pools on the file. Writes go through one connection
// (database/sql with MaxOpenConns 1), shared by every Store of the process
// on the same path: SQLite lets one writer in at a time anyway, and a Go
// pool hands the connection from one call to the next as soon as it is
// free, in order, where several writing connections would wait for each
// other through SQLite's busy handler, which polls with sleeps of up to
// 100 ms. Reads (SessionLive, ListSessions, and the first read of a
// refresh) go through Config.Readers connections opened with query_only,
// which in WAL mode read a consistent snapshot concurrently with each
// other and with the writer: verifying an access token never waits for a
// refresh.
//
// Every write is one transaction begun with BEGIN IMMEDIATE, which takes
// the database's write lock before the first read, so the read, the
// decision and the write of a refresh (paseto.Store.Rotate) are one atomic
// step: two Auths refreshing one token, in one process or two, see
// exactly one rotation, and the others within the grace window get the
// same successor back. (A DEFERRED transaction would read first and could
// fail to upgrade its lock; a single conditional UPDATE … RETURNING cannot
// tell apart "already rotated by this very call", "retry within the grace
// window" and "reuse", which need the row as it was.) A refresh first
// reads the session on a read connection, and answers from that read when
// the answer needs no write (a retry within the grace window, a repeat, a
// session unknown, revoked or expired): a burst of retries of one token,
// or of dead tokens, does not queue for the write lock. Only a rotation or
// a reuse to revoke takes it, and decides again under it.
//
// Processes on one file take turns on the write lock through SQLite's
// busy handler, bounded by busy_timeout, which the store sets to the time
// left before the call's deadline at the start of every write.
// It polls, so under a steady stream of writes from one process another
// may wait longer than its turn. This package's tests refresh one token
// 100 times at once from two processes (they passed with the default
// 1 s store timeout on a loaded 2-core machine, and run with 5 s).
//
// # Durability
//
// The file is in WAL mode with synchronous=FULL: a write transaction has
// been fsynced to the write-ahead log when the call returns, so a
// rotation, a logout or "log out everywhere" that was answered survives a
// crash of the process or of the machine, and a restart. (With
// synchronous=NORMAL the last transactions before a power loss could be
// lost, and a lost revocation is a revoked session live again; the store
// does not offer it.) SQLite replays or discards the log at the next open;
// a transaction is there whole or not at all.
//
// What the store cannot detect is an older copy of the file put back (a
// restored backup, a snapshot of the disk): sessions revoked since the
// copy was made are live again. After restoring one, end every session:
//
//	DELETE FROM pasetoauth_sessions;
//
// # Fail closed
//
// A session is live only while its row exists, is of the subject asking,
// is not revoked and is not past its absolute or idle end. No row (never
// written, deleted, lost with the file) is not live. A row this store
// could not have written (a revoked flag other than 0 or 1, a live session
// without a current token hash, a negative time, an empty subject) is an
// error wrapping paseto.ErrStoreCorrupt on every call that would grant
// something from it or list it: the request is denied with 503. The
// revocations end such rows like any other, so a damaged row never
// keeps a session alive by making its logout fail.
//
// # Deadlines
//
// Every call runs under its context's deadline, or Config.Timeout when
// it has none (paseto.Auth always sets one: Config.StoreTimeout). Waiting
// for the writer connection, for another process's write lock and every
// statement end at the deadline with an error wrapping
// paseto.ErrStoreUnavailable (503 and Retry-After through paseto.Guard).
// A write transaction checks the deadline once more before COMMIT, and
// rolls back instead when it has passed: the caller has answered 503 and
// will retry with the token it holds, so a rotation applied now would
// turn that retry into "reuse". COMMIT itself is not interrupted: a call
// that returns success has committed.
//
// A database that refuses writes (a read-only file or file system, a full
// disk) fails every write with paseto.ErrStoreUnavailable and changes
// nothing; reads, and so access-token verification, go on.
//
// # Rows
//
// One table, pasetoauth_sessions, with a row per session: the subject,
// the current and previous refresh-token hashes (never a usable token),
// the time of the last rotation, the successor kept for a retry within
// the grace window (encrypted for the holder of the token it replaced)
// and the end of that window, creation, last use, absolute end, idle
// timeout, the revoked flag and the successor hash of the refresh that
// detected reuse, the time the row may be deleted, and the session's
// paseto.Device. Indexes: by subject (listing, the session cap,
// revocations, at a cost in proportion to the subject's sessions), by
// deletion time, and by the end of the grace window of the rows keeping a
// successor.
//
// A logout (RevokeSession) and RevokeOtherSessions delete their rows. Reuse
// detection marks the row revoked and keeps it one minute, so that a
// repeat of that refresh answers "reused" again; RevokeSubject marks all
// the subject's rows revoked, due for deletion at once.
//
// # Expiry
//
// There is no background job. Each CreateSession (each login) deletes up
// to 8 rows whose time has come (past their absolute or idle end, or
// revoked), through the deletion-time index, and clears up to 8 kept
// successors whose grace window is over: small batches in the login's own
// transaction, so the write lock is never held long, and at least as fast
// as logins add rows. Answers never depend on it: every call compares the
// times itself, so a row not yet deleted reads as ended from the moment it
// ends.
//
// # Costs
//
// SessionLive is one indexed read (a prepared statement) on a read
// connection. A login is one write transaction: a read of the ID, the
// expiry batch, under paseto.Config.MaxSessions a read of the subject's
// rows, and the insert. A refresh and a logout are one write transaction
// of a read and an update or delete. ListSessions is one read of the
// subject's rows. Each write transaction ends with one fsync of the log;
// see docs/benchmarks.md for measured figures.
package sqlitestore
