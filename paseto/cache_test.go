package paseto

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

func TestCacheStillEnforcesEverything(t *testing.T) {
	clock := newTestClock(epoch)
	ring := mustLocalRing(t)
	rc := &fakeSessions{ended: map[string]bool{}}
	v := mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: clock.Now, Sessions: rc, CacheSize: 100})
	iss := mustIssuer(t, ring, TypeAccess, IssuerConfig{Clock: clock.Now})
	tok, issued, err := iss.Issue(Template{Subject: "alice", Session: "sid-1", Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := v.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if v.currentCache().len() != 1 {
		t.Fatalf("cache holds %d tokens, want 1", v.currentCache().len())
	}
	// A caller mutating its claims does not reach the cache.
	first.Subject = "mallory"
	first.Scopes[0] = "admin:*"
	second, err := v.Verify(ctx, tok)
	if err != nil || second.Subject != "alice" || second.Scopes[0] != "read" {
		t.Fatalf("cached claims changed: %+v, %v", second, err)
	}
	// Route requirements run on hits.
	if _, err := v.Verify(ctx, tok, RequireFresh(0)); !errors.Is(err, ErrNotFresh) {
		t.Fatalf("fresh on hit: %v", err)
	}
	if _, err := v.Verify(ctx, tok, RequireScopes("write")); !errors.Is(err, ErrInsufficientScope) {
		t.Fatalf("scope on hit: %v", err)
	}
	// A token whose session ended after it was cached is refused on its
	// next request.
	rc.ended[issued.Subject+"/"+issued.Session] = true
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked on hit: %v", err)
	}
	rc.ended = map[string]bool{}
	rc.err = errors.New("down")
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrStoreUnavailable) {
		t.Fatalf("store down on hit: %v", err)
	}
	rc.err = nil
	// Expiry runs on hits.
	clock.add(DefaultAccessLifetime + time.Second)
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired on hit: %v", err)
	}
	// A tampered variant is a miss and fails in full.
	if _, err := v.Verify(ctx, flipChar(tok, 40)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("tampered: %v", err)
	}
}

func TestCacheOnlyHoldsVerifiedTokens(t *testing.T) {
	clock := newTestClock(epoch)
	ring := mustLocalRing(t)
	v := mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: clock.Now, CacheSize: 100})
	iss := mustIssuer(t, ring, TypeAccess, IssuerConfig{Clock: clock.at(-time.Hour)})
	expired := mustIssue(t, iss, Template{Subject: "a"})
	for _, tok := range []string{"v4.local.garbage", expired, flipChar(expired, 30)} {
		if _, err := v.Verify(context.Background(), tok); err == nil {
			t.Fatal("bad token accepted")
		}
	}
	if n := v.currentCache().len(); n != 0 {
		t.Fatalf("cache holds %d tokens that failed", n)
	}
}

func TestCacheBoundedAndConcurrent(t *testing.T) {
	ring := mustLocalRing(t)
	v := mustVerifier(t, ring, TypeAccess, VerifierConfig{CacheSize: 64})
	iss := mustIssuer(t, ring, TypeAccess, IssuerConfig{})
	toks := make([]string, 500)
	for i := range toks {
		toks[i] = mustIssue(t, iss, Template{Subject: fmt.Sprint("user", i)})
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range toks {
				tok := toks[(i*7+g)%len(toks)]
				c, err := v.Verify(context.Background(), tok)
				if err != nil {
					t.Error(err)
					return
				}
				if want := fmt.Sprint("user", (i*7+g)%len(toks)); c.Subject != want {
					t.Errorf("got claims of %s for %s", c.Subject, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := v.currentCache().len(); n > 64 || n == 0 {
		t.Fatalf("cache holds %d tokens, bound 64", n)
	}
	if _, err := NewVerifier(ring, TypeAccess, VerifierConfig{CacheSize: -1}); !errors.Is(err, ErrConfig) {
		t.Fatalf("negative cache size: %v", err)
	}
}

// Config.CacheSize turns the cache on for the Auth's access tokens; logout
// and expiry still end a cached token.
func TestAuthCacheSize(t *testing.T) {
	clock := newTestClock(epoch)
	for name, size := range map[string]int{"negative": -1, "too large": 10_000_001} {
		_, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), CacheSize: size})
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%s CacheSize: %v, want ErrConfig", name, err)
		}
	}
	a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), CacheSize: 16, Clock: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	if a.AccessVerifier().currentCache() == nil {
		t.Fatal("CacheSize 16 built no cache")
	}
	ctx := context.Background()
	pair, err := a.Login(ctx, "alice", LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.VerifyAccess(ctx, pair.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.VerifyAccess(ctx, pair.AccessToken); err != nil || a.AccessVerifier().currentCache().len() != 1 {
		t.Fatalf("repeat: %v, cache holds %d", err, a.AccessVerifier().currentCache().len())
	}
	if err := a.Logout(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := a.VerifyAccess(ctx, pair.AccessToken); !errors.Is(err, ErrRevoked) {
		t.Fatalf("cached token after logout: %v, want ErrRevoked", err)
	}

	other, _ := a.Login(ctx, "bob", LoginOptions{})
	if _, err := a.VerifyAccess(ctx, other.AccessToken); err != nil {
		t.Fatal(err)
	}
	clock.add(DefaultAccessLifetime + time.Second)
	if _, err := a.VerifyAccess(ctx, other.AccessToken); !errors.Is(err, ErrExpired) {
		t.Fatalf("cached token after exp: %v, want ErrExpired", err)
	}

	plain, _ := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t)})
	if plain.AccessVerifier().currentCache() != nil {
		t.Error("the cache is on by default")
	}
}

// The cache keeps its own copy of each token: adapters on fasthttp hand the
// verifier strings backed by request buffers that the next request on the
// connection overwrites. A cached key aliasing such a buffer would change
// under the map and could answer with one user's claims for another token.
func TestCacheCopiesTheToken(t *testing.T) {
	ring := mustLocalRing(t)
	iss := mustIssuer(t, ring, TypeAccess, IssuerConfig{Clock: func() time.Time { return epoch }})
	v := mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: func() time.Time { return epoch.Add(time.Minute) }, CacheSize: 16})
	alice := mustIssue(t, iss, Template{Subject: "alice"})
	bob := mustIssue(t, iss, Template{Subject: "bobby"})
	if len(alice) != len(bob) {
		t.Fatalf("test needs tokens of one length: %d, %d", len(alice), len(bob))
	}
	buf := []byte(alice) // the "request buffer"
	if _, err := v.Verify(context.Background(), unsafe.String(&buf[0], len(buf))); err != nil {
		t.Fatal(err)
	}
	copy(buf, bob) // the server reuses the buffer for the next request
	for i := range v.currentCache().shards {
		for k := range v.currentCache().shards[i].m {
			if k != cacheKeyOf(alice) {
				t.Fatalf("cached key changed with the request buffer: now %x", k)
			}
		}
	}
	c, err := v.Verify(context.Background(), bob)
	if err != nil || c.Subject != "bobby" {
		t.Fatalf("bob's token verified as %v, %v", c, err)
	}
	if c, err := v.Verify(context.Background(), alice); err != nil || c.Subject != "alice" {
		t.Fatalf("alice's token after the reuse: %v, %v", c, err)
	}
}

// tokensInShard returns n distinct tokens that c puts in its first shard.
func tokensInShard(c *tokenCache, n int) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		if tok := "v4.local.tok" + strconv.Itoa(i); c.shard(ptr(cacheKeyOf(tok))) == &c.shards[0] {
			out = append(out, tok)
		}
	}
	return out
}

// CLOCK eviction: a full shard evicts an entry not used since the hand
// last passed, or an expired one, and keeps the ones in use.
func TestCacheEvictsUnusedFirst(t *testing.T) {
	c := newTokenCache(4 * cacheShards) // 4 per shard
	tok := tokensInShard(c, 8)
	live := &Claims{Subject: "alice", Expiration: epoch.Add(time.Hour)}
	for _, k := range tok[:4] {
		c.put(ptr(cacheKeyOf(k)), live, epoch)
	}
	c.get(ptr(cacheKeyOf(tok[0])))
	c.get(ptr(cacheKeyOf(tok[2])))
	c.put(ptr(cacheKeyOf(tok[4])), live, epoch) // passes tok[0] (used), evicts tok[1]
	c.put(ptr(cacheKeyOf(tok[5])), live, epoch) // passes tok[2] (used), evicts tok[3]
	for i, want := range []bool{true, false, true, false, true, true} {
		if got := c.get(ptr(cacheKeyOf(tok[i]))) != nil; got != want {
			t.Fatalf("token %d cached %v, want %v", i, got, want)
		}
	}
	// Every entry is now used; an expired one goes before them all.
	expired := &Claims{Subject: "bob", Expiration: epoch.Add(time.Minute)}
	c.put(ptr(cacheKeyOf(tok[6])), live, epoch)                              // the hand clears every bit, evicts tok[0]
	c.put(ptr(cacheKeyOf(tok[7])), expired, epoch)                           // evicts the next unused one
	c.get(ptr(cacheKeyOf(tok[7])))                                           // used, but will be expired
	c.put(ptr(cacheKeyOf("v4.local.other")), live, epoch.Add(2*time.Minute)) // may land elsewhere: only the bound matters
	if n := len(c.shards[0].m); n > 4 || c.shards[0].n > 4 {
		t.Fatalf("shard holds %d entries, ring %d, want at most 4", n, c.shards[0].n)
	}
	for k, i := range c.shards[0].m {
		if got := c.shards[0].at(i).key; got != k {
			t.Fatalf("entry for %x holds %x", k, got)
		}
	}
}

// A miss on a full cache costs about what it costs on an empty one: the
// insert evicts in O(1) instead of scanning its shard. Compare
// Miss/full-N with Miss/empty-N.
func BenchmarkCacheMiss(b *testing.B) {
	claims := &Claims{Subject: "alice", Expiration: epoch.Add(time.Hour)}
	for _, n := range []int{100_000, 1_000_000} {
		for _, full := range []bool{false, true} {
			name := fmt.Sprintf("empty-%d", n)
			if full {
				name = fmt.Sprintf("full-%d", n)
			}
			b.Run(name, func(b *testing.B) {
				// "Empty" has room for every insert of the run; "full"
				// holds n entries and evicts one per insert.
				c := newTokenCache(10_000_000)
				if full {
					c = newTokenCache(n)
					for i := range n {
						c.put(ptr(cacheKeyOf("v4.local.fill"+strconv.Itoa(i))), claims, epoch)
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				defer cpuPerOp(b)()
				for i := range b.N {
					tok := "v4.local.miss" + strconv.Itoa(i)
					if c.get(ptr(cacheKeyOf(tok))) == nil {
						c.put(ptr(cacheKeyOf(tok)), claims, epoch)
					}
				}
			})
		}
	}
}

func ptr[T any](v T) *T { return &v }

// A hit answers exactly what the miss answered: every field, the scopes,
// the custom claims, escaped strings, fractional seconds and absent times.
func TestCacheHitEqualsMiss(t *testing.T) {
	ring := mustLocalRing(t)
	footer := `{"kid":"` + ring.CurrentID() + `"}`
	payloads := map[string]string{
		"registered only": `{"iss":"https://api.example.com","sub":"alice","aud":"app","jti":"j1","type":"access","sid":"s1",` +
			`"fresh":true,"csrf":"c1","exp":"2030-01-01T00:00:00Z","iat":"2025-01-01T00:00:00Z","nbf":"2025-01-01T00:00:00Z","auth_time":"2025-01-01T00:00:00Z"}`,
		"no optional times": `{"sub":"alice","jti":"j2","type":"access","exp":"2030-01-01T00:00:00Z"}`,
		"fractional and offset": `{"sub":"alice","jti":"j3","type":"access","exp":"2030-01-01T01:00:00.123456789+01:00",` +
			`"iat":"2025-01-01T00:00:00.5Z"}`,
		"escaped strings": `{"sub":"al\"ice\u00e9\ud83d\ude00","iss":"a\\b","jti":"j4","type":"access","exp":"2030-01-01T00:00:00Z"}`,
		"four scopes":     `{"sub":"alice","jti":"j5","type":"access","exp":"2030-01-01T00:00:00Z","scope":"a b:c d e"}`,
		"five scopes":     `{"sub":"alice","jti":"j6","type":"access","exp":"2030-01-01T00:00:00Z","scope":"a b c d e"}`,
		"one scope":       `{"sub":"alice","jti":"j7","type":"access","exp":"2030-01-01T00:00:00Z","scope":"read"}`,
		"custom claims": `{"sub":"alice","jti":"j8","type":"access","exp":"2030-01-01T00:00:00Z","role":"admin",` +
			`"groups":["x","y"],"n":{"a":1}}`,
	}
	for name, payload := range payloads {
		t.Run(name, func(t *testing.T) {
			v := mustVerifier(t, ring, TypeAccess, VerifierConfig{Clock: func() time.Time { return epoch }, CacheSize: 16})
			tok := seal(ring, payload, footer)
			ctx := context.Background()
			miss, err := v.Verify(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			hit, err := v.Verify(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if v.currentCache().len() != 1 {
				t.Fatalf("cache holds %d tokens", v.currentCache().len())
			}
			if hit == miss {
				t.Fatal("the hit returned the miss's Claims")
			}
			if got, want := exported(hit), exported(miss); !reflect.DeepEqual(got, want) {
				t.Fatalf("hit  %+v\nmiss %+v", got, want)
			}
			if got, want := hit.Custom(), miss.Custom(); !reflect.DeepEqual(got, want) {
				t.Fatalf("custom claims: hit %s, miss %s", got, want)
			}
			// The caller owns its scopes: appending or writing does not
			// reach the next hit.
			if len(hit.Scopes) > 0 {
				hit.Scopes[0] = "admin"
				_ = append(hit.Scopes, "more")
				again, _ := v.Verify(ctx, tok)
				if !reflect.DeepEqual(again.Scopes, miss.Scopes) {
					t.Fatalf("scopes after a caller's write: %q, want %q", again.Scopes, miss.Scopes)
				}
			}
		})
	}
}

// exported is c without its unexported fields, which a hit need not share.
func exported(c *Claims) Claims {
	cp := *c
	cp.payload, cp.hasCustom = nil, false
	return cp
}

// TestCacheMissesEveryOtherToken changes a cached token in every byte, to
// every other value, as well as cutting and extending it: each variant has
// a key of its own, and misses. The tag or signature at the payload's end
// and the footer are bytes like any other.
func TestCacheMissesEveryOtherToken(t *testing.T) {
	for _, tc := range []struct {
		name string
		ring *KeyRing
	}{
		{"local", mustLocalRing(t)},
		{"public", mustPublicRing(t, GenerateSecretKey())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := mustVerifier(t, tc.ring, TypeAccess, VerifierConfig{CacheSize: 16})
			tok := mustIssue(t, mustIssuer(t, tc.ring, TypeAccess, IssuerConfig{}), Template{Subject: "alice"})
			if !strings.Contains(tok[len("v4.public."):], ".") {
				t.Fatalf("test needs a token with a footer: %s", tok)
			}
			if _, err := v.Verify(context.Background(), tok); err != nil {
				t.Fatal(err)
			}
			c, k := v.currentCache(), cacheKeyOf(tok)
			if c.get(&k) == nil {
				t.Fatal("the verified token itself misses")
			}
			miss := func(variant string) {
				t.Helper()
				if k2 := cacheKeyOf(variant); k2 == k || c.get(&k2) != nil {
					t.Fatalf("variant %q shares the cached token's key", variant)
				}
			}
			buf := []byte(tok)
			for i := range buf {
				for b := range 256 {
					if byte(b) == tok[i] {
						continue
					}
					buf[i] = byte(b)
					miss(string(buf))
				}
				buf[i] = tok[i]
			}
			miss(tok[:len(tok)-1])
			miss(tok + "A")
			miss(tok + "\x00")
		})
	}
}
