// Package redisstore is a paseto.Store on Redis, for running several
// application instances over one set of sessions and revocations. It behaves
// exactly as paseto.MemoryStore does (both pass the storetest conformance
// suite), but its state survives restarts and is shared.
//
// # Atomicity
//
// Every write is one Lua script, which Redis runs atomically: the refresh
// step (paseto.Store.Rotate), in particular, reads the session, decides
// between rotated, retried within the grace window, reuse and expiry, and
// writes the result in one step, so two instances racing on one refresh
// token see exactly one rotation. A script either fails before writing or
// writes everything; no partial session is ever left behind. Scripts run by
// EVALSHA, falling back to EVAL when the server does not have them cached
// (after a restart or SCRIPT FLUSH).
//
// Scripts are also idempotent for a repeat of the same call, because go-redis
// resends a command whose reply was lost (up to the client's MaxRetries): a
// rotation applied twice answers Rotated twice instead of tripping reuse
// detection, and a reuse detected twice is reported twice.
//
// # Keys and Redis Cluster
//
// All keys of one subject carry the same hash tag, so every script's keys
// are in one slot and the store works on Redis Cluster (*redis.ClusterClient)
// as on a single server. The tag is base64url(SHA-256(subject)[:12]), never
// the subject itself: a subject may contain braces, which would move the
// tag, and need not appear in key names at all. With the default prefix:
//
//	pasetoauth:{tag}:s:<sid>    session hash
//	pasetoauth:{tag}:subj       the subject's sessions (sorted set, by end)
//	pasetoauth:{tag}:dj:<jti>   access token denied by jti, until (unix ns)
//	pasetoauth:{tag}:ds:<sid>   access tokens denied by session, until
//
// A session hash holds subject, current, previous, rotated_at, wrapped,
// expires_at, last_used, idle_ns, revoked and reused_by. It holds hashes of
// refresh-token IDs and the successor encrypted for the holder of the
// previous token, never a usable token.
//
// # Time
//
// Instants are stored as unix nanoseconds and compared with the times the
// caller passes (paseto.Rotation.Now) or with Options.Clock, never with
// Redis' own clock, so that expiry follows the application's clock exactly
// as in the memory store. Redis TTLs are set as well, so that nothing grows
// forever: a session and its subject's index expire at the session's
// absolute end, a deny entry at its until-time. The TTLs only collect
// garbage; a deny entry whose until-time has passed by Options.Clock is not
// honoured even if Redis still holds it.
//
// # Failures
//
// Redis and network errors are returned unchanged; paseto.Auth turns them
// into paseto.ErrStoreUnavailable and denies the request (fail closed).
// Nothing is ever read as "not revoked" for want of an answer.
//
// A refresh that failed that way may still have rotated the session (the
// script ran, its reply was lost). A client that then tries again with the
// same refresh token is a benign retry within paseto.Config.GracePeriod and
// reuse without one, so with Redis a grace period of a few seconds is
// recommended.
//
// Requires Redis 4.0 or later (tested on 7) or a compatible server.
package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// DefaultPrefix starts every key the store writes unless Options.Prefix is
// set.
const DefaultPrefix = "pasetoauth:"

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// Prefix starts every key, to share a database with other data or
	// other applications. It must not contain '{' or '}', which would
	// replace the store's Redis Cluster hash tag. Default DefaultPrefix.
	Prefix string
	// Clock replaces time.Now for deciding whether a deny entry is still in
	// force and for computing TTLs. Decisions on sessions use the time in
	// paseto.Rotation instead. Give it the same clock as paseto.Config.
	Clock func() time.Time
}

// Store is a paseto.Store on Redis. It is safe for concurrent use, and any
// number of Stores in any number of processes may share one Redis (with the
// same Prefix) to serve the same sessions.
type Store struct {
	client redis.UniversalClient
	prefix string
	now    func() time.Time
}

var _ paseto.Store = (*Store)(nil)

// maxRevokeSubjectAttempts bounds how often RevokeSubject re-reads the
// subject's index when logins keep adding sessions while it works. One
// repeat is the realistic worst case; the bound only stops a pathological
// stream of logins from holding the call forever.
const maxRevokeSubjectAttempts = 16

// minSessionTTL keeps a session that is created already expired (by the
// store clock) readable for a moment, so Rotate reports it expired rather
// than unknown.
const minSessionTTL = time.Second

// New returns a Store over client: a *redis.Client, a *redis.ClusterClient
// or a failover client, shared with the rest of the application if
// convenient. Its retry settings apply (the scripts tolerate retries). New does not
// contact Redis, so an application can start while Redis is down; requests
// then fail closed until it is back.
func New(client redis.UniversalClient, opts Options) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: redisstore: nil client", paseto.ErrConfig)
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(opts.Prefix, "{}") {
		return nil, fmt.Errorf("%w: redisstore: prefix %q contains a brace, which would break the cluster hash tag", paseto.ErrConfig, opts.Prefix)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	return &Store{client: client, prefix: opts.Prefix, now: opts.Clock}, nil
}

// keys names the keys of one subject. The tag is 96 bits of SHA-256:
// enough that two subjects sharing one is not a concern (and even then the
// scripts check the subject stored in each session), short enough to keep
// keys small. It is kept as bytes so that building a key is one allocation.
type keys struct {
	prefix string
	tag    [16]byte // base64 of 12 bytes: 16 characters, no padding
}

func (s *Store) keys(subject string) keys {
	k := keys{prefix: s.prefix}
	sum := sha256.Sum256([]byte(subject))
	base64.RawURLEncoding.Encode(k.tag[:], sum[:12])
	return k
}

// key returns "<prefix>{<tag>}:<kind><id>".
func (k keys) key(kind, id string) string {
	return k.prefix + "{" + string(k.tag[:]) + "}:" + kind + id
}

func (k keys) session(sid string) string { return k.key("s:", sid) }
func (k keys) index() string             { return k.key("subj", "") }
func (k keys) denyJTI(jti string) string { return k.key("dj:", jti) }
func (k keys) denySID(sid string) string { return k.key("ds:", sid) }

// Revoked implements paseto.RevocationChecker. It runs on every
// authenticated request, so it is a single MGET of the token's jti deny key
// and, for tokens in a session, its sid deny key (one slot: both carry the
// subject's tag).
func (s *Store) Revoked(ctx context.Context, c *paseto.Claims) (bool, error) {
	if c == nil {
		return false, errors.New("redisstore: nil claims")
	}
	now, err := unixNano(s.now())
	if err != nil {
		return false, err
	}
	k := s.keys(c.Subject)
	var cmd *redis.SliceCmd
	if c.Session == "" {
		cmd = s.client.MGet(ctx, k.denyJTI(c.ID))
	} else {
		cmd = s.client.MGet(ctx, k.denyJTI(c.ID), k.denySID(c.Session))
	}
	vals, err := cmd.Result()
	if err != nil {
		return false, err
	}
	for _, v := range vals {
		switch v := v.(type) {
		case nil:
		case string:
			until, err := strconv.ParseInt(v, 10, 64)
			if err != nil || until < 0 {
				// Fail closed on a value this store never writes.
				return false, errors.New("redisstore: corrupt deny entry in redis")
			}
			if now < until {
				return true, nil
			}
		default:
			return false, fmt.Errorf("redisstore: unexpected MGET reply %T", v)
		}
	}
	return false, nil
}

// CreateSession implements paseto.Store. The session hash and the subject's
// index expire at the session's absolute end (by Options.Clock), at least a
// second from now.
func (s *Store) CreateSession(ctx context.Context, r paseto.SessionRecord) error {
	if r.ID == "" || r.Current == "" {
		return errors.New("redisstore: session without ID or current token hash")
	}
	expires := untilNanos(r.ExpiresAt)
	created, err := nanos(r.CreatedAt)
	if err != nil {
		return err
	}
	now := s.now()
	nowMs, err := unixMilli(now)
	if err != nil {
		return err
	}
	ttl := max(ttlMillis(r.ExpiresAt, now), minSessionTTL.Milliseconds())
	idle := max(r.IdleTimeout, 0)
	k := s.keys(r.Subject)
	res, err := createScript.Run(ctx, s.client,
		[]string{k.session(r.ID), k.index()},
		r.Subject, r.Current, expires, created, strconv.FormatInt(int64(idle), 10),
		ttl, r.ID, ceilMilli(untilNano(r.ExpiresAt)), nowMs,
	).Int64()
	switch {
	case err != nil:
		return err
	case res == resExists:
		return fmt.Errorf("redisstore: session %q already exists", r.ID)
	case res != resOK:
		return fmt.Errorf("redisstore: create session: unexpected reply %d", res)
	}
	return nil
}

// Rotate implements paseto.Store with one script, atomically; see the
// package documentation.
func (s *Store) Rotate(ctx context.Context, r paseto.Rotation) (paseto.RotationResult, error) {
	var none paseto.RotationResult
	if r.Presented == "" || r.Successor == "" {
		// The scripts use the successor hash to recognise a repeated call;
		// an empty one would match fields that are empty by default.
		return none, errors.New("redisstore: rotation without presented or successor hash")
	}
	now, err := nanos(r.Now)
	if err != nil {
		return none, err
	}
	denyUntil := untilNanos(r.DenyUntil)
	graceFloor := ""
	if r.Grace > 0 {
		// now - rotated_at <= grace  <=>  rotated_at >= now - grace, so the
		// script compares instead of subtracting.
		floor := r.Now.Add(-r.Grace)
		if floor.Before(time.Unix(0, 0)) {
			floor = time.Unix(0, 0)
		}
		graceFloor = strconv.FormatInt(floor.UnixNano(), 10)
	}
	k := s.keys(r.Subject)
	reply, err := rotateScript.Run(ctx, s.client,
		[]string{k.session(r.Session), k.denySID(r.Session)},
		r.Subject, r.Presented, r.Successor, r.WrappedSuccessor,
		now, graceFloor, denyUntil, ttlMillis(r.DenyUntil, s.now()),
	).Slice()
	if err != nil {
		return none, err
	}
	var code int64
	if len(reply) > 0 {
		code, _ = reply[0].(int64) // anything else is 0, rejected below
	}
	switch code {
	case resRotated:
		return paseto.RotationResult{Outcome: paseto.Rotated}, nil
	case resRetried:
		var wrapped string
		if len(reply) == 2 {
			wrapped, _ = reply[1].(string)
		}
		if wrapped == "" {
			return none, errors.New("redisstore: rotate: retried without a kept successor")
		}
		return paseto.RotationResult{Outcome: paseto.Retried, WrappedSuccessor: wrapped}, nil
	case resReused:
		return paseto.RotationResult{Outcome: paseto.Reused}, nil
	case resUnknown:
		return none, fmt.Errorf("%w: session unknown or revoked", paseto.ErrRevoked)
	case resExpired:
		return none, paseto.ErrSessionExpired
	}
	return none, fmt.Errorf("redisstore: rotate: unexpected reply %d", code)
}

// RevokeSession implements paseto.Store. Revoking a session that no longer
// exists still denies its access tokens, as the memory store does.
//
// Deny entries are kept per subject (under its hash tag), so that Revoked is
// one single-slot lookup: subject must be the session's subject, as it is
// when it comes from the session's own token.
func (s *Store) RevokeSession(ctx context.Context, subject, sid string, denyUntil time.Time) error {
	until := untilNanos(denyUntil)
	k := s.keys(subject)
	res, err := revokeSessionScript.Run(ctx, s.client,
		[]string{k.session(sid), k.denySID(sid)},
		subject, until, ttlMillis(denyUntil, s.now()),
	).Int64()
	switch {
	case err != nil:
		return err
	case res == resUnknown:
		return fmt.Errorf("%w: session belongs to another subject", paseto.ErrRevoked)
	case res != resOK:
		return fmt.Errorf("redisstore: revoke session: unexpected reply %d", res)
	}
	return nil
}

// RevokeSubject implements paseto.Store. It reads the subject's sessions,
// then revokes them all in one script that declares every key (the Redis
// Cluster rule). If a login added a session in between, it reads the index
// again and repeats, so it returns nil only once a script has seen every
// session of the subject: a session created while it runs is revoked unless
// it was created after the script that completed the revocation. If logins
// keep racing it for maxRevokeSubjectAttempts rounds, it gives up with an
// error, having revoked every session it saw.
func (s *Store) RevokeSubject(ctx context.Context, subject string, denyUntil time.Time) error {
	until := untilNanos(denyUntil)
	k := s.keys(subject)
	index := k.index()
	for range maxRevokeSubjectAttempts {
		sids, err := s.client.ZRange(ctx, index, 0, -1).Result()
		if err != nil {
			return err
		}
		if len(sids) == 0 {
			return nil
		}
		now := s.now()
		nowMs, err := unixMilli(now)
		if err != nil {
			return err
		}
		names := make([]string, 0, 1+2*len(sids))
		names = append(names, index)
		args := make([]any, 0, 4+len(sids))
		args = append(args, subject, until, ttlMillis(denyUntil, now), nowMs)
		for _, sid := range sids {
			names = append(names, k.session(sid), k.denySID(sid))
			args = append(args, sid)
		}
		res, err := revokeSubjectScript.Run(ctx, s.client, names, args...).Int64()
		switch {
		case err != nil:
			return err
		case res == resOK:
			return nil
		case res != resIncomplete:
			return fmt.Errorf("redisstore: revoke subject: unexpected reply %d", res)
		}
	}
	return errors.New("redisstore: revoke subject: logins kept adding sessions; every session seen is revoked, try again")
}

// RevokeToken implements paseto.Store. A token whose until-time has already
// passed needs no entry and costs no round trip.
func (s *Store) RevokeToken(ctx context.Context, subject, jti string, until time.Time) error {
	u := untilNanos(until)
	ttl := ttlMillis(until, s.now())
	if ttl <= 0 {
		return nil
	}
	res, err := denyScript.Run(ctx, s.client, []string{s.keys(subject).denyJTI(jti)}, u, ttl).Int64()
	switch {
	case err != nil:
		return err
	case res != resOK:
		return fmt.Errorf("redisstore: revoke token: unexpected reply %d", res)
	}
	return nil
}

var errTimeRange = errors.New("redisstore: time outside 1970..2262, not representable in unix nanoseconds")

// unixNano is t.UnixNano for the instants the store can represent. Earlier
// or later ones are refused (the request fails closed) rather than wrapped
// around, which UnixNano would do silently.
func unixNano(t time.Time) (int64, error) {
	if t.Before(time.Unix(0, 0)) || t.After(time.Unix(0, math.MaxInt64)) {
		return 0, errTimeRange
	}
	return t.UnixNano(), nil
}

// nanos is unixNano as the decimal string the scripts store and compare.
func nanos(t time.Time) (string, error) {
	n, err := unixNano(t)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(n, 10), nil
}

// untilNano is the unix nanoseconds of an end time (an expiry or a
// deny-until), clamped into range instead of refused: an end before 1970 is
// simply over, one after 2262 is as good as never.
func untilNano(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, 0)):
		return 0
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// untilNanos is untilNano as the decimal string the scripts store.
func untilNanos(t time.Time) string { return strconv.FormatInt(untilNano(t), 10) }

// unixMilli is t in unix milliseconds, rounded down, for the index's prune
// bound: sorted-set scores are doubles, exact for milliseconds.
func unixMilli(t time.Time) (int64, error) {
	n, err := unixNano(t)
	return n / int64(time.Millisecond), err
}

// ceilMilli is unix nanoseconds n in milliseconds rounded up, for index
// scores, so that a session is pruned only once it has certainly ended.
func ceilMilli(n int64) int64 {
	ms := n / int64(time.Millisecond)
	if n%int64(time.Millisecond) != 0 {
		ms++
	}
	return ms
}

// ttlMillis is until - now in milliseconds, rounded up so a key never
// expires before its until-time; <= 0 when until is not after now.
func ttlMillis(until, now time.Time) int64 {
	d := until.Sub(now)
	if d <= 0 {
		return 0
	}
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond != 0 {
		ms++
	}
	return ms
}
