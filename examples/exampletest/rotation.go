package exampletest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// ringKeys is one generation of an example's keys: the access-token key of
// one purpose and the refresh-token key.
type ringKeys struct {
	purpose string // "v4.local" or "v4.public"
	local   paseto.SymmetricKey
	secret  paseto.SecretKey
	refresh paseto.SymmetricKey
}

func newRingKeys(purpose string) ringKeys {
	return ringKeys{purpose: purpose, local: paseto.GenerateSymmetricKey(),
		secret: paseto.GenerateSecretKey(), refresh: paseto.GenerateSymmetricKey()}
}

// accessVar is the current access-token key variable of the purpose.
func (k ringKeys) accessVar() string {
	if k.purpose == "v4.public" {
		return "PASETO_SECRET_KEY"
	}
	return "PASETO_LOCAL_KEY"
}

// current returns the key variables with k as the current keys.
func (k ringKeys) current() map[string]string {
	env := map[string]string{"PASETO_REFRESH_KEY": k.refresh.PASERK()}
	if k.purpose == "v4.public" {
		env["PASETO_SECRET_KEY"] = k.secret.PASERK()
	} else {
		env["PASETO_LOCAL_KEY"] = k.local.PASERK()
	}
	return env
}

// verifyOnly returns k's keys as they are listed in the _PREVIOUS
// variables: the public key for v4.public, which only verifies.
func (k ringKeys) verifyOnly() (access, refresh string) {
	if k.purpose == "v4.public" {
		return k.secret.Public().PASERK(), k.refresh.PASERK()
	}
	return k.local.PASERK(), k.refresh.PASERK()
}

// accessID is the kid of access tokens minted with k.
func (k ringKeys) accessID() string {
	if k.purpose == "v4.public" {
		return k.secret.Public().ID()
	}
	return k.local.ID()
}

// withPrevious returns env with the _PREVIOUS variables set to the
// comma-separated verify-only keys of gens.
func withPrevious(env map[string]string, gens ...ringKeys) map[string]string {
	var access, refresh []string
	for _, g := range gens {
		a, r := g.verifyOnly()
		access, refresh = append(access, a), append(refresh, r)
	}
	purpose := "v4.local"
	if len(gens) > 0 {
		purpose = gens[0].purpose
	}
	accessVar := ringKeys{purpose: purpose}.accessVar()
	// Spaces around the commas are allowed; they are trimmed.
	return With(env, accessVar+"_PREVIOUS", strings.Join(access, " , "),
		"PASETO_REFRESH_KEY_PREVIOUS", strings.Join(refresh, ","))
}

// KeyRotation rotates the keys of the example the way its README says, in
// a rolling deploy: purpose is "v4.local" or "v4.public". Instances of
// every stage run side by side:
//
//	old    current: old keys
//	step 1 current: old keys, verify-only (_PREVIOUS): the new keys
//	step 2 current: new keys, verify-only: the old keys
//	step 3 current: new keys
//
// and the test checks that each stage mints with its current keys and
// verifies the tokens of the stages beside it: step-1 instances accept
// what step-2 instances mint (so promoting the new key is safe while the
// deploy rolls), step-2 instances accept and refresh what old instances
// minted, and only step 3, after the longest token lifetime, refuses them.
//
// It runs twice. On a shared Redis ("redis", skipped without redis-server
// in PATH), as a real deployment does, a token verified is a request
// served (200). On memory stores ("memory"), one per instance, which never
// heard of the others' sessions, a token whose key the instance holds is
// refused with 401 revoked_token, only after it verified, and one whose key
// it does not hold with 401 invalid_token.
func KeyRotation(t *testing.T, run RunFunc, purpose string) {
	t.Run("memory", func(t *testing.T) { keyRotation(t, run, purpose, "") })
	t.Run("redis", func(t *testing.T) { keyRotation(t, run, purpose, StartRedis(t)) })
}

// keyRotation is KeyRotation on the Redis at redisURL, or on memory stores
// when it is "".
func keyRotation(t *testing.T, run RunFunc, purpose, redisURL string) {
	old, next := newRingKeys(purpose), newRingKeys(purpose)
	// An older generation still listed as verify-only: lists of several
	// keys work too.
	older := newRingKeys(purpose)
	envs := []map[string]string{
		old.current(),
		withPrevious(old.current(), next),
		withPrevious(next.current(), old, older),
		next.current(),
	}
	shared := redisURL != ""
	if shared {
		for i := range envs {
			envs[i] = With(envs[i], "REDIS_URL", redisURL)
		}
	}
	s := make([]*Server, len(envs))
	for i, env := range envs {
		s[i] = Start(t, run, env)
		noSecrets(t, "log", s[i].Logs(), env)
	}
	// Key IDs are logged: they tell which instance runs which keys.
	for _, id := range []string{next.accessID(), next.refresh.ID()} {
		if !strings.Contains(s[1].Logs(), id) {
			t.Errorf("step-1 instance does not log its verify-only key %s:\n%s", id, s[1].Logs())
		}
	}

	verified := func(what string, r *Response) {
		t.Helper()
		if shared {
			Expect(t, what, r, http.StatusOK, "")
		} else {
			Expect(t, what+" (own memory store: verified, session unknown)", r, http.StatusUnauthorized, "revoked_token")
		}
	}
	refused := func(what string, r *Response) {
		t.Helper()
		Expect(t, what, r, http.StatusUnauthorized, "invalid_token")
	}
	mintedWith := func(what string, p Pair, access string, refresh paseto.SymmetricKey) {
		t.Helper()
		if !strings.HasPrefix(p.Access, purpose+".") {
			t.Errorf("%s: access token %.20s…, want %s", what, p.Access, purpose)
		}
		if kid := footerKID(t, p.Access); kid != access {
			t.Errorf("%s: access token kid %s, want %s", what, kid, access)
		}
		if kid := footerKID(t, p.Refresh); kid != refresh.ID() {
			t.Errorf("%s: refresh token kid %s, want %s", what, kid, refresh.ID())
		}
	}

	// Step 1 adds the new keys but still mints with the old ones: instances
	// not yet updated keep verifying everything it mints.
	mintedWith("old instance", s[0].Login(t, "test"), old.accessID(), old.refresh)
	p1 := s[1].Login(t, "test")
	mintedWith("step-1 instance", p1, old.accessID(), old.refresh)
	verified("step-1 token on an old instance", s[0].Get(t, "/protected", p1.Access))

	// Step 2 mints with the new keys. Step-1 instances verify its tokens,
	// access and refresh; an old instance, which never got the new keys,
	// does not: the reason for step 1.
	p2 := s[2].Login(t, "test")
	mintedWith("step-2 instance", p2, next.accessID(), next.refresh)
	verified("step-2 access token on a step-1 instance", s[1].Get(t, "/protected", p2.Access))
	verified("step-2 refresh token on a step-1 instance", s[1].Refresh(t, p2.Refresh, false))
	refused("step-2 access token on an old instance", s[0].Get(t, "/protected", s[2].Login(t, "test").Access))
	refused("step-2 refresh token on an old instance", s[0].Refresh(t, s[2].Login(t, "test").Refresh, false))

	// Step 2 still verifies what the old keys minted, and a refresh there
	// moves the session onto the new keys.
	p0 := s[0].Login(t, "test")
	verified("old access token on a step-2 instance", s[2].Get(t, "/protected", p0.Access))
	r := s[2].Refresh(t, p0.Refresh, false)
	verified("old refresh token on a step-2 instance", r)
	if shared {
		mintedWith("refresh of an old session on a step-2 instance", tokenResponse(t, "refresh on step 2", r), next.accessID(), next.refresh)
	}

	// Step 3 drops the old keys: their tokens are refused, the new ones
	// served.
	p0 = s[0].Login(t, "test")
	refused("old access token after step 3", s[3].Get(t, "/protected", p0.Access))
	refused("old refresh token after step 3", s[3].Refresh(t, p0.Refresh, false))
	mintedWith("step-3 instance", s[3].Login(t, "test"), next.accessID(), next.refresh)
	verified("step-2 access token after step 3", s[3].Get(t, "/protected", s[2].Login(t, "test").Access))
	verified("step-2 refresh token after step 3", s[3].Refresh(t, s[2].Login(t, "test").Refresh, false))
}
