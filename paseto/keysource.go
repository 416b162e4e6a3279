// Keys that change while the process runs: the KeySource interface, hot
// rotation of an Auth's, Issuer's or Verifier's ring, and the verified-token
// cache that belongs to one ring.

package paseto

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

var errVerifyOnly = fmt.Errorf("%w: this Auth only verifies access tokens (Config.AccessKeySource); it cannot mint", ErrConfig)

// KeySource supplies the v4.public ring a Verifier checks tokens with, for
// keys that change while the process runs. [KeyHolder] holds a ring the
// application replaces (read from a file or the environment); the
// remotekeys package fetches a published key set ([NewKeySet]) from a URL.
// Implementations must be safe for concurrent use.
type KeySource interface {
	// Keys returns the ring to verify with now. It is called on every
	// verification and must be cheap (an atomic load). An error, wrapping
	// ErrKeysUnavailable, means the source cannot vouch for any key: the
	// request is denied with 503.
	Keys(ctx context.Context) (*KeyRing, error)
	// LookupKey is called when a token names kid, a key ID the ring from
	// Keys lacks. A source that can learn keys may fetch and return a newer
	// ring, bounding how often it does so itself (an attacker chooses kid).
	// A source that cannot returns its ring unchanged, and the token fails
	// with ErrInvalid.
	LookupKey(ctx context.Context, kid string) (*KeyRing, error)
}

// KeyHolder is a KeySource holding one v4.public ring that the
// application replaces at run time with Set, for keys read from a file
// ([ReadKeySetFile]) or the environment ([ParseKeySet]) and reloaded on a
// signal or a timer. It never fetches. The zero value is not usable; build
// it with NewKeyHolder.
type KeyHolder struct{ ring atomic.Pointer[KeyRing] }

// NewKeyHolder returns a KeyHolder holding r, a v4.public ring.
func NewKeyHolder(r *KeyRing) (*KeyHolder, error) {
	h := new(KeyHolder)
	if err := h.Set(r); err != nil {
		return nil, err
	}
	return h, nil
}

// Set replaces the ring atomically: verifications that start afterwards
// use r, and cached verifications under the old ring are forgotten. r
// must be a v4.public ring.
func (h *KeyHolder) Set(r *KeyRing) error {
	if r == nil || r.purpose != Public {
		return fmt.Errorf("%w: a KeyHolder holds a v4.public ring", ErrConfig)
	}
	h.ring.Store(r)
	return nil
}

// Keys returns the ring last Set.
func (h *KeyHolder) Keys(context.Context) (*KeyRing, error) { return h.ring.Load(), nil }

// LookupKey returns the ring last Set: a KeyHolder learns keys only from
// Set.
func (h *KeyHolder) LookupKey(context.Context, string) (*KeyRing, error) { return h.ring.Load(), nil }

// ReadKeySetFile reads a key set document ([NewKeySet], as served at
// KeySetPath or written by pasetokey keyset) from path and returns its
// verify-only ring ([KeySet.KeyRing]). Files larger than MaxKeySetSize and
// every document ParseKeySet refuses are refused.
func ReadKeySetFile(path string) (*KeyRing, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxKeySetSize+1))
	if err != nil {
		return nil, err
	}
	ks, err := ParseKeySet(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ks.KeyRing()
}

// NewVerifierFromSource returns a Verifier for v4.public tokens of
// tokenType whose keys come from src, consulted on every verification:
// src.Keys for the ring, and src.LookupKey when a token names a key the
// ring lacks. cfg is as for NewVerifier. With a cache, it is
// emptied whenever src returns another ring, so no cached token outlives
// the removal of its key.
func NewVerifierFromSource(src KeySource, tokenType string, cfg VerifierConfig) (*Verifier, error) {
	if src == nil {
		return nil, fmt.Errorf("%w: nil key source", ErrConfig)
	}
	if tokenType == "" {
		return nil, fmt.Errorf("%w: token type required", ErrConfig)
	}
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	v := &Verifier{source: src, header: Public.header(), typ: tokenType, settings: s}
	v.initCache(nil)
	return v, nil
}

// SetKeys replaces the Verifier's ring atomically at run time (hot
// rotation): verifications that start afterwards use r. r must have the
// purpose of the ring the Verifier was built with. Cached tokens are
// forgotten, so a token whose key r no longer holds is refused from the
// next request on. A Verifier built from a KeySource refuses SetKeys:
// replace the source's ring instead.
func (v *Verifier) SetKeys(r *KeyRing) error {
	switch {
	case v.source != nil:
		return fmt.Errorf("%w: this Verifier's keys come from a KeySource", ErrConfig)
	case r == nil || r.purpose.header() != v.header:
		return fmt.Errorf("%w: SetKeys needs a %s ring", ErrConfig, v.keys.Load().purpose)
	}
	v.keys.Store(r)
	v.prepared.Store(nil) // the previous ring's prepared keys go with it
	return nil
}

// Keys returns the ring the Verifier checks tokens with now; nil for a
// Verifier built from a KeySource.
func (v *Verifier) Keys() *KeyRing { return v.keys.Load() }

// ring returns the ring to verify with now.
func (v *Verifier) ring(ctx context.Context) (*KeyRing, error) {
	if v.source == nil {
		return v.keys.Load(), nil
	}
	r, err := v.source.Keys(ctx)
	return v.sourced(r, err)
}

// lookup asks the source for kid, which r lacks.
func (v *Verifier) lookup(ctx context.Context, r *KeyRing, kid []byte) (*KeyRing, ed25519.PublicKey, error) {
	if v.source == nil {
		return r, nil, fmt.Errorf("%w: unknown key id", ErrInvalid)
	}
	nr, err := v.sourced(v.source.LookupKey(ctx, string(kid)))
	if err != nil {
		return r, nil, err
	}
	key, ok := nr.public[string(kid)]
	if !ok {
		return nr, nil, fmt.Errorf("%w: unknown key id", ErrInvalid)
	}
	return nr, key, nil
}

// sourced checks what a KeySource returned.
func (v *Verifier) sourced(r *KeyRing, err error) (*KeyRing, error) {
	switch {
	case err != nil:
		if !errors.Is(err, ErrStoreUnavailable) {
			err = fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
		}
		return nil, err
	case r == nil || r.purpose != Public:
		return nil, fmt.Errorf("%w: key source returned no v4.public ring", ErrKeysUnavailable)
	}
	return r, nil
}

// ringCache is the verified-token cache of one ring: a token is only ever
// answered from the cache of the ring that verified it.
type ringCache struct {
	ring *KeyRing
	c    *tokenCache
}

func (v *Verifier) initCache(r *KeyRing) {
	if v.settings.cacheSize > 0 {
		v.cache.Store(&ringCache{ring: r, c: newTokenCache(v.settings.cacheSize)})
	}
}

// cacheFor returns the cache of ring r, replacing the cache of another
// ring with an empty one; nil without a cache, or when another
// goroutine has just installed the cache of yet another ring.
func (v *Verifier) cacheFor(r *KeyRing) *tokenCache {
	rc := v.cache.Load()
	switch {
	case rc == nil:
		return nil
	case rc.ring == r:
		return rc.c
	}
	fresh := &ringCache{ring: r, c: newTokenCache(v.settings.cacheSize)}
	if v.cache.CompareAndSwap(rc, fresh) {
		return fresh.c
	}
	if rc = v.cache.Load(); rc.ring == r {
		return rc.c
	}
	return nil
}

// currentCache returns the cache in use; nil without a cache.
func (v *Verifier) currentCache() *tokenCache {
	if rc := v.cache.Load(); rc != nil {
		return rc.c
	}
	return nil
}

// SetKeys replaces the Issuer's ring atomically: tokens minted afterwards
// are signed or encrypted with r's current key. r must have the purpose
// of the Issuer's ring and be able to mint.
func (i *Issuer) SetKeys(r *KeyRing) error {
	if r == nil || !r.CanIssue() || r.purpose != i.keys.Load().purpose {
		return fmt.Errorf("%w: SetKeys needs a %s ring that can mint", ErrConfig, i.keys.Load().purpose)
	}
	i.keys.Store(r)
	return nil
}

// Keys returns the ring the Issuer mints with now.
func (i *Issuer) Keys() *KeyRing { return i.keys.Load() }

// SetAccessKeys rotates the access-token keys at run time, without a
// restart: the access verifier takes r first, then the access issuer, so
// that nothing this Auth mints under r's current key is ever refused by
// its own verifier. r must be of the purpose of Config.AccessKeys, able to
// mint, and share no key with Config.RefreshKeys. Cached verifications
// under the old ring are forgotten. Follow the rotation runbook in
// docs/keys.md: publish the next key as upcoming ([KeyRing.WithUpcoming])
// and wait for verifiers' caches before promoting it. A verify-only Auth
// (Config.AccessKeySource) refuses SetAccessKeys. Concurrent calls take
// effect one after the other: the last leaves the issuer and the verifier
// on the same ring.
func (a *Auth) SetAccessKeys(r *KeyRing) error {
	if a.access == nil {
		return errVerifyOnly
	}
	// Without it, two rotations could interleave and leave the verifier on
	// one ring and the issuer on the other, minting tokens this Auth
	// refuses and publishing a key set it does not verify with.
	a.rotating.Lock()
	defer a.rotating.Unlock()
	if r == nil || !r.CanIssue() || r.purpose != a.access.Keys().purpose {
		return fmt.Errorf("%w: SetAccessKeys needs a %s ring that can mint", ErrConfig, a.access.Keys().purpose)
	}
	if r.sharesKeyWith(a.cfg.RefreshKeys) {
		return fmt.Errorf("%w: access and refresh tokens must use different keys", ErrConfig)
	}
	if err := a.accessVerifier.SetKeys(r); err != nil {
		return err
	}
	return a.access.SetKeys(r)
}

// AccessKeys returns the ring access tokens are minted with now (the last
// SetAccessKeys, else Config.AccessKeys); nil for a verify-only Auth.
func (a *Auth) AccessKeys() *KeyRing {
	if a.access == nil {
		return nil
	}
	return a.access.Keys()
}
