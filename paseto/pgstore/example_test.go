package pgstore_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/pgstore"
)

// Several instances of an app share sessions and revocations through one
// PostgreSQL database. Every instance uses the same keys (from the
// environment, as PASERK strings) and the same store.
func Example() {
	ctx := context.Background()
	// e.g. postgres://app:secret@db.internal:5432/app?sslmode=verify-full
	store, err := pgstore.Open(ctx, os.Getenv("DATABASE_URL"), pgstore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	// Explicit and idempotent: create or update the schema. Run it at
	// deployment, or here at start-up if the app's role may create tables.
	mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := store.Migrate(mctx); err != nil {
		log.Fatal(err)
	}
	// Delete ended sessions every few minutes (one instance is enough,
	// several do no harm).
	go store.Janitor(ctx, 5*time.Minute, 0, func(err error) { log.Printf("pgstore purge: %v", err) })

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

// An application that already has a pgxpool.Pool shares it with the
// store; Close then leaves the pool alone.
func ExampleNew() {
	pool, err := pgxpool.New(context.Background(), os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := pgstore.New(pool, pgstore.Config{Prefix: "auth_", Timeout: 500 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	_ = store
}
