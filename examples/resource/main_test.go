package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/examples/exampletest"
	"github.com/pasetoauth/pasetoauth/paseto"
)

func TestBadEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, "KEYSET_URL is not set"},
		{map[string]string{"KEYSET_URL": "http://127.0.0.1:1" + paseto.KeySetPath}, "REDIS_URL is not set"},
		{map[string]string{"KEYSET_URL": "http://auth.example" + paseto.KeySetPath, "REDIS_URL": "redis://127.0.0.1:1/0"}, "https"},
		{map[string]string{"KEYSET_URL": "http://127.0.0.1:1/x", "REDIS_URL": "redis://127.0.0.1:1/0", "KEYSET_CACHE": "1ms"}, "KEYSET_CACHE"},
		{map[string]string{"KEYSET_URL": "http://127.0.0.1:1/x", "REDIS_URL": "not a url"}, "not a valid Redis URL"},
	} {
		_, err := exampletest.StartupError(t, run, tc.env)
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("env %v: %v, want an error saying %q", tc.env, err, tc.want)
		}
	}
}

// TestKeySetUnreachable: with the issuer's key set unreachable from the
// start, a request with a token is answered 503 with Retry-After, not 401:
// the token may be valid.
func TestKeySetUnreachable(t *testing.T) {
	env := map[string]string{
		"KEYSET_URL": "http://127.0.0.1:" + exampletest.FreePort(t) + paseto.KeySetPath,
		"REDIS_URL":  exampletest.StartRedis(t),
	}
	s := exampletest.Start(t, run, env)
	ring, _ := paseto.NewPublicKeyRing(paseto.GenerateSecretKey())
	iss, _ := paseto.NewIssuer(ring, paseto.TypeAccess, paseto.IssuerConfig{})
	tok, _, _ := iss.Issue(paseto.Template{Subject: "alice", Session: "s1"})
	r := s.Get(t, "/data", tok)
	exampletest.Expect(t, "GET /data, key set unreachable", r, http.StatusServiceUnavailable, "temporarily_unavailable")
	if r.Header.Get("Retry-After") == "" || r.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("503 without Retry-After, or with a token challenge: %v", r.Header)
	}
	exampletest.Expect(t, "GET /data without a token", s.Get(t, "/data", ""), http.StatusUnauthorized, "missing_token")
}

// TestTwoProcessRotation runs the nethttp example as the issuer and this
// service as real processes on loopback, sharing a redis-server, with a
// load balancer in front of the issuer. It rotates the issuer's key in
// the runbook's order, each step a rolling deploy (new instance, switch,
// stop the old one): k2 published as upcoming, the resource server's
// cache refreshed, k2 promoted. All the while a checker presents every
// token minted so far to both services: none is ever refused.
func TestTwoProcessRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	redisURL := exampletest.StartRedis(t)
	issuerBin := exampletest.BuildExample(t, "../nethttp")
	resourceBin := exampletest.BuildExample(t, ".")
	k1, k2 := paseto.GenerateSecretKey(), paseto.GenerateSecretKey()
	refresh := paseto.GenerateSymmetricKey().PASERK()
	issuerEnv := func(kv ...string) map[string]string {
		return exampletest.With(map[string]string{"PASETO_REFRESH_KEY": refresh, "REDIS_URL": redisURL}, kv...)
	}
	startIssuer := func(kv ...string) *exampletest.Process {
		return exampletest.StartProcess(t, issuerBin, exampletest.FreePort(t), issuerEnv(kv...))
	}

	lb := exampletest.NewBalancer(t)
	a0 := startIssuer("PASETO_SECRET_KEY", k1.PASERK())
	lb.Switch(t, a0.URL)
	res := exampletest.StartProcess(t, resourceBin, exampletest.FreePort(t), map[string]string{
		"KEYSET_URL": lb.URL + paseto.KeySetPath, "REDIS_URL": redisURL, "KEYSET_CACHE": "1s",
	})

	c := newChecker(lb.URL, res.URL)
	defer c.stop()
	t1 := lb.Login(t, "test").Access
	c.add("k1 token", t1)
	c.waitRounds(t, 3)

	// Publish k2 as upcoming: a rolling deploy of the issuer.
	a1 := startIssuer("PASETO_SECRET_KEY", k1.PASERK(), "PASETO_SECRET_KEY_UPCOMING", k2.Public().PASERK())
	lb.Switch(t, a1.URL)
	a0.Stop(t)
	// Wait for the resource server's cache (KEYSET_CACHE): it lists k2.
	waitFor(t, "the resource server to learn k2 as upcoming", func() bool {
		return trustedKeys(t, res)[k2.Public().ID()] == "upcoming"
	})
	c.waitRounds(t, 3)

	// Promote k2: another rolling deploy.
	a2 := startIssuer("PASETO_SECRET_KEY", k2.PASERK(), "PASETO_SECRET_KEY_PREVIOUS", k1.Public().PASERK())
	lb.Switch(t, a2.URL)
	a1.Stop(t)
	t2 := lb.Login(t, "user1").Access
	if kid := footerKID(t, t2); kid != k2.Public().ID() {
		t.Fatalf("after promotion the issuer signs with %s, want k2 %s", kid, k2.Public().ID())
	}
	c.add("k2 token", t2)
	c.waitRounds(t, 3)
	waitFor(t, "the resource server to see k2 current", func() bool {
		keys := trustedKeys(t, res)
		return keys[k2.Public().ID()] == "current" && keys[k1.Public().ID()] == "retiring"
	})
	c.waitRounds(t, 3)

	c.stop()
	if f := c.failures(); len(f) > 0 {
		t.Errorf("valid tokens refused during the rotation (%d of %d checks):\n%s", len(f), c.checks(), strings.Join(f[:min(len(f), 20)], "\n"))
	}
	t.Logf("%d checks over the rotation, none refused", c.checks())
}

// checker presents every token it holds to the issuer (through the
// balancer) and to the resource server, in rounds, until stopped.
type checker struct {
	client            *http.Client
	issuerURL, resURL string
	mu                sync.Mutex
	tokens            map[string]string // token → label
	fails             []string
	rounds, n         int
	done, stopped     chan struct{}
	stopOnce          sync.Once
}

func newChecker(issuerURL, resURL string) *checker {
	c := &checker{client: &http.Client{Timeout: 10 * time.Second}, issuerURL: issuerURL, resURL: resURL,
		tokens: map[string]string{}, done: make(chan struct{}), stopped: make(chan struct{})}
	go c.loop()
	return c
}

func (c *checker) add(label, token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tokens[token] = label
}

func (c *checker) loop() {
	defer close(c.stopped)
	// Bounded: at most 10 minutes, or 100,000 rounds.
	deadline := time.Now().Add(10 * time.Minute)
	for i := 0; i < 100_000 && time.Now().Before(deadline); i++ {
		select {
		case <-c.done:
			return
		default:
		}
		c.mu.Lock()
		tokens := make(map[string]string, len(c.tokens))
		for k, v := range c.tokens {
			tokens[k] = v
		}
		c.mu.Unlock()
		for tok, label := range tokens {
			for _, target := range []struct{ name, url string }{
				{"issuer", c.issuerURL + "/protected"}, {"resource", c.resURL + "/data"},
			} {
				status, body := c.get(target.url, tok)
				c.mu.Lock()
				c.n++
				if status != http.StatusOK {
					c.fails = append(c.fails, fmt.Sprintf("%s at the %s: %d %s", label, target.name, status, body))
				}
				c.mu.Unlock()
			}
		}
		c.mu.Lock()
		c.rounds++
		c.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *checker) get(url, token string) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return resp.StatusCode, b.String()
}

// waitRounds waits until the checker has completed n more rounds.
func (c *checker) waitRounds(t *testing.T, n int) {
	t.Helper()
	c.mu.Lock()
	target := c.rounds + n
	c.mu.Unlock()
	waitFor(t, fmt.Sprintf("%d checker rounds", n), func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.rounds >= target
	})
}

func (c *checker) stop() {
	c.stopOnce.Do(func() { close(c.done) })
	<-c.stopped
}

func (c *checker) failures() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.fails...)
}

func (c *checker) checks() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// waitFor polls cond every 50 ms for at most 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 600 {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waited 30 s for %s", what)
}

// trustedKeys returns the keys the resource server trusts now, by ID,
// with their states (its GET /).
func trustedKeys(t *testing.T, s *exampletest.Process) map[string]string {
	t.Helper()
	r := s.Get(t, "/", "")
	var doc struct {
		Keys []struct{ Kid, State string }
	}
	if err := json.Unmarshal(r.Raw, &doc); err != nil {
		t.Fatalf("GET /: %v", err)
	}
	out := map[string]string{}
	for _, k := range doc.Keys {
		out[k.Kid] = k.State
	}
	return out
}

// footerKID returns the kid of a token's footer.
func footerKID(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 4 {
		t.Fatalf("token has no footer")
	}
	raw, err := base64URL(parts[3])
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Kid string }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f.Kid
}

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
