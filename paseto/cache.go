package paseto

import (
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
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
// claims); when full, expired entries go first, then arbitrary ones. size
// must be between 1 and 10,000,000.
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
type tokenCache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu  sync.RWMutex
	m   map[string]*Claims
	max int
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{seed: maphash.MakeSeed()}
	per := max(1, (size+cacheShards-1)/cacheShards)
	for i := range c.shards {
		c.shards[i] = cacheShard{m: make(map[string]*Claims, min(per, 1024)), max: per}
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
	cached := s.m[token]
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
	token = strings.Clone(token)
	cp := *claims
	cp.Scopes = slices.Clone(claims.Scopes)
	s := c.shard(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= s.max {
		for k, v := range s.m {
			if now.After(v.Expiration) {
				delete(s.m, k)
			}
		}
		for k := range s.m {
			if len(s.m) < s.max {
				break
			}
			delete(s.m, k)
		}
	}
	s.m[token] = &cp
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
