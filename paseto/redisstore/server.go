package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// IdentityMaxAge is how long the store trusts the server identity it last
// read (see the package documentation, Restarts and rollbacks): a call
// that finds it older reads INFO again before anything else. It bounds
// how long a change of server that reaches the store through none of its
// connections (a failback by REPLICAOF, a restart behind a proxy that
// keeps client connections open) can go unnoticed, at the cost of one INFO
// round trip per second per Store while it is in use.
const IdentityMaxAge = time.Second

// server is what the store knows of the Redis process answering it: its
// identity (unless LosslessPersistence) and whether its configuration has
// been looked at.
type server struct {
	// changes counts the events after which the identity must be read
	// again before an answer is trusted: a connection dialled (a
	// restarted or failed-over server can be reached through a new one)
	// and a command that failed with a network error (the server behind a
	// proxy may have gone). See watcher.
	changes atomic.Uint64
	ident   atomic.Pointer[identity]
	// now times the identity's age; time.Now but in tests.
	now func() time.Time
	// learning lets one call at a time read INFO (a semaphore rather than
	// a mutex, so that waiting for it honours the caller's deadline).
	learning chan struct{}
	// contacted is set once the server's configuration has been read (or
	// tried), so that its warnings are logged once.
	contacted atomic.Bool
	// infoRefused is set once a refused INFO has been logged.
	infoRefused atomic.Bool
}

// identity is what a session records of the server that created it: a
// digest of its run_id, which changes on every restart, and its
// master_replid, which changes whenever its data may have been replaced
// without a restart (promoted by REPLICAOF NO ONE, a full resync as a
// replica). It also holds the change count read before asking for it and
// when it was asked.
type identity struct {
	digest  string
	changes uint64
	at      time.Time
}

// run is the identity digest a session must carry: "" with
// LosslessPersistence (id is then nil), which the scripts do not check.
func (id *identity) run() string {
	if id == nil {
		return ""
	}
	return id.digest
}

// identityDigest is the first 160 bits of SHA-256 over run_id and
// master_replid, in hex: 40 characters, as long as a run_id alone.
func identityDigest(runID, replID string) string {
	sum := sha256.Sum256([]byte(runID + "\x00" + replID))
	return hex.EncodeToString(sum[:20])
}

func (sv *server) init() {
	sv.learning = make(chan struct{}, 1)
	sv.now = time.Now
}

// fresh reports whether id may vouch for an answer received now: no
// change counted since it was read, and not older than IdentityMaxAge.
func (sv *server) fresh(id *identity) bool {
	return id != nil && id.changes == sv.changes.Load() && sv.now().Sub(id.at) <= IdentityMaxAge
}

// watcher is the hook New adds to the client: it counts dials and commands
// that failed with a network error.
type watcher struct{ n *atomic.Uint64 }

func (h watcher) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		h.n.Add(1) // before the connection exists, so before any use of it
		return next(ctx, network, addr)
	}
}

func (h watcher) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if networkError(err) || changeReply(err) {
			h.n.Add(1)
		}
		return err
	}
}

// changeReply reports whether err is a reply that a server change
// produces: LOADING (a restart replaying its data) or NOSCRIPT (a script
// cache emptied by a restart; also the first run of each script, which
// costs one INFO).
func changeReply(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) {
		return false
	}
	msg := re.Error()
	return strings.HasPrefix(msg, "LOADING") || strings.HasPrefix(msg, "NOSCRIPT")
}

func (h watcher) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		bad := networkError(err)
		for _, c := range cmds {
			bad = bad || networkError(c.Err())
		}
		if bad {
			h.n.Add(1)
		}
		return err
	}
}

// networkError reports whether err is anything but a reply from Redis: a
// broken connection, a timeout, a cancelled call. Any of them may hide a
// change of server, so the identity is read again before the next answer
// is trusted; counting a cancelled call too costs one INFO at most.
func networkError(err error) bool {
	if err == nil {
		return false
	}
	var re redis.Error // redis.Nil is one too
	return !errors.As(err, &re)
}

// before is called ahead of a call that reads or creates sessions. It
// returns the server's identity (nil with LosslessPersistence), reading it
// again unless it is fresh; on first contact it also reads the server's
// configuration.
func (s *Store) before(ctx context.Context) (*identity, error) {
	if s.lossless {
		if !s.server.contacted.Load() && s.server.contacted.CompareAndSwap(false, true) {
			// Best effort: the warnings are advice, and the store does not
			// depend on INFO here.
			if _, err := s.inspect(ctx); err != nil {
				s.infoFailed(ctx, err)
			}
		}
		return nil, nil
	}
	if id := s.server.ident.Load(); s.server.fresh(id) {
		return id, nil
	}
	return s.learn(ctx)
}

// after is called once the reply of a call that began with identity id
// has arrived. It returns the identity digest to hold the reply against:
// id's, or, if a change was counted meanwhile (the reply may come from
// another server), the one read now. A session created by the server that
// now answers cannot have been read from an earlier one (a new identity is
// random), so holding an earlier reply against the current identity is
// safe.
func (s *Store) after(ctx context.Context, id *identity) (string, error) {
	// Fresh at the reply, not only at the call: a slow call (a proxy that
	// queued it across a backend restart, say) is not held against an
	// identity older than IdentityMaxAge.
	if id == nil || s.server.fresh(id) {
		return id.run(), nil
	}
	nid, err := s.learn(ctx)
	if err != nil {
		return "", err
	}
	return nid.digest, nil
}

// maxLearnAttempts bounds how often learn asks again when changes are
// counted while INFO is in flight (typically INFO's own connection).
const maxLearnAttempts = 3

// learn reads the server's identity, one call at a time: a caller that
// waited finds it fresh and does not ask again.
func (s *Store) learn(ctx context.Context) (*identity, error) {
	select {
	case s.server.learning <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.server.learning }()
	var id *identity
	for range maxLearnAttempts {
		if cur := s.server.ident.Load(); s.server.fresh(cur) {
			return cur, nil
		}
		var err error
		if !s.server.contacted.Load() {
			id, err = s.inspect(ctx)
		} else {
			id, _, err = s.readIdentity(ctx, false)
		}
		if err != nil {
			return nil, s.infoFailed(ctx, err)
		}
	}
	return id, nil
}

// readIdentity asks INFO for run_id and master_replid and keeps their
// digest, stamped with the change count and the time read before asking:
// a change counted while INFO is in flight makes it stale at once, never
// the other way round. With all, it reads the default INFO sections (which
// include server and replication) and returns the reply too; otherwise
// only the sections "server" and "replication", pipelined (one round trip
// on any Redis version).
func (s *Store) readIdentity(ctx context.Context, all bool) (*identity, string, error) {
	c0, t0 := s.server.changes.Load(), s.server.now()
	var info string
	if all {
		var err error
		if info, err = s.client.Info(ctx).Result(); err != nil {
			return nil, "", err
		}
	} else {
		var srv, repl *redis.StringCmd
		if _, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			srv, repl = p.Info(ctx, "server"), p.Info(ctx, "replication")
			return nil
		}); err != nil {
			return nil, "", err
		}
		info = srv.Val() + "\r\n" + repl.Val()
	}
	run, repl := infoField(info, "run_id"), infoField(info, "master_replid")
	if !isHex40(run) || !isHex40(repl) {
		return nil, "", errors.New("redisstore: INFO gave no run_id or master_replid")
	}
	id := &identity{digest: identityDigest(run, repl), changes: c0, at: t0}
	s.server.ident.Store(id)
	return id, info, nil
}

// Check contacts Redis now, as the store otherwise does on first use: it
// reads INFO (on every master of a cluster), logs a warning for an evicting
// maxmemory-policy and, with LosslessPersistence, for persistence that can
// lose writes, and learns the server's identity. It returns an error when
// Redis does not answer, or refuses INFO while LosslessPersistence is not
// set (every call would then fail closed). Call it at start-up, under a
// deadline.
func (s *Store) Check(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	s.server.contacted.Store(true)
	if _, err := s.inspect(ctx); err != nil {
		return s.infoFailed(ctx, err)
	}
	return nil
}

// inspect reads the whole INFO, logs what is wrong with the server's
// configuration and, unless LosslessPersistence, keeps its identity.
func (s *Store) inspect(ctx context.Context) (*identity, error) {
	s.server.contacted.Store(true)
	if s.cluster != nil {
		return nil, s.cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			info, err := c.Info(ctx).Result()
			if err != nil {
				return err
			}
			s.warn(ctx, c, c.Options().Addr, info)
			return nil
		})
	}
	if s.lossless {
		info, err := s.client.Info(ctx).Result()
		if err != nil {
			return nil, err
		}
		s.warn(ctx, s.client, "", info)
		return nil, nil
	}
	id, info, err := s.readIdentity(ctx, true)
	if err != nil {
		return nil, err
	}
	s.warn(ctx, s.client, "", info)
	return id, nil
}

// warn logs one line per problem with the configuration in info.
func (s *Store) warn(ctx context.Context, c redis.Cmdable, node, info string) {
	attrs := func(more ...slog.Attr) []slog.Attr {
		if node != "" {
			more = append(more, slog.String("node", node))
		}
		return more
	}
	if policy := infoField(info, "maxmemory_policy"); policy != "" && policy != "noeviction" {
		s.logger.LogAttrs(ctx, slog.LevelWarn,
			"redisstore: Redis evicts keys when full (maxmemory-policy is not noeviction): sessions can end early and their users must log in again. Revoked sessions stay revoked. Set maxmemory-policy noeviction so that a full Redis refuses logins (503) instead",
			attrs(slog.String("maxmemory_policy", policy), slog.String("maxmemory", infoField(info, "maxmemory_human")))...)
	}
	if !s.lossless {
		return
	}
	if aof := infoField(info, "aof_enabled"); aof != "1" {
		s.logger.LogAttrs(ctx, slog.LevelWarn,
			"redisstore: LosslessPersistence is set but the append-only file is off: a restart loses the writes since the last snapshot, which can bring logged-out sessions back. Set appendonly yes and appendfsync always, or unset LosslessPersistence",
			attrs(slog.String("aof_enabled", aof))...)
	}
	fsync, err := c.ConfigGet(ctx, "appendfsync").Result()
	switch {
	case err != nil:
		s.logger.LogAttrs(ctx, slog.LevelWarn,
			"redisstore: LosslessPersistence is set but CONFIG GET appendfsync is not allowed: make sure it is always",
			attrs(slog.String("error", errorKind(err)))...)
	case fsync["appendfsync"] != "always":
		s.logger.LogAttrs(ctx, slog.LevelWarn,
			"redisstore: LosslessPersistence is set but appendfsync is not always: a crash loses up to a second of writes, which can bring logged-out sessions back. Set appendfsync always, or unset LosslessPersistence",
			attrs(slog.String("appendfsync", fsync["appendfsync"]))...)
	}
}

// infoFailed says, once, that the server refuses INFO, and returns err
// wrapped.
func (s *Store) infoFailed(ctx context.Context, err error) error {
	var re redis.Error
	if errors.As(err, &re) && !s.server.infoRefused.Swap(true) {
		if s.lossless {
			s.logger.LogAttrs(ctx, slog.LevelWarn,
				"redisstore: Redis refused INFO: its eviction policy and persistence cannot be checked",
				slog.String("error", re.Error()))
		} else {
			s.logger.LogAttrs(ctx, slog.LevelError,
				"redisstore: Redis refused INFO, so the store cannot learn its identity (run_id and master_replid) and every request fails closed (503). Allow INFO for this user, or set LosslessPersistence if this Redis cannot lose writes",
				slog.String("error", re.Error()))
		}
	}
	return fmt.Errorf("redisstore: reading INFO: %w", err)
}

// errorKind names an error without its text, which may quote addresses.
func errorKind(err error) string {
	var re redis.Error
	if errors.As(err, &re) {
		if i := strings.IndexByte(re.Error(), ' '); i > 0 {
			return re.Error()[:i] // the error code: ERR, NOPERM...
		}
		return "redis"
	}
	return "network"
}

// infoField returns the value of field in an INFO reply, "" if absent.
func infoField(info, field string) string {
	for len(info) > 0 {
		line := info
		if i := strings.IndexByte(info, '\n'); i >= 0 {
			line, info = info[:i], info[i+1:]
		} else {
			info = ""
		}
		line = strings.TrimSuffix(line, "\r")
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}
