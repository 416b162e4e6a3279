package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/internal/unixnano"
)

// Session management: listing a subject's sessions, ending one, ending
// the others, and the two-phase scripts that work on every member of a
// subject's index.

// maxIndexAttempts bounds how often indexScript runs its script when a
// concurrent call keeps changing the index between the read and the
// script (each further attempt is one round trip: the script answers
// with the members it found).
const maxIndexAttempts = 8

// indexStripes is how many locks serialise indexScript within one Store,
// by subject tag: concurrent calls on one subject would otherwise make
// each other's index stale and try again, and may run out of attempts.
// Calls from other instances still race, and retry.
const indexStripes = 256

// indexLocks are the stripes: a semaphore each (a channel, so that waiting
// honours the caller's deadline).
type indexLocks [indexStripes]chan struct{}

func (l *indexLocks) init() {
	for i := range l {
		l[i] = make(chan struct{}, 1)
	}
}

// lock takes the stripe of k, or fails when ctx ends first; the returned
// function releases it.
func (l *indexLocks) lock(ctx context.Context, k keys) (func(), error) {
	h := uint32(2166136261) // FNV-1a of the tag
	for _, b := range k.tag {
		h = (h ^ uint32(b)) * 16777619
	}
	c := l[h%indexStripes]
	select {
	case c <- struct{}{}:
		return func() { <-c }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// errIndexContended is indexScript's failure when the index changed on
// every attempt. Nothing was written; paseto.Auth answers 503.
var errIndexContended = errors.New("redisstore: the subject's sessions changed on every attempt; try again")

// indexScript runs one of the scripts that work on every member of the
// subject's index (createCappedScript, revokeOthersScript) in two phases,
// since a script may touch only the keys it is given: it reads the index
// (ZRANGE), then runs script with KEYS fixed followed by each member's
// hash and kept successor, and ARGV args (args[deadlineAt] set to the
// script deadline) followed by the members. createCappedScript checks
// that the index holds exactly those members (it counts them) and
// otherwise answers resStale with the ones it holds, which the next
// attempt uses; revokeOthersScript needs no such check and never answers
// resStale. A ZRANGE error
// (WRONGTYPE included) is returned as it is. Calls on one subject through
// this Store take turns (indexLocks).
func (s *Store) indexScript(ctx context.Context, script *redis.Script, k keys, fixed []string, args []any, deadlineAt int) ([]any, error) {
	unlock, err := s.indexLocks.lock(ctx, k)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.runIndexScript(ctx, script, k, fixed, args, deadlineAt)
}

// runIndexScript is indexScript without taking the subject's turn. "Log
// out everywhere" (revokeSubjectAllScript) runs it so: its script never
// answers resStale and deletes the index whatever it holds by then, so it
// needs no turn, and must not wait behind other subjects' calls that
// share the lock's stripe.
func (s *Store) runIndexScript(ctx context.Context, script *redis.Script, k keys, fixed []string, args []any, deadlineAt int) ([]any, error) {
	members, err := s.client.ZRange(ctx, k.index(), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	nargs := len(args)
	for range maxIndexAttempts {
		deadline, err := scriptDeadline(ctx)
		if err != nil {
			return nil, err
		}
		args[deadlineAt] = deadline
		keys := append(make([]string, 0, len(fixed)+2*len(members)), fixed...)
		args = args[:nargs]
		for _, m := range members {
			keys = append(keys, k.session(m), k.wrapped(m))
			args = append(args, m)
		}
		reply, err := script.Run(ctx, s.client, keys, args...).Slice()
		if err != nil {
			return nil, err
		}
		if replyCode(reply) != resStale {
			return reply, nil
		}
		members = members[:0]
		for _, v := range reply[1:] {
			m, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("redisstore: unexpected reply %v", reply)
			}
			members = append(members, m)
		}
	}
	return nil, errIndexContended
}

// ListSessions implements paseto.Store in two round trips: ZRANGE of the
// subject's index, then a pipeline of HMGET on every member's hash (one
// slot), judged here as SessionLive judges one. It writes nothing, and
// costs in proportion to the index: the subject's live sessions and the
// members not yet pruned (see the package documentation). A member whose
// hash this store could not have written, or an index of the wrong type,
// is an error wrapping paseto.ErrStoreCorrupt, as SessionLive answers for
// that session.
func (s *Store) ListSessions(ctx context.Context, subject string, now time.Time) ([]paseto.SessionInfo, error) {
	n, err := unixnano.From(now)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	id, err := s.before(ctx)
	if err != nil {
		return nil, s.fail("list sessions", err)
	}
	k := s.keys(subject)
	sids, err := s.client.ZRange(ctx, k.index(), 0, -1).Result()
	if err != nil {
		return nil, s.fail("list sessions", err)
	}
	if len(sids) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.SliceCmd, len(sids))
	_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, sid := range sids {
			cmds[i] = hmget(ctx, k.session(sid), fieldCount)
			_ = p.Process(ctx, cmds[i])
		}
		return nil
	})
	recs := make([]session, 0, len(sids))
	live := sids[:0]
	for i, c := range cmds {
		if err := c.Err(); err != nil {
			return nil, s.fail("list sessions", err)
		}
		rec, found, err := parseSession(c.Val(), true)
		if err != nil {
			return nil, s.fail("list sessions", err)
		}
		if found && rec.subject == subject && rec.liveAt(n) {
			recs = append(recs, rec)
			live = append(live, sids[i])
		}
	}
	if len(recs) == 0 {
		return nil, nil
	}
	run, err := s.after(ctx, id)
	if err != nil {
		return nil, s.fail("list sessions", err)
	}
	list := make([]paseto.SessionInfo, 0, len(recs))
	for i := range recs {
		if s.lossless || recs[i].run == run {
			list = append(list, recs[i].info(live[i]))
		}
	}
	return list, nil
}

// RevokeSession implements paseto.Store with one script: the session
// leaves its subject's index, and its hash and kept successor are deleted,
// which needs no memory. A session revoked for reuse keeps its one-minute
// tombstone. Revoking a session the store does not hold succeeds, and so
// does revoking one whose keys are corrupt or of the wrong type: they are
// deleted. Sessions are keyed under their subject's tag, so a subject
// cannot name another's session; on a tag collision the stored subject is
// compared and another subject's session is left as it is (false, nil).
//
// ended is judged by SessionLive's rules; the server identity, which only
// that judgement needs, is read as for SessionLive, and the revocation
// does not wait for it: when it cannot be read, the session is revoked
// all the same and the call fails. A repeat of the call (a reply lost,
// and the command sent again) finds the session ended, and reports false.
func (s *Store) RevokeSession(ctx context.Context, subject, sid string, now time.Time) (bool, error) {
	n, err := nanos(now)
	if err != nil {
		return false, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	deadline, err := scriptDeadline(ctx)
	if err != nil {
		return false, s.fail("revoke session", err)
	}
	id, idErr := s.before(ctx)
	k := s.keys(subject)
	s.forget(&k)
	defer s.forget(&k)
	reply, err := revokeSessionScript.Run(ctx, s.client,
		[]string{k.session(sid), k.wrapped(sid), k.index()}, subject, sid, n, deadline).Slice()
	if err != nil {
		return false, s.fail("revoke session", err)
	}
	switch code := replyCode(reply); {
	case code == resLate:
		return false, s.fail("revoke session", errLate)
	case code == 0:
		return false, nil
	case code != resOK || len(reply) != 2:
		return false, fmt.Errorf("redisstore: revoke session: unexpected reply %v", reply)
	}
	recRun, _ := reply[1].(string)
	if s.lossless {
		return true, nil
	}
	run, err := s.runAfter(ctx, id, idErr)
	if err != nil {
		return false, s.fail("revoke session", fmt.Errorf("the session is revoked; whether it was live is unknown: %w", err))
	}
	return recRun == run, nil
}

// runAfter is after for a revocation, which goes ahead without the
// server identity: idErr is what before answered.
func (s *Store) runAfter(ctx context.Context, id *identity, idErr error) (string, error) {
	if idErr != nil {
		return "", idErr
	}
	return s.after(ctx, id)
}

// RevokeOtherSessions implements paseto.Store with a script given every
// member of the subject's index (see indexScript): each but keep leaves
// the index, and has its hash (but a reuse tombstone) and kept successor
// deleted, atomically; a session of another subject (a tag collision) is
// left as it is. A session that is not in the index is not live, so this
// ends every session SessionLive would accept. Only deletions: it needs
// no memory. An index of the wrong type is left to RevokeSubject: no
// session of the subject can be live with it, and the call succeeds,
// ending none. The IDs returned are judged as RevokeSession judges ended.
func (s *Store) RevokeOtherSessions(ctx context.Context, subject, keep string, now time.Time) ([]string, error) {
	n, err := nanos(now)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	id, idErr := s.before(ctx)
	k := s.keys(subject)
	s.forget(&k)
	defer s.forget(&k)
	reply, err := s.indexScript(ctx, revokeOthersScript, k, []string{k.index()}, []any{subject, keep, n, nil}, 3)
	if err != nil {
		var re redis.Error
		if errors.As(err, &re) && strings.HasPrefix(re.Error(), "WRONGTYPE") {
			return nil, nil
		}
		return nil, s.fail("revoke other sessions", err)
	}
	switch code := replyCode(reply); {
	case code == resLate:
		return nil, s.fail("revoke other sessions", errLate)
	case code != resOK || len(reply)%2 != 1:
		return nil, fmt.Errorf("redisstore: revoke other sessions: unexpected reply %v", reply)
	}
	if len(reply) == 1 {
		return nil, nil
	}
	run := ""
	if !s.lossless {
		if run, err = s.runAfter(ctx, id, idErr); err != nil {
			return nil, s.fail("revoke other sessions", fmt.Errorf("the sessions are revoked; which were live is unknown: %w", err))
		}
	}
	var ended []string
	for i := 1; i+1 < len(reply); i += 2 {
		sid, ok1 := reply[i].(string)
		recRun, ok2 := reply[i+1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("redisstore: revoke other sessions: unexpected reply %v", reply)
		}
		if s.lossless || recRun == run {
			ended = append(ended, sid)
		}
	}
	return ended, nil
}
