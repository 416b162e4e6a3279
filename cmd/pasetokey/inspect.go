package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// envKey is where inspect looks for a key when -key is not given.
const envKey = "PASETO_KEY"

var inspectCommand = command{
	name: "inspect",
	help: `Usage: pasetokey inspect [-key <key>|-] [-type <type>] [-at <time>] <token>|-

Prints a token's header and footer, with the kid naming its key.

Without a key, the claims of a v4.public token are printed marked UNVERIFIED:
anyone can write a token with any claims, so do not trust them. The claims of
a v4.local token are encrypted and need the key.

With a key (-key, or else the PASETO_KEY environment variable) the token is
verified as a server would verify it, at the instant -at or now, and prints
"result: valid" with the verified claims, or "result: <error code>" without
them; the exit status is then 1. Give a k4.local. key for v4.local tokens and
a k4.public. (or k4.secret.) key for v4.public tokens. An expired token stays
unreadable; use -at with an instant inside its lifetime to read it.

"-" reads the token, or the key, from standard input. Flags go before the
token.
`,
	flags: func(fs *flag.FlagSet) func(*cli, *flag.FlagSet) error {
		o := &inspectOptions{}
		fs.StringVar(&o.key, "key", "", "verify with this `key`; \"-\" reads standard input (default $PASETO_KEY)")
		fs.StringVar(&o.typ, "type", paseto.TypeAccess, "token `type` to accept: access, refresh or a custom type")
		fs.StringVar(&o.at, "at", "", "verify at this RFC 3339 `time` instead of now, e.g. 2026-01-02T15:04:05Z")
		return o.run
	},
}

type inspectOptions struct {
	key, typ, at string
}

func (o *inspectOptions) run(c *cli, fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	arg, err := oneArg(fs, "token")
	if err != nil {
		return err
	}
	if set["key"] && o.key == "" {
		return usagef("-key is empty")
	}
	if o.key == "-" && arg == "-" {
		return usagef("the key and the token cannot both come from standard input")
	}
	if set["type"] && o.typ == "" {
		return usagef("-type is empty")
	}
	at, atSource := time.Now(), "now"
	if o.at != "" {
		if at, err = time.Parse(time.RFC3339, o.at); err != nil {
			return usagef("-at wants an RFC 3339 time such as 2026-01-02T15:04:05Z")
		}
		atSource = "-at"
	}

	keyArg, keySource := o.key, "-key"
	if keyArg == "" {
		keyArg, keySource = strings.TrimSpace(c.env(envKey)), envKey
	}
	if keyArg == "" && (set["type"] || set["at"]) {
		return usagef("-type and -at need a key (-key or %s)", envKey)
	}

	raw, err := c.readArg(arg, "token")
	if err != nil {
		return err
	}
	tok, err := decodeToken(raw)
	if err != nil {
		return err
	}
	var k key
	if keyArg != "" {
		s, err := c.readArg(keyArg, "key")
		if err != nil {
			return err
		}
		if k, err = parseKey(s); err != nil {
			return fmt.Errorf("%s: %w", keySource, err)
		}
		if err := tok.checkKeyType(k); err != nil {
			return fmt.Errorf("%s: %w", keySource, err)
		}
	}

	tok.describe(&c.out)
	if keyArg == "" {
		tok.describeClaims(&c.out)
		return nil
	}
	return tok.verify(&c.out, raw, k, keySource, o.typ, at, atSource)
}

// token is a decoded token, not yet verified.
type token struct {
	purpose paseto.Purpose
	body    []byte // nonce||ciphertext||tag (local) or message||signature (public)
	footer  []byte // nil when the token has none
	size    int
}

// tokenHeader returns the version and purpose of something that looks like
// a PASETO token ("v4.local", "v2.public"), or "".
func tokenHeader(s string) string {
	if len(s) < 3 || s[0] != 'v' || s[1] < '1' || s[1] > '9' || s[2] != '.' {
		return ""
	}
	for _, p := range []string{"local", "public"} {
		if strings.HasPrefix(s[3:], p+".") {
			return s[:3+len(p)]
		}
	}
	return ""
}

var b64 = base64.RawURLEncoding.Strict()

// decodeToken splits and decodes a token without any key. It is strict in
// the same ways the library's verifier is (exact header, no empty segment,
// canonical unpadded base64url), so what it refuses a server refuses too.
func decodeToken(s string) (*token, error) {
	t := &token{size: len(s)}
	h := tokenHeader(s)
	switch {
	case s == "":
		return nil, errors.New("empty token")
	case h == "v4.local":
		t.purpose = paseto.Local
	case h == "v4.public":
		t.purpose = paseto.Public
	case h != "":
		return nil, fmt.Errorf("%s tokens are not supported; only v4.local and v4.public", h)
	case keyPrefix(s) != "":
		return nil, errors.New("that is a PASERK key, not a token")
	default:
		return nil, errors.New("malformed token: not a v4.local. or v4.public. token")
	}
	rest := s[len(h)+1:]
	parts := strings.Split(rest, ".")
	if len(parts) > 2 {
		return nil, errors.New("malformed token: too many dot-separated segments")
	}
	for i, p := range parts {
		what := "payload"
		if i == 1 {
			what = "footer"
		}
		if p == "" {
			return nil, fmt.Errorf("malformed token: empty %s", what)
		}
		for j := 0; j < len(p); j++ {
			if !isB64URL(p[j]) {
				return nil, fmt.Errorf("malformed token: %s has a character outside unpadded base64url", what)
			}
		}
		b, err := b64.DecodeString(p)
		if err != nil {
			return nil, fmt.Errorf("malformed token: %s is not canonical base64url", what)
		}
		if i == 0 {
			t.body = b
		} else {
			t.footer = b
		}
	}
	// nonce (32) + tag (32) for v4.local; the Ed25519 signature (64) for
	// v4.public.
	if len(t.body) < 64 {
		return nil, fmt.Errorf("malformed token: payload too short for a %s token", t.purpose)
	}
	return t, nil
}

func isB64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// kid returns the footer's kid, if the footer is a JSON object with a string
// kid (the library's verifier is stricter: it refuses any other member).
func (t *token) kid() (string, bool) {
	var f struct {
		Kid *string `json:"kid"`
	}
	if t.footer == nil || json.Unmarshal(t.footer, &f) != nil || f.Kid == nil {
		return "", false
	}
	return *f.Kid, true
}

func (t *token) idPrefix() string {
	if t.purpose == paseto.Local {
		return "k4.lid."
	}
	return "k4.pid."
}

// checkKeyType refuses a key of the wrong kind for the token's purpose.
func (t *token) checkKeyType(k key) error {
	if t.purpose == paseto.Local && k.prefix != prefixLocal {
		return fmt.Errorf("a v4.local token needs a k4.local. key, not a %s key", k.prefix)
	}
	if t.purpose == paseto.Public && k.prefix == prefixLocal {
		return errors.New("a v4.public token needs a k4.public. or k4.secret. key, not a k4.local. key")
	}
	return nil
}

// describe writes what anyone can read: header, footer and kid.
func (t *token) describe(w *bytes.Buffer) {
	fmt.Fprintf(w, "header:  %s\n", t.purpose)
	switch {
	case t.footer == nil:
		fmt.Fprint(w, "footer:  (none)\n")
	case json.Valid(t.footer):
		var b bytes.Buffer
		_ = json.Compact(&b, t.footer) // valid JSON compacts
		fmt.Fprintf(w, "footer:  %s\n", safeJSON(b.Bytes()))
	default:
		fmt.Fprintf(w, "footer:  %s (not JSON)\n", safeQuote(t.footer))
	}
	kid, ok := t.kid()
	switch {
	case !ok:
		fmt.Fprint(w, "kid:     (none; this library's verifiers refuse tokens without a kid)\n")
	case !isKeyID(kid, t.idPrefix()):
		fmt.Fprintf(w, "kid:     %s (not a %s ID; this library's verifiers refuse it)\n", safeQuote([]byte(kid)), t.idPrefix())
	default:
		fmt.Fprintf(w, "kid:     %s\n", kid)
	}
	if t.size > paseto.DefaultMaxTokenSize {
		fmt.Fprintf(w, "size:    %d bytes, over the default limit of %d (see paseto.VerifierConfig.MaxTokenSize)\n", t.size, paseto.DefaultMaxTokenSize)
	}
}

// isKeyID reports whether s has the shape of a PASERK ID with prefix: the
// prefix and 44 base64url characters.
func isKeyID(s, prefix string) bool {
	data, ok := strings.CutPrefix(s, prefix)
	if !ok || len(data) != 44 {
		return false
	}
	for i := 0; i < len(data); i++ {
		if !isB64URL(data[i]) {
			return false
		}
	}
	return true
}

// describeClaims writes the claims as far as they can be read without a key.
func (t *token) describeClaims(w *bytes.Buffer) {
	if t.purpose == paseto.Local {
		fmt.Fprintf(w, "claims:  encrypted; give the k4.local. key (-key or %s) to decrypt and verify\n", envKey)
		return
	}
	msg := t.body[:len(t.body)-64] // message || 64-byte signature
	const label = "claims (UNVERIFIED: the signature was not checked; anyone can write these, do not trust them)"
	var b bytes.Buffer
	if json.Indent(&b, msg, "", "  ") != nil {
		fmt.Fprintf(w, "%s, not JSON:\n%s\n", label, safeQuote(msg))
		return
	}
	fmt.Fprintf(w, "%s:\n%s\n", label, safeJSON(b.Bytes()))
}

// verify checks the token as a Verifier for typ would at the instant at, and
// writes the result, and the claims when it is valid. atSource says where at
// came from ("now" or "-at").
func (t *token) verify(w *bytes.Buffer, raw string, k key, keySource, typ string, at time.Time, atSource string) error {
	var (
		ring *paseto.KeyRing
		err  error
		kid  string
		note string
	)
	switch k.prefix {
	case prefixLocal:
		ring, err = paseto.NewLocalKeyRing(k.local)
		kid = k.local.ID()
	case prefixSecret:
		pk := k.secret.Public()
		ring, err = paseto.NewPublicVerifyKeyRing(pk)
		kid, note = pk.ID(), "public key of the k4.secret. key, "
	default:
		ring, err = paseto.NewPublicVerifyKeyRing(k.public)
		kid = k.public.ID()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", keySource, err)
	}
	// One instant for the whole check, and it is the one printed.
	v, err := paseto.NewVerifier(ring, typ, paseto.VerifierConfig{Clock: func() time.Time { return at }})
	if err != nil {
		return err
	}
	match := "the token has no kid"
	if footerKid, ok := t.kid(); ok && footerKid == kid {
		match = "matches the kid"
	} else if ok {
		match = "does NOT match the kid"
	}
	fmt.Fprintf(w, "key:     %s (%sfrom %s; %s)\n", kid, note, keySource, match)
	fmt.Fprintf(w, "type:    %s\n", safeLine(typ))
	fmt.Fprintf(w, "at:      %s (%s)\n", at.UTC().Format(time.RFC3339), atSource)

	claims, err := v.Verify(context.Background(), raw)
	if err != nil {
		fmt.Fprintf(w, "result:  %s (%s)\n", paseto.Code(err), safeLine(err.Error()))
		if errors.Is(err, paseto.ErrExpired) || errors.Is(err, paseto.ErrNotYetValid) {
			// The verifier reads claims only once the cryptography has
			// passed, so these two codes imply an authentic token.
			fmt.Fprint(w, "note:    the token is authentic but not valid at this instant; its claims are shown only for an instant (-at) inside its lifetime\n")
		}
		return errReported
	}
	fmt.Fprintf(w, "result:  valid\nclaims (verified):\n%s\n", claimsJSON(claims))
	return nil
}

// claimsJSON renders verified claims as indented JSON: registered claims in
// the order the Issuer writes them, then custom claims by name.
func claimsJSON(c *paseto.Claims) string {
	var b bytes.Buffer
	b.WriteByte('{')
	add := func(name string, v any) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(marshal(name))
		b.WriteByte(':')
		if raw, ok := v.(json.RawMessage); ok {
			b.Write(raw)
		} else {
			b.Write(marshal(v))
		}
	}
	str := func(name, v string) {
		if v != "" {
			add(name, v)
		}
	}
	tm := func(name string, v time.Time) {
		if !v.IsZero() {
			add(name, v.UTC().Format(time.RFC3339Nano))
		}
	}
	str(paseto.ClaimIssuer, c.Issuer)
	str(paseto.ClaimSubject, c.Subject)
	str(paseto.ClaimAudience, c.Audience)
	str(paseto.ClaimTokenID, c.ID)
	str(paseto.ClaimType, c.Type)
	str(paseto.ClaimSession, c.Session)
	str(paseto.ClaimScope, strings.Join(c.Scopes, " "))
	str(paseto.ClaimCSRF, c.CSRF)
	if c.Fresh {
		add(paseto.ClaimFresh, true)
	}
	tm(paseto.ClaimAuthTime, c.AuthTime)
	tm(paseto.ClaimIssuedAt, c.IssuedAt)
	tm(paseto.ClaimNotBefore, c.NotBefore)
	tm(paseto.ClaimExpiration, c.Expiration)
	custom := c.Custom()
	for _, name := range slices.Sorted(maps.Keys(custom)) {
		add(name, custom[name])
	}
	b.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		// Unreachable: every piece is marshalled JSON or a value the
		// verifier's strict parser accepted.
		return safeQuote(b.Bytes())
	}
	return safeJSON(out.Bytes())
}

// marshal is json.Marshal without HTML escaping, which would only obscure
// the values shown.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(`null`) // unreachable for strings and bools
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
