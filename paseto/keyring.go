package paseto

import (
	"crypto/ed25519"
	"fmt"
	"maps"
)

// Purpose is the PASETO purpose a KeyRing serves.
type Purpose uint8

const (
	// Local is v4.local: symmetric authenticated encryption. Only holders of
	// the key can read or mint tokens.
	Local Purpose = iota + 1
	// Public is v4.public: Ed25519 signatures. Anyone with the public key can
	// verify; only the secret key mints.
	Public
)

// String returns "v4.local" or "v4.public".
func (p Purpose) String() string {
	switch p {
	case Local:
		return "v4.local"
	case Public:
		return "v4.public"
	}
	return "invalid"
}

func (p Purpose) header() string { return p.String() + "." }

// KeyRing holds the keys of one purpose. It mints with its current key,
// naming it in the footer as {"kid":"k4.lid.…"} or {"kid":"k4.pid.…"}, and
// verifies with whichever key the footer names. A token whose kid is missing
// or unknown fails closed; no other key is tried.
//
// To rotate: build a ring whose current key is the new one and keep the old
// ones as previous keys for at least the longest token lifetime, then drop
// them. A KeyRing is immutable and safe for concurrent use.
type KeyRing struct {
	purpose   Purpose
	currentID string
	footer    []byte // {"kid":"<currentID>"}
	local     map[string]*[32]byte
	signer    *SecretKey
	public    map[string]ed25519.PublicKey
	upcoming  map[string]bool // published public keys not yet signing; see WithUpcoming
}

// NewLocalKeyRing returns a v4.local ring that encrypts with current and
// decrypts with current or any of previous. It refuses zero keys and
// duplicates.
func NewLocalKeyRing(current SymmetricKey, previous ...SymmetricKey) (*KeyRing, error) {
	r := &KeyRing{purpose: Local, local: make(map[string]*[32]byte, 1+len(previous))}
	for i, k := range append([]SymmetricKey{current}, previous...) {
		if !k.valid() {
			return nil, fmt.Errorf("%w: key %d is the zero key", ErrWeakKey, i)
		}
		id := k.ID()
		if _, dup := r.local[id]; dup {
			return nil, fmt.Errorf("%w: key %s given twice", ErrConfig, id)
		}
		b := k.b
		r.local[id] = &b
		if i == 0 {
			r.setCurrent(id)
		}
	}
	return r, nil
}

// NewPublicKeyRing returns a v4.public ring that signs with current and
// verifies with current's public key or any of previous.
func NewPublicKeyRing(current SecretKey, previous ...PublicKey) (*KeyRing, error) {
	if !current.valid() {
		return nil, fmt.Errorf("%w: zero secret key", ErrWeakKey)
	}
	r, err := NewPublicVerifyKeyRing(append([]PublicKey{current.Public()}, previous...)...)
	if err != nil {
		return nil, err
	}
	signer := current
	r.signer = &signer
	return r, nil
}

// NewPublicVerifyKeyRing returns a v4.public ring that only verifies, for
// services that accept tokens but never mint them. At least one key is
// needed; the first one is reported as current.
func NewPublicVerifyKeyRing(keys ...PublicKey) (*KeyRing, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no public keys", ErrConfig)
	}
	r := &KeyRing{purpose: Public, public: make(map[string]ed25519.PublicKey, len(keys)), upcoming: map[string]bool{}}
	for i, k := range keys {
		if !k.valid() {
			return nil, fmt.Errorf("%w: key %d is a small-order or zero key", ErrWeakKey, i)
		}
		id := k.ID()
		if _, dup := r.public[id]; dup {
			return nil, fmt.Errorf("%w: key %s given twice", ErrConfig, id)
		}
		r.public[id] = ed25519.PublicKey(k.Bytes())
		if i == 0 {
			r.setCurrent(id)
		}
	}
	return r, nil
}

func (r *KeyRing) setCurrent(id string) {
	r.currentID = id
	r.footer = []byte(`{"kid":"` + id + `"}`)
}

// WithUpcoming returns a copy of the v4.public ring r that also holds
// upcoming, the next keys: published in the key set (NewKeySet) as
// "upcoming" and accepted by r's verifier, but never used to sign. Publish
// a key this way before promoting it, so that every verifier knows it
// before the first token it signs; see the runbook in docs/keys.md. Keys r
// already holds are refused, and so are weak keys.
func (r *KeyRing) WithUpcoming(upcoming ...PublicKey) (*KeyRing, error) {
	if r.purpose != Public {
		return nil, fmt.Errorf("%w: upcoming keys are published keys; a v4.local ring has none", ErrConfig)
	}
	n := *r
	n.public = maps.Clone(r.public)
	n.upcoming = maps.Clone(r.upcoming)
	for i, k := range upcoming {
		if !k.valid() {
			return nil, fmt.Errorf("%w: upcoming key %d is a small-order or zero key", ErrWeakKey, i)
		}
		id := k.ID()
		if _, dup := n.public[id]; dup {
			return nil, fmt.Errorf("%w: key %s given twice", ErrConfig, id)
		}
		n.public[id] = ed25519.PublicKey(k.Bytes())
		n.upcoming[id] = true
	}
	return &n, nil
}

// KeyState returns the state of the key id in a v4.public ring: KeyCurrent
// for the current key, KeyUpcoming for keys added by WithUpcoming,
// KeyRetiring for the other previous keys, and 0 for a key the ring does
// not hold.
func (r *KeyRing) KeyState(id string) KeyState {
	switch _, ok := r.public[id]; {
	case !ok:
		return 0
	case id == r.currentID:
		return KeyCurrent
	case r.upcoming[id]:
		return KeyUpcoming
	}
	return KeyRetiring
}

// Purpose reports whether the ring is for v4.local or v4.public tokens.
func (r *KeyRing) Purpose() Purpose { return r.purpose }

// CurrentID returns the key ID new tokens are minted under.
func (r *KeyRing) CurrentID() string { return r.currentID }

// IDs returns the IDs of every key the ring verifies with, current first.
func (r *KeyRing) IDs() []string {
	ids := []string{r.currentID}
	add := func(id string) {
		if id != r.currentID {
			ids = append(ids, id)
		}
	}
	for id := range r.local {
		add(id)
	}
	for id := range r.public {
		add(id)
	}
	return ids
}

// CanIssue reports whether the ring holds a key to mint tokens with.
func (r *KeyRing) CanIssue() bool { return r.purpose == Local || r.signer != nil }

func (r *KeyRing) idPrefix() string {
	if r.purpose == Local {
		return "k4.lid."
	}
	return "k4.pid."
}

// hasKey reports whether the ring shares a key with o, compared by key ID.
func (r *KeyRing) sharesKeyWith(o *KeyRing) bool {
	for id := range r.local {
		if _, ok := o.local[id]; ok {
			return true
		}
	}
	for id := range r.public {
		if _, ok := o.public[id]; ok {
			return true
		}
	}
	return false
}

// keyIDValid checks the shape of a kid before it is used as a map key.
func (r *KeyRing) keyIDValid(kid []byte) bool {
	p := r.idPrefix()
	return len(kid) == 51 && string(kid[:len(p)]) == p // no conversion is allocated
}
