package paseto

import (
	"fmt"
	"strings"
)

// Hooks into the MemoryStore for its tests (memstore_test.go) and for the
// Keys and Forget hooks of storetest.Harness. They exist only in tests.

// MemoryStoreKeys lists the records m holds, as "session/<sid>" and
// "subject/<subject>".
func MemoryStoreKeys(m *MemoryStore) []string {
	var keys []string
	for i := range m.sessions {
		sh := &m.sessions[i]
		sh.mu.RLock()
		for sid := range sh.m {
			keys = append(keys, "session/"+sid)
		}
		sh.mu.RUnlock()
	}
	for i := range m.subjects {
		ss := &m.subjects[i]
		ss.mu.Lock()
		for name := range ss.m {
			keys = append(keys, "subject/"+name)
		}
		ss.mu.Unlock()
	}
	return keys
}

// MemoryStoreForget removes one record, named as MemoryStoreKeys names it,
// as if it had been lost.
func MemoryStoreForget(m *MemoryStore, key string) {
	if sid, ok := strings.CutPrefix(key, "session/"); ok {
		sh := m.sessionShard(sid)
		sh.mu.Lock()
		if s := sh.m[sid]; s != nil {
			sh.q.remove(int(s.idx))
			delete(sh.m, sid)
			m.count.Add(-1)
		}
		sh.mu.Unlock()
		return
	}
	if name, ok := strings.CutPrefix(key, "subject/"); ok {
		ss := m.subjectShard(name)
		ss.mu.Lock()
		if sub := ss.m[name]; sub != nil {
			ss.q.remove(int(sub.idx))
			delete(ss.m, name)
			sub.gen.Store(0)
			m.count.Add(-1)
		}
		ss.mu.Unlock()
	}
}

// MemoryStoreExpireAll does, in every shard and without a bound, the
// housekeeping that writes do a little at a time: at m's clock it removes
// ended records and drops successors past their grace window.
func MemoryStoreExpireAll(m *MemoryStore) {
	now := unixNano(m.now())
	for i := range m.sessions {
		sh := &m.sessions[i]
		sh.mu.Lock()
		m.expireSessions(sh, now, len(sh.q)+len(sh.kept.items)+1)
		sh.mu.Unlock()
	}
	for i := range m.subjects {
		ss := &m.subjects[i]
		ss.mu.Lock()
		m.expireSubjects(ss, now, len(ss.q)+1)
		ss.mu.Unlock()
	}
}

// MemoryStoreKeepsSuccessor reports whether m still holds a wrapped
// successor for session sid.
func MemoryStoreKeepsSuccessor(m *MemoryStore, sid string) bool {
	sh := m.sessionShard(sid)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	s := sh.m[sid]
	return s != nil && s.keeps()
}

// MemoryStoreCheck verifies m's invariants: every record is in its shard's
// queue exactly once, at its index; the queues are heaps; Len counts the
// records. Call it when no call is in flight.
func MemoryStoreCheck(m *MemoryStore) error {
	n := 0
	for i := range m.sessions {
		sh := &m.sessions[i]
		sh.mu.RLock()
		err := checkQueue(sh.q, len(sh.m), func(s *memSession) bool { return sh.m[s.sid] == s })
		if err == nil {
			err = checkKept(sh)
		}
		n += len(sh.m)
		sh.mu.RUnlock()
		if err != nil {
			return fmt.Errorf("session shard %d: %w", i, err)
		}
	}
	for i := range m.subjects {
		ss := &m.subjects[i]
		ss.mu.Lock()
		err := checkQueue(ss.q, len(ss.m), func(s *memSubject) bool { return ss.m[s.name] == s })
		n += len(ss.m)
		ss.mu.Unlock()
		if err != nil {
			return fmt.Errorf("subject shard %d: %w", i, err)
		}
	}
	if got := m.Len(); got != n {
		return fmt.Errorf("Len() = %d, records %d", got, n)
	}
	return nil
}

// checkKept: every successor held is queued to be dropped, and the queue
// holds no more entries than rotations could have left.
func checkKept(sh *sessionShard) error {
	queued := map[*memSession]bool{}
	for _, it := range sh.kept.items[sh.kept.head:] {
		if it.s.keepUntil() == it.until {
			queued[it.s] = true
		}
	}
	for sid, s := range sh.m {
		if s.keeps() && !queued[s] {
			return fmt.Errorf("session %s keeps a successor it will never drop", sid)
		}
	}
	return nil
}

func checkQueue[T interface{ slot() *int32 }](q expiryQueue[T], records int, held func(T) bool) error {
	if len(q) != records {
		return fmt.Errorf("%d queued, %d records", len(q), records)
	}
	for i, it := range q {
		if int(*it.x.slot()) != i {
			return fmt.Errorf("entry %d has index %d", i, *it.x.slot())
		}
		if !held(it.x) {
			return fmt.Errorf("entry %d is not a record held", i)
		}
		if i > 0 && it.due < q[(i-1)/4].due {
			return fmt.Errorf("entry %d is due before its parent", i)
		}
	}
	return nil
}

// MemoryStoreListed returns how many sessions m keeps on subject's list,
// live and not yet tidied away.
func MemoryStoreListed(m *MemoryStore, subject string) int {
	ss := m.subjectShard(subject)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if sub := ss.m[subject]; sub != nil {
		return len(sub.sessions)
	}
	return 0
}
