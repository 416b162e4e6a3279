package paseto

import (
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// WithCache makes a Verifier remember up to size tokens it has verified, so
// that a repeat of the same token skips decoding and cryptography (as
// Envoy's jwt_authn cache does). Everything that can change between two
// requests is still checked on every request: exp, nbf and iat against the
// clock, issuer, audience and type, the route's Requirements (freshness,
// scopes) and the session check. Only tokens that verified are cached, keyed by
// their exact string, so a tampered or re-encoded variant is a miss and goes
// through the full path.
//
// Memory is bounded by size entries (each roughly the token plus its
// claims). When full, an insert evicts one entry in constant time
// (amortised), chosen by the CLOCK algorithm: an expired entry, or one not
// used since the hand last passed it. size must be between 1 and
// 10,000,000.
func WithCache(size int) Option {
	return Option{"WithCache", forVerifier, func(s *settings) error {
		if size < 1 || size > 10_000_000 {
			return fmt.Errorf("%w: cache size %d outside [1, 10M]", ErrConfig, size)
		}
		s.cacheSize = size
		return nil
	}}
}

const cacheShards = 16

// tokenCache is a sharded, bounded map from token to verified claims. The
// cached *Claims is never handed out; callers get a copy.
//
// # Eviction
//
// Each shard keeps its entries in a ring as well as in its map. When the
// shard is full, the CLOCK hand moves around the ring: an entry used since
// the hand last passed (its used bit set by get) has the bit cleared and is
// passed over once; the first entry that is expired or unused is evicted,
// and the new one takes its slot. Each get sets at most one bit, so the hand
// clears at most as many bits as there were hits: an insert costs O(1)
// amortised however full the cache is, where scanning the shard for a
// victim would cost O(size) on every insert into a full cache (the
// earlier design, 62× a miss on an empty cache at 100k entries).
type tokenCache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu   sync.RWMutex
	m    map[string]*cacheEntry
	ring []*cacheEntry // len up to max; slot i holds the entry at ring position i
	hand int
	max  int
}

type cacheEntry struct {
	token  string
	claims *Claims
	used   atomic.Bool // set by get, cleared by the passing hand
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{seed: maphash.MakeSeed()}
	per := max(1, (size+cacheShards-1)/cacheShards)
	for i := range c.shards {
		c.shards[i] = cacheShard{m: make(map[string]*cacheEntry, min(per, 1024)), max: per}
	}
	return c
}

func (c *tokenCache) shard(token string) *cacheShard {
	return &c.shards[maphash.String(c.seed, token)%cacheShards]
}

// get returns a copy of the cached claims for token, or nil.
func (c *tokenCache) get(token string) *Claims {
	s := c.shard(token)
	s.mu.RLock()
	e := s.m[token]
	var cached *Claims
	if e != nil {
		cached = e.claims
		if !e.used.Load() {
			e.used.Store(true)
		}
	}
	s.mu.RUnlock()
	if cached == nil {
		return nil
	}
	cp := *cached
	if len(cp.Scopes) > 0 {
		cp.Scopes = slices.Clone(cp.Scopes)
	}
	return &cp
}

// put caches a private copy of claims for token. The token is copied too:
// adapters may pass strings backed by request buffers that the server
// reuses (fasthttp), and a map key whose bytes change under it would answer
// for another token.
func (c *tokenCache) put(token string, claims *Claims, now time.Time) {
	cp := *claims
	cp.Scopes = slices.Clone(claims.Scopes)
	s := c.shard(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.m[token]; e != nil {
		e.claims = &cp // two misses on one token raced here
		return
	}
	e := &cacheEntry{token: strings.Clone(token), claims: &cp}
	s.m[e.token] = e
	if len(s.ring) < s.max {
		s.ring = append(s.ring, e)
		return
	}
	// Full: evict at the hand. Each pass over a used entry clears its
	// bit, so within two turns an evictable entry is found.
	for {
		old := s.ring[s.hand]
		if !old.used.Load() || now.After(old.claims.Expiration) {
			delete(s.m, old.token)
			s.ring[s.hand] = e
			s.hand = (s.hand + 1) % len(s.ring)
			return
		}
		old.used.Store(false)
		s.hand = (s.hand + 1) % len(s.ring)
	}
}

// len returns the number of cached tokens.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
