package sqlitestore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/sqlitestore"
)

// One server keeps its sessions in a file: they survive a restart, and so
// do logouts. Migrate is called explicitly; Open never creates tables.
func Example() {
	dir, err := os.MkdirTemp("", "sessions")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := sqlitestore.Open(filepath.Join(dir, "sessions.db"), sqlitestore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	access, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	refresh, _ := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	auth, err := paseto.New(paseto.Config{
		AccessKeys:  access,
		RefreshKeys: refresh,
		Store:       store,
		GracePeriod: 5 * time.Second, // a retry whose answer was lost is not reuse
	})
	if err != nil {
		log.Fatal(err)
	}
	pair, err := auth.Login(ctx, "alice", paseto.LoginOptions{})
	if err != nil {
		log.Fatal(err)
	}
	next, err := auth.Refresh(ctx, pair.RefreshToken)
	fmt.Println(next != nil, err)
	// Output: true <nil>
}
