// The key set: the public keys of a v4.public ring, published at a
// well-known path so that other services verify tokens without being
// handed keys by hand, and the parser those services read it with.

package paseto

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto/internal/paserk"
	"github.com/pasetoauth/pasetoauth/paseto/internal/strictjson"
)

// KeySetPath is where the key set is served: GET /.well-known/paserk, the
// path proposed for PASERK key discovery (paseto-standard/paserk#7).
const KeySetPath = "/.well-known/paserk"

// Key set bounds. ParseKeySet refuses documents beyond them; a ring with
// more keys than MaxKeySetKeys is refused by NewKeySet.
const (
	// MaxKeySetSize bounds a key set document in bytes (64 KiB; a key
	// takes about 170).
	MaxKeySetSize = 64 << 10
	// MaxKeySetKeys bounds the keys of a key set.
	MaxKeySetKeys = 64
	// DefaultKeySetMaxAge is the Cache-Control max-age of the key set
	// unless GuardConfig.KeySetMaxAge says otherwise.
	DefaultKeySetMaxAge = 5 * time.Minute
)

// KeyState is the state of a published key.
type KeyState uint8

const (
	// KeyUpcoming is published but not yet signing: verifiers learn it
	// before the first token it signs reaches them.
	KeyUpcoming KeyState = iota + 1
	// KeyCurrent signs new tokens. A key set has exactly one.
	KeyCurrent
	// KeyRetiring no longer signs; tokens it signed are still alive.
	KeyRetiring
)

var keyStateNames = [...]string{KeyUpcoming: "upcoming", KeyCurrent: "current", KeyRetiring: "retiring"}

// String returns "upcoming", "current" or "retiring".
func (s KeyState) String() string {
	if s >= KeyUpcoming && s <= KeyRetiring {
		return keyStateNames[s]
	}
	return "invalid"
}

// PublishedKey is one key of a KeySet.
type PublishedKey struct {
	ID    string // the key's k4.pid ID, the kid in token footers
	Key   PublicKey
	State KeyState
}

// KeySet is the published form of a v4.public ring: each public key with
// its ID and state, current first, then upcoming, then retiring, each
// group ordered by ID. Its JSON document is
//
//	{"keys":[{"kid":"k4.pid.…","key":"k4.public.…","state":"current"},…]}
//
// A KeySet is immutable. Build it with NewKeySet or ParseKeySet.
type KeySet struct{ keys []PublishedKey }

// NewKeySet returns the key set of ring, a v4.public ring. A v4.local ring
// is refused with ErrConfig: its keys are secret and are never published.
func NewKeySet(ring *KeyRing) (*KeySet, error) {
	if ring == nil || ring.purpose != Public {
		return nil, fmt.Errorf("%w: only a v4.public ring has a key set; v4.local keys are secret and never published", ErrConfig)
	}
	if len(ring.public) > MaxKeySetKeys {
		return nil, fmt.Errorf("%w: %d keys, at most %d", ErrConfig, len(ring.public), MaxKeySetKeys)
	}
	ks := &KeySet{keys: make([]PublishedKey, 0, len(ring.public))}
	for id, raw := range ring.public {
		var k PublicKey
		copy(k.b[:], raw)
		ks.keys = append(ks.keys, PublishedKey{ID: id, Key: k, State: ring.KeyState(id)})
	}
	ks.sort()
	return ks, nil
}

func (ks *KeySet) sort() {
	slices.SortFunc(ks.keys, func(a, b PublishedKey) int {
		if a.State != b.State {
			return int(keyOrder(a.State)) - int(keyOrder(b.State))
		}
		return strings.Compare(a.ID, b.ID)
	})
}

func keyOrder(s KeyState) uint8 {
	switch s {
	case KeyCurrent:
		return 0
	case KeyUpcoming:
		return 1
	}
	return 2
}

// Keys returns a copy of the set's keys, current first.
func (ks *KeySet) Keys() []PublishedKey { return slices.Clone(ks.keys) }

// Equal reports whether ks and o hold the same keys in the same states.
func (ks *KeySet) Equal(o *KeySet) bool { return slices.Equal(ks.keys, o.keys) }

// JSON returns the key set document.
func (ks *KeySet) JSON() []byte {
	var b bytes.Buffer
	b.WriteString(`{"keys":[`)
	for i, k := range ks.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		// IDs, PASERKs and state names are base64url and ASCII letters:
		// nothing to escape.
		b.WriteString(`{"kid":"` + k.ID + `","key":"` + k.Key.PASERK() + `","state":"` + k.State.String() + `"}`)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// MarshalJSON returns JSON.
func (ks *KeySet) MarshalJSON() ([]byte, error) { return ks.JSON(), nil }

// KeyRing returns a verify-only ring holding every key of the set (current
// first), which remembers which keys are upcoming. Verifying with an
// upcoming key is deliberate: an issuer with several instances promotes it
// on one before the others, and its tokens must verify everywhere at once.
func (ks *KeySet) KeyRing() (*KeyRing, error) {
	pubs := make([]PublicKey, len(ks.keys))
	var up []PublicKey
	for i, k := range ks.keys {
		pubs[i] = k.Key
		if k.State == KeyUpcoming {
			up = append(up, k.Key)
		}
	}
	r, err := NewPublicVerifyKeyRing(pubs...)
	if err != nil {
		return nil, err
	}
	for _, k := range up {
		r.upcoming[k.ID()] = true
	}
	return r, nil
}

// keySetLimits: {"keys":[{…},…]} and nothing else.
var keySetLimits = strictjson.Limits{MaxDepth: 3, MaxMembers: 1}

// entryLimits: {"kid":…,"key":…,"state":…}.
var entryLimits = strictjson.Limits{MaxDepth: 1, MaxMembers: 3}

// ParseKeySet parses a key set document, refusing with ErrKeySet anything
// but the exact shape NewKeySet writes: a document over MaxKeySetSize or
// with more than MaxKeySetKeys keys; malformed JSON, invalid UTF-8,
// duplicate or unknown members (compared ignoring case, at any depth); a
// key that is not a k4.public PASERK (k4.local, k4.secret, k3.public, …)
// or is a weak key; a kid that is not the ID of its key, or appears twice;
// a state other than upcoming, current or retiring; and a set with no
// current key or more than one.
func ParseKeySet(data []byte) (*KeySet, error) {
	if len(data) > MaxKeySetSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrKeySet, len(data), MaxKeySetSize)
	}
	var list []json.RawMessage
	err := strictjson.Object(data, keySetLimits, func(k []byte, v strictjson.Value) error {
		if string(k) != "keys" || v.Kind != strictjson.KindArray {
			return fmt.Errorf("unknown member %q", k)
		}
		return json.Unmarshal(v.Raw, &list)
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrKeySet, err)
	case list == nil:
		return nil, fmt.Errorf("%w: no keys", ErrKeySet)
	case len(list) > MaxKeySetKeys:
		return nil, fmt.Errorf("%w: %d keys, at most %d", ErrKeySet, len(list), MaxKeySetKeys)
	}
	ks := &KeySet{keys: make([]PublishedKey, 0, len(list))}
	seen := make(map[string]bool, len(list))
	current := 0
	for i, raw := range list {
		k, err := parseKeySetEntry(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %w", ErrKeySet, i, err)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("%w: key %d: kid %s given twice", ErrKeySet, i, k.ID)
		}
		seen[k.ID] = true
		if k.State == KeyCurrent {
			current++
		}
		ks.keys = append(ks.keys, k)
	}
	if current != 1 {
		return nil, fmt.Errorf("%w: %d current keys, want exactly 1", ErrKeySet, current)
	}
	ks.sort()
	return ks, nil
}

func parseKeySetEntry(raw []byte) (PublishedKey, error) {
	var kid, key, state string
	var have [3]bool
	err := strictjson.Object(raw, entryLimits, func(k []byte, v strictjson.Value) error {
		if v.Kind != strictjson.KindString {
			return fmt.Errorf("member %q is not a string", k)
		}
		s, err := v.String()
		if err != nil {
			return err
		}
		switch string(k) {
		case "kid":
			kid, have[0] = s, true
		case "key":
			key, have[1] = s, true
		case "state":
			state, have[2] = s, true
		default:
			return fmt.Errorf("unknown member %q", k)
		}
		return nil
	})
	if err != nil {
		return PublishedKey{}, err
	}
	if have != [3]bool{true, true, true} {
		return PublishedKey{}, fmt.Errorf("kid, key and state are required")
	}
	if !strings.HasPrefix(key, paserk.PublicPrefix) {
		// Say which mistake it is: a secret or local key published by
		// accident is worth naming (without echoing it).
		prefix, _, _ := strings.Cut(key, ".")
		kind := "not a PASERK"
		if rest, ok := strings.CutPrefix(key, prefix+"."); ok && prefix != "" {
			typ, _, _ := strings.Cut(rest, ".")
			kind = prefix + "." + typ
		}
		if len(kind) > 16 {
			kind = kind[:16]
		}
		return PublishedKey{}, fmt.Errorf("key is %s, want %s", strconv.Quote(kind), paserk.PublicPrefix)
	}
	pub, err := ParsePublicKey(key)
	if err != nil {
		return PublishedKey{}, err
	}
	if pub.ID() != kid {
		return PublishedKey{}, fmt.Errorf("kid is not the ID of its key")
	}
	var st KeyState
	for s := KeyUpcoming; s <= KeyRetiring; s++ {
		if state == s.String() {
			st = s
		}
	}
	if st == 0 {
		return PublishedKey{}, fmt.Errorf("unknown state %q", truncate(state, 16))
	}
	return PublishedKey{ID: kid, Key: pub, State: st}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// KeySetReply is the answer of a key set endpoint for ring: 200 with the
// document, Content-Type application/json and Cache-Control "public,
// max-age=N" (maxAge in whole seconds), which verifiers' caches honour.
// A v4.local ring is refused with ErrConfig.
func KeySetReply(ring *KeyRing, maxAge time.Duration) (Reply, error) {
	ks, err := NewKeySet(ring)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Header: []Header{
		{"Content-Type", "application/json"},
		{"Cache-Control", "public, max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10)},
	}, Body: ks.JSON()}, nil
}

// KeySet serves the key set endpoint (GET KeySetPath): the public keys of
// the Auth's access ring as it is now (rotations by Auth.SetAccessKeys
// included), as KeySetReply with GuardConfig.KeySetMaxAge. It needs no
// token. When access tokens are v4.local, or the Auth only verifies
// (Config.AccessKeySource), there is nothing to publish and it answers 404
// with {"error":"not_found",…}.
func (g *Guard) KeySet() Reply {
	ring := g.auth.AccessKeys()
	if ring == nil || ring.purpose != Public {
		return Reply{Status: http.StatusNotFound, Header: problemHeader, Body: ErrorBody{"not_found", "no key set: access tokens are not v4.public"}.JSON()}
	}
	reply, err := KeySetReply(ring, g.cfg.KeySetMaxAge)
	if err != nil {
		// More keys than MaxKeySetKeys: SetAccessKeys and the ring
		// constructors do not bound them.
		return Problem{Status: http.StatusInternalServerError, Body: ErrorBody{"server_error", "internal error"}}.Reply()
	}
	return reply
}
