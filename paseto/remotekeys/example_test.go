package remotekeys_test

import (
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/remotekeys"
)

// A resource server: it verifies another service's v4.public access tokens
// with the keys that service publishes, and checks their sessions in that
// service's store.
func Example() {
	var issuersStore paseto.Store = paseto.NewMemoryStore(paseto.MemoryStoreConfig{}) // in production: the issuer's Redis (redisstore)

	src, err := remotekeys.New(remotekeys.Config{
		URL: "https://auth.example" + paseto.KeySetPath, // pinned: redirects are refused
	})
	if err != nil {
		panic(err)
	}
	auth, err := paseto.New(paseto.Config{
		AccessKeySource: src,          // keys from the issuer's key set
		Store:           issuersStore, // a token passes only while its session is live
	})
	if err != nil {
		panic(err)
	}
	guard, err := paseto.NewGuard(auth, paseto.GuardConfig{})
	if err != nil {
		panic(err)
	}
	_ = guard // protect routes with an adapter: httppaseto.New(guard, …).Required()
}
