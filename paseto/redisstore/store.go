// Package redisstore is a paseto.Store on Redis, for running several
// application instances over one set of sessions. It keeps the same
// contract as paseto.MemoryStore (both pass the storetest conformance
// suite), shared between instances.
//
// # Fail closed
//
// The store vouches for live sessions; it keeps no deny list. A token is
// accepted only when its session is a member of its subject's session
// index and its hash is there, intact, not revoked, not past its end and
// (see Restarts and rollbacks) written by the Redis process now answering.
// Every way of losing a key (eviction, expiry, a restart, a restored
// snapshot, a manual DEL) therefore ends sessions and never revives one:
// deleting a session hash ends that session, deleting a subject's index
// ends every session of the subject, deleting a kept successor only turns
// a retry within the grace window into a refusal. Membership is checked
// first: a session that is not in the index is not live, whatever its
// hash holds. So the index is exactly the sessions that can be live, and
// listing a subject's sessions, or ending all but one, needs nothing else.
// A record this store could not have written (a field missing or
// malformed, a key of the wrong type) is an error wrapping
// paseto.ErrStoreCorrupt on every operation that would grant something
// from it, or list it; revocations delete what they need whatever it
// holds, so a broken record can never keep a session alive by making its
// logout fail.
//
// Every write is one Lua script, which Redis runs atomically: the refresh
// step (paseto.Store.Rotate), in particular, reads the session, decides
// between rotated, retried within the grace window, reuse and expiry, and
// writes the result in one step, so two instances racing on one refresh
// token see exactly one rotation. A script validates everything before its
// first write, so no partial session is ever left behind; and it is
// idempotent for a repeat of the same call, because go-redis resends a
// command whose reply was lost. Revocations begin with DEL, HDEL or ZREM,
// which Redis runs even when it is out of memory under noeviction.
//
// # Costs
//
// Verifying an access token (SessionLive) is one round trip: a pipeline of
// HMGET on the session and ZSCORE of it in the index, compared in Go; none
// when the live cache (see Live cache) holds the session. A
// login without a session cap, a refresh and a logout (RevokeSession) are
// one EVALSHA each. Listing a subject's sessions is two round trips:
// ZRANGE of the index, then one pipeline of an HMGET per member. A login
// under paseto.Config.MaxSessions and RevokeOtherSessions are two: ZRANGE,
// then one script given every member's keys (Redis Cluster requires a
// script to name every key it touches), which first checks that the index
// still holds exactly those members; when another instance changed it in
// between, the script writes nothing and the call tries again with the
// members it found, one round trip each, a few times within the deadline
// (calls on one subject through one Store wait for each other instead of
// racing). Each call adds one round trip of INFO when the store's view of
// the server's identity is more than IdentityMaxAge old, or may be stale
// (see Restarts and rollbacks).
//
// The last three cost in proportion to the subject's index: its live
// sessions, and those that ended without leaving it. A logout, a reuse,
// RevokeOtherSessions and the cap remove their members at once; a session
// that ended by its absolute end leaves at the subject's next login, one
// whose hash was lost (evicted) or that ended for idleness stays until its
// absolute end or the subject's next login under a cap or
// RevokeOtherSessions, whichever comes first.
//
// # Keys
//
// All keys of one subject carry the same hash tag, so every script's keys
// are in one slot. The tag is base64url(SHA-256(subject)[:12]), never the
// subject itself: a subject may contain braces, which would move the tag,
// and need not appear in key names at all. With the default prefix:
//
//	pasetoauth:{tag}:h:<sid>  session hash
//	pasetoauth:{tag}:i        the subject's session index: a sorted set
//	pasetoauth:{tag}:w:<sid>  successor kept for the grace window
//
// A session hash holds, under one-character field names (in brackets),
// subject (u), run (r: the server identity, see Restarts and rollbacks),
// current (c), previous (p), rotated_at (t), expires_at (e), last_used
// (l), idle_ns (i), revoked (x), reused_by (b) and created_at (a): times,
// and 128 bits of the SHA-256 of the refresh-token hashes the core
// passes, never a usable token; and the session's paseto.Device: the
// user agent in four parts of at most 64 bytes (0, 1, 2, 3), ip (n) and
// label (m). No value is longer than 64 bytes, so that Redis keeps the
// hash a compact listpack (hash-max-listpack-value) rather than a hash
// table of twice the size. It expires at the session's absolute end; a session
// revoked for reuse is kept one more minute only, so that a repeat of the
// refresh that detected it answers the same; a logged-out session is
// deleted. The index has a member per session, its sid, scored by the
// session's absolute end in unix milliseconds; it is created by the
// subject's first login and lives as long as its longest session. A login
// adds its session and removes the members whose end has passed; a logout,
// a reuse, RevokeOtherSessions and a login at the cap remove theirs; "log
// out everywhere" (RevokeSubject) deletes the index, whatever it holds, and
// the next login starts a new one, without the older sessions. The kept
// successor is what paseto.Auth needs to answer a retry within the grace
// window: the next refresh token's ID and issue time, sealed for the
// holder of the token it replaced (83 bytes; earlier versions kept the
// whole token, wrapped, about 700, and a retry still reads that). It is
// opaque to the store, which keeps it as given, in a key of its own,
// written only with a grace period, with PX set to it, so the memory it
// takes (200 B by MEMORY USAGE) is returned as soon as no retry can use
// it. In the session hash it would cost less inside the window (the hash
// grows by one jemalloc size class, 96 B), but it would stay there after
// the window, until the next refresh, which is most of a session's life.
//
// # Upgrading
//
// Earlier versions of this store tied sessions to a per-subject generation
// key ({tag}:g) instead of an index. Their sessions are in no index, so
// this version reads them as not live (not as corrupt): upgrading logs
// every user out, and the old keys expire on their own.
//
// The versions with an index but before the compact session hash kept it
// under {tag}:s:<sid>, with long field names and the whole token hashes.
// This version reads sessions under {tag}:h:<sid> only, so theirs are not
// live (not corrupt) here either: upgrading from them logs every user out
// too; their hashes expire on their own and their index members leave at
// their absolute end, the subject's next login under a cap, or
// RevokeOtherSessions. The same rule about running both versions holds:
// each version's sessions are not live on the other.
//
// Do not run both versions on one prefix at once. Each ends a subject's
// sessions through its own key ("log out everywhere" here deletes the
// index, and the generation too, for the earlier version's sitting
// instances), but an earlier instance's "log out everywhere" deletes only
// the generation, so sessions this version created would survive it; and
// earlier instances answer 503 (a corrupt record) for those sessions.
// Either stop every earlier instance before starting this version, or
// give this version another Config.Prefix, so that the two keep
// separate sessions (a user whose requests reach the other version logs
// in again there) until the last earlier instance is gone.
//
// # Live cache
//
// With Config.LiveCache, a Store keeps the sessions SessionLive found
// live in Redis, and answers "live" from memory for them, without a round
// trip, under these rules:
//
//   - Only live answers are kept, each for at most Config.LiveCache
//     (MaxLiveCache at most) and never past the session's own absolute or
//     idle end, and only while the server identity it was judged against
//     is the one the store holds, fresh. A refusal is never kept, and
//     drops what was kept for the subject.
//   - Every script that ends a session (a logout, a reuse, "sign out the
//     others", "log out everywhere", a login at the session cap)
//     publishes the subject's hash tag on the channel <prefix>invalidate,
//     atomically with its writes; every Store with a live cache is
//     subscribed to it on a connection of its own and forgets the
//     subject's sessions when the message arrives. A Store forgets them
//     itself, at once, around every write of its own to the subject.
//   - An answer read from Redis is kept only if no invalidation of its
//     subject and no loss of the channel came between the moment the
//     request was sent and the reply: a revocation that Redis applied
//     after it read the session is never hidden by a late insert.
//   - The channel is pinged every 25 ms. The cache answers only while a
//     PING sent less than InvalidationBound (100 ms) ago has been
//     answered after the subscription was confirmed: Redis delivers a
//     connection's messages in order, so every invalidation published
//     before that PING has then been applied. A lost connection, an
//     error, a resubscription (a reconnect, a Redis restart) drops the
//     whole cache at once and turns it off until a new subscription is
//     confirmed and a PING sent after it answered; a Redis or a network
//     that stops answering (SIGSTOP, a partition) turns it off, and drops
//     it, InvalidationBound after the last PING answered. That age is
//     measured by the monotonic clock and by the wall clock alike: the
//     first stands still while the machine is suspended, so a Store
//     waking from a suspend asks Redis until a PING sent since is
//     answered.
//
// So after a revocation that Redis applied at instant t, whichever Store
// made it, no Store answers the session live from its cache from t +
// InvalidationBound on (while the channel works, from when the message
// arrives: milliseconds on a local network); without the cache, every
// check from t on refuses it. A key lost without a script (evicted,
// expired early, deleted by hand) publishes nothing: a Store may answer
// a session it cached as live for up to Config.LiveCache after its key
// went, unless a logout, "sign out the others" or "log out everywhere" of
// the subject comes first: those publish whatever they find left. Redis
// Cluster is not supported (New refuses it).
//
// # Deadlines
//
// Every call runs under its context's deadline, or Config.Timeout when it
// has none. go-redis honours a context deadline on socket reads only when
// the client's ContextTimeoutEnabled option is set, so New refuses a client
// without it.
//
// A write that reaches Redis after its caller gave up must not be applied:
// the caller has answered 503, and its client will come back with the
// token it still holds, which a late rotation would have made "reused".
// Each script therefore receives the deadline (unix milliseconds, minus a
// margin for the reply's way back: a quarter of the time left, at most
// 100 ms) and compares it with Redis' clock (TIME) before writing anything;
// past it, it writes nothing and the call fails with an error wrapping
// context.DeadlineExceeded. The only error left is the clock difference
// between the application's host and Redis' host: a write may be applied
// up to that long after the deadline. With clocks kept by NTP (a few
// milliseconds apart) the reply margin absorbs it; a larger skew only
// widens this window, and a GracePeriod covers retries that fall in it.
//
// # Restarts and rollbacks
//
// Redis restarted empty has no sessions, so nothing is accepted. A Redis
// that comes back with older data (an RDB snapshot restored, a restart
// that lost the last second of an everysec append-only file, a replica
// promoted before it caught up, an old master that was resynced from a
// lagging replica and then promoted again) could revive sessions that had
// been logged out, and would see the refresh tokens rotated since as
// "reused". So each session records the identity of the Redis server that
// created it, and a session of another identity is not live: its tokens
// are refused and rotating it answers paseto.ErrRevoked, without a reuse
// event. After a restart or a failover every user logs in again; nothing
// comes back.
//
// The identity is a digest of two values of INFO: run_id, new on every
// start of redis-server, and master_replid, new whenever the server
// becomes a master (REPLICAOF NO ONE, a failover), adopted from its master
// by a full resync, and otherwise constant while a master runs: between
// them, they change whenever the data a server answers from may have been
// replaced by other data. master_replid also changes in two cases that replace no data,
// which end every session as well: a first replica attaching to a master
// that has none (it creates its replication backlog), and a master whose
// replicas have all been gone for repl-backlog-ttl (default one hour; set
// it to 0 on a master that has replicas). Neither changes when data is
// loaded into a running server by DEBUG RELOAD, RESTORE or a client that
// rewrites keys: to restore data into a running Redis, delete the store's
// keys (every user logs in again) or change Config.Prefix on every
// instance; otherwise the restored sessions are live again, logged-out
// ones included.
//
// The store reads the identity (INFO server and replication, one round
// trip) on first use and again before trusting an answer whenever one of
// these holds: it is older than IdentityMaxAge (one second), go-redis has
// dialled a connection since it was read (a hook, added to the client by
// New, counts dials), or a command on the client has failed with a network
// error or a timeout since (the same hook). A restart or a failover
// normally reaches the store through a new connection or a failed call, so
// it is noticed before the next answer; one that does not (a failback by
// REPLICAOF, whose clients keep their connections, or a restart behind a
// proxy that keeps client connections open) is noticed at most
// IdentityMaxAge after the store last read the identity. Within that
// window, answers from the new data are held against the old identity, so
// a session revoked in the data that was lost may be accepted; sessions
// created, rotated or accepted in the window carry or match the old
// identity only, and end as soon as the window does. One call at a time
// reads INFO, under the caller's deadline, while the others wait for it:
// about one INFO round trip per second per Store in use.
//
// Config.LosslessPersistence turns this off, for a Redis that cannot roll
// back: append-only file with appendfsync always, and no failover to a
// replica that may lag. Sessions then survive restarts. It is required on
// Redis Cluster, whose nodes each have their own identity, which this
// store does not track.
//
// # Eviction
//
// Use maxmemory-policy noeviction: when Redis is full, logins and refreshes
// then fail with 503 while verification and revocation keep working. Under
// an evicting policy (allkeys-*, and volatile-*, since every key here has a
// TTL) Redis drops keys to make room, which ends sessions early (users log
// in again; all of a subject's at once when its index goes) but never
// revives one: a session evicted from the index is in no later index. On
// first contact the store reads INFO
// and logs a warning for an evicting policy and, with LosslessPersistence,
// for persistence that can lose writes. Check does so eagerly.
//
// # Failures
//
// Redis and network errors are returned wrapped; paseto.Auth turns them
// into paseto.ErrStoreUnavailable and answers 503 (fail closed). Nothing is
// ever read as "live" for want of an answer. When the server does not
// allow INFO (some managed services), its identity cannot be learned and
// every call fails closed, unless LosslessPersistence is set.
//
// A refresh that failed with a network error after the script ran (the
// reply was lost) has rotated the session. A client that then tries again
// with the same refresh token is a benign retry within
// paseto.Config.GracePeriod and reuse without one, so with Redis a grace
// period of a few seconds is recommended.
//
// Requires Redis 4.0 or later (tested on 7) or a compatible server.
package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/internal/unixnano"
)

// DefaultPrefix starts every key the store writes unless Config.Prefix is
// set.
const DefaultPrefix = "pasetoauth:"

// DefaultTimeout bounds a call whose context has no deadline, unless
// Config.Timeout says otherwise.
const DefaultTimeout = time.Second

// Config configures a Store. The zero value is ready to use.
type Config struct {
	// Prefix starts every key, to share a database with other data or
	// other applications. It must not contain '{' or '}', which would
	// replace the store's Redis Cluster hash tag. Default DefaultPrefix.
	Prefix string
	// Clock replaces time.Now for computing TTLs. Decisions on sessions use
	// the time paseto.Auth passes instead; give both the same clock.
	Clock func() time.Time
	// Timeout bounds a call whose context has no deadline. paseto.Auth
	// always sets one (Config.StoreTimeout). Default DefaultTimeout.
	Timeout time.Duration
	// LosslessPersistence declares that this Redis never loses an
	// acknowledged write: append-only file with appendfsync always, no
	// RDB-only persistence, no snapshot ever restored over newer data, no
	// failover to a replica that may lag. Sessions then survive a Redis
	// restart. Without it, a session is live only on the Redis server
	// that created it, as long as its run_id and master_replid last (see
	// the package documentation). Required on Redis Cluster.
	LosslessPersistence bool
	// Logger receives the warnings about the server's configuration (an
	// evicting maxmemory-policy, persistence that can lose writes, INFO not
	// allowed). Default slog.Default().
	Logger *slog.Logger
	// LiveCache, when positive, lets the Store answer SessionLive from
	// memory for a session it found live in Redis less than LiveCache ago
	// (at most MaxLiveCache), instead of asking Redis on every request.
	// Revocations made through any Store on the same Redis and Prefix are
	// then refused by this one within InvalidationBound, not at once; see
	// the package documentation, Live cache. It needs a *redis.Client (not
	// a ClusterClient), takes one more connection (a subscription) and
	// sends a PING on it every 25 ms; call Close when done with the
	// Store. Zero: every check asks Redis.
	LiveCache time.Duration
}

// Store is a paseto.Store on Redis. It is safe for concurrent use, and any
// number of Stores in any number of processes may share one Redis (with the
// same Prefix and LosslessPersistence) to serve the same sessions.
type Store struct {
	client   redis.UniversalClient
	cluster  *redis.ClusterClient // nil unless client is one
	prefix   string
	now      func() time.Time
	timeout  time.Duration
	lossless bool
	logger   *slog.Logger
	server   server
	// indexLocks serialise, per subject, this Store's calls that work on
	// every member of an index (see indexScript).
	indexLocks indexLocks
	// cache is the live cache (Config.LiveCache); nil without one.
	cache *liveCache
}

var _ paseto.Store = (*Store)(nil)

// minSessionTTL keeps a session that is created already expired (by the
// store clock) readable for a moment, so Rotate reports it expired rather
// than unknown.
const minSessionTTL = time.Second

// tombstone is how long a session revoked for reuse is kept: only so that
// a repeat of the Rotate call that detected it answers Reused again.
const tombstone = paseto.MaxGracePeriod

// maxReplyMargin bounds the part of a call's time kept for a write's reply
// to come back: a script runs only if it starts that long before the
// deadline.
const maxReplyMargin = 100 * time.Millisecond

// New returns a Store over client: a *redis.Client (failover clients are
// one too) or a *redis.ClusterClient, shared with the rest of the
// application if convenient, whose options have ContextTimeoutEnabled set.
// Its retry settings apply (the scripts tolerate retries).
//
// New refuses, with paseto.ErrConfig, a nil client or one of another type,
// a client without ContextTimeoutEnabled (go-redis would then wait on a
// hung server past every deadline), a prefix with a brace, and a
// ClusterClient without LosslessPersistence. Unless LosslessPersistence is
// set, it adds a hook to client that counts new connections and commands
// failed with a network error (see the package documentation).
//
// New does not contact Redis, so an application can start while Redis is
// down; requests then fail closed until it is back. Call Check to contact
// it at start-up.
func New(client redis.UniversalClient, cfg Config) (*Store, error) {
	s := &Store{client: client}
	switch c := client.(type) {
	case nil:
		return nil, fmt.Errorf("%w: redisstore: nil client", paseto.ErrConfig)
	case *redis.Client:
		if c == nil {
			return nil, fmt.Errorf("%w: redisstore: nil client", paseto.ErrConfig)
		}
		if !c.Options().ContextTimeoutEnabled {
			return nil, fmt.Errorf("%w: redisstore: the redis client must have ContextTimeoutEnabled set (redis.Options or ?context_timeout_enabled=true in the URL): without it go-redis ignores context deadlines and a hung Redis holds every request", paseto.ErrConfig)
		}
	case *redis.ClusterClient:
		if c == nil {
			return nil, fmt.Errorf("%w: redisstore: nil client", paseto.ErrConfig)
		}
		if !c.Options().ContextTimeoutEnabled {
			return nil, fmt.Errorf("%w: redisstore: the cluster client must have ContextTimeoutEnabled set (redis.ClusterOptions): without it go-redis ignores context deadlines and a hung Redis holds every request", paseto.ErrConfig)
		}
		if !cfg.LosslessPersistence {
			return nil, fmt.Errorf("%w: redisstore: on Redis Cluster set LosslessPersistence (append-only file with appendfsync always on every node, and no failover to a lagging replica): the store cannot tell a restarted or failed-over node from the one that wrote a session", paseto.ErrConfig)
		}
		s.cluster = c
	default:
		return nil, fmt.Errorf("%w: redisstore: unsupported client %T: use a *redis.Client (NewClient, NewFailoverClient) or a *redis.ClusterClient", paseto.ErrConfig, client)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(cfg.Prefix, "{}") {
		return nil, fmt.Errorf("%w: redisstore: prefix %q contains a brace, which would break the cluster hash tag", paseto.ErrConfig, cfg.Prefix)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: redisstore: negative timeout %v", paseto.ErrConfig, cfg.Timeout)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LiveCache < 0 || cfg.LiveCache > MaxLiveCache {
		return nil, fmt.Errorf("%w: redisstore: LiveCache %v outside [0, %v]", paseto.ErrConfig, cfg.LiveCache, MaxLiveCache)
	}
	if cfg.LiveCache > 0 && s.cluster != nil {
		return nil, fmt.Errorf("%w: redisstore: LiveCache is not supported on Redis Cluster", paseto.ErrConfig)
	}
	s.prefix, s.now, s.timeout = cfg.Prefix, cfg.Clock, cfg.Timeout
	s.lossless, s.logger = cfg.LosslessPersistence, cfg.Logger
	s.server.init()
	s.indexLocks.init()
	if !s.lossless {
		client.AddHook(watcher{&s.server.changes})
	}
	if cfg.LiveCache > 0 {
		s.cache = newLiveCache(client.(*redis.Client), s.prefix, cfg.LiveCache)
	}
	return s, nil
}

// Close stops the live cache (Config.LiveCache), if any, and closes its
// connection; the Store then asks Redis on every check. It does not close
// the client given to New. Without a live cache it does nothing.
func (s *Store) Close() error {
	if s.cache == nil {
		return nil
	}
	return s.cache.close()
}

// forget drops the live cache's sessions of k's subject, around a write
// that may end one of them: this Store refuses them at once, whatever the
// invalidation channel does.
func (s *Store) forget(k *keys) {
	if s.cache != nil {
		s.cache.invalidate(&k.tag)
	}
}

// cachedIdentity is the check a cache entry passes before use: it was
// judged against the identity the store holds now, and that identity is
// fresh (see Restarts and rollbacks).
func (s *Store) cachedIdentity(id *identity) bool {
	if s.lossless {
		return true
	}
	cur := s.server.ident.Load()
	return id != nil && cur != nil && id.digest == cur.digest && s.server.fresh(cur)
}

// keys names the keys of one subject. The tag is 96 bits of SHA-256:
// enough that two subjects sharing one is not a concern (and even then the
// store checks the subject stored in each session), short enough to keep
// keys small.
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

func (k keys) session(sid string) string { return k.key("h:", sid) }
func (k keys) index() string             { return k.key("i", "") }

// legacyGen is the subject's generation of the versions before session
// indexes, deleted by RevokeSubject for instances still running them.
func (k keys) legacyGen() string         { return k.key("g", "") }
func (k keys) wrapped(sid string) string { return k.key("w:", sid) }

// sessionFields is the session hash, in the order the scripts' FIELDS
// list it.
// Each is one character, to keep the hash small: subject, run, current,
// previous, rotated_at, expires_at, last_used, idle_ns, revoked,
// reused_by, created_at, the user agent's four parts, ip and label.
var sessionFields = []string{"u", "r", "c", "p", "t", "e", "l", "i", "x", "b", "a",
	"0", "1", "2", "3", "n", "m"}

// hmgetFields is sessionFields as HMGET arguments, boxed once rather than
// on every request.
var hmgetFields = func() []any {
	a := make([]any, len(sessionFields))
	for i, f := range sessionFields {
		a[i] = f
	}
	return a
}()

const (
	fSubject = iota
	fRun
	fCurrent
	fPrevious
	fRotatedAt
	fExpiresAt
	fLastUsed
	fIdle
	fRevoked
	fReusedBy
	fCreatedAt
	fUA        // the first of the user agent's uaParts fields
	fIP        = fUA + uaParts
	fLabel     = fIP + 1
	fieldCount = fLabel + 1
	// liveFieldCount is the leading fields SessionLive reads: all but the
	// device, which no liveness decision needs.
	liveFieldCount = fCreatedAt + 1
)

// maxFieldBytes is the longest value a session hash holds: Redis keeps a
// hash whose values are all at most hash-max-listpack-value bytes (64 by
// default) as a compact listpack, and turns it into a hash table, about
// twice the size, as soon as one is longer.
const maxFieldBytes = 64

// uaParts is how many fields hold the user agent (paseto.MaxUserAgentBytes,
// 256), maxFieldBytes each, so that a long one keeps the hash compact.
const uaParts = paseto.MaxUserAgentBytes / maxFieldBytes

// deviceArgs is d as the create scripts' arguments: the user agent in
// uaParts parts, the IP and the label. paseto.Auth bounds every field; a
// longer one, which only a direct caller can pass, is refused.
func deviceArgs(d paseto.Device) ([]any, error) {
	if len(d.UserAgent) > uaParts*maxFieldBytes || len(d.IP) > maxFieldBytes || len(d.Label) > maxFieldBytes {
		return nil, fmt.Errorf("redisstore: device field too long (user agent over %d bytes, or IP or label over %d)",
			uaParts*maxFieldBytes, maxFieldBytes)
	}
	a := make([]any, 0, uaParts+2)
	ua := d.UserAgent
	for range uaParts {
		n := min(len(ua), maxFieldBytes)
		a = append(a, ua[:n])
		ua = ua[n:]
	}
	return append(a, d.IP, d.Label), nil
}

// tokenHash is what the session hash keeps of a refresh-token hash the
// core passes (SHA-256, 43 characters): 128 bits of its SHA-256, 22
// characters, to keep the hash small. Every comparison (rotation, a
// retry, a repeated call) compares these, so they agree; finding a
// token whose hash matches a stored one still takes 2^128 work.
func tokenHash(h string) string {
	sum := sha256.Sum256([]byte(h))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// hmget is HMGET of the first n session fields of key: fieldCount for
// all of them, liveFieldCount for what a liveness decision reads.
func hmget(ctx context.Context, key string, n int) *redis.SliceCmd {
	args := make([]any, 2, 2+n)
	args[0], args[1] = "hmget", key
	return redis.NewSliceCmd(ctx, append(args, hmgetFields[:n]...)...)
}

// SessionLive implements paseto.SessionChecker in one round trip: a
// pipeline of HMGET on the session hash and ZSCORE of the session in its
// subject's index (one slot), compared here. A session that is not in the
// index is not live, and its hash is not looked at; otherwise every field
// a liveness decision reads (all but the device) is read and validated,
// and a record the store could not have written, or an index of the wrong
// type, is an error wrapping paseto.ErrStoreCorrupt.
func (s *Store) SessionLive(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	n, err := unixnano.From(now)
	if err != nil {
		return false, err
	}
	k := s.keys(subject)
	var ticket cacheTicket
	if s.cache != nil {
		if s.cache.get(&k, subject, sid, n, s.cachedIdentity) {
			return true, nil
		}
		ticket = s.cache.ticket(&k)
		live, err := s.sessionLive(ctx, k, subject, sid, n, ticket)
		if !live {
			s.forget(&k) // whatever Redis refuses is not answered live from memory either
		}
		return live, err
	}
	return s.sessionLive(ctx, k, subject, sid, n, ticket)
}

// sessionLive is SessionLive's lookup in Redis; a live answer goes into
// the live cache, if any, under ticket.
func (s *Store) sessionLive(ctx context.Context, k keys, subject, sid string, n int64, ticket cacheTicket) (bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	id, err := s.before(ctx)
	if err != nil {
		return false, s.fail("session live", err)
	}
	var (
		hm *redis.SliceCmd
		in *redis.FloatCmd
	)
	_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		hm = hmget(ctx, k.session(sid), liveFieldCount)
		_ = p.Process(ctx, hm)
		in = p.ZScore(ctx, k.index(), sid)
		return nil
	})
	switch err := in.Err(); {
	case errors.Is(err, redis.Nil):
		return false, nil // not a member: not live, whatever the hash holds
	case err != nil:
		return false, s.fail("session live", err)
	}
	if err := hm.Err(); err != nil {
		return false, s.fail("session live", err)
	}
	rec, found, err := parseSession(hm.Val(), false)
	if err != nil {
		return false, s.fail("session live", err)
	}
	if !found || rec.subject != subject || !rec.liveAt(n) {
		return false, nil
	}
	run, err := s.after(ctx, id)
	if err != nil {
		return false, s.fail("session live", err)
	}
	if !s.lossless && rec.run != run {
		return false, nil
	}
	if s.cache != nil && (s.lossless || run == id.run()) {
		s.cache.put(&k, ticket, subject, sid, rec.end(), id)
	}
	return true, nil
}

// end is when r stops being live unless it is refreshed: its absolute
// end, or its idle end when that comes first.
func (r *session) end() int64 {
	if r.idle > 0 {
		return min(r.expiresAt, unixnano.AddSat(r.lastUsed, r.idle))
	}
	return r.expiresAt
}

// session is a parsed session hash.
type session struct {
	subject, run        string
	expiresAt, lastUsed int64
	idle, createdAt     int64
	revoked             bool
	device              paseto.Device // only when asked for
}

// liveAt reports whether r, a member of its subject's index, is live at
// n by every rule but its subject and server identity.
func (r *session) liveAt(n int64) bool {
	return !r.revoked && n < r.expiresAt && (r.idle == 0 || n-r.lastUsed <= r.idle)
}

// info describes r, session sid, for ListSessions.
func (r *session) info(sid string) paseto.SessionInfo {
	end := r.end()
	return paseto.SessionInfo{
		ID: sid, CreatedAt: time.Unix(0, r.createdAt).UTC(), LastUsedAt: time.Unix(0, r.lastUsed).UTC(),
		ExpiresAt: time.Unix(0, end).UTC(), Device: r.device,
	}
}

// parseSession validates an HMGET reply of sessionFields (all of them, or
// the first liveFieldCount) exactly as the scripts' load does, and reads
// the device too when asked (which needs all of them). found is false when
// the session has none of the fields.
func parseSession(vals []any, device bool) (rec session, found bool, err error) {
	if len(vals) != fieldCount && (device || len(vals) != liveFieldCount) {
		return rec, false, errCorrupt("session")
	}
	var f [fieldCount]string
	n := 0
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
		case string:
			f[i] = v
			n++
		default:
			return rec, false, errCorrupt("session")
		}
	}
	if n == 0 {
		return rec, false, nil
	}
	if n != len(vals) {
		return rec, false, errCorrupt("session")
	}
	var ok [5]bool
	rec.subject, rec.run = f[fSubject], f[fRun]
	_, ok[0] = parseNum(f[fRotatedAt])
	rec.expiresAt, ok[1] = parseNum(f[fExpiresAt])
	rec.lastUsed, ok[2] = parseNum(f[fLastUsed])
	rec.idle, ok[3] = parseNum(f[fIdle])
	rec.createdAt, ok[4] = parseNum(f[fCreatedAt])
	rec.revoked = f[fRevoked] == "1"
	if rec.subject == "" || !isRun(rec.run) || ok != [5]bool{true, true, true, true, true} ||
		(f[fRevoked] != "0" && f[fRevoked] != "1") || (!rec.revoked && f[fCurrent] == "") {
		return rec, false, errCorrupt("session")
	}
	if device {
		rec.device = paseto.Device{UserAgent: strings.Join(f[fUA:fUA+uaParts], ""), IP: f[fIP], Label: f[fLabel]}
	}
	return rec, true, nil
}

// parseNum reads the non-negative decimals the store writes, exactly as
// the scripts' isnum accepts them: digits only, no leading zero, at most
// 19, within int64.
func parseNum(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// isRun accepts the identity digest a session records: 40 hex digits, or
// empty when written with LosslessPersistence.
func isRun(s string) bool { return s == "" || isHex40(s) }

// isHex40 accepts 40 hex digits: a run_id, a master_replid, a digest.
func isHex40(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// CreateSession implements paseto.Store. The session hash expires at the
// session's absolute end (by Config.Clock), at least a second from now,
// and the subject's index no earlier; the index is pruned of the members
// whose absolute end has passed.
//
// Without r.MaxSessions it is one script over the session hash and the
// index. With it, the subject's live sessions are counted, atomically with
// the insert, by a script given every member of the index (see the package
// documentation, Costs), which also drops the members that are no longer
// live. At the cap it ends the oldest sessions (by CreatedAt, then ID),
// deleting their hashes, and returns their IDs; with r.RefuseAtMax it
// fails with paseto.ErrSessionLimit instead, having written nothing. A
// session of another Redis server (see Restarts and rollbacks) is not
// counted. When the index changed on every attempt, it fails (503) having
// written nothing. The Device fields must be bounded as paseto.Auth bounds
// them.
func (s *Store) CreateSession(ctx context.Context, r paseto.SessionRecord) ([]string, error) {
	if r.ID == "" || r.Current == "" || r.Subject == "" {
		return nil, errors.New("redisstore: session without ID, subject or current token hash")
	}
	if r.MaxSessions < 0 {
		return nil, fmt.Errorf("redisstore: negative MaxSessions %d", r.MaxSessions)
	}
	created, err := nanos(r.CreatedAt)
	if err != nil {
		return nil, err
	}
	device, err := deviceArgs(r.Device)
	if err != nil {
		return nil, err
	}
	clock := s.now()
	now, err := unixnano.From(clock)
	if err != nil {
		return nil, err
	}
	ttl := max(ttlMillis(r.ExpiresAt, clock), minSessionTTL.Milliseconds())
	idle := max(r.IdleTimeout, 0)
	end := unixnano.Until(r.ExpiresAt)
	score := end / 1e6 // in ms, rounded up: a member goes no sooner than its session
	if end%1e6 != 0 {
		score++
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	id, err := s.before(ctx)
	if err != nil {
		return nil, s.fail("create session", err)
	}
	k := s.keys(r.Subject)
	if r.MaxSessions > 0 { // it may end other sessions of the subject
		s.forget(&k)
		defer s.forget(&k)
	}
	args := append([]any{
		r.ID, r.Subject, tokenHash(r.Current), strconv.FormatInt(end, 10), created, strconv.FormatInt(int64(idle), 10),
		ttl, id.run(), nil /* deadline */, score, now, now / 1e6,
	}, device...)
	var reply []any
	if r.MaxSessions > 0 {
		refuse := "0"
		if r.RefuseAtMax {
			refuse = "1"
		}
		reply, err = s.indexScript(ctx, createCappedScript, k, []string{k.session(r.ID), k.index()},
			append(args, r.MaxSessions, refuse), 8)
	} else {
		var deadline int64
		if deadline, err = scriptDeadline(ctx); err == nil {
			args[8] = deadline
			reply, err = createScript.Run(ctx, s.client, []string{k.session(r.ID), k.index()}, args...).Slice()
		}
	}
	if err != nil {
		return nil, s.fail("create session", err)
	}
	if run, err := s.after(ctx, id); err != nil {
		return nil, s.fail("create session", err)
	} else if run != id.run() {
		return nil, fmt.Errorf("redisstore: create session: redis restarted during the call; try again")
	}
	switch code := replyCode(reply); code {
	case resOK:
		var ended []string
		for _, v := range reply[1:] {
			sid, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("redisstore: create session: unexpected reply %v", reply)
			}
			ended = append(ended, sid)
		}
		return ended, nil
	case resExists:
		return nil, fmt.Errorf("redisstore: session %q already exists", r.ID)
	case resLimit:
		return nil, fmt.Errorf("redisstore: %w: %d live sessions", paseto.ErrSessionLimit, r.MaxSessions)
	case resLate:
		return nil, s.fail("create session", errLate)
	default:
		return nil, fmt.Errorf("redisstore: create session: unexpected reply %d", code)
	}
}

// replyCode is the status a script's array reply starts with; 0 when it
// has none, which no caller takes for success.
func replyCode(reply []any) int64 {
	if len(reply) == 0 {
		return 0
	}
	code, _ := reply[0].(int64)
	return code
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
	graceFloor, graceMs, wrapped := "", int64(0), ""
	if r.Grace > 0 {
		// now - rotated_at <= grace  <=>  rotated_at >= now - grace, so the
		// script compares instead of subtracting.
		floor := r.Now.Add(-r.Grace)
		if floor.Before(time.Unix(0, 0)) {
			floor = time.Unix(0, 0)
		}
		graceFloor = strconv.FormatInt(floor.UnixNano(), 10)
		graceMs = ttlMillis(r.Now.Add(r.Grace), r.Now)
		wrapped = r.WrappedSuccessor
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	deadline, err := scriptDeadline(ctx)
	if err != nil {
		return none, s.fail("rotate", err)
	}
	id, err := s.before(ctx)
	if err != nil {
		return none, s.fail("rotate", err)
	}
	k := s.keys(r.Subject)
	s.forget(&k)
	defer s.forget(&k)
	reply, err := rotateScript.Run(ctx, s.client,
		[]string{k.session(r.Session), k.index(), k.wrapped(r.Session)},
		r.Subject, tokenHash(r.Presented), tokenHash(r.Successor), wrapped,
		now, graceFloor, graceMs, tombstone.Milliseconds(), id.run(), deadline, r.Session,
	).Slice()
	if err != nil {
		return none, s.fail("rotate", err)
	}
	code := replyCode(reply)
	run, err := s.after(ctx, id)
	if err != nil {
		return none, s.fail("rotate", err)
	}
	if run != id.run() && code > 0 {
		// The script compared the session with a server that is gone: the
		// session, of the old server, is not live on the new one.
		return none, fmt.Errorf("%w: redis restarted during the call", paseto.ErrRevoked)
	}
	switch code {
	case resRotated:
		return paseto.RotationResult{Outcome: paseto.Rotated}, nil
	case resRetried:
		var w string
		if len(reply) == 2 {
			w, _ = reply[1].(string)
		}
		if w == "" {
			return none, s.fail("rotate", errCorrupt("kept successor"))
		}
		return paseto.RotationResult{Outcome: paseto.Retried, WrappedSuccessor: w}, nil
	case resReused:
		return paseto.RotationResult{Outcome: paseto.Reused}, nil
	case resUnknown:
		return none, fmt.Errorf("%w: session unknown or revoked", paseto.ErrRevoked)
	case resExpired:
		return none, paseto.ErrSessionExpired
	case resLate:
		return none, s.fail("rotate", errLate)
	}
	return none, fmt.Errorf("redisstore: rotate: unexpected reply %d", code)
}

// RevokeSubject implements paseto.Store. What decides is one script on
// one key: the subject's index is deleted (whatever it holds), so no
// existing session of the subject is live any more, whichever of their
// keys Redis still holds. The next login starts a new index. The same
// script deletes the keys of the sessions the index lists (read just
// before), so that they do not hold memory until their expiry: two round
// trips in all, and no moment at which the sessions are gone but the
// index is not.
func (s *Store) RevokeSubject(ctx context.Context, subject string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	k := s.keys(subject)
	s.forget(&k)
	defer s.forget(&k)
	reply, err := s.runIndexScript(ctx, revokeSubjectAllScript, k, []string{k.index(), k.legacyGen()}, []any{subject, nil}, 1)
	var re redis.Error
	if err != nil && errors.As(err, &re) && strings.HasPrefix(re.Error(), "WRONGTYPE") {
		// An index that is not a sorted set lists nothing to delete: the
		// index alone goes, whatever it holds.
		return s.revokeIndex(ctx, k)
	}
	switch code := replyCode(reply); {
	case err != nil:
		return s.fail("revoke subject", err)
	case code == resOK:
		return nil
	case code == resLate:
		return s.fail("revoke subject", errLate)
	}
	return fmt.Errorf("redisstore: revoke subject: unexpected reply %v", reply)
}

// revokeIndex deletes the subject's index and generation, and nothing
// else.
func (s *Store) revokeIndex(ctx context.Context, k keys) error {
	deadline, err := scriptDeadline(ctx)
	if err != nil {
		return s.fail("revoke subject", err)
	}
	res, err := revokeSubjectScript.Run(ctx, s.client, []string{k.index(), k.legacyGen()}, deadline).Int64()
	switch {
	case err != nil:
		return s.fail("revoke subject", err)
	case res == resOK:
		return nil
	case res == resLate:
		return s.fail("revoke subject", errLate)
	}
	return fmt.Errorf("redisstore: revoke subject: unexpected reply %d", res)
}

// bound gives ctx the store's default deadline when it has none.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

var errLate = fmt.Errorf("redisstore: the call reached redis after its deadline; nothing was applied: %w", context.DeadlineExceeded)

// scriptDeadline is the instant, in unix milliseconds, after which a
// script must write nothing: ctx's deadline less a margin for the reply to
// come back (a quarter of the time left, at most maxReplyMargin). Rounded
// down, so never later.
func scriptDeadline(ctx context.Context) (int64, error) {
	dl, _ := ctx.Deadline() // bound has set one
	left := time.Until(dl)
	cut := dl.Add(-min(maxReplyMargin, left/4))
	if !time.Now().Before(cut) {
		return 0, fmt.Errorf("redisstore: no time left before the deadline: %w", context.DeadlineExceeded)
	}
	return cut.UnixMilli(), nil
}

type corruptError struct{ what string }

func (e corruptError) Error() string { return "corrupt " + e.what + " in redis" }
func (e corruptError) Unwrap() error { return paseto.ErrStoreCorrupt }

func errCorrupt(what string) error { return corruptError{what} }

// fail wraps an error of operation op. A reply saying a key has the wrong
// type, or a script's report of a record it could not have written,
// becomes paseto.ErrStoreCorrupt.
func (s *Store) fail(op string, err error) error {
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		if strings.Contains(msg, "WRONGTYPE") || strings.Contains(msg, "pasetoauth: corrupt") {
			return fmt.Errorf("redisstore: %s: %w: %w", op, paseto.ErrStoreCorrupt, err)
		}
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

// nanos is unixnano.From as the decimal string the scripts store and compare.
func nanos(t time.Time) (string, error) {
	n, err := unixnano.From(t)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(n, 10), nil
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
