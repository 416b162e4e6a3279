// The successor kept for the grace window: what a retry of a refresh needs
// to hand the client the same refresh token again.

package paseto

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	v4 "github.com/pasetoauth/pasetoauth/paseto/internal/v4"
	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/chacha20poly1305"
)

// A refresh within Config.GracePeriod keeps, with the rotation, what a
// retry of it (a client that lost the reply) needs to get the same
// successor: not the token, but the two things about it that neither the
// presented token nor the configuration tell, its ID (jti) and its issue
// time (iat). Everything else (subject, session, custom claims, scopes,
// CSRF binding, auth_time, exp) follows from the presented token and the
// configuration, so a retry mints the successor again, with the same ID
// and claims; the string differs (a v4.local token has a fresh nonce, and
// the key ring may have rotated in between), but the store knows a
// refresh token by its ID alone, so it takes either.
//
// The kept value is sealed (XChaCha20-Poly1305, random nonce) under a key
// derived from the presented token's ID, which the store never sees (it
// holds SHA-256 hashes of IDs): reading the store reveals no usable token
// ID, and a value the store did not get from this refresh (altered,
// truncated, another session's, another token's) fails to open. Its text,
// unpadded base64url so that every store keeps it as it is:
//
//	version (1 byte, 1) | nonce (24) | sealed(jti (16) | uvarint(iat, unix s)) | tag (16)
//
// 83 characters for today's dates, where the whole token wrapped again
// (the format before, still read: see openKept) took about 700.

// keptVersion is the first byte of a sealed successor.
const keptVersion = 1

// keptMaxLen bounds what openKept reads: the longest value this version
// writes, with room to spare (a legacy value may be longer).
const keptMaxLen = 128

// keptKey derives the key that seals the kept successor from the presented
// token's ID.
func keptKey(jti string) []byte {
	k := blake2b.Sum256([]byte("pasetoauth kept successor v1\x00" + jti))
	return k[:]
}

// keptAD binds a sealed successor to its version and session.
func keptAD(session string) []byte {
	return append([]byte{keptVersion}, session...)
}

// sealKept seals successor's ID and issue time for the holder of the
// token presented (ID presentedID, of session).
func sealKept(presentedID, session string, successor *Claims) (string, error) {
	id, err := base64.RawURLEncoding.DecodeString(successor.ID)
	if err != nil || len(id) != 16 {
		return "", fmt.Errorf("%w: successor ID %q is not 128 bits", ErrConfig, successor.ID)
	}
	iat := successor.IssuedAt.Unix()
	if iat <= 0 {
		return "", fmt.Errorf("%w: successor issued before 1970", ErrConfig)
	}
	aead, err := chacha20poly1305.NewX(keptKey(presentedID))
	if err != nil {
		return "", err
	}
	plain := make([]byte, 0, 16+binary.MaxVarintLen64)
	plain = binary.AppendUvarint(append(plain, id...), uint64(iat))
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plain)+aead.Overhead())
	out[0] = keptVersion
	rand.Read(out[1:])
	out = aead.Seal(out, out[1:], plain, keptAD(session))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

var errKeptUnreadable = errors.New("kept successor unreadable")

// openKept returns the ID and the issue time sealed in kept for the holder
// of the presented token; an error for anything sealKept did not write
// for it.
func openKept(presentedID, session, kept string) (string, time.Time, error) {
	if len(kept) > keptMaxLen {
		return "", time.Time{}, fmt.Errorf("%w: %d bytes", errKeptUnreadable, len(kept))
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(kept)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%w: %w", errKeptUnreadable, err)
	}
	aead, err := chacha20poly1305.NewX(keptKey(presentedID))
	if err != nil {
		return "", time.Time{}, err
	}
	if len(raw) < 1+aead.NonceSize()+aead.Overhead() || raw[0] != keptVersion {
		return "", time.Time{}, fmt.Errorf("%w: not a version %d value", errKeptUnreadable, keptVersion)
	}
	nonce, sealed := raw[1:1+aead.NonceSize()], raw[1+aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, sealed, keptAD(session))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%w: %w", errKeptUnreadable, err)
	}
	if len(plain) < 17 {
		return "", time.Time{}, fmt.Errorf("%w: too short", errKeptUnreadable)
	}
	iat, n := binary.Uvarint(plain[16:])
	if n <= 0 || 16+n != len(plain) || iat == 0 || iat > 1<<40 {
		return "", time.Time{}, fmt.Errorf("%w: bad issue time", errKeptUnreadable)
	}
	return base64.RawURLEncoding.EncodeToString(plain[:16]), time.Unix(int64(iat), 0).UTC(), nil
}

// keptSuccessor answers a retry within the grace window (Retried): the
// successor refresh token, minted again from kept, the value the store
// kept with the rotation, and the presented token's claims rc, from which
// tpl (the successor's template) was made. A value written before
// successors were sealed (a whole token, wrapped) is opened as it was. The
// successor is verified again, as a client would present it. Anything
// that does not open is ErrStoreUnavailable, and nothing is minted.
func (a *Auth) keptSuccessor(ctx context.Context, rc *Claims, tpl Template, kept string) (string, *Claims, error) {
	var successor string
	if strings.HasPrefix(kept, v4.LocalHeader) {
		tok, err := unwrapSuccessor(rc.ID, kept)
		if err != nil {
			return "", nil, fmt.Errorf("%w: %w: %w", ErrStoreUnavailable, errKeptUnreadable, err)
		}
		successor = tok
	} else {
		id, iat, err := openKept(rc.ID, rc.Session, kept)
		if err != nil {
			return "", nil, fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
		}
		// auth_time as the first mint clamped it: to this very iat (see
		// Refresh), not to this retry's clock.
		tpl.AuthTime = rc.AuthTime
		if tpl.AuthTime.After(iat) {
			tpl.AuthTime = iat
		}
		if successor, _, err = a.refresh.issue(tpl, id, iat); err != nil {
			return "", nil, err
		}
	}
	sc, err := a.refreshVerify.Verify(ctx, successor)
	if err != nil {
		return "", nil, err
	}
	return successor, sc, nil
}

// successorKey derives the key that wrapped a whole successor token, the
// format written before successors were sealed (sealKept): a retry that
// reaches this version from a rotation an earlier instance made, during a
// rolling upgrade, still gets its successor.
func successorKey(jti string) *[32]byte {
	k := blake2b.Sum256([]byte("pasetoauth successor wrap v1\x00" + jti))
	return &k
}

func unwrapSuccessor(jti, wrapped string) (string, error) {
	body, footer, err := v4.Split(wrapped, v4.LocalHeader, 1<<16, 0)
	if err != nil {
		return "", err
	}
	plain, err := v4.Decrypt(successorKey(jti), body, footer, nil)
	return string(plain), err
}
