package main

// This file is the same in every example: it reads the environment and
// builds the paseto.Auth (keys and session store). Only main.go differs
// between frameworks.

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
)

// The environment variables the server reads (see README.md).
const (
	envPort       = "PORT"               // default 8000
	envLocalKey   = "PASETO_LOCAL_KEY"   // k4.local.…: v4.local access tokens
	envSecretKey  = "PASETO_SECRET_KEY"  // k4.secret.…: v4.public access tokens
	envRefreshKey = "PASETO_REFRESH_KEY" // k4.local.…: refresh tokens
	envRedisURL   = "REDIS_URL"          // redis://… or rediss://…: shared store
)

const defaultPort = "8000"

// backend is what the routes need that does not depend on the web
// framework.
type backend struct {
	addr  string // where to listen: ":" + PORT
	auth  *paseto.Auth
	users userTable
	// close releases the store's connections, after the server has stopped.
	close func() error
}

// newBackend reads the environment and builds the Auth. A variable that is
// set but wrong is an error: the server never falls back to generated keys
// or to the memory store because of a typo.
func newBackend(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*backend, error) {
	addr, err := listenAddr(getenv(envPort))
	if err != nil {
		return nil, err
	}
	access, refresh, ephemeral, err := loadKeys(getenv, logger)
	if err != nil {
		return nil, err
	}
	store, closeStore, err := openStore(ctx, getenv(envRedisURL), logger)
	if err != nil {
		return nil, err
	}
	if ephemeral && getenv(envRedisURL) != "" {
		logger.Warn("ephemeral keys with a shared store: other instances cannot verify this instance's tokens; set the key variables on every instance")
	}
	auth, err := paseto.New(paseto.Config{
		AccessKeys:  access,
		RefreshKeys: refresh,
		Store:       store,
		// A client that retries a refresh within a few seconds (a lost
		// response, two browser tabs) gets the same new pair instead of
		// tripping reuse detection, which would log it out. Any older
		// refresh token presented again still revokes the session.
		GracePeriod: 5 * time.Second,
		// GET /sessions lists each session with the device it was opened
		// from. Of the client's IP address it keeps the network only (an
		// IPv4 /24, an IPv6 /48): enough to tell home from the office or
		// from abroad, not to single out a client, which keeps personal
		// data in the store to a minimum. IPFull keeps the whole address,
		// IPOff (the default) none.
		KeepIP: paseto.IPTruncated,
		// Every store call is bounded by Config.StoreTimeout (default 1 s,
		// well under the server's 10 s WriteTimeout): a slow or hung Redis
		// is answered 503 with Retry-After, never a dropped connection.
		// Security events are logged (a reused refresh token at Warn, a
		// retried one at Info), and store failures at Error.
		Logger: logger,
	})
	if err != nil {
		_ = closeStore()
		return nil, err
	}
	logger.Info("access tokens", "purpose", access.Purpose().String(), "kid", access.CurrentID())
	return &backend{addr: addr, auth: auth, users: demoAccounts, close: closeStore}, nil
}

func listenAddr(port string) (string, error) {
	if port == "" {
		port = defaultPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("%s=%q: want a TCP port number between 1 and 65535", envPort, port)
	}
	return net.JoinHostPort("", port), nil
}

// loadKeys reads the key variables: PASETO_LOCAL_KEY or PASETO_SECRET_KEY,
// and PASETO_REFRESH_KEY. With none of them set it generates ephemeral keys
// and says so; with only some of them set it refuses to start.
func loadKeys(getenv func(string) string, logger *slog.Logger) (access, refresh *paseto.KeyRing, ephemeral bool, err error) {
	local := strings.TrimSpace(getenv(envLocalKey))
	secret := strings.TrimSpace(getenv(envSecretKey))
	refreshKey := strings.TrimSpace(getenv(envRefreshKey))
	switch {
	case local == "" && secret == "" && refreshKey == "":
		logger.Warn("no keys in the environment: using ephemeral keys; tokens stop verifying when the process exits",
			"set", envLocalKey+" (or "+envSecretKey+") and "+envRefreshKey,
			"generate", "go run ./cmd/pasetokey gen env")
		if access, err = paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey()); err != nil {
			return nil, nil, false, err
		}
		if refresh, err = paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey()); err != nil {
			return nil, nil, false, err
		}
		return access, refresh, true, nil
	case local != "" && secret != "":
		return nil, nil, false, fmt.Errorf("both %s and %s are set: set one, for v4.local or v4.public access tokens", envLocalKey, envSecretKey)
	case local == "" && secret == "":
		return nil, nil, false, fmt.Errorf("%s is set but neither %s nor %s is: set the access-token key too", envRefreshKey, envLocalKey, envSecretKey)
	case refreshKey == "":
		return nil, nil, false, fmt.Errorf("%s is not set: refresh tokens need their own k4.local key (go run ./cmd/pasetokey gen local)", envRefreshKey)
	}

	if local != "" {
		k, err := paseto.ParseSymmetricKey(local)
		if err != nil {
			return nil, nil, false, fmt.Errorf("%s: want a k4.local. PASERK: %w", envLocalKey, err)
		}
		if access, err = paseto.NewLocalKeyRing(k); err != nil {
			return nil, nil, false, fmt.Errorf("%s: %w", envLocalKey, err)
		}
	} else {
		k, err := paseto.ParseSecretKey(secret)
		if err != nil {
			return nil, nil, false, fmt.Errorf("%s: want a k4.secret. PASERK: %w", envSecretKey, err)
		}
		if access, err = paseto.NewPublicKeyRing(k); err != nil {
			return nil, nil, false, fmt.Errorf("%s: %w", envSecretKey, err)
		}
	}
	k, err := paseto.ParseSymmetricKey(refreshKey)
	if err != nil {
		return nil, nil, false, fmt.Errorf("%s: want a k4.local. PASERK: %w", envRefreshKey, err)
	}
	if refresh, err = paseto.NewLocalKeyRing(k); err != nil {
		return nil, nil, false, fmt.Errorf("%s: %w", envRefreshKey, err)
	}
	if local != "" && access.CurrentID() == refresh.CurrentID() {
		return nil, nil, false, fmt.Errorf("%s and %s hold the same key: use two independent keys", envLocalKey, envRefreshKey)
	}
	return access, refresh, false, nil
}

// openStore returns the session store: Redis when REDIS_URL is set, so that
// several instances share sessions and revocations, else the memory store.
func openStore(ctx context.Context, rawURL string, logger *slog.Logger) (paseto.Store, func() error, error) {
	if rawURL == "" {
		logger.Info("using the in-memory session store: sessions are lost on restart and not shared between instances; set " + envRedisURL + " to share them")
		return paseto.NewMemoryStore(paseto.MemoryStoreOptions{}), func() error { return nil }, nil
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		// The parser's message can quote any part of the URL, the password
		// included (a '#' or '/' in it moves the split): say nothing of it.
		return nil, nil, fmt.Errorf("%s is not a valid Redis URL: want redis://[user:password@]host:port/db or rediss://… (percent-encode special characters in the password)", envRedisURL)
	}
	// Without it go-redis ignores context deadlines on socket reads, and a
	// hung Redis would hold each request for its read timeouts and
	// retries instead of the Auth's store timeout.
	opts.ContextTimeoutEnabled = true
	client := redis.NewClient(opts)
	// Sessions live on the Redis process that created them: a Redis
	// restarted, or restored from a snapshot, ends them all (users log in
	// again) rather than reviving any. Set LosslessPersistence only for a
	// Redis that never loses an acknowledged write (docs/redis.md).
	store, err := redisstore.New(client, redisstore.Options{Logger: logger})
	if err != nil {
		_ = client.Close()
		return nil, nil, fmt.Errorf("%s: %w", envRedisURL, err)
	}
	// The store does not need Redis to start: until it answers, requests
	// that need it fail closed with 503. Check contacts it now, warns about
	// an evicting maxmemory-policy (which ends sessions early), and says
	// here rather than at the first login when Redis does not answer.
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := store.Check(cctx); err != nil {
		logger.Warn("Redis does not answer yet, or refuses INFO; requests that need the session store fail with 503 until it does", "addr", opts.Addr, "err", err)
	}
	logger.Info("using the Redis session store", "addr", opts.Addr, "db", opts.DB, "tls", opts.TLSConfig != nil)
	return store, client.Close, nil
}
