package sqlitestore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/internal/unixnano"
)

// DefaultTimeout bounds a call whose context has no deadline (paseto.Auth
// always gives one: Config.StoreTimeout).
const DefaultTimeout = 2 * time.Second

// Config configures a Store. The zero value is the recommended setup.
type Config struct {
	// Clock replaces time.Now for the store's housekeeping (which rows are
	// due for deletion). Decisions on sessions use the time paseto.Auth
	// passes; give both the same clock.
	Clock func() time.Time
	// Timeout bounds a call whose context has no deadline. Default
	// DefaultTimeout.
	Timeout time.Duration
	// Readers is the number of read connections (SessionLive,
	// ListSessions), which in WAL mode read concurrently with each other
	// and with the one writer. Default max(4, GOMAXPROCS).
	Readers int
}

// Store is a paseto.Store in one SQLite database file. It is safe for
// concurrent use, and several Stores, in one process or several on one
// machine, may share the file (see the package documentation).
type Store struct {
	w, r    *sql.DB // the writer (one connection) and the readers
	now     func() time.Time
	timeout time.Duration
	// The readers' queries, prepared on first use (Migrate may not have
	// run when the store is opened).
	live, list lazyStmt
	closed     sync.Once
}

// lazyStmt is a query on the read pool, prepared on first use.
type lazyStmt struct {
	query string
	p     atomic.Pointer[sql.Stmt]
}

func (l *lazyStmt) get(ctx context.Context, db *sql.DB) (*sql.Stmt, error) {
	if st := l.p.Load(); st != nil {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, l.query)
	if err != nil {
		return nil, err
	}
	if !l.p.CompareAndSwap(nil, st) {
		st.Close()
		st = l.p.Load()
	}
	return st, nil
}

func (l *lazyStmt) close() error {
	if st := l.p.Load(); st != nil {
		return st.Close()
	}
	return nil
}

var _ paseto.Store = (*Store)(nil)

const (
	// tombstone is how long a session revoked for reuse is kept: only so
	// that a repeat of the Rotate call that detected it answers Reused
	// again.
	tombstone = int64(paseto.MaxGracePeriod)
	// expireBatch bounds the dead rows one CreateSession deletes, and the
	// kept successors past their window it clears.
	expireBatch = 8
	// openTimeout bounds Open's first connection (which may create the
	// file and switch it to WAL, two fsyncs), unless Config.Timeout is
	// longer: a start-up step, not a request.
	openTimeout = 10 * time.Second
)

// Open opens (creating it if need be) the SQLite database at path, a file
// name, and puts it in WAL mode. It does not create the store's tables:
// call Migrate once, when deploying or at start-up, before the first
// request. path may not be empty, ":memory:" (whose sessions would die
// with each connection), or contain '?' or '#', and is never read as a
// "file:" URI. An existing file that is not a SQLite database, or that
// cannot be put in WAL mode, is an error here. Open waits for its first
// connection at most Config.Timeout or 10 seconds, whichever is longer.
func Open(path string, o Config) (*Store, error) {
	return open(path, o, nil)
}

func open(path string, o Config, extra []string) (*Store, error) {
	switch {
	case path == "" || path == ":memory:":
		return nil, fmt.Errorf("sqlitestore: a database file is required, not %q", path)
	case strings.ContainsAny(path, "?#"):
		return nil, fmt.Errorf("sqlitestore: database path %q contains '?' or '#'", path)
	case strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("sqlitestore: database path %q: give a file name, not a URI", path)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Readers <= 0 {
		o.Readers = max(4, runtime.GOMAXPROCS(0))
	}
	pragmas := func(p ...string) string {
		var b strings.Builder
		b.WriteString(path)
		for i, v := range append(p, extra...) {
			if i == 0 {
				b.WriteByte('?')
			} else {
				b.WriteByte('&')
			}
			b.WriteString("_pragma=" + v)
		}
		return b.String()
	}
	// busy_timeout is SQLite's own bound on waiting for another
	// connection's lock. The driver does not end that wait when a context
	// is done, so it is the store's timeout here, and write sets it to the
	// time left before each transaction: the call's deadline is the bound.
	busy := fmt.Sprintf("busy_timeout(%d)", max(o.Timeout.Milliseconds(), 1))
	// synchronous FULL: in WAL mode, every commit is fsynced before it
	// returns, so a revocation that was answered survives a power loss
	// (NORMAL could lose the last ones, bringing revoked sessions back).
	wdsn := pragmas(busy, "journal_mode(WAL)", "synchronous(FULL)")
	w, err := writers.acquire(path, wdsn)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	r, err := sql.Open("sqlite", pragmas(busy, "query_only(1)"))
	if err != nil {
		writers.release(w)
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	r.SetMaxOpenConns(o.Readers)
	r.SetMaxIdleConns(o.Readers)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	s := &Store{w: w, r: r, now: o.Clock, timeout: o.Timeout}
	s.live.query = "SELECT " + rowColumns + " FROM pasetoauth_sessions WHERE sid = ?"
	s.list.query = "SELECT " + rowColumns + " FROM pasetoauth_sessions WHERE subject = ?"
	ctx, cancel := context.WithTimeout(context.Background(), max(o.Timeout, openTimeout))
	defer cancel()
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		s.Close()
		return nil, s.openError(path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		s.Close()
		return nil, fmt.Errorf("sqlitestore: open %s: journal mode is %q, not WAL (a file system without shared memory?)", path, mode)
	}
	if err := r.PingContext(ctx); err != nil {
		s.Close()
		return nil, s.openError(path, err)
	}
	return s, nil
}

func (s *Store) openError(path string, err error) error {
	if code(err) == sqlite3.SQLITE_NOTADB {
		return fmt.Errorf("sqlitestore: open %s: the file is not a SQLite database: %w", path, err)
	}
	return fmt.Errorf("sqlitestore: open %s: %w", path, err)
}

// Close closes the store's connections. Calls made after it fail.
func (s *Store) Close() error {
	var err error
	s.closed.Do(func() { err = errors.Join(s.live.close(), s.list.close(), writers.release(s.w), s.r.Close()) })
	return err
}

// writers holds the writer pools of this process by file: Stores opened
// on one file in one process share its one writer connection, so that
// their writes take turns in Go, in order, rather than through SQLite's
// busy handler, which polls (see the package documentation).
var writers = writerPools{m: map[string]*writerPool{}}

type writerPools struct {
	mu sync.Mutex
	m  map[string]*writerPool // by absolute path and DSN
}

type writerPool struct {
	key  string
	db   *sql.DB
	refs int
}

// acquire returns the writer pool of path (opened with dsn), opening it
// for the first Store on it.
func (w *writerPools) acquire(path, dsn string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	key := abs + "\x00" + strings.TrimPrefix(dsn, path)
	w.mu.Lock()
	defer w.mu.Unlock()
	if p := w.m[key]; p != nil {
		p.refs++
		return p.db, nil
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	w.m[key] = &writerPool{key: key, db: db, refs: 1}
	return db, nil
}

// release drops a Store's hold on db, closing it with the last one.
func (w *writerPools) release(db *sql.DB) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for key, p := range w.m {
		if p.db != db {
			continue
		}
		if p.refs--; p.refs > 0 {
			return nil
		}
		delete(w.m, key)
		return db.Close()
	}
	return nil
}

// code is the primary SQLite result code of err, or 0.
func code(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// row is a session row as read, all of its columns.
type row struct {
	sid, subject, current, previous, wrapped, reusedBy string
	rotatedAt, keepUntil, createdAt, lastUsed          int64
	expiresAt, idle, revoked, forgetAt                 int64
	device                                             paseto.Device
}

const rowColumns = `sid, subject, current, previous, rotated_at, wrapped, keep_until, created_at,
	last_used, expires_at, idle_ns, revoked, reused_by, forget_at, user_agent, ip, label`

type scanner interface{ Scan(dest ...any) error }

// scanRow reads one row of rowColumns and validates it: a row this store
// could not have written is an error wrapping paseto.ErrStoreCorrupt. A
// row that is not there is sql.ErrNoRows.
func scanRow(sc scanner) (row, error) {
	var r row
	err := sc.Scan(&r.sid, &r.subject, &r.current, &r.previous, &r.rotatedAt, &r.wrapped, &r.keepUntil,
		&r.createdAt, &r.lastUsed, &r.expiresAt, &r.idle, &r.revoked, &r.reusedBy, &r.forgetAt,
		&r.device.UserAgent, &r.device.IP, &r.device.Label)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return r, err
	case err != nil && code(err) == 0:
		// Not SQLite's: the driver could not convert a value.
		return r, corruptError{err.Error()}
	case err != nil:
		return r, err
	}
	if r.subject == "" || (r.revoked != 0 && r.revoked != 1) || (r.revoked == 0 && r.current == "") ||
		min(r.rotatedAt, r.keepUntil, r.createdAt, r.lastUsed, r.expiresAt, r.idle, r.forgetAt) < 0 {
		return r, corruptError{"session " + r.sid}
	}
	return r, nil
}

// liveAt reports whether r is live at n by every rule but its subject.
func (r *row) liveAt(n int64) bool {
	return r.revoked == 0 && n < r.expiresAt && (r.idle == 0 || n-r.lastUsed <= r.idle)
}

// end is when r stops being live unless it is used: its absolute end, or
// its idle end when that comes first.
func (r *row) end() int64 {
	if r.idle > 0 {
		return min(r.expiresAt, unixnano.AddSat(r.lastUsed, r.idle))
	}
	return r.expiresAt
}

// forgetAt is when a live session's row may be deleted: once it is past
// its absolute or idle end.
func forgetAt(expiresAt, lastUsed, idle int64) int64 {
	if idle > 0 {
		return min(expiresAt, unixnano.AddSat(unixnano.AddSat(lastUsed, idle), 1))
	}
	return expiresAt
}

func (r *row) info() paseto.SessionInfo {
	return paseto.SessionInfo{
		ID: r.sid, CreatedAt: time.Unix(0, r.createdAt).UTC(),
		LastUsedAt: time.Unix(0, max(r.createdAt, r.lastUsed)).UTC(),
		ExpiresAt:  time.Unix(0, r.end()).UTC(), Device: r.device,
	}
}

// SessionLive implements paseto.SessionChecker with one indexed read on a
// read connection; it waits for no writer. A row this store could not
// have written is an error wrapping paseto.ErrStoreCorrupt (the request
// is denied).
func (s *Store) SessionLive(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	n, err := unixnano.From(now)
	if err != nil {
		return false, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	stmt, err := s.live.get(ctx, s.r)
	if err != nil {
		return false, s.fail("session live", err)
	}
	r, err := scanRow(stmt.QueryRowContext(ctx, sid))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, s.fail("session live", err)
	}
	return r.subject == subject && r.liveAt(n), nil
}

// CreateSession implements paseto.Store in one write transaction. It also
// deletes up to a few rows whose time has passed (by Config.Clock) and
// clears as many kept successors past their grace window, so that dead
// rows go in small batches, as fast as logins make new ones.
//
// With r.MaxSessions it counts the subject's live sessions, through the
// subject index, in the same transaction as the insert: at the cap it
// deletes the oldest (by CreatedAt, then ID) and returns their IDs, or,
// with r.RefuseAtMax, fails with paseto.ErrSessionLimit having written
// nothing. A session of the subject whose row this store could not have
// written is deleted on the way. A repeat of the same call (same ID,
// subject and current hash) succeeds and changes nothing; another session
// under the same ID is an error.
func (s *Store) CreateSession(ctx context.Context, r paseto.SessionRecord) ([]string, error) {
	if r.ID == "" || r.Current == "" || r.Subject == "" {
		return nil, errors.New("sqlitestore: session without ID, subject or current token hash")
	}
	if r.MaxSessions < 0 {
		return nil, fmt.Errorf("sqlitestore: negative MaxSessions %d", r.MaxSessions)
	}
	created, err := unixnano.From(r.CreatedAt)
	if err != nil {
		return nil, err
	}
	now, err := unixnano.From(s.now())
	if err != nil {
		return nil, err
	}
	expires := unixnano.Until(r.ExpiresAt)
	idle := int64(max(r.IdleTimeout, 0))
	var (
		ended []string
		fail  error // a refusal: nothing is written
	)
	err = s.write(ctx, "create session", func(ctx context.Context, c *sql.Conn) error {
		old, err := scanRow(c.QueryRowContext(ctx, "SELECT "+rowColumns+" FROM pasetoauth_sessions WHERE sid = ?", r.ID))
		switch {
		case err == nil:
			if old.subject == r.Subject && old.revoked == 0 && equalHash(old.current, r.Current) {
				return nil // this very call, repeated
			}
			fail = fmt.Errorf("sqlitestore: session %q already exists", r.ID)
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if err := expire(ctx, c, now); err != nil {
			return err
		}
		if r.MaxSessions > 0 {
			if ended, fail, err = s.makeRoom(ctx, c, r, now); err != nil || fail != nil {
				return err
			}
		}
		_, err = c.ExecContext(ctx, `INSERT INTO pasetoauth_sessions
			(sid, subject, current, created_at, last_used, expires_at, idle_ns, forget_at, user_agent, ip, label)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Subject, r.Current, created, created, expires, idle, forgetAt(expires, created, idle),
			r.Device.UserAgent, r.Device.IP, r.Device.Label)
		return err
	})
	if err != nil {
		return nil, err
	}
	if fail != nil {
		return nil, fail
	}
	return ended, nil
}

// makeRoom applies r.MaxSessions, inside CreateSession's transaction: it
// ends the subject's oldest live sessions beyond the cap and returns their
// IDs, or refuses (fail) having written nothing.
func (s *Store) makeRoom(ctx context.Context, c *sql.Conn, r paseto.SessionRecord, now int64) (ended []string, fail, err error) {
	rows, err := c.QueryContext(ctx, "SELECT "+rowColumns+" FROM pasetoauth_sessions WHERE subject = ?", r.Subject)
	if err != nil {
		return nil, nil, err
	}
	var live []row
	var bad []string
	for rows.Next() {
		x, err := scanRow(rows)
		var ce corruptError
		switch {
		case errors.As(err, &ce):
			bad = append(bad, x.sid)
		case err != nil:
			rows.Close()
			return nil, nil, err
		case x.subject == r.Subject && x.liveAt(now):
			live = append(live, x)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, nil, err
	}
	over := len(live) + 1 - r.MaxSessions
	if over > 0 && r.RefuseAtMax {
		return nil, fmt.Errorf("sqlitestore: %w: %d live sessions", paseto.ErrSessionLimit, r.MaxSessions), nil
	}
	for _, sid := range bad {
		if _, err := c.ExecContext(ctx, "DELETE FROM pasetoauth_sessions WHERE sid = ?", sid); err != nil {
			return nil, nil, err
		}
	}
	if over <= 0 {
		return nil, nil, nil
	}
	sortOldest(live)
	for _, x := range live[:over] {
		if _, err := c.ExecContext(ctx, "DELETE FROM pasetoauth_sessions WHERE sid = ?", x.sid); err != nil {
			return nil, nil, err
		}
		ended = append(ended, x.sid)
	}
	return ended, nil, nil
}

// expire deletes up to expireBatch rows due at now, and clears up to as
// many kept successors whose grace window is over, through their indexes.
func expire(ctx context.Context, c *sql.Conn, now int64) error {
	if _, err := c.ExecContext(ctx, `DELETE FROM pasetoauth_sessions WHERE sid IN
		(SELECT sid FROM pasetoauth_sessions WHERE forget_at <= ? LIMIT ?)`, now, expireBatch); err != nil {
		return err
	}
	_, err := c.ExecContext(ctx, `UPDATE pasetoauth_sessions SET wrapped = '', keep_until = 0 WHERE sid IN
		(SELECT sid FROM pasetoauth_sessions WHERE wrapped <> '' AND keep_until < ? LIMIT ?)`, now, expireBatch)
	return err
}

// Rotate implements paseto.Store. It first reads the session on a read
// connection: when the answer needs no write (a retry within the grace
// window, a repeat of a rotation already applied, a session unknown,
// revoked or expired), that read is the answer, consistent as of its
// snapshot, and no write lock is taken. Otherwise (a rotation, or reuse to
// revoke) it reads, decides and writes again in one BEGIN IMMEDIATE
// transaction, which holds the database's write lock from its first
// statement, so no other rotation, in this process or another, can come
// in between.
func (s *Store) Rotate(ctx context.Context, r paseto.Rotation) (paseto.RotationResult, error) {
	var none paseto.RotationResult
	if r.Presented == "" || r.Successor == "" {
		// The successor hash recognises a repeated call; an empty one
		// would match the empty fields of a revoked session.
		return none, errors.New("sqlitestore: rotation without presented or successor hash")
	}
	t, err := unixnano.From(r.Now)
	if err != nil {
		return none, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	stmt, err := s.live.get(ctx, s.r)
	if err != nil {
		return none, s.fail("rotate", err)
	}
	x, err := scanRow(stmt.QueryRowContext(ctx, r.Session))
	res, fail, step, err := decideRotation(x, err, r, t)
	switch {
	case err != nil:
		return none, s.fail("rotate", err)
	case step == stepNone && fail != nil:
		return none, fail
	case step == stepNone:
		return res, nil
	}
	err = s.write(ctx, "rotate", func(ctx context.Context, c *sql.Conn) error {
		x, err := scanRow(c.QueryRowContext(ctx, "SELECT "+rowColumns+" FROM pasetoauth_sessions WHERE sid = ?", r.Session))
		res, fail, step, err = decideRotation(x, err, r, t)
		switch {
		case err != nil:
			return err
		case step == stepRotate:
			wrapped, keep := "", int64(0)
			if r.Grace > 0 && r.WrappedSuccessor != "" {
				wrapped, keep = r.WrappedSuccessor, unixnano.AddSat(t, int64(r.Grace))
			}
			_, err := c.ExecContext(ctx, `UPDATE pasetoauth_sessions SET current = ?, previous = ?, rotated_at = ?,
				last_used = ?, wrapped = ?, keep_until = ?, forget_at = ? WHERE sid = ?`,
				r.Successor, x.current, t, t, wrapped, keep, forgetAt(x.expiresAt, t, x.idle), r.Session)
			return err
		case step == stepReuse:
			// Revoked, and kept a minute only so that a repeat of this
			// call answers Reused again.
			_, err = c.ExecContext(ctx, `UPDATE pasetoauth_sessions SET current = '', previous = '', wrapped = '',
				keep_until = 0, revoked = 1, reused_by = ?, forget_at = ? WHERE sid = ?`,
				r.Successor, min(x.expiresAt, unixnano.AddSat(t, tombstone)), r.Session)
			return err
		}
		return nil
	})
	if err != nil {
		return none, err
	}
	if fail != nil {
		return none, fail
	}
	return res, nil
}

// rotateStep is the write a rotation needs.
type rotateStep uint8

const (
	stepNone   rotateStep = iota
	stepRotate            // the presented token is current: replace it
	stepReuse             // a replaced token came back: revoke the session
)

// decideRotation is paseto.Rotation's decision, step for step as
// paseto.MemoryStore.Rotate, on the session's row x as read (readErr is
// the read's error). It returns the answer when no write is needed (res,
// or the refusal fail), the write to make otherwise (with res, its
// answer), or the read's error.
func decideRotation(x row, readErr error, r paseto.Rotation, t int64) (res paseto.RotationResult, fail error, step rotateStep, err error) {
	unknown := fmt.Errorf("%w: session unknown or revoked", paseto.ErrRevoked)
	switch {
	case errors.Is(readErr, sql.ErrNoRows):
		return res, unknown, stepNone, nil
	case readErr != nil:
		return res, nil, stepNone, readErr
	case x.subject != r.Subject:
		return res, unknown, stepNone, nil
	case x.revoked == 1:
		if x.reusedBy != "" && equalHash(x.reusedBy, r.Successor) {
			// The call that detected reuse, repeated.
			return paseto.RotationResult{Outcome: paseto.Reused}, nil, stepNone, nil
		}
		return res, unknown, stepNone, nil
	case !x.liveAt(t):
		return res, paseto.ErrSessionExpired, stepNone, nil
	case equalHash(r.Presented, x.current):
		return paseto.RotationResult{Outcome: paseto.Rotated}, nil, stepRotate, nil
	case x.previous != "" && equalHash(r.Presented, x.previous) && equalHash(r.Successor, x.current):
		// This very rotation, repeated.
		return paseto.RotationResult{Outcome: paseto.Rotated}, nil, stepNone, nil
	case r.Grace > 0 && x.previous != "" && equalHash(r.Presented, x.previous) && t-x.rotatedAt <= int64(r.Grace):
		if x.wrapped != "" && t <= x.keepUntil {
			return paseto.RotationResult{Outcome: paseto.Retried, WrappedSuccessor: x.wrapped}, nil, stepNone, nil
		}
		// A retry inside its window whose kept successor a login's
		// clean-up, on the store's later clock, has cleared: nothing to
		// hand out, and a retry is no theft. Deny, change nothing.
		return res, fmt.Errorf("%w: the successor kept for the grace window is gone", paseto.ErrRevoked), stepNone, nil
	}
	return paseto.RotationResult{Outcome: paseto.Reused}, nil, stepReuse, nil
}

// bound gives ctx the store's default deadline when it has none.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

var errLate = fmt.Errorf("sqlitestore: the call's deadline passed before its transaction could commit; nothing was applied: %w",
	context.DeadlineExceeded)

// write runs f in a BEGIN IMMEDIATE transaction on the writer connection,
// under ctx's deadline (or Config.Timeout). Waiting for the connection
// (another call of this Store writing), for the database's write lock
// (another process writing) and every statement end when the deadline
// passes. The deadline is checked once more just before COMMIT: a
// transaction that would commit after it is rolled back (the caller has
// answered 503 and will retry with the token it holds). COMMIT itself is
// not interrupted, so a call that returns success has committed, and one
// that returns an error has not, unless COMMIT failed after writing
// (an I/O error), which SQLite reports and rolls back.
func (s *Store) write(ctx context.Context, op string, f func(context.Context, *sql.Conn) error) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	c, err := s.w.Conn(ctx)
	if err != nil {
		return s.fail(op, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		// BEGIN IMMEDIATE waits in SQLite's busy handler while another
		// process writes, and only busy_timeout ends that wait.
		left := max(time.Until(dl).Milliseconds(), 1)
		if _, err := c.ExecContext(ctx, "PRAGMA busy_timeout = "+strconv.FormatInt(left, 10)); err != nil {
			return s.fail(op, err)
		}
	}
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		s.rollback(c)
		return s.fail(op, err)
	}
	if err := f(ctx, c); err != nil {
		s.rollback(c)
		return s.fail(op, err)
	}
	if ctx.Err() != nil {
		s.rollback(c)
		return s.fail(op, errLate)
	}
	if _, err := c.ExecContext(context.WithoutCancel(ctx), "COMMIT"); err != nil {
		s.rollback(c)
		return s.fail(op, err)
	}
	return nil
}

// rollback ends c's transaction, if one is open. A connection that cannot
// be brought back to a clean state is discarded.
func (s *Store) rollback(c *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	_, err := c.ExecContext(ctx, "ROLLBACK")
	// SQLite may have rolled back already (a failed BEGIN, an interrupted
	// statement): then there is nothing to end.
	if err != nil && !strings.Contains(err.Error(), "no transaction is active") {
		_ = c.Raw(func(any) error { return driver.ErrBadConn })
	}
}

type corruptError struct{ what string }

func (e corruptError) Error() string { return "corrupt " + e.what + " in the database" }
func (e corruptError) Unwrap() error { return paseto.ErrStoreCorrupt }

// fail wraps an error of operation op: ErrStoreCorrupt for a row this
// store could not have written or a damaged file, ErrStoreUnavailable for
// anything else (a timeout, a lock held past the deadline, a read-only
// file, a missing schema).
func (s *Store) fail(op string, err error) error {
	var ce corruptError
	switch c := code(err); {
	case errors.As(err, &ce):
		return fmt.Errorf("sqlitestore: %s: %w", op, err)
	case c == sqlite3.SQLITE_CORRUPT || c == sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("sqlitestore: %s: %w: %w", op, paseto.ErrStoreCorrupt, err)
	case c == sqlite3.SQLITE_ERROR && strings.Contains(err.Error(), "no such table"):
		return fmt.Errorf("sqlitestore: %s: %w: the schema is missing; run (*Store).Migrate: %w", op, paseto.ErrStoreUnavailable, err)
	}
	return fmt.Errorf("sqlitestore: %s: %w: %w", op, paseto.ErrStoreUnavailable, err)
}

// equalHash compares two token hashes in constant time.
func equalHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
