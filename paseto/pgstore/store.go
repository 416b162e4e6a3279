package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/internal/unixnano"
)

// DefaultPrefix starts the name of every table, index and function the
// store creates and uses, unless Config.Prefix is set.
const DefaultPrefix = "pasetoauth_"

// DefaultTimeout bounds a call whose context has no deadline, unless
// Config.Timeout says otherwise.
const DefaultTimeout = time.Second

// tombstone is how long a session revoked for reuse is kept: only so that
// a repeat of the Rotate call that detected it answers Reused again.
const tombstone = paseto.MaxGracePeriod

// maxReplyMargin bounds the part of a call's time kept for a write's reply
// to come back: a write commits only if the server finishes it that long
// before the caller's deadline.
const maxReplyMargin = 100 * time.Millisecond

// Config configures a Store. The zero value is ready to use.
type Config struct {
	// Prefix starts the name of every table, index and function of the
	// store, to share a database with other data or to keep several
	// stores apart: lower-case letters, digits and underscores, starting
	// with a letter or an underscore, at most 40 bytes. Default
	// DefaultPrefix. Names are resolved through the connection's
	// search_path (the first schema in it for Migrate), so a schema of
	// their own is chosen there (search_path in the database URL).
	Prefix string
	// Clock replaces time.Now for the store's own times: when Purge may
	// delete a row, and the instant at which CreateSession counts live
	// sessions for a cap. Decisions on sessions use the time paseto.Auth
	// passes; give both the same clock.
	Clock func() time.Time
	// Timeout bounds a call whose context has no deadline. paseto.Auth
	// always sets one (Config.StoreTimeout). Open also makes it the
	// statement_timeout of its connections, unless the URL sets one.
	// Default DefaultTimeout.
	Timeout time.Duration
}

// Store is a paseto.Store on PostgreSQL. It is safe for concurrent use, and
// any number of Stores in any number of processes may share one database
// (with the same Prefix) to serve the same sessions.
type Store struct {
	pool    *pgxpool.Pool
	owned   bool // Open made the pool: Close closes it
	prefix  string
	now     func() time.Time
	timeout time.Duration
	q       queries
}

var _ paseto.Store = (*Store)(nil)

var prefixRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,39}$`)

// New returns a Store over pool, shared with the rest of the application
// if convenient. It does not contact the database: call Migrate once (at
// deployment, or at start-up if the application chooses to) to create the
// schema. New refuses, with paseto.ErrConfig, a nil pool, an invalid
// prefix or a negative timeout.
//
// Give the pool a statement_timeout (see Open) so that a statement the
// server cannot finish (a lock held by another client of the database, say)
// is ended on the server side too; the store's deadlines hold without it.
func New(pool *pgxpool.Pool, o Config) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: pgstore: nil pool", paseto.ErrConfig)
	}
	if err := o.normalize(); err != nil {
		return nil, err
	}
	return &Store{pool: pool, prefix: o.Prefix, now: o.Clock, timeout: o.Timeout, q: newQueries(o.Prefix)}, nil
}

// normalize fills in the defaults and validates o.
func (o *Config) normalize() error {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if !prefixRE.MatchString(o.Prefix) {
		return fmt.Errorf("%w: pgstore: prefix %q: use lower-case letters, digits and underscores, starting with a letter or an underscore, at most 40 bytes", paseto.ErrConfig, o.Prefix)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Timeout < 0 {
		return fmt.Errorf("%w: pgstore: negative timeout %v", paseto.ErrConfig, o.Timeout)
	}
	return nil
}

// Open returns a Store over a pool of its own, on the database that
// databaseURL names (postgres://user:pass@host:port/db?sslmode=...; every
// parameter pgxpool.ParseConfig accepts). Close closes the pool. Unless
// the URL sets them, its connections run with statement_timeout set to the
// store's Timeout (so the server, too, ends a statement its caller gave up
// on) and application_name "pasetoauth". Like New, Open does not contact
// the database; ctx bounds nothing but the pool's creation.
//
// Behind PgBouncer, which refuses startup parameters it does not know,
// list statement_timeout in its ignore_startup_parameters, or build the
// pool yourself and use New. In transaction pooling mode before PgBouncer
// 1.21, also add default_query_exec_mode=exec to the URL: pgx otherwise
// keeps prepared statements per server connection. The store itself needs
// no session state (its advisory locks are transaction-scoped).
func Open(ctx context.Context, databaseURL string, o Config) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// pgx's message quotes the URL, password included: not repeated.
		return nil, fmt.Errorf("%w: pgstore: the database URL does not parse", paseto.ErrConfig)
	}
	if err := o.normalize(); err != nil {
		return nil, err
	}
	rp := cfg.ConnConfig.RuntimeParams
	if _, ok := rp["statement_timeout"]; !ok {
		rp["statement_timeout"] = strconv.FormatInt(max(o.Timeout.Milliseconds(), 1), 10)
	}
	if _, ok := rp["application_name"]; !ok {
		rp["application_name"] = "pasetoauth"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s, _ := New(pool, o)
	s.owned = true
	return s, nil
}

// Close closes the pool when Open made it (waiting for the connections in
// use to be released), and does nothing otherwise. It returns nil; the
// error is there for io.Closer.
func (s *Store) Close() error {
	if s.owned {
		s.pool.Close()
	}
	return nil
}

// Pool returns the pool the store runs on.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// queries are the statements of one prefix, built once.
type queries struct {
	live, list, create, rotate, revoke, revokeOthers, revokeSubject, purge, purgeKept string
}

func newQueries(p string) queries {
	r := strings.NewReplacer("pasetoauth_", p)
	return queries{
		live: r.Replace(`SELECT subject, current_hash, revoked, expires_at, last_used, idle_ns
			FROM pasetoauth_sessions WHERE sid = $1`),
		list: r.Replace(`SELECT sid, current_hash, created_at, last_used, expires_at, idle_ns, user_agent, ip, label
			FROM pasetoauth_sessions WHERE subject = $1 AND NOT revoked AND expires_at > $2`),
		create:        r.Replace(`SELECT code, ended FROM pasetoauth_create($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`),
		rotate:        r.Replace(`SELECT code, kept FROM pasetoauth_rotate($1, $2, $3, $4, $5, $6, $7, $8, $9)`),
		revoke:        r.Replace(`SELECT live FROM pasetoauth_revoke($1, $2, $3, $4)`),
		revokeOthers:  r.Replace(`SELECT ended FROM pasetoauth_revoke_others($1, $2, $3, $4)`),
		revokeSubject: r.Replace(`SELECT pasetoauth_revoke_subject($1, $2)`),
		purge: r.Replace(`DELETE FROM pasetoauth_sessions WHERE sid IN (
			SELECT sid FROM pasetoauth_sessions WHERE purge_at <= $1
			ORDER BY purge_at LIMIT $2 FOR UPDATE SKIP LOCKED)`),
		purgeKept: r.Replace(`UPDATE pasetoauth_sessions SET wrapped = '', keep_until = 0 WHERE sid IN (
			SELECT sid FROM pasetoauth_sessions WHERE wrapped <> '' AND keep_until < $1
			ORDER BY keep_until LIMIT $2 FOR UPDATE SKIP LOCKED)`),
	}
}

// SessionLive implements paseto.SessionChecker with one primary-key
// lookup (one round trip), decided here: the row must exist, be of
// subject, not revoked, and not past its absolute or idle end at now. A row
// the store could not have written is an error wrapping
// paseto.ErrStoreCorrupt.
func (s *Store) SessionLive(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	n, err := unixnano.From(now)
	if err != nil {
		return false, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r row
	err = s.pool.QueryRow(ctx, s.q.live, sid).Scan(&r.subject, &r.current, &r.revoked, &r.expiresAt, &r.lastUsed, &r.idle)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.fail("session live", err)
	}
	if err := r.check(); err != nil {
		return false, s.fail("session live", err)
	}
	return r.subject == subject && r.liveAt(n), nil
}

// row is the part of a session row liveness and listing read.
type row struct {
	subject, current          string
	revoked                   bool
	expiresAt, lastUsed, idle int64
	createdAt                 int64
	sid, userAgent, ip, label string
}

// check refuses a row the store could not have written (the table's CHECK
// constraint forbids them, unless it was dropped).
func (r *row) check() error {
	if r.idle < 0 || r.expiresAt < 0 || r.lastUsed < 0 || r.createdAt < 0 || (!r.revoked && r.current == "") {
		return errCorrupt
	}
	return nil
}

// liveAt reports whether r is live at n by every rule but its subject.
func (r *row) liveAt(n int64) bool {
	return !r.revoked && n < r.expiresAt && (r.idle == 0 || n-r.lastUsed <= r.idle)
}

// CreateSession implements paseto.Store with one function call (one round
// trip, one transaction). With r.MaxSessions it holds a transaction-scoped
// advisory lock on the subject while it counts the subject's sessions live
// at the store's clock, ends the oldest (by CreatedAt, then ID) when at
// the cap, deleting their rows, and inserts this one; with r.RefuseAtMax it
// fails with paseto.ErrSessionLimit instead, having written nothing. A
// repeat of the same call (a reply lost) succeeds and changes nothing.
func (s *Store) CreateSession(ctx context.Context, r paseto.SessionRecord) ([]string, error) {
	if r.ID == "" || r.Current == "" || r.Subject == "" {
		return nil, errors.New("pgstore: session without ID, subject or current token hash")
	}
	if r.MaxSessions < 0 || r.MaxSessions > math.MaxInt32 {
		return nil, fmt.Errorf("pgstore: MaxSessions %d out of range", r.MaxSessions)
	}
	if len(r.Device.UserAgent) > paseto.MaxUserAgentBytes || len(r.Device.IP) > 64 || len(r.Device.Label) > 64 {
		return nil, fmt.Errorf("pgstore: device field too long (user agent over %d bytes, or IP or label over 64)", paseto.MaxUserAgentBytes)
	}
	created, err := unixnano.From(r.CreatedAt)
	if err != nil {
		return nil, err
	}
	now, err := unixnano.From(s.now())
	if err != nil {
		return nil, err
	}
	end := unixnano.Until(r.ExpiresAt)
	idle := int64(max(r.IdleTimeout, 0))
	purge := end
	if idle > 0 && idle < end-created {
		purge = created + idle
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	deadline, err := writeDeadline(ctx)
	if err != nil {
		return nil, s.fail("create session", err)
	}
	var (
		code  int32
		ended []string
	)
	err = s.pool.QueryRow(ctx, s.q.create, r.ID, r.Subject, r.Current, created, end, idle, purge,
		r.Device.UserAgent, r.Device.IP, r.Device.Label, now, int32(r.MaxSessions), r.RefuseAtMax, deadline,
	).Scan(&code, &ended)
	if err != nil {
		return nil, s.fail("create session", err)
	}
	switch code {
	case 1:
		if len(ended) == 0 {
			ended = nil
		}
		return ended, nil
	case 0:
		return nil, fmt.Errorf("pgstore: session %q already exists", r.ID)
	case -5:
		return nil, fmt.Errorf("pgstore: %w: %d live sessions", paseto.ErrSessionLimit, r.MaxSessions)
	}
	return nil, fmt.Errorf("pgstore: create session: unexpected code %d", code)
}

// Rotate implements paseto.Store with one function call (one round trip,
// one transaction) that locks the session row (SELECT … FOR UPDATE),
// decides and writes; see the package documentation.
func (s *Store) Rotate(ctx context.Context, r paseto.Rotation) (paseto.RotationResult, error) {
	var none paseto.RotationResult
	if r.Presented == "" || r.Successor == "" {
		// The function uses the successor hash to recognise a repeated
		// call; an empty one would match fields that are empty by default.
		return none, errors.New("pgstore: rotation without presented or successor hash")
	}
	now, err := unixnano.From(r.Now)
	if err != nil {
		return none, err
	}
	store, err := unixnano.From(s.now())
	if err != nil {
		return none, err
	}
	grace, wrapped := int64(0), ""
	if r.Grace > 0 {
		grace, wrapped = int64(r.Grace), r.WrappedSuccessor
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	deadline, err := writeDeadline(ctx)
	if err != nil {
		return none, s.fail("rotate", err)
	}
	var (
		code int32
		kept string
	)
	err = s.pool.QueryRow(ctx, s.q.rotate, r.Session, r.Subject, r.Presented, r.Successor, wrapped,
		now, grace, unixnano.AddSat(store, int64(tombstone)), deadline).Scan(&code, &kept)
	if err != nil {
		return none, s.fail("rotate", err)
	}
	switch code {
	case 1:
		return paseto.RotationResult{Outcome: paseto.Rotated}, nil
	case 2:
		if kept == "" {
			return none, s.fail("rotate", errCorrupt)
		}
		return paseto.RotationResult{Outcome: paseto.Retried, WrappedSuccessor: kept}, nil
	case 3:
		return paseto.RotationResult{Outcome: paseto.Reused}, nil
	case -1:
		return none, fmt.Errorf("%w: session unknown or revoked", paseto.ErrRevoked)
	case -2:
		return none, paseto.ErrSessionExpired
	}
	return none, fmt.Errorf("pgstore: rotate: unexpected code %d", code)
}

// bound gives ctx the store's default deadline when it has none.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

// writeDeadline is the instant after which a write must not commit: ctx's
// deadline less a margin for the reply to come back (a quarter of the time
// left, at most maxReplyMargin).
func writeDeadline(ctx context.Context) (time.Time, error) {
	dl, _ := ctx.Deadline() // bound has set one
	left := time.Until(dl)
	cut := dl.Add(-min(maxReplyMargin, left/4))
	if !time.Now().Before(cut) {
		return time.Time{}, fmt.Errorf("pgstore: no time left before the deadline: %w", context.DeadlineExceeded)
	}
	return cut, nil
}

// errCorrupt is a row the store could not have written.
var errCorrupt = fmt.Errorf("pgstore: %w: a session row the store could not have written", paseto.ErrStoreCorrupt)

// errLate is a write that reached the server after its deadline: nothing
// was applied.
var errLate = fmt.Errorf("pgstore: the call reached the server after its deadline; nothing was applied: %w", context.DeadlineExceeded)

// SQLSTATEs the store's functions raise, and those it recognises.
const (
	codeLate          = "PA001" // pasetoauth_late: past the caller's deadline, rolled back
	codeDataCorrupted = "XX001"
	codeIndexCorrupt  = "XX002"
	codeUndefinedTab  = "42P01"
	codeUndefinedFunc = "42883"
)

// fail wraps an error of operation op in paseto.ErrStoreUnavailable (or,
// for a row the store could not have written, paseto.ErrStoreCorrupt,
// which is one), keeping context.DeadlineExceeded visible for a call that
// ran out of time.
func (s *Store) fail(op string, err error) error {
	if errors.Is(err, paseto.ErrStoreUnavailable) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeLate:
			err = errLate
		case codeDataCorrupted, codeIndexCorrupt:
			return fmt.Errorf("pgstore: %s: %w: %s", op, paseto.ErrStoreCorrupt, pe.Message)
		case codeUndefinedTab, codeUndefinedFunc:
			return fmt.Errorf("pgstore: %s: %w: the store's schema (prefix %q) is missing or out of date: run (*pgstore.Store).Migrate: %w",
				op, paseto.ErrStoreUnavailable, s.prefix, err)
		}
	}
	return fmt.Errorf("pgstore: %s: %w: %w", op, paseto.ErrStoreUnavailable, err)
}
