package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// server is what the store knows of the Redis process answering it: its
// run_id (unless LosslessPersistence) and whether its configuration has
// been looked at.
type server struct {
	// dials counts the connections go-redis has dialled (dialCounter). A
	// restarted or failed-over server can only be reached through a new
	// connection, so the run_id learned while dials had a given value
	// holds as long as dials keeps it.
	dials atomic.Uint64
	ident atomic.Pointer[identity]
	// learning lets one call at a time read INFO (a semaphore rather than
	// a mutex, so that waiting for it honours the caller's deadline).
	learning chan struct{}
	// contacted is set once the server's configuration has been read (or
	// tried), so that its warnings are logged once.
	contacted atomic.Bool
	// infoRefused is set once a refused INFO has been logged.
	infoRefused atomic.Bool
}

// identity is a run_id and the dial count read before asking for it.
type identity struct {
	runID string
	dials uint64
}

// run is the run_id a session must carry: "" with LosslessPersistence
// (id is then nil), which the scripts do not check.
func (id *identity) run() string {
	if id == nil {
		return ""
	}
	return id.runID
}

func (sv *server) init() { sv.learning = make(chan struct{}, 1) }

// dialCounter is the hook New adds to the client: it counts dials.
type dialCounter struct{ n *atomic.Uint64 }

func (h dialCounter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		h.n.Add(1) // before the connection exists, so before any use of it
		return next(ctx, network, addr)
	}
}

func (h dialCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h dialCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// before is called ahead of a call that reads or creates sessions. It
// returns the server's identity (nil with LosslessPersistence), learning it
// if no identity is known or a connection was dialled since; on first
// contact it also reads the server's configuration.
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
	if id := s.server.ident.Load(); id != nil && id.dials == s.server.dials.Load() {
		return id, nil
	}
	return s.learn(ctx)
}

// after is called once the reply of a call that began with identity id
// has arrived. It returns the run_id to hold the reply against: id's, or,
// if go-redis dialled a connection meanwhile (the reply may come from
// another process), the one read now. A session created by the process
// that now answers cannot have been read from an earlier one, so holding
// an earlier reply against the current run_id is safe.
func (s *Store) after(ctx context.Context, id *identity) (string, error) {
	if id == nil || s.server.dials.Load() == id.dials {
		return id.run(), nil
	}
	nid, err := s.learn(ctx)
	if err != nil {
		return "", err
	}
	return nid.runID, nil
}

// maxLearnAttempts bounds how often learn asks again when connections are
// dialled while INFO is in flight (typically INFO's own connection).
const maxLearnAttempts = 3

// learn reads the server's run_id.
func (s *Store) learn(ctx context.Context) (*identity, error) {
	select {
	case s.server.learning <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.server.learning }()
	var id *identity
	for range maxLearnAttempts {
		if cur := s.server.ident.Load(); cur != nil && cur.dials == s.server.dials.Load() {
			return cur, nil
		}
		var err error
		if !s.server.contacted.Load() {
			id, err = s.inspect(ctx)
		} else {
			id, _, err = s.readRunID(ctx, "server")
		}
		if err != nil {
			return nil, s.infoFailed(ctx, err)
		}
	}
	return id, nil
}

// readRunID asks INFO (the given sections, the default ones without) for
// the run_id and keeps it, stamped with the dial count read before asking:
// a connection dialled while INFO is in flight makes it stale at once,
// never the other way round. It returns the reply too.
func (s *Store) readRunID(ctx context.Context, sections ...string) (*identity, string, error) {
	c0 := s.server.dials.Load()
	info, err := s.client.Info(ctx, sections...).Result()
	if err != nil {
		return nil, "", err
	}
	run := infoField(info, "run_id")
	if run == "" || !isRun(run) {
		return nil, "", errors.New("redisstore: INFO server gave no run_id")
	}
	id := &identity{runID: run, dials: c0}
	s.server.ident.Store(id)
	return id, info, nil
}

// Check contacts Redis now, as the store otherwise does on first use: it
// reads INFO (on every master of a cluster), logs a warning for an evicting
// maxmemory-policy and, with LosslessPersistence, for persistence that can
// lose writes, and learns the server's run_id. It returns an error when
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
// configuration and, unless LosslessPersistence, keeps its run_id.
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
	id, info, err := s.readRunID(ctx) // the default sections: server, memory, persistence...
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
				"redisstore: Redis refused INFO, so the store cannot learn its run_id and every request fails closed (503). Allow INFO for this user, or set LosslessPersistence if this Redis cannot lose writes",
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
