package redisstore_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
	"github.com/redis/go-redis/v9"
)

// Several instances of an app share sessions and revocations through one
// Redis. Every instance uses the same keys (from the environment, as PASERK
// strings) and the same store.
func Example() {
	opts, err := redis.ParseURL(os.Getenv("REDIS_URL")) // e.g. redis://127.0.0.1:6379/0
	if err != nil {
		log.Fatal(err)
	}
	// Required: without it go-redis ignores context deadlines, and a hung
	// Redis would hold requests instead of answering 503.
	opts.ContextTimeoutEnabled = true
	store, err := redisstore.New(redis.NewClient(opts), redisstore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	// Optional: contact Redis now, to log configuration warnings (an
	// evicting maxmemory-policy) at start-up rather than at the first
	// request. The application may start while Redis is down.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := store.Check(ctx); err != nil {
		log.Printf("redis: %v", err)
	}
	accessKey, err := paseto.ParseSymmetricKey(os.Getenv("PASETO_LOCAL_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	refreshKey, err := paseto.ParseSymmetricKey(os.Getenv("PASETO_REFRESH_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	access, _ := paseto.NewLocalKeyRing(accessKey)
	refresh, _ := paseto.NewLocalKeyRing(refreshKey)
	auth, err := paseto.New(paseto.Config{
		AccessKeys:  access,
		RefreshKeys: refresh,
		Store:       store,
		GracePeriod: 5 * time.Second, // a retry whose answer was lost is not reuse
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = auth // build the Guard and the adapter from auth as usual
}

// With the live cache, an instance answers the access tokens of sessions
// it found live in the last second from memory, and learns of revocations
// made on any instance through Redis pub/sub: they are refused everywhere
// within InvalidationBound (100 ms) rather than at once. Close ends its
// subscription.
func ExampleOptions_liveCache() {
	opts, err := redis.ParseURL(os.Getenv("REDIS_URL"))
	if err != nil {
		log.Fatal(err)
	}
	opts.ContextTimeoutEnabled = true
	client := redis.NewClient(opts)
	defer client.Close()
	store, err := redisstore.New(client, redisstore.Config{LiveCache: time.Second})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close() // ends the cache's subscription; the client stays open
	_ = store           // paseto.Config{Store: store, …} as in the package example
}
