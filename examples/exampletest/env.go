package exampletest

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// EphemeralKeys checks that with no keys in the environment the server
// says, in its log, that it uses ephemeral keys and the in-memory store,
// and still serves the contract's basics.
func EphemeralKeys(t *testing.T, run RunFunc) {
	s := Start(t, run, nil)
	Expect(t, "GET /", s.Get(t, "/", ""), http.StatusOK, "")
	logs := s.Logs()
	// The command it suggests works outside a checkout of pasetoauth too,
	// in a copy of the example.
	for _, want := range []string{"ephemeral keys", "in-memory session store", KeygenCommand + " gen env"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log does not mention %q:\n%s", want, logs)
		}
	}
	Expect(t, "protected", s.Get(t, "/protected", s.Login(t, "test").Access), http.StatusOK, "")
}

// KeysFromEnv checks that the server mints with the keys of env (LocalKeys
// or PublicKeys): its tokens name the key's ID, a second instance given the
// same keys reads them, one given other keys does not, and no key is ever
// logged.
func KeysFromEnv(t *testing.T, run RunFunc, env map[string]string) {
	var wantKID, purpose string
	if k := env["PASETO_LOCAL_KEY"]; k != "" {
		key, err := paseto.ParseSymmetricKey(k)
		if err != nil {
			t.Fatal(err)
		}
		wantKID, purpose = key.ID(), "v4.local."
	} else {
		key, err := paseto.ParseSecretKey(env["PASETO_SECRET_KEY"])
		if err != nil {
			t.Fatal(err)
		}
		wantKID, purpose = key.Public().ID(), "v4.public."
	}
	a := Start(t, run, env)
	p := a.Login(t, "test")
	if !strings.HasPrefix(p.Access, purpose) {
		t.Fatalf("access token %.20s…, want %s", p.Access, purpose)
	}
	if kid := footerKID(t, p.Access); kid != wantKID {
		t.Errorf("access token kid %q, want the environment key's %q", kid, wantKID)
	}

	// B has a memory store of its own, which has never heard of A's
	// session: the token passes B's cryptographic checks and is then
	// refused because no store vouches for its session (fail closed).
	// Instances that share sessions share a Redis: SharedRedis.
	b := Start(t, run, env)
	r := b.Get(t, "/protected", p.Access)
	Expect(t, "token of instance A on instance B with the same keys", r, http.StatusUnauthorized, "revoked_token")

	other := LocalKeys()
	if purpose == "v4.public." {
		other = PublicKeys()
	}
	c := Start(t, run, other)
	r = c.Get(t, "/protected", p.Access)
	Expect(t, "token on an instance with other keys", r, http.StatusUnauthorized, "invalid_token")
	ExpectChallenge(t, "token on an instance with other keys", r, `error="invalid_token"`)

	for _, s := range []*Server{a, b} {
		logs := s.Logs()
		if strings.Contains(logs, "ephemeral") {
			t.Errorf("keys were set, yet the log mentions ephemeral keys:\n%s", logs)
		}
		noSecrets(t, "log", logs, env)
	}
}

// footerKID returns the kid of a token's footer.
func footerKID(t testing.TB, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 4 {
		t.Fatalf("token has no footer: %.30s…", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil {
		t.Fatalf("footer: %v", err)
	}
	var f struct {
		KID string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("footer %s: %v", raw, err)
	}
	return f.KID
}

// noSecrets fails the test if text holds any key from env, also one of a
// comma-separated list.
func noSecrets(t testing.TB, what, text string, env map[string]string) {
	t.Helper()
	for name, list := range env {
		if !strings.HasPrefix(name, "PASETO_") {
			continue
		}
		for _, v := range strings.Split(list, ",") {
			if v = strings.TrimSpace(v); len(v) > 12 && strings.Contains(text, v[len(v)-12:]) {
				t.Errorf("%s shows %s:\n%s", what, name, text)
			}
		}
	}
}

// KeygenCommand generates keys in any directory: it is the command the
// examples name in their hints, which must work in a copy of an example
// outside a checkout of pasetoauth.
const KeygenCommand = "go run github.com/pasetoauth/pasetoauth/cmd/pasetokey@latest"

// BadEnvironment checks that every wrong setting stops the server at
// start-up with an error naming the variable (and, in a comma-separated
// list of keys, the key's position), without falling back to generated
// keys, dropping a key or showing a secret.
func BadEnvironment(t *testing.T, run RunFunc) {
	local := paseto.GenerateSymmetricKey().PASERK()
	local2 := paseto.GenerateSymmetricKey().PASERK()
	refresh := paseto.GenerateSymmetricKey().PASERK()
	secret := paseto.GenerateSecretKey()
	public2 := paseto.GenerateSecretKey().Public().PASERK()
	zero := "k4.local." + base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	zeroPublic := "k4.public." + base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	lk := func(kv ...string) map[string]string { // v4.local keys, and kv
		return With(map[string]string{"PASETO_LOCAL_KEY": local, "PASETO_REFRESH_KEY": refresh}, kv...)
	}
	sk := func(kv ...string) map[string]string { // v4.public keys, and kv
		return With(map[string]string{"PASETO_SECRET_KEY": secret.PASERK(), "PASETO_REFRESH_KEY": refresh}, kv...)
	}
	const (
		localPrev   = "PASETO_LOCAL_KEY_PREVIOUS"
		secretPrev  = "PASETO_SECRET_KEY_PREVIOUS"
		refreshPrev = "PASETO_REFRESH_KEY_PREVIOUS"
		secretUp    = "PASETO_SECRET_KEY_UPCOMING"
	)
	cases := []struct {
		name string
		env  map[string]string
		want []string // each must appear in the error
	}{
		{"port not a number", map[string]string{"PORT": "http"}, []string{"PORT"}},
		{"port out of range", map[string]string{"PORT": "70000"}, []string{"PORT"}},
		{"local key garbage", map[string]string{"PASETO_LOCAL_KEY": "k4.local.not*base64", "PASETO_REFRESH_KEY": refresh}, []string{"PASETO_LOCAL_KEY"}},
		{"local key is a public key", map[string]string{"PASETO_LOCAL_KEY": secret.Public().PASERK(), "PASETO_REFRESH_KEY": refresh}, []string{"PASETO_LOCAL_KEY"}},
		{"local key all zero", map[string]string{"PASETO_LOCAL_KEY": zero, "PASETO_REFRESH_KEY": refresh}, []string{"PASETO_LOCAL_KEY"}},
		{"local key truncated", map[string]string{"PASETO_LOCAL_KEY": local[:len(local)-4], "PASETO_REFRESH_KEY": refresh}, []string{"PASETO_LOCAL_KEY"}},
		{"secret key is a local key", map[string]string{"PASETO_SECRET_KEY": local, "PASETO_REFRESH_KEY": refresh}, []string{"PASETO_SECRET_KEY"}},
		{"secret key truncated", map[string]string{"PASETO_SECRET_KEY": secret.PASERK()[:40], "PASETO_REFRESH_KEY": refresh}, []string{"PASETO_SECRET_KEY"}},
		{"refresh key is a secret key", map[string]string{"PASETO_LOCAL_KEY": local, "PASETO_REFRESH_KEY": secret.PASERK()}, []string{"PASETO_REFRESH_KEY"}},
		{"both access keys", map[string]string{"PASETO_LOCAL_KEY": local, "PASETO_SECRET_KEY": secret.PASERK(), "PASETO_REFRESH_KEY": refresh}, []string{"PASETO_LOCAL_KEY", "PASETO_SECRET_KEY"}},
		{"local key without refresh key", map[string]string{"PASETO_LOCAL_KEY": local}, []string{"PASETO_REFRESH_KEY", KeygenCommand + " gen local"}},
		{"secret key without refresh key", map[string]string{"PASETO_SECRET_KEY": secret.PASERK()}, []string{"PASETO_REFRESH_KEY"}},
		{"refresh key alone", map[string]string{"PASETO_REFRESH_KEY": refresh}, []string{"PASETO_LOCAL_KEY", "PASETO_SECRET_KEY"}},
		{"one key for both", map[string]string{"PASETO_LOCAL_KEY": local, "PASETO_REFRESH_KEY": local}, []string{"PASETO_REFRESH_KEY"}},

		// Key rings: the _PREVIOUS variables hold comma-separated
		// verify-only keys. Errors name the variable and the key's position.
		{"current key variable holds a list", lk("PASETO_LOCAL_KEY", local+","+local2), []string{"PASETO_LOCAL_KEY", localPrev}},
		{"secret key variable holds a list", sk("PASETO_SECRET_KEY", secret.PASERK()+","+public2), []string{"PASETO_SECRET_KEY", secretPrev}},
		{"refresh key variable holds a list", lk("PASETO_REFRESH_KEY", refresh+","+local2), []string{"PASETO_REFRESH_KEY", refreshPrev}},
		{"previous local key garbage", lk(localPrev, local2+",k4.local.not*base64"), []string{localPrev + " key 2 of 2", "k4.local."}},
		{"previous local key is a secret key", lk(localPrev, secret.PASERK()), []string{localPrev + " key 1 of 1", "k4.local."}},
		{"previous local key all zero", lk(localPrev, local2+", "+zero), []string{localPrev + " key 2 of 2"}},
		{"empty entry in a list", lk(localPrev, local2+",,"+paseto.GenerateSymmetricKey().PASERK()), []string{localPrev + " key 2 of 3", "empty"}},
		{"trailing comma", lk(localPrev, local2+","), []string{localPrev + " key 2 of 2", "empty"}},
		{"leading comma", lk(refreshPrev, " ,"+local2), []string{refreshPrev + " key 1 of 2", "empty"}},
		{"previous repeats the current key", lk(localPrev, local2+","+local), []string{localPrev + " key 2 of 2", "PASETO_LOCAL_KEY"}},
		{"previous key listed twice", lk(localPrev, local2+","+local2), []string{localPrev + " key 2 of 2", localPrev + " key 1 of 2", "once"}},
		{"previous access key is the refresh key", lk(localPrev, refresh), []string{"PASETO_REFRESH_KEY", localPrev + " key 1 of 1", "independent"}},
		{"previous refresh key is the access key", lk(refreshPrev, local), []string{refreshPrev + " key 1 of 1", "PASETO_LOCAL_KEY"}},
		{"previous refresh key is a public key", lk(refreshPrev, public2), []string{refreshPrev + " key 1 of 1", "k4.local."}},
		{"previous public key is a secret key", sk(secretPrev, paseto.GenerateSecretKey().PASERK()), []string{secretPrev + " key 1 of 1", "k4.public."}},
		{"previous public key is a local key", sk(secretPrev, public2+","+local2), []string{secretPrev + " key 2 of 2", "k4.public."}},
		{"previous public key is a small-order key", sk(secretPrev, zeroPublic), []string{secretPrev + " key 1 of 1"}},
		{"previous public key is the current key's", sk(secretPrev, secret.Public().PASERK()), []string{secretPrev + " key 1 of 1", "PASETO_SECRET_KEY"}},
		{"previous local keys with a secret key", sk(localPrev, local2), []string{localPrev, secretPrev}},
		{"previous public keys with a local key", lk(secretPrev, public2), []string{secretPrev, localPrev}},
		{"previous keys alone", map[string]string{localPrev: local2}, []string{localPrev, "PASETO_LOCAL_KEY", "PASETO_SECRET_KEY"}},
		{"previous refresh keys without the refresh key", map[string]string{"PASETO_LOCAL_KEY": local, refreshPrev: local2}, []string{"PASETO_REFRESH_KEY"}},

		// Upcoming keys: public keys published before they sign.
		{"upcoming key is a secret key", sk(secretUp, paseto.GenerateSecretKey().PASERK()), []string{secretUp + " key 1 of 1", "k4.public."}},
		{"upcoming key is the current key's", sk(secretUp, secret.Public().PASERK()), []string{secretUp + " key 1 of 1", "PASETO_SECRET_KEY"}},
		{"upcoming key is also previous", sk(secretPrev, public2, secretUp, public2), []string{secretUp + " key 1 of 1", secretPrev}},
		{"upcoming keys with a local key", lk(secretUp, public2), []string{secretUp, "PASETO_SECRET_KEY"}},
		{"host not an address", With(LocalKeys(), "LISTEN_HOST", "example.com"), []string{"LISTEN_HOST"}},

		{"redis URL of another scheme", With(LocalKeys(), "REDIS_URL", "http://127.0.0.1:6379"), []string{"REDIS_URL"}},
		{"redis URL with a bad port", With(LocalKeys(), "REDIS_URL", "redis://app:s3cret-pass-word@127.0.0.1:port/0"), []string{"REDIS_URL"}},
		// A '#' in an unencoded password ends the URL's userinfo early, and
		// the parser's message then quotes the rest of the password.
		{"redis URL with # in the password", With(LocalKeys(), "REDIS_URL", "redis://:s3cret-pass-word#x@127.0.0.1:6379/0"), []string{"REDIS_URL"}},
		{"redis URL with / in the password", With(LocalKeys(), "REDIS_URL", "redis://:s3cret/pass-word@127.0.0.1:6379/0"), []string{"REDIS_URL"}},
		{"live cache without redis", With(LocalKeys(), "REDIS_LIVE_CACHE", "1s"), []string{"REDIS_LIVE_CACHE", "REDIS_URL"}},
		{"live cache not a duration", With(LocalKeys(), "REDIS_URL", "redis://127.0.0.1:6379/0", "REDIS_LIVE_CACHE", "forever"), []string{"REDIS_LIVE_CACHE"}},
		{"live cache too long", With(LocalKeys(), "REDIS_URL", "redis://127.0.0.1:6379/0", "REDIS_LIVE_CACHE", "1m"), []string{"REDIS_LIVE_CACHE"}},

		{"both REDIS_URL and DATABASE_URL", With(LocalKeys(), "REDIS_URL", "redis://127.0.0.1:6379/0", "DATABASE_URL", "sqlite:///tmp/sessions.db"), []string{"REDIS_URL", "DATABASE_URL"}},
		{"database URL of an unknown scheme", With(LocalKeys(), "DATABASE_URL", "mysql://app:s3cret-pass-word@127.0.0.1/app"), []string{"DATABASE_URL", "mysql"}},
		{"database URL that is not a URL", With(LocalKeys(), "DATABASE_URL", "/tmp/sessions.db"), []string{"DATABASE_URL"}},
		{"sqlite URL without a file", With(LocalKeys(), "DATABASE_URL", "sqlite://"), []string{"DATABASE_URL"}},
		{"sqlite URL with a query", With(LocalKeys(), "DATABASE_URL", "sqlite:///tmp/sessions.db?mode=ro"), []string{"DATABASE_URL"}},
		{"sqlite file in a missing directory", With(LocalKeys(), "DATABASE_URL", "sqlite:///nonexistent-pasetoauth-dir/sub/sessions.db"), []string{"DATABASE_URL"}},
		{"postgres URL with a bad port", With(LocalKeys(), "DATABASE_URL", "postgres://app:s3cret-pass-word@127.0.0.1:port/app"), []string{"DATABASE_URL"}},
		{"postgres that does not answer", With(LocalKeys(), "DATABASE_URL", "postgres://app:s3cret-pass-word@127.0.0.1:1/app?connect_timeout=2"), []string{"DATABASE_URL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logs, err := StartupError(t, run, c.env)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
			if strings.Contains(logs, "ephemeral") {
				t.Errorf("a wrong setting fell back to ephemeral keys; log:\n%s", logs)
			}
			noSecrets(t, "error", err.Error(), c.env)
			noSecrets(t, "log", logs, c.env)
			if strings.Contains(err.Error()+logs, "s3cret") {
				t.Errorf("the Redis password was shown: %v\n%s", err, logs)
			}
		})
	}
}

// StoreDown checks that with REDIS_URL naming a Redis that does not answer
// the server starts, warns, and fails closed: logins and refreshes are
// answered 503 temporarily_unavailable, never allowed.
func StoreDown(t *testing.T, run RunFunc) {
	// Options in the URL reach go-redis: no retries, so each request fails
	// fast.
	env := With(LocalKeys(), "REDIS_URL", "redis://"+net.JoinHostPort("127.0.0.1", FreePort(t))+"/0?max_retries=-1&dial_timeout=200ms")
	s := Start(t, run, env)
	if !strings.Contains(s.Logs(), "Redis does not answer") {
		t.Errorf("no warning that Redis is down; log:\n%s", s.Logs())
	}
	Expect(t, "GET /", s.Get(t, "/", ""), http.StatusOK, "")
	r := s.Do(t, Request{Method: "POST", Path: "/login", JSON: map[string]string{"username": "test", "password": "test"}})
	Expect(t, "login with the store down", r, http.StatusServiceUnavailable, "temporarily_unavailable")
	r = s.Do(t, Request{Method: "POST", Path: "/cookie/login", JSON: map[string]string{"username": "test", "password": "test"}})
	Expect(t, "cookie login with the store down", r, http.StatusServiceUnavailable, "temporarily_unavailable")
	if len(r.Cookies) != 0 {
		t.Errorf("cookie login with the store down set cookies: %v", r.Cookies)
	}
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	if err := l.Close(); err != nil {
		tb.Fatal(err)
	}
	return port
}
