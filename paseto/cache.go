package paseto

import (
	"crypto/sha256"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const cacheShards = 16

// tokenCache is a sharded, bounded map from token to verified claims. It
// holds neither the token nor a *Claims: each entry is keyed by a hash of
// the token and keeps the claims in a compact form, from which every hit
// builds a fresh Claims for its caller.
//
// # Keys
//
// An entry's key is the first 16 bytes of the token's SHA-256. Two
// different tokens share a key only through a SHA-256 collision on 128
// bits: to hit another user's entry, a forger would need a second preimage
// of a token it does not know, about 2^128 work divided by the number of
// entries. A hash that is not collision resistant (such as the map's own)
// would not do: the key is all that decides a hit. Hashing costs about as
// much as the rest of a hit together, and it is what keeps an entry small:
// a token is about 500 bytes, its key 16.
//
// Faster keys were measured and not taken (docs/benchmarks.md, "The key:
// candidates measured"). BLAKE2b-256 costs about twice SHA-256 here
// (SHA-NI). Poly1305 under a secret per-process key is a proven
// almost-universal hash (at most n·2^-94 per crafted token of up to 8 KiB
// against n entries) and made a hit 7% cheaper, but the process would hold
// a secret whose disclosure lets a forger hit cached entries, where a
// v4.public Verifier holds none today. Keying by the token's own tag or
// signature plus a 64-bit hash/maphash fingerprint of the whole token would
// cost about 50 ns, but maphash promises no bound against chosen inputs,
// and those 64 bits would be all that stands between a token whose tag is
// known (a log of token suffixes, say) and its entry.
//
// # Entries
//
// The claims' strings are packed into one string (iss, sub, aud, jti, type,
// sid, csrf and the space-joined scopes, about 100 bytes for an access
// token) and referred to by offset; the four times are Unix seconds and
// nanoseconds. A token with custom claims also keeps its payload, which
// custom claims are read from. Entries live by value in fixed-size chunks,
// so that an entry costs no allocation of its own, and the map holds an
// index into them.
//
// # Why not a cache library
//
// github.com/maypok86/otter/v2 (S3-FIFO, per-entry expiry) was measured
// holding the same compact entries under the same SHA-256 keys: about
// 320-330 B per entry at 100k and 1M entries, where this cache holds about
// 280-300 B including the packed strings. More to the point, the
// core imports only the standard library and golang.org/x, and what a
// token cache needs beyond a bounded map is small: expiry is checked on
// every hit anyway (the claims' exp, against the Verifier's clock), and
// CLOCK keeps the tokens in use. docs/benchmarks.md has the figures.
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
	shards [cacheShards]cacheShard
}

// cacheKey is a token's key: the first 16 bytes of its SHA-256.
type cacheKey [16]byte

func cacheKeyOf(token string) cacheKey {
	// sha256.Sum256([]byte(token)) would copy the token to the heap (the
	// hash's input escapes); copying it through a stack buffer does not.
	h := sha256.New()
	var buf [256]byte
	for len(token) > 0 {
		n := copy(buf[:], token)
		h.Write(buf[:n])
		token = token[n:]
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return cacheKey(sum[:16])
}

const (
	cacheChunkBits = 8 // entries are allocated 256 at a time
	cacheChunk     = 1 << cacheChunkBits
)

type cacheShard struct {
	mu     sync.RWMutex
	m      map[cacheKey]int32 // key to ring position
	chunks [][]cacheEntry     // the ring: position i is chunks[i>>cacheChunkBits][i%cacheChunk]
	n      int                // positions in use
	hand   int
	max    int
}

func (s *cacheShard) at(i int32) *cacheEntry {
	return &s.chunks[i>>cacheChunkBits][i&(cacheChunk-1)]
}

// The packed strings, in the order of cacheEntry.strs.
const (
	strIssuer = iota
	strSubject
	strAudience
	strID
	strType
	strSession
	strCSRF
	strScopes // the scopes joined by single spaces
	numStrs
)

// The times, in the order of cacheEntry.sec and nsec.
const (
	timeIssuedAt = iota
	timeNotBefore
	timeExpiration
	timeAuthTime
	numTimes
)

// cacheEntry is one cached token's claims (about 150 bytes, plus its packed
// strings).
type cacheEntry struct {
	key     cacheKey
	strs    string             // the claims' strings, packed
	payload []byte             // the authenticated payload; nil without custom claims
	refs    [numStrs][2]uint16 // offset and length of each string in strs
	sec     [numTimes]int64    // Unix seconds
	nsec    [numTimes]uint32
	fresh   bool
	used    atomic.Bool // set by get, cleared by the passing hand
}

// maxPacked bounds what an entry can refer to with 16-bit offsets; claims
// with longer strings are simply not cached.
const maxPacked = 1<<16 - 1

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{}
	per := max(1, (size+cacheShards-1)/cacheShards)
	for i := range c.shards {
		c.shards[i] = cacheShard{m: make(map[cacheKey]int32, min(per, 1024)), max: per}
	}
	return c
}

// The key is a uniform hash already: its first byte picks the shard.
func (c *tokenCache) shard(k *cacheKey) *cacheShard {
	return &c.shards[k[0]%cacheShards]
}

// get returns fresh claims for the token with key k, or nil.
func (c *tokenCache) get(k *cacheKey) *Claims {
	s := c.shard(k)
	var e cacheEntry
	s.mu.RLock()
	i, ok := s.m[*k]
	if ok {
		p := s.at(i)
		e.strs, e.payload, e.refs, e.sec, e.nsec, e.fresh = p.strs, p.payload, p.refs, p.sec, p.nsec, p.fresh
		if !p.used.Load() {
			p.used.Store(true)
		}
	}
	s.mu.RUnlock()
	if !ok {
		return nil
	}
	return e.claims()
}

// claims builds a Claims from e in one allocation: the strings are
// substrings of e.strs, and up to four scopes share the allocation.
func (e *cacheEntry) claims() *Claims {
	str := func(i int) string {
		r := e.refs[i]
		return e.strs[r[0] : int(r[0])+int(r[1])]
	}
	var c *Claims
	if scopes := str(strScopes); scopes == "" {
		c = new(Claims)
	} else if n := strings.Count(scopes, " ") + 1; n <= 4 {
		h := new(struct {
			c      Claims
			scopes [4]string
		})
		c = &h.c
		c.Scopes = h.scopes[:0:n]
		for tok := range strings.SplitSeq(scopes, " ") {
			c.Scopes = append(c.Scopes, tok)
		}
	} else {
		c = new(Claims)
		c.Scopes = strings.Split(scopes, " ")
	}
	c.Issuer, c.Subject, c.Audience = str(strIssuer), str(strSubject), str(strAudience)
	c.ID, c.Type, c.Session, c.CSRF = str(strID), str(strType), str(strSession), str(strCSRF)
	tm := func(i int) time.Time {
		return time.Unix(e.sec[i], int64(e.nsec[i])).UTC()
	}
	c.IssuedAt, c.NotBefore, c.Expiration, c.AuthTime = tm(timeIssuedAt), tm(timeNotBefore), tm(timeExpiration), tm(timeAuthTime)
	c.Fresh = e.fresh
	c.payload = e.payload
	return c
}

// pack fills e from claims. It reports false when the strings are too long
// to pack, in which case the token is not cached.
func (e *cacheEntry) pack(claims *Claims) bool {
	strs := [numStrs]string{
		strIssuer: claims.Issuer, strSubject: claims.Subject, strAudience: claims.Audience,
		strID: claims.ID, strType: claims.Type, strSession: claims.Session, strCSRF: claims.CSRF,
	}
	size := len(claims.Scopes)
	for _, sc := range claims.Scopes {
		size += len(sc)
	}
	for _, s := range strs {
		size += len(s)
	}
	if size > maxPacked {
		return false
	}
	var b strings.Builder
	b.Grow(size)
	for i, s := range strs {
		start := b.Len()
		if i != strScopes {
			b.WriteString(s)
		}
		for j, sc := range claims.Scopes {
			if i != strScopes {
				break
			}
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(sc)
		}
		e.refs[i] = [2]uint16{uint16(start), uint16(b.Len() - start)}
	}
	e.strs = b.String()
	for i, t := range [numTimes]time.Time{
		timeIssuedAt: claims.IssuedAt, timeNotBefore: claims.NotBefore,
		timeExpiration: claims.Expiration, timeAuthTime: claims.AuthTime,
	} {
		e.sec[i], e.nsec[i] = t.Unix(), uint32(t.Nanosecond())
	}
	e.fresh = claims.Fresh
	if claims.hasCustom {
		// A copy: the payload aliases the whole decoded token (nonce,
		// tag and footer too).
		e.payload = slices.Clone(claims.payload)
	}
	return true
}

// expired reports whether the entry's token has expired at now.
func (e *cacheEntry) expired(now time.Time) bool {
	return now.After(time.Unix(e.sec[timeExpiration], int64(e.nsec[timeExpiration])))
}

// put caches claims for the token with key k. Nothing of the token is
// kept but its hash, so a token backed by a request buffer the server
// reuses (fasthttp) cannot change an entry.
func (c *tokenCache) put(k *cacheKey, claims *Claims, now time.Time) {
	var e cacheEntry
	if !e.pack(claims) {
		return
	}
	e.key = *k
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.m[*k]; ok {
		s.at(i).setFrom(&e) // two misses on one token raced here
		return
	}
	if s.n < s.max {
		if s.n>>cacheChunkBits == len(s.chunks) {
			s.chunks = append(s.chunks, make([]cacheEntry, min(cacheChunk, s.max-s.n)))
		}
		i := int32(s.n)
		s.n++
		s.at(i).setFrom(&e)
		s.m[*k] = i
		return
	}
	// Full: evict at the hand. Each pass over a used entry clears its
	// bit, so within two turns an evictable entry is found.
	for {
		i := int32(s.hand)
		old := s.at(i)
		s.hand = (s.hand + 1) % s.n
		if !old.used.Load() || old.expired(now) {
			delete(s.m, old.key)
			old.setFrom(&e)
			s.m[*k] = i
			return
		}
		old.used.Store(false)
	}
}

// setFrom copies src into e, with a cleared used bit.
func (e *cacheEntry) setFrom(src *cacheEntry) {
	e.key, e.strs, e.payload, e.refs = src.key, src.strs, src.payload, src.refs
	e.sec, e.nsec, e.fresh = src.sec, src.nsec, src.fresh
	e.used.Store(false)
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
