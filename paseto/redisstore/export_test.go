package redisstore

import "time"

// SetIdentityClock makes s time the age of the server identity it holds
// (IdentityMaxAge) with now, so that tests move it with a fake clock
// rather than sleep. Call it before s is used.
func SetIdentityClock(s *Store, now func() time.Time) { s.server.now = now }

// LiveCacheUsable reports whether s's live cache may answer now: its
// invalidation channel is subscribed and confirmed within
// InvalidationBound.
func LiveCacheUsable(s *Store) bool { return s.cache != nil && s.cache.usable(s.cache.clock()) }

// SkewLiveCacheWall moves the wall clock s's live cache reads by d, the
// monotonic one staying put: what a machine suspended for d sees.
func SkewLiveCacheWall(s *Store, d time.Duration) { s.cache.wallSkew.Add(int64(d)) }

// LiveCacheLen is how many sessions s's live cache holds.
func LiveCacheLen(s *Store) int {
	n := 0
	for i := range s.cache.stripes {
		st := &s.cache.stripes[i]
		st.mu.RLock()
		n += st.n
		st.mu.RUnlock()
	}
	return n
}

// SetBeforePut makes s's live cache call f as it begins to insert an
// answer read from Redis. Call it before s is used.
func SetBeforePut(s *Store, f func()) { s.cache.beforePut = f }

// LiveCacheMessages is how many invalidations s's live cache has received.
func LiveCacheMessages(s *Store) uint64 { return s.cache.messages.Load() }
