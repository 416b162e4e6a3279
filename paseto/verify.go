package paseto

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto/internal/strictjson"
	v4 "github.com/pasetoauth/pasetoauth/paseto/internal/v4"
)

// Verifier checks tokens of one type and one purpose (the KeyRing's). Build
// it once; it is safe for concurrent use.
//
// Verify works from the cheapest check to the most expensive and never reads
// a claim before the cryptography has passed:
//
//  1. size, exact "v4.local."/"v4.public." header, segment shape, base64url
//     alphabet and canonical encoding (ErrMalformed);
//  2. footer bounds and its {"kid":…} (ErrMalformed), the kid in the ring
//     (ErrInvalid, no other key is tried);
//  3. decryption or signature (ErrInvalid);
//  4. claims: strict JSON, exp/jti/type present, exp, nbf, iat against the
//     clock with the leeway, iss and aud when configured;
//  5. type (ErrWrongType) and the caller's Requirements (such as freshness);
//  6. the session is live, when configured (ErrRevoked, ErrStoreUnavailable).
type Verifier struct {
	keys     atomic.Pointer[KeyRing] // swapped by SetKeys; unused with a source
	source   KeySource               // non-nil for NewVerifierFromSource
	header   string
	typ      string
	settings settings
	cache    atomic.Pointer[ringCache]    // nil without a cache; see keysource.go
	prepared atomic.Pointer[preparedRing] // v4.local keys of the last ring used
}

// preparedRing holds the keys of one v4.local ring prepared for
// decryption (v4.NewLocalKey: the BLAKE2b work that depends on the key
// alone, done once). It is used only for the ring it was made from;
// SetKeys drops it, and a verification that began under the previous ring
// keeps what it prepares to itself, so a removed key's prepared state is
// not kept once the swap is done.
type preparedRing struct {
	ring *KeyRing
	keys map[string]*v4.LocalKey
}

// localKey returns ring r's key kid, prepared.
func (v *Verifier) localKey(r *KeyRing, kid []byte) (*v4.LocalKey, bool) {
	old := v.prepared.Load()
	p := old
	if p == nil || p.ring != r {
		p = &preparedRing{ring: r, keys: make(map[string]*v4.LocalKey, len(r.local))}
		for id, k := range r.local {
			p.keys[id] = v4.NewLocalKey(k)
		}
		// Kept only while r is the Verifier's ring and nothing has been
		// stored since: a SetKeys meanwhile wins.
		if v.keys.Load() == r {
			v.prepared.CompareAndSwap(old, p)
		}
	}
	k, ok := p.keys[string(kid)]
	return k, ok
}

// NewVerifier returns a Verifier for tokens of tokenType under keys,
// configured by cfg (the zero VerifierConfig for the defaults).
func NewVerifier(keys *KeyRing, tokenType string, cfg VerifierConfig) (*Verifier, error) {
	if keys == nil {
		return nil, fmt.Errorf("%w: nil key ring", ErrConfig)
	}
	if tokenType == "" {
		return nil, fmt.Errorf("%w: token type required", ErrConfig)
	}
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	v := &Verifier{header: keys.purpose.header(), typ: tokenType, settings: s}
	v.keys.Store(keys)
	v.initCache(keys)
	return v, nil
}

// Verify checks token and returns its claims. The error wraps exactly one
// of the package's sentinels; see the type's documentation for the order.
func (v *Verifier) Verify(ctx context.Context, token string, reqs ...Requirement) (*Claims, error) {
	ring, err := v.ring(ctx)
	if err != nil {
		return nil, err
	}
	// The cache belongs to one ring: a swap starts an empty one, so no
	// entry outlives the removal of the key that verified it.
	cache := v.cacheFor(ring)
	var c *Claims
	var key cacheKey
	if len(token) > v.settings.maxSize {
		cache = nil // refused below before any decoding: no need to hash it
	}
	if cache != nil {
		key = cacheKeyOf(token)
		c = cache.get(&key)
		v.observeCache(ctx, c == nil)
	}
	miss := c == nil
	if miss {
		if c, ring, err = v.authenticate(ctx, ring, token); err != nil {
			return nil, err
		}
	}
	now := v.settings.now()
	if err := v.checkClaims(c, now); err != nil {
		return nil, err
	}
	if miss && cache != nil && v.cacheFor(ring) == cache {
		// Cached once the token-level checks pass; every hit re-runs them.
		cache.put(&key, c, now)
	}
	for _, req := range reqs {
		if err := req(ctx, c, now); err != nil {
			return nil, err
		}
	}
	if sc := v.settings.sessions; sc != nil {
		if c.Session == "" || c.Subject == "" {
			return nil, fmt.Errorf("%w: token belongs to no session", ErrRevoked)
		}
		live, err := sc.SessionLive(ctx, c.Subject, c.Session, now)
		switch {
		case err != nil:
			return nil, storeError(err)
		case !live:
			return nil, ErrRevoked
		}
	}
	return c, nil
}

// authenticate runs steps 1 to 3 under ring r and decodes the claims. It
// returns the ring that verified the token: a newer one than r when the kid
// was unknown to r and the key source found it (keysource.go).
func (v *Verifier) authenticate(ctx context.Context, r *KeyRing, token string) (*Claims, *KeyRing, error) {
	if token == "" {
		return nil, r, ErrMissingToken
	}
	// A typical token is decoded, decrypted or verified and parsed in
	// this stack array: nothing of it is kept (decodeClaims copies what
	// the Claims need), so it costs no allocation. A larger one is decoded
	// into the heap instead.
	var stack [splitStackSize]byte
	body, footer, err := v4.SplitInto(stack[:], token, v.header, v.settings.maxSize, maxFooterSize)
	if err != nil {
		return nil, r, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	kid, err := footerKeyID(footer)
	if err != nil {
		return nil, r, err
	}
	if !r.keyIDValid(kid) {
		return nil, r, fmt.Errorf("%w: key id is not a %s id", ErrInvalid, r.idPrefix())
	}
	var payload []byte
	if r.purpose == Local {
		key, ok := v.localKey(r, kid)
		if !ok {
			return nil, r, fmt.Errorf("%w: unknown key id", ErrInvalid)
		}
		payload, err = v4.DecryptWith(key, body, footer, v.settings.implicit)
	} else {
		key, ok := r.public[string(kid)]
		if !ok {
			if r, key, err = v.lookup(ctx, r, kid); err != nil {
				return nil, r, err
			}
		}
		payload, err = v4.Verify(key, body, footer, v.settings.implicit)
	}
	if err != nil {
		return nil, r, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	c := new(Claims)
	if err := decodeClaims(payload, c); err != nil {
		return nil, r, err
	}
	return c, r, nil
}

// splitStackSize is the room for a decoded token on authenticate's stack:
// an access token with a few custom claims (a typical one decodes to about
// 400 bytes).
const splitStackSize = 1024

// footerLimits: our footer is {"kid":"…"}; anything deeper or wider is
// refused while scanning, before anything is decoded.
var footerLimits = strictjson.Limits{MaxDepth: 1, MaxMembers: 4}

var errNoKeyID = errors.New("footer has no kid")

// footerKeyID returns the kid of a {"kid":"k4.…"} footer. Other members are
// refused: PASERK forbids keys in footers, and an unknown directive must not
// be silently ignored.
func footerKeyID(footer []byte) ([]byte, error) {
	if len(footer) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, errNoKeyID)
	}
	if kid, ok := plainKeyIDFooter(footer); ok {
		return kid, nil
	}
	var buf [4]strictjson.Member
	members, err := strictjson.Members(footer, footerLimits, buf[:0])
	if err != nil {
		return nil, fmt.Errorf("%w: footer: %w", ErrMalformed, err)
	}
	var kid []byte
	for i := range members {
		k, val := members[i].Key(footer), members[i].Value(footer)
		if string(k) != "kid" || val.Kind != strictjson.KindString {
			return nil, fmt.Errorf("%w: footer: unsupported footer member %q", ErrMalformed, string(k))
		}
		// A PASERK ID is plain base64url, so the raw JSON string is the
		// value; anything escaped is refused by the shape check below.
		kid = val.Raw[1 : len(val.Raw)-1]
	}
	if kid == nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, errNoKeyID)
	}
	return kid, nil
}

// plainKeyIDFooter is footerKeyID's fast path for the footer the Issuer
// writes: exactly {"kid":"…"} with a 51-character PASERK ID of plain
// characters. Such a footer is valid JSON whose only member is that kid,
// so the strict parser would return the same bytes; anything else (other
// spacing, escapes, members or lengths) is left to it.
func plainKeyIDFooter(footer []byte) ([]byte, bool) {
	const head, tail, idLen = `{"kid":"`, `"}`, 51
	if len(footer) != len(head)+idLen+len(tail) || string(footer[:len(head)]) != head ||
		string(footer[len(footer)-len(tail):]) != tail {
		return nil, false
	}
	kid := footer[len(head) : len(head)+idLen]
	for _, c := range kid {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return nil, false
		}
	}
	return kid, true
}

// checkClaims runs step 4 and the type check.
func (v *Verifier) checkClaims(c *Claims, now time.Time) error {
	l := v.settings.leeway
	switch {
	case now.After(c.Expiration.Add(l)):
		return fmt.Errorf("%w: expired at %s", ErrExpired, c.Expiration.Format(time.RFC3339))
	case !c.NotBefore.IsZero() && c.NotBefore.After(now.Add(l)):
		return fmt.Errorf("%w: not before %s", ErrNotYetValid, c.NotBefore.Format(time.RFC3339))
	case !c.IssuedAt.IsZero() && c.IssuedAt.After(now.Add(l)):
		return fmt.Errorf("%w: issued in the future", ErrNotYetValid)
	case !c.AuthTime.IsZero() && c.AuthTime.After(now.Add(l)):
		return fmt.Errorf("%w: auth_time in the future", ErrInvalidClaims)
	case v.settings.issuer != "" && c.Issuer != v.settings.issuer:
		return ErrIssuer
	case v.settings.audience != "" && c.Audience != v.settings.audience:
		return ErrAudience
	case c.Type != v.typ:
		return fmt.Errorf("%w: want %q", ErrWrongType, v.typ)
	}
	return nil
}

// Type returns the token type the Verifier accepts.
func (v *Verifier) Type() string { return v.typ }

// Now returns the Verifier's clock reading, for callers that must agree with it.
func (v *Verifier) Now() time.Time { return v.settings.now() }
