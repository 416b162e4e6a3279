package paseto_test

import (
	"fmt"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// The rotation runbook on a running issuer: publish the next key, promote
// it once verifiers' caches have had time to learn it, retire the old one
// after the longest token lifetime. Each step is one SetAccessKeys; the key
// set endpoint (Guard.KeySet) serves each ring's keys with their states.
func ExampleAuth_SetAccessKeys() {
	old, next := paseto.GenerateSecretKey(), paseto.GenerateSecretKey()
	ring, _ := paseto.NewPublicKeyRing(old)
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, _ := paseto.New(paseto.Config{AccessKeys: ring, RefreshKeys: refresh})
	guard, _ := paseto.NewGuard(auth, paseto.GuardConfig{})
	states := func(step string) {
		set, _ := paseto.ParseKeySet(guard.KeySet().Body)
		fmt.Print(step, ":")
		for _, k := range set.Keys() {
			name := map[string]string{old.Public().ID(): "old", next.Public().ID(): "next"}[k.ID]
			fmt.Print(" ", name, "=", k.State)
		}
		fmt.Println()
	}

	// 1. Publish: the next key is in the key set, not signing yet.
	publish, _ := ring.WithUpcoming(next.Public())
	if err := auth.SetAccessKeys(publish); err != nil {
		panic(err)
	}
	states("publish")
	// 2. After the key set's max-age (GuardConfig.KeySetMaxAge), promote.
	promote, _ := paseto.NewPublicKeyRing(next, old.Public())
	if err := auth.SetAccessKeys(promote); err != nil {
		panic(err)
	}
	states("promote")
	// 3. After the longest access-token lifetime (plus leeway), retire.
	retire, _ := paseto.NewPublicKeyRing(next)
	if err := auth.SetAccessKeys(retire); err != nil {
		panic(err)
	}
	states("retire")
	// Output:
	// publish: old=current next=upcoming
	// promote: next=current old=retiring
	// retire: next=current
}

// A v4.local ring has no key set: its key is secret.
func ExampleNewKeySet_local() {
	ring, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	_, err := paseto.NewKeySet(ring)
	fmt.Println(err)
	// Output:
	// paseto: invalid configuration: only a v4.public ring has a key set; v4.local keys are secret and never published
}
