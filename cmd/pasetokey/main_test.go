package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
)

type result struct {
	code           int
	stdout, stderr string
}

// invoke runs the command as main would, with stdin and an environment.
func invoke(t *testing.T, stdin string, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut, func(k string) string { return env[k] })
	return result{code, out.String(), errOut.String()}
}

// epoch is when the test tokens are minted; it is in the past, so they are
// expired now and valid only with -at.
var epoch = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	atValid   = "2024-03-01T12:05:00Z" // inside [nbf, exp] of tokens minted at epoch
	atExpired = "2024-03-01T13:00:00Z" // after exp (15 minutes)
	atBefore  = "2024-03-01T11:00:00Z" // before nbf
)

// fixture holds keys and tokens shared by the inspect tests.
type fixture struct {
	local, otherLocal     paseto.SymmetricKey
	secret                paseto.SecretKey
	otherPublic           paseto.PublicKey
	localToken, pubToken  string
	refreshToken          string
	localRing, publicRing *paseto.KeyRing
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		local:       paseto.GenerateSymmetricKey(),
		otherLocal:  paseto.GenerateSymmetricKey(),
		secret:      paseto.GenerateSecretKey(),
		otherPublic: paseto.GenerateSecretKey().Public(),
	}
	var err error
	if f.localRing, err = paseto.NewLocalKeyRing(f.local); err != nil {
		t.Fatal(err)
	}
	if f.publicRing, err = paseto.NewPublicKeyRing(f.secret); err != nil {
		t.Fatal(err)
	}
	f.localToken = mint(t, f.localRing, paseto.TypeAccess)
	f.pubToken = mint(t, f.publicRing, paseto.TypeAccess)
	f.refreshToken = mint(t, f.localRing, paseto.TypeRefresh)
	return f
}

func mint(t *testing.T, ring *paseto.KeyRing, typ string) string {
	t.Helper()
	iss, err := paseto.NewIssuer(ring, typ, paseto.IssuerConfig{Clock: func() time.Time { return epoch }})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := iss.Issue(paseto.Template{
		Subject: "alice",
		Fresh:   true,
		Scopes:  []string{"read", "write"},
		Claims:  map[string]any{"role": "admin"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// labelled returns the values of "label: value" lines.
func labelled(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for line := range strings.Lines(out) {
		k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), ":")
		if !ok {
			t.Fatalf("line %q is not label: value", line)
		}
		m[k] = strings.TrimSpace(v)
	}
	return m
}

// secretsIn returns every k4.local./k4.secret. key (with data) in s.
func secretsIn(s string) []string {
	var keys []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\n' || r == '=' }) {
		for _, p := range []string{"k4.local.", "k4.secret."} {
			if data, ok := strings.CutPrefix(w, p); ok && len(data) >= 8 {
				keys = append(keys, w)
			}
		}
	}
	return keys
}

// assertNoLeak fails if any of the secrets, or its key data alone, shows up in
// out.
func assertNoLeak(t *testing.T, out string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		data := s
		if i := strings.LastIndexByte(s, '.'); i >= 0 && i < len(s)-8 {
			data = s[i+1:]
		}
		if strings.Contains(out, data) {
			t.Errorf("output leaks secret material:\n%s", out)
		}
	}
}

func TestGen(t *testing.T) {
	tests := []struct {
		kind  string
		check func(t *testing.T, out string)
	}{
		{"local", func(t *testing.T, out string) {
			m := labelled(t, out)
			k, err := paseto.ParseSymmetricKey(m["key"])
			if err != nil {
				t.Fatal(err)
			}
			if m["id"] != k.ID() {
				t.Errorf("id = %q, want %q", m["id"], k.ID())
			}
			if len(m) != 2 {
				t.Errorf("got %d lines, want 2", len(m))
			}
		}},
		{"public", func(t *testing.T, out string) {
			m := labelled(t, out)
			sk, err := paseto.ParseSecretKey(m["secret"])
			if err != nil {
				t.Fatal(err)
			}
			pk, err := paseto.ParsePublicKey(m["public"])
			if err != nil {
				t.Fatal(err)
			}
			if pk.PASERK() != sk.Public().PASERK() {
				t.Error("public key does not match the secret key")
			}
			if m["secret id"] != sk.ID() || m["public id"] != pk.ID() {
				t.Errorf("ids %q, %q; want %q, %q", m["secret id"], m["public id"], sk.ID(), pk.ID())
			}
			if !strings.HasPrefix(m["secret id"], "k4.sid.") || !strings.HasPrefix(m["public id"], "k4.pid.") {
				t.Error("wrong ID types")
			}
		}},
		{"env", func(t *testing.T, out string) {
			vars, comments := envLines(t, out)
			if len(vars) != 2 || vars["PASETO_SECRET_KEY"] != "" {
				t.Fatalf("got variables %v, want PASETO_LOCAL_KEY and PASETO_REFRESH_KEY", vars)
			}
			local, err := paseto.ParseSymmetricKey(vars["PASETO_LOCAL_KEY"])
			if err != nil {
				t.Fatal(err)
			}
			refresh, err := paseto.ParseSymmetricKey(vars["PASETO_REFRESH_KEY"])
			if err != nil {
				t.Fatal(err)
			}
			if local.ID() == refresh.ID() {
				t.Error("access and refresh keys are the same")
			}
			for _, id := range []string{local.ID(), refresh.ID()} {
				if !strings.Contains(comments, id) {
					t.Errorf("comments lack %s", id)
				}
			}
			// The keys must be usable the way the examples use them.
			if _, err := paseto.NewLocalKeyRing(local); err != nil {
				t.Error(err)
			}
			// The comments name the examples' rotation variables.
			for _, v := range []string{"PASETO_LOCAL_KEY_PREVIOUS", "PASETO_REFRESH_KEY_PREVIOUS"} {
				if !strings.Contains(comments, v) {
					t.Errorf("comments lack %s:\n%s", v, comments)
				}
			}
		}},
		{"env-public", func(t *testing.T, out string) {
			vars, comments := envLines(t, out)
			if len(vars) != 2 || vars["PASETO_LOCAL_KEY"] != "" {
				t.Fatalf("got variables %v, want PASETO_SECRET_KEY and PASETO_REFRESH_KEY", vars)
			}
			secret, err := paseto.ParseSecretKey(vars["PASETO_SECRET_KEY"])
			if err != nil {
				t.Fatal(err)
			}
			refresh, err := paseto.ParseSymmetricKey(vars["PASETO_REFRESH_KEY"])
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{secret.ID(), secret.Public().ID(), refresh.ID(), secret.Public().PASERK()} {
				if !strings.Contains(comments, id) {
					t.Errorf("comments lack %s", id)
				}
			}
			if _, err := paseto.NewPublicKeyRing(secret); err != nil {
				t.Error(err)
			}
			for _, v := range []string{"PASETO_SECRET_KEY_PREVIOUS (k4.public. keys)", "PASETO_REFRESH_KEY_PREVIOUS (k4.local. keys)"} {
				if !strings.Contains(comments, v) {
					t.Errorf("comments lack %s:\n%s", v, comments)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			r := invoke(t, "", nil, "gen", tt.kind)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			tt.check(t, r.stdout)
			// Two runs never give the same key.
			if again := invoke(t, "", nil, "gen", tt.kind); again.stdout == r.stdout {
				t.Error("two runs printed the same keys")
			}
		})
	}
}

// TestErrorsPrintNoKeys: a command that fails prints nothing on stdout, so a
// failing gen never emits a key, and error messages never echo key material.
func TestErrorsPrintNoKeys(t *testing.T) {
	sk := paseto.GenerateSecretKey().PASERK()
	lk := paseto.GenerateSymmetricKey().PASERK()
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"gen without kind", "", []string{"gen"}, 2},
		{"gen unknown kind", "", []string{"gen", "rsa"}, 2},
		{"gen extra argument", "", []string{"gen", "local", "extra"}, 2},
		{"gen unknown flag", "", []string{"gen", "-bits", "256", "local"}, 2},
		{"gen key as kind", "", []string{"gen", lk}, 2},
		{"key as command", "", []string{sk}, 2},
		{"key as flag", "", []string{"id", "-" + sk}, 2},
		{"id two keys", "", []string{"id", lk, sk}, 2},
		{"id truncated secret", "", []string{"id", sk[:len(sk)-1]}, 1},
		{"id truncated secret on stdin", sk[:len(sk)-2] + "\n", []string{"id", "-"}, 1},
		{"public of local key", "", []string{"public", lk}, 1},
		{"inspect with key as token", "", []string{"inspect", sk}, 1},
		{"inspect key from stdin twice", lk, []string{"inspect", "-key", "-", "-"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := invoke(t, tt.stdin, nil, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, tt.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if r.stderr == "" || strings.Count(strings.TrimSuffix(r.stderr, "\n"), "\n") > 1 {
				t.Errorf("stderr %q: want a one-line error (and at most a usage hint)", r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stack trace: %s", r.stderr)
			}
			if secretsIn(r.stderr) != nil {
				t.Errorf("stderr has key material: %q", r.stderr)
			}
			assertNoLeak(t, r.stderr, sk, lk)
		})
	}
}

func TestIDAndPublic(t *testing.T) {
	local := paseto.GenerateSymmetricKey()
	secret := paseto.GenerateSecretKey()
	public := secret.Public()
	zeroLocal := "k4.local." + base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	v3 := "k3.local." + base64.RawURLEncoding.EncodeToString(make([]byte, 32))

	tests := []struct {
		name    string
		stdin   string
		args    []string
		code    int
		stdout  string // exact, with the newline
		stderr  string // substring
		secrets []string
	}{
		{"id local", "", []string{"id", local.PASERK()}, 0, local.ID() + "\n", "", nil},
		{"id secret", "", []string{"id", secret.PASERK()}, 0, secret.ID() + "\n", "", nil},
		{"id public", "", []string{"id", public.PASERK()}, 0, public.ID() + "\n", "", nil},
		{"id local stdin", local.PASERK() + "\n", []string{"id", "-"}, 0, local.ID() + "\n", "", nil},
		{"id secret stdin", "  " + secret.PASERK() + "\r\n", []string{"id", "-"}, 0, secret.ID() + "\n", "", nil},
		{"id of lid", "", []string{"id", local.ID()}, 1, "", "k4.lid. is a key ID, not a key", nil},
		{"id of pid", "", []string{"id", public.ID()}, 1, "", "k4.pid. is a key ID, not a key", nil},
		{"id of sid", "", []string{"id", secret.ID()}, 1, "", "k4.sid. is a key ID, not a key", nil},
		{"id of k3 key", "", []string{"id", v3}, 1, "", "k3.local. is a PASERK version 3 key; only k4", []string{v3}},
		{"id of wrapped key", "", []string{"id", "k4.local-wrap.pie.AAAA"}, 1, "", "k4.local-wrap. keys are not supported", nil},
		{"id of seal", "", []string{"id", "k4.seal.AAAA"}, 1, "", "k4.seal. keys are not supported", nil},
		{"id of zero key", "", []string{"id", zeroLocal}, 1, "", "invalid k4.local. key: paseto: weak key refused", nil},
		{"id of short key", "", []string{"id", local.PASERK()[:40]}, 1, "", "invalid k4.local. key", []string{local.PASERK()[:40]}},
		{"id of padded key", "", []string{"id", secret.PASERK() + "="}, 1, "", "invalid k4.secret. key", []string{secret.PASERK()}},
		{"id of token", "", []string{"id", "v4.local.AAAA"}, 1, "", "that is a PASETO token, not a key", nil},
		{"id of garbage", "", []string{"id", "hunter2"}, 1, "", "not a PASERK key", []string{"hunter2"}},
		{"id empty stdin", "\n", []string{"id", "-"}, 1, "", "no key on standard input", nil},
		{"id missing", "", []string{"id"}, 2, "", "missing key", nil},
		{"id -h", "", []string{"id", "-h"}, 0, "", "", nil},

		{"public", "", []string{"public", secret.PASERK()}, 0, public.PASERK() + "\n", "", nil},
		{"public stdin", secret.PASERK(), []string{"public", "-"}, 0, public.PASERK() + "\n", "", nil},
		{"public of public", "", []string{"public", public.PASERK()}, 1, "", "k4.public. is already a public key", nil},
		{"public of local", "", []string{"public", local.PASERK()}, 1, "", "k4.local. is a symmetric key", []string{local.PASERK()}},
		{"public of sid", "", []string{"public", secret.ID()}, 1, "", "k4.sid. is a key ID, not a key", nil},
		{"public missing", "", []string{"public"}, 2, "", "missing k4.secret. key", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := invoke(t, tt.stdin, nil, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d (stderr %q)", r.code, tt.code, r.stderr)
			}
			if tt.code == 0 && strings.HasSuffix(tt.args[len(tt.args)-1], "-h") {
				if !strings.HasPrefix(r.stdout, "Usage: pasetokey id") {
					t.Errorf("help: %q", r.stdout)
				}
				return
			}
			if r.stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", r.stdout, tt.stdout)
			}
			if tt.stderr == "" && r.stderr != "" || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q, want it to contain %q", r.stderr, tt.stderr)
			}
			assertNoLeak(t, r.stderr, append(tt.secrets, local.PASERK(), secret.PASERK())...)
		})
	}
}

func TestInspect(t *testing.T) {
	f := newFixture(t)
	lk, sk, pk := f.local.PASERK(), f.secret.PASERK(), f.secret.Public().PASERK()
	lid, pid := f.local.ID(), f.secret.Public().ID()
	env := func(k string) map[string]string { return map[string]string{envKey: k} }
	shortBody := "v4.local." + base64.RawURLEncoding.EncodeToString(make([]byte, 63))
	localBody, _, _ := strings.Cut(strings.TrimPrefix(f.localToken, "v4.local."), ".")

	tests := []struct {
		name   string
		stdin  string
		env    map[string]string
		args   []string
		code   int
		want   []string // substrings of stdout (or of stderr when code != 0 and stdout is empty)
		absent []string // substrings that must not be in stdout
	}{
		// Without a key.
		{"local no key", "", nil, []string{"inspect", f.localToken}, 0,
			[]string{"header:  v4.local\n", `footer:  {"kid":"` + lid + `"}`, "kid:     " + lid + "\n", "claims:  encrypted"},
			[]string{"alice", "result:"}},
		{"public no key", "", nil, []string{"inspect", f.pubToken}, 0,
			[]string{"header:  v4.public\n", "kid:     " + pid + "\n", "claims (UNVERIFIED", "do not trust them", `  "sub": "alice",`, `  "role": "admin"`},
			[]string{"result:", "verified)"}},
		{"public no key stdin", f.pubToken + "\n", nil, []string{"inspect", "-"}, 0,
			[]string{"claims (UNVERIFIED", `"sub": "alice"`}, nil},

		// With the right key, at an instant inside the lifetime.
		{"local key", "", nil, []string{"inspect", "-key", lk, "-at", atValid, f.localToken}, 0,
			[]string{"key:     " + lid + " (from -key; matches the kid)", "type:    access\n", "at:      " + atValid + " (-at)", "result:  valid\n", "claims (verified):\n{\n", `  "sub": "alice",`, `  "scope": "read write",`, `  "fresh": true,`, `  "exp": "2024-03-01T12:15:00Z",`, `  "role": "admin"` + "\n}\n"},
			[]string{"UNVERIFIED", lk}},
		{"local key from env", "", env(lk), []string{"inspect", "-at", atValid, f.localToken}, 0,
			[]string{"(from PASETO_KEY; matches the kid)", "result:  valid", `"sub": "alice"`}, []string{lk}},
		{"local key from stdin", lk + "\n", nil, []string{"inspect", "-key", "-", "-at", atValid, f.localToken}, 0,
			[]string{"result:  valid", `"sub": "alice"`}, []string{lk}},
		{"local token from stdin", f.localToken, env(lk), []string{"inspect", "-at", atValid, "-"}, 0,
			[]string{"result:  valid"}, nil},
		{"-key wins over env", "", env(f.otherLocal.PASERK()), []string{"inspect", "-key", lk, "-at", atValid, f.localToken}, 0,
			[]string{"result:  valid"}, nil},
		{"public key", "", nil, []string{"inspect", "-key", pk, "-at", atValid, f.pubToken}, 0,
			[]string{"key:     " + pid + " (from -key; matches the kid)", "result:  valid", "claims (verified)", `"role": "admin"`}, []string{"UNVERIFIED"}},
		{"public via secret key", "", nil, []string{"inspect", "-key", sk, "-at", atValid, f.pubToken}, 0,
			[]string{"key:     " + pid + " (public key of the k4.secret. key", "result:  valid"}, []string{sk}},
		{"refresh token", "", nil, []string{"inspect", "-key", lk, "-type", "refresh", "-at", atValid, f.refreshToken}, 0,
			[]string{"type:    refresh", "result:  valid", `"type": "refresh"`}, nil},

		// With a key, but the token does not verify: the result, no claims.
		{"expired now", "", env(lk), []string{"inspect", f.localToken}, 1,
			[]string{"(now)", "result:  expired_token (paseto: token has expired: expired at 2024-03-01T12:15:00Z)", "note:    the token is authentic"},
			[]string{"alice", "claims ("}},
		{"expired at", "", nil, []string{"inspect", "-key", lk, "-at", atExpired, f.localToken}, 1,
			[]string{"at:      " + atExpired, "result:  expired_token"}, []string{"alice", "claims ("}},
		{"not yet valid", "", nil, []string{"inspect", "-key", pk, "-at", atBefore, f.pubToken}, 1,
			[]string{"result:  not_yet_valid_token", "note:"}, []string{"alice", "claims ("}},
		{"-at with offset", "", nil, []string{"inspect", "-key", lk, "-at", "2024-03-01T13:05:00+01:00", f.localToken}, 0,
			[]string{"at:      " + atValid, "result:  valid"}, nil},
		{"wrong local key", "", nil, []string{"inspect", "-key", f.otherLocal.PASERK(), "-at", atValid, f.localToken}, 1,
			[]string{"key:     " + f.otherLocal.ID() + " (from -key; does NOT match the kid)", "result:  invalid_token ("}, []string{"alice", "claims (", "note:"}},
		{"wrong public key", "", nil, []string{"inspect", "-key", f.otherPublic.PASERK(), "-at", atValid, f.pubToken}, 1,
			[]string{"does NOT match the kid", "result:  invalid_token"}, []string{"alice", "claims ("}},
		{"wrong type", "", nil, []string{"inspect", "-key", lk, "-at", atValid, f.refreshToken}, 1,
			[]string{"result:  wrong_token_type"}, []string{"alice", "claims ("}},
		{"tampered", "", nil, []string{"inspect", "-key", lk, "-at", atValid, flipLast(localBody, f.localToken)}, 1,
			[]string{"result:  invalid_token"}, []string{"alice"}},

		// Wrong kinds of key: an error, nothing on stdout.
		{"public key for local token", "", nil, []string{"inspect", "-key", pk, f.localToken}, 1,
			[]string{"pasetokey inspect: -key: a v4.local token needs a k4.local. key, not a k4.public. key"}, nil},
		{"secret key for local token", "", nil, []string{"inspect", "-key", sk, f.localToken}, 1,
			[]string{"needs a k4.local. key, not a k4.secret. key"}, nil},
		{"local key for public token", "", env(lk), []string{"inspect", f.pubToken}, 1,
			[]string{"pasetokey inspect: PASETO_KEY: a v4.public token needs a k4.public. or k4.secret. key, not a k4.local. key"}, nil},
		{"lid as key", "", nil, []string{"inspect", "-key", lid, f.localToken}, 1,
			[]string{"-key: k4.lid. is a key ID, not a key"}, nil},
		{"k3 key", "", env("k3.local." + strings.TrimPrefix(lk, "k4.local.")), []string{"inspect", f.localToken}, 1,
			[]string{"PASETO_KEY: k3.local. is a PASERK version 3 key"}, nil},
		{"token as key", "", nil, []string{"inspect", "-key", f.localToken, f.localToken}, 1,
			[]string{"-key: that is a PASETO token, not a key"}, nil},

		// Malformed tokens.
		{"empty", "", nil, []string{"inspect", ""}, 1, []string{"pasetokey inspect: empty token"}, nil},
		{"empty stdin", "", nil, []string{"inspect", "-"}, 1, []string{"no token on standard input"}, nil},
		{"no payload", "", nil, []string{"inspect", "v4.local."}, 1, []string{"malformed token: empty payload"}, nil},
		{"short payload", "", nil, []string{"inspect", shortBody}, 1, []string{"malformed token: payload too short for a v4.local token"}, nil},
		{"padding", "", nil, []string{"inspect", "v4.public." + base64.URLEncoding.EncodeToString(make([]byte, 65))}, 1, []string{"outside unpadded base64url"}, nil},
		{"std alphabet", "", nil, []string{"inspect", "v4.local.++" + localBody[2:]}, 1, []string{"outside unpadded base64url"}, nil},
		{"non-canonical", "", nil, []string{"inspect", "v4.public." + strings.Repeat("A", 86) + "B"}, 1, []string{"not canonical base64url"}, nil},
		{"empty footer", "", nil, []string{"inspect", "v4.local." + localBody + "."}, 1, []string{"malformed token: empty footer"}, nil},
		{"too many segments", "", nil, []string{"inspect", f.localToken + ".e30"}, 1, []string{"too many dot-separated segments"}, nil},
		{"v2 token", "", nil, []string{"inspect", "v2.local.AAAA"}, 1, []string{"v2.local tokens are not supported"}, nil},
		{"upper-case header", "", nil, []string{"inspect", "V4.local." + localBody}, 1, []string{"malformed token: not a v4.local. or v4.public. token"}, nil},
		{"key as token", "", nil, []string{"inspect", lk}, 1, []string{"that is a PASERK key, not a token"}, nil},
		{"bearer prefix", "", nil, []string{"inspect", "Bearer " + f.localToken}, 1, []string{"not a v4.local. or v4.public. token"}, nil},
		{"malformed with key", "", env(lk), []string{"inspect", "v4.local.!"}, 1, []string{"outside unpadded base64url"}, nil},

		// Command-line mistakes.
		{"flag after token", "", nil, []string{"inspect", f.localToken, "-key", lk}, 2, []string{"too many arguments", "flags go before it"}, nil},
		{"bad -at", "", nil, []string{"inspect", "-key", lk, "-at", "yesterday", f.localToken}, 2, []string{"-at wants an RFC 3339 time"}, nil},
		{"-at without key", "", nil, []string{"inspect", "-at", atValid, f.localToken}, 2, []string{"-type and -at need a key"}, nil},
		{"-type without key", "", nil, []string{"inspect", "-type", "refresh", f.localToken}, 2, []string{"-type and -at need a key"}, nil},
		{"empty -key", "", nil, []string{"inspect", "-key", "", f.localToken}, 2, []string{"-key is empty"}, nil},
		{"empty -type", "", nil, []string{"inspect", "-key", lk, "-type", "", f.localToken}, 2, []string{"-type is empty"}, nil},
		{"both stdin", "x", nil, []string{"inspect", "-key", "-", "-"}, 2, []string{"cannot both come from standard input"}, nil},
		{"no token", "", nil, []string{"inspect"}, 2, []string{"missing token"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := invoke(t, tt.stdin, tt.env, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			got := r.stdout
			switch {
			case tt.code == 0 || strings.Contains(r.stdout, "result:"):
				if r.stderr != "" {
					t.Errorf("stderr %q, want nothing", r.stderr)
				}
			default:
				// An error: one line (plus a usage hint), nothing on stdout.
				if r.stdout != "" {
					t.Errorf("stdout %q, want nothing", r.stdout)
				}
				lines := strings.Count(r.stderr, "\n")
				if lines != 1 && !(tt.code == 2 && lines == 2) {
					t.Errorf("stderr %q: want one line", r.stderr)
				}
				got = r.stderr
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(r.stdout, a) {
					t.Errorf("output has %q:\n%s", a, r.stdout)
				}
			}
			assertNoLeak(t, r.stdout+r.stderr, lk, sk, f.otherLocal.PASERK())
		})
	}
}

// flipLast returns token with the last character of its body changed.
func flipLast(body, token string) string {
	c := byte('A')
	if body[len(body)-1] == 'A' {
		c = 'Q' // both keep zero trailing bits
	}
	i := len("v4.local.") + len(body) - 1
	return token[:i] + string(c) + token[i+1:]
}

// unsignedPublicToken builds a v4.public token whose "signature" is zeros:
// fine for the unverified view, which never checks it.
func unsignedPublicToken(msg, footer string) string {
	body := append([]byte(msg), make([]byte, ed25519.SignatureSize)...)
	tok := "v4.public." + base64.RawURLEncoding.EncodeToString(body)
	if footer != "" {
		tok += "." + base64.RawURLEncoding.EncodeToString([]byte(footer))
	}
	return tok
}

// Everything shown from a token is attacker-controlled: no terminal escape,
// bidi override or invalid UTF-8 may reach the output raw.
func TestInspectEscapesHostileContent(t *testing.T) {
	hostile := "\x1b[2J\u202e\u009b31m\x7f\u2028\xff"
	jsonHostile := strings.ReplaceAll(hostile, "\x1b", `\u001b`) // raw ESC is not valid JSON
	tests := []struct {
		name, msg, footer string
		want              []string
	}{
		{"json claims and footer", `{"sub":"` + jsonHostile + `","x":"\u001b"}`, `{"kid":"` + jsonHostile + `"}`,
			[]string{`"sub": "\u001b[2J\u202e\u009b31m\u007f\u2028\ufffd"`, `"x": "\u001b"`, "kid:     \"\\x1b[2J\\u202e\\u009b31m\\x7f\\u2028\uFFFD\" (not a k4.pid. ID"}},
		{"not json", hostile, hostile, []string{`not JSON:` + "\n" + `"\x1b[2J\u202e\u009b31m\x7f\u2028\xff"`, `footer:  "\x1b[2J\u202e\u009b31m\x7f\u2028\xff" (not JSON)`, "kid:     (none;"}},
		{"no footer", `{"sub":"a"}`, "", []string{"footer:  (none)", "kid:     (none; this library's verifiers refuse tokens without a kid)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := invoke(t, "", nil, "inspect", unsignedPublicToken(tt.msg, tt.footer))
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			for _, bad := range []string{"\x1b", "\u202e", "\u009b", "\x7f", "\u2028", "\xff"} {
				if strings.Contains(r.stdout, bad) {
					t.Errorf("output has raw %q:\n%s", bad, r.stdout)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %s:\n%s", w, r.stdout)
				}
			}
		})
	}
}

func TestTopLevel(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		code         int
		stdout       string // prefix
		stderrSubstr string
	}{
		{"no arguments", nil, 2, "", "Usage:\n  pasetokey <command>"},
		{"-h", []string{"-h"}, 0, "pasetokey creates and inspects", ""},
		{"--help", []string{"--help"}, 0, "pasetokey creates and inspects", ""},
		{"help", []string{"help"}, 0, "pasetokey creates and inspects", ""},
		{"help inspect", []string{"help", "inspect"}, 0, "Usage: pasetokey inspect [-key", ""},
		{"help gen", []string{"help", "gen"}, 0, "Usage: pasetokey gen local|public|env", ""},
		{"help unknown", []string{"help", "frob"}, 2, "", `unknown command "frob"`},
		{"help too many", []string{"help", "gen", "id"}, 2, "", "too many arguments"},
		{"unknown command", []string{"frob"}, 2, "", "pasetokey: unknown command \"frob\"\nRun 'pasetokey -h' for usage.\n"},
		{"gen -h", []string{"gen", "-h"}, 0, "Usage: pasetokey gen", ""},
		{"public -help", []string{"public", "-help"}, 0, "Usage: pasetokey public", ""},
		{"inspect -h", []string{"inspect", "-h"}, 0, "Usage: pasetokey inspect", ""},
		{"unknown flag", []string{"id", "-x", "k"}, 2, "", "pasetokey id: unknown flag \"-x\"\nRun 'pasetokey id -h' for usage.\n"},
		{"flag without value", []string{"inspect", "-key"}, 2, "", "flag needs an argument: -key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := invoke(t, "", nil, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d (stderr %q)", r.code, tt.code, r.stderr)
			}
			if !strings.HasPrefix(r.stdout, tt.stdout) || tt.stdout == "" && r.stdout != "" {
				t.Errorf("stdout %q, want prefix %q", r.stdout, tt.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderrSubstr) || tt.stderrSubstr == "" && r.stderr != "" {
				t.Errorf("stderr %q, want %q", r.stderr, tt.stderrSubstr)
			}
		})
	}
	// Every command's help lists its flags, if it has any, and every command
	// is in the top-level usage.
	for _, c := range commands {
		if !strings.Contains(usageText, "\n  "+c.name+" ") {
			t.Errorf("usage text does not list %s", c.name)
		}
	}
	if r := invoke(t, "", nil, "inspect", "-h"); !strings.Contains(r.stdout, "\nFlags:\n  -at time\n") {
		t.Errorf("inspect help lacks its flags:\n%s", r.stdout)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteFailure(t *testing.T) {
	var stderr bytes.Buffer
	code := run([]string{"gen", "local"}, nil, failingWriter{}, &stderr, nil)
	if code != 1 || stderr.String() != "pasetokey gen: writing output: broken pipe\n" {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// envLines parses the output of gen env: plain KEY=VALUE shell lines and
// comments.
func envLines(t *testing.T, out string) (vars map[string]string, comments string) {
	t.Helper()
	vars = map[string]string{}
	for line := range strings.Lines(out) {
		line = strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(line, "#") {
			comments += line + "\n"
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsAny(v, " \t'\"$`\\") {
			t.Fatalf("line %q is not a plain KEY=VALUE shell line", line)
		}
		vars[k] = v
	}
	return vars, comments
}
