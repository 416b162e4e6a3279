package paseto_test

// Examples quoted by docs/keys.md.

import (
	"context"
	"fmt"
	"strings"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// Generate a key in code and keep it as a PASERK string, as
// `pasetokey gen local` does. The PASERK string is the secret; the ID is
// safe to log.
func ExampleGenerateSymmetricKey() {
	key := paseto.GenerateSymmetricKey()
	secret := key.PASERK() // "k4.local.…": put it in your secret manager
	parsed, err := paseto.ParseSymmetricKey(secret)
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.HasPrefix(secret, "k4.local."), strings.HasPrefix(parsed.ID(), "k4.lid."), parsed.ID() == key.ID())
	// Output: true true true
}

// A rolling key rotation, for instances that are deployed one at a time:
// ship the new key verify-only everywhere, promote it once every instance
// has it, drop the old key after the longest lifetime of the tokens it
// signed.
func ExampleNewLocalKeyRing_rollingRotation() {
	oldKey, newKey := paseto.GenerateSymmetricKey(), paseto.GenerateSymmetricKey()

	before, _ := paseto.NewLocalKeyRing(oldKey)        // today: the old key mints and verifies
	step1, _ := paseto.NewLocalKeyRing(oldKey, newKey) // 1. the new key verify-only, everywhere
	step2, _ := paseto.NewLocalKeyRing(newKey, oldKey) // 2. the new key current, the old one verify-only
	step3, _ := paseto.NewLocalKeyRing(newKey)         // 3. the old key dropped

	mint := func(ring *paseto.KeyRing) string {
		issuer, _ := paseto.NewIssuer(ring, paseto.TypeAccess, paseto.IssuerConfig{})
		token, _, _ := issuer.Issue(paseto.Template{Subject: "alice"})
		return token
	}
	verify := func(ring *paseto.KeyRing, token string) string {
		verifier, _ := paseto.NewVerifier(ring, paseto.TypeAccess, paseto.VerifierConfig{})
		if _, err := verifier.Verify(context.Background(), token); err != nil {
			return paseto.Code(err)
		}
		return "ok"
	}

	// During step 2 some instances still run step 1: each verifies what
	// the other mints.
	fmt.Println("step 2 token on a step 1 instance:", verify(step1, mint(step2)))
	fmt.Println("step 1 token on a step 2 instance:", verify(step2, mint(step1)))
	// The naive order skips step 1: an instance not yet deployed cannot
	// verify what the new key signs.
	fmt.Println("new key's token on an old instance:", verify(before, mint(step2)))
	// Step 3 too early: tokens the old key signed stop verifying.
	fmt.Println("old key's token after step 3:", verify(step3, mint(before)))
	// Output:
	// step 2 token on a step 1 instance: ok
	// step 1 token on a step 2 instance: ok
	// new key's token on an old instance: invalid_token
	// old key's token after step 3: invalid_token
}

// The same order for v4.public access tokens: minting instances hold the
// secret key, services that only verify hold public keys.
func ExampleNewPublicKeyRing_rollingRotation() {
	oldSecret, newSecret := paseto.GenerateSecretKey(), paseto.GenerateSecretKey()

	// 1. The new public key verify-only, on minting instances and verifiers alike.
	step1, _ := paseto.NewPublicKeyRing(oldSecret, newSecret.Public())
	verifiers1, _ := paseto.NewPublicVerifyKeyRing(oldSecret.Public(), newSecret.Public())
	// 2. Once every instance and verifier has it: mint with the new secret key.
	step2, _ := paseto.NewPublicKeyRing(newSecret, oldSecret.Public())
	// 3. After the longest access-token lifetime: the new key alone.
	verifiers3, _ := paseto.NewPublicVerifyKeyRing(newSecret.Public())

	issuer, _ := paseto.NewIssuer(step2, paseto.TypeAccess, paseto.IssuerConfig{})
	token, _, _ := issuer.Issue(paseto.Template{Subject: "alice"})
	for _, ring := range []*paseto.KeyRing{step1, verifiers1, verifiers3} {
		verifier, _ := paseto.NewVerifier(ring, paseto.TypeAccess, paseto.VerifierConfig{})
		_, err := verifier.Verify(context.Background(), token)
		fmt.Println(ring.CanIssue(), err)
	}
	// Output:
	// true <nil>
	// false <nil>
	// false <nil>
}
