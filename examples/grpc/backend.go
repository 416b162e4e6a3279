package main

// This file is the same in every example: it reads the environment and
// builds the paseto.Auth (keys and session store). Only main.go differs
// between frameworks.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/pgstore"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
	"github.com/pasetoauth/pasetoauth/paseto/sqlitestore"
)

// The environment variables the server reads (see README.md).
const (
	envPort       = "PORT"               // default 8000
	envLocalKey   = "PASETO_LOCAL_KEY"   // k4.local.…: v4.local access tokens
	envSecretKey  = "PASETO_SECRET_KEY"  // k4.secret.…: v4.public access tokens
	envRefreshKey = "PASETO_REFRESH_KEY" // k4.local.…: refresh tokens
	envRedisURL   = "REDIS_URL"          // redis://… or rediss://…: shared store
	// REDIS_LIVE_CACHE (a duration up to 10s, such as 1s) answers access
	// tokens from memory for sessions found live that recently; revocations
	// made on other instances are then refused within 100 ms instead of at
	// once (docs/redis.md, Live cache).
	envRedisLiveCache = "REDIS_LIVE_CACHE"
	// DATABASE_URL: postgres://… keeps sessions in PostgreSQL, shared by
	// every instance; sqlite:///path/file.db keeps them in a file, for one
	// server.
	envDatabase = "DATABASE_URL"
)

// envHost is the address to listen on, such as 127.0.0.1; default every
// interface.
const envHost = "LISTEN_HOST"

// The verify-only keys of each key ring, for key rotation: comma-separated
// lists. Tokens under these keys are accepted; new tokens are always minted
// with the current key of the variable above.
const (
	envLocalPrevious   = envLocalKey + previousSuffix   // k4.local.…,…
	envSecretPrevious  = envSecretKey + previousSuffix  // k4.public.…,…: the public keys of other secret keys
	envSecretUpcoming  = envSecretKey + "_UPCOMING"     // k4.public.…,…: the next keys, published but not signing yet
	envRefreshPrevious = envRefreshKey + previousSuffix // k4.local.…,…
	previousSuffix     = "_PREVIOUS"
)

// keygen generates the key variables (gen env, gen env-public) or one key
// (gen local, gen public). It works in any directory, not only in a
// checkout of pasetoauth.
const keygen = "go run github.com/pasetoauth/pasetoauth/cmd/pasetokey@latest"

// envAccessLifetime sets the access tokens' lifetime (default 15m); a short
// one shows a browser session outliving its access cookie.
const envAccessLifetime = "PASETO_ACCESS_LIFETIME" // a Go duration: 2s to 24h

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
// or to the memory store because of a typo. observer is the Auth's
// Config.Observer: nil, or what an example that wires OpenTelemetry
// (examples/nethttp/telemetry.go) built.
func newBackend(ctx context.Context, getenv func(string) string, logger *slog.Logger, observer paseto.Observer) (*backend, error) {
	addr, err := listenAddr(getenv(envHost), getenv(envPort))
	if err != nil {
		return nil, err
	}
	lifetime, err := parseAccessLifetime(getenv(envAccessLifetime))
	if err != nil {
		return nil, err
	}
	access, refresh, ephemeral, err := loadKeys(getenv, logger)
	if err != nil {
		return nil, err
	}
	liveCache, err := parseLiveCache(getenv(envRedisLiveCache), getenv(envRedisURL) != "")
	if err != nil {
		return nil, err
	}
	store, closeStore, err := openStore(ctx, getenv, liveCache, logger)
	if err != nil {
		return nil, err
	}
	switch {
	case ephemeral && getenv(envRedisURL) != "":
		logger.Warn("ephemeral keys with a shared store: other instances cannot verify this instance's tokens; set the key variables on every instance")
	case ephemeral && getenv(envDatabase) != "":
		logger.Warn("ephemeral keys with a persistent store: sessions survive a restart but their tokens do not; set the key variables to keep them")
	}
	auth, err := paseto.New(paseto.Config{
		AccessKeys:  access,
		RefreshKeys: refresh,
		Store:       store,
		// A client that retries a refresh within a few seconds (a lost
		// response, two browser tabs) gets the same new pair instead of
		// tripping reuse detection, which would log it out. Any older
		// refresh token presented again still revokes the session. The
		// trade-off: for those seconds a stolen copy of that refresh
		// token is not caught as reuse. Ten seconds, as in the README.
		GracePeriod: 10 * time.Second,
		// PASETO_ACCESS_LIFETIME, or 0 for the default.
		AccessLifetime: lifetime,
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
		// Metrics and traces (docs/observability.md): nil unless an
		// example's telemetry.go has set it up.
		Observer: observer,
	})
	if err != nil {
		_ = closeStore()
		return nil, err
	}
	// Key IDs are safe to log, and tell which instances run which keys
	// during a rotation.
	logger.Info("access tokens", "purpose", access.Purpose().String(), "kid", access.CurrentID(), "verify_only", verifyOnly(access))
	logger.Info("refresh tokens", "kid", refresh.CurrentID(), "verify_only", verifyOnly(refresh))
	return &backend{addr: addr, auth: auth, users: demoAccounts, close: closeStore}, nil
}

func listenAddr(host, port string) (string, error) {
	if port == "" {
		port = defaultPort
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return "", fmt.Errorf("%s=%q: want an IP address (such as 127.0.0.1) or localhost", envHost, host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("%s=%q: want a TCP port number between 1 and 65535", envPort, port)
	}
	return net.JoinHostPort(host, port), nil
}

// parseAccessLifetime reads PASETO_ACCESS_LIFETIME, the access tokens'
// lifetime as a Go duration such as "15m"; unset, it is 0, the library's
// default (15 minutes). The access cookie's Max-Age counts whole seconds,
// rounded down, so under 2s the cookie would be set already expired; and
// access tokens are meant to be short-lived: at most a day.
// parseLiveCache reads REDIS_LIVE_CACHE: empty for none, else a Go
// duration from 1ms to redisstore.MaxLiveCache, and only with REDIS_URL.
func parseLiveCache(v string, redis bool) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Millisecond || d > redisstore.MaxLiveCache {
		return 0, fmt.Errorf("%s=%q: want a Go duration from 1ms to %v, such as 1s", envRedisLiveCache, v, redisstore.MaxLiveCache)
	}
	if !redis {
		return 0, fmt.Errorf("%s is set without %s: the live cache is for the Redis store only", envRedisLiveCache, envRedisURL)
	}
	return d, nil
}

func parseAccessLifetime(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 2*time.Second || d > 24*time.Hour {
		return 0, fmt.Errorf("%s=%q: want a Go duration from 2s to 24h, such as 15m", envAccessLifetime, v)
	}
	return d, nil
}

// loadKeys reads the key variables: PASETO_LOCAL_KEY or PASETO_SECRET_KEY,
// and PASETO_REFRESH_KEY, each with its verify-only _PREVIOUS keys. With
// none of them set it generates ephemeral keys and says so; with only some
// of them set, or with a key that is malformed, of the wrong kind or given
// twice, it refuses to start and names the variable (and, in a list, the
// key's position).
func loadKeys(getenv func(string) string, logger *slog.Logger) (access, refresh *paseto.KeyRing, ephemeral bool, err error) {
	env := func(name string) string { return strings.TrimSpace(getenv(name)) }
	local, localPrev := env(envLocalKey), env(envLocalPrevious)
	secret, secretPrev := env(envSecretKey), env(envSecretPrevious)
	refreshKey, refreshPrev := env(envRefreshKey), env(envRefreshPrevious)
	set := firstSet(env, envRefreshKey, envLocalPrevious, envSecretPrevious, envSecretUpcoming, envRefreshPrevious)
	switch {
	case local == "" && secret == "" && set == "":
		logger.Warn("no keys in the environment: using ephemeral keys; tokens stop verifying when the process exits",
			"set", envLocalKey+" (or "+envSecretKey+") and "+envRefreshKey,
			"generate", keygen+" gen env")
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
		return nil, nil, false, fmt.Errorf("%s is set but neither %s nor %s is: set the current access-token key too", set, envLocalKey, envSecretKey)
	case refreshKey == "":
		return nil, nil, false, fmt.Errorf("%s is not set: refresh tokens need a current k4.local key of their own (%s gen local)", envRefreshKey, keygen)
	case localPrev != "" && local == "":
		return nil, nil, false, fmt.Errorf("%s is set but %s is not: with %s, verify-only keys are k4.public. keys in %s", envLocalPrevious, envLocalKey, envSecretKey, envSecretPrevious)
	case env(envSecretUpcoming) != "" && secret == "":
		return nil, nil, false, fmt.Errorf("%s is set but %s is not: upcoming keys are published v4.public keys", envSecretUpcoming, envSecretKey)
	case secretPrev != "" && secret == "":
		return nil, nil, false, fmt.Errorf("%s is set but %s is not: with %s, verify-only keys are k4.local. keys in %s", envSecretPrevious, envSecretKey, envLocalKey, envLocalPrevious)
	}

	// seen names where each key came from, by key ID: a key given twice,
	// in one ring or in both, is an error naming both places.
	seen := map[string]keySource{}
	if local != "" {
		if access, err = localRing(envLocalKey, local, localPrev, seen); err != nil {
			return nil, nil, false, err
		}
	} else if access, err = publicRing(secret, secretPrev, env(envSecretUpcoming), seen); err != nil {
		return nil, nil, false, err
	}
	if refresh, err = localRing(envRefreshKey, refreshKey, refreshPrev, seen); err != nil {
		return nil, nil, false, err
	}
	return access, refresh, false, nil
}

// firstSet returns the first of the named variables that is set, or "".
func firstSet(env func(string) string, names ...string) string {
	for _, name := range names {
		if env(name) != "" {
			return name
		}
	}
	return ""
}

// keyEntry is one key of a variable, named for errors: "PASETO_LOCAL_KEY",
// or "PASETO_LOCAL_KEY_PREVIOUS key 2 of 3".
type keyEntry struct{ where, value string }

// entries splits a variable's value into its keys. A current-key variable
// holds exactly one; a _PREVIOUS variable a comma-separated list, in which
// an empty entry (a stray comma) is an error rather than skipped: it is
// more likely a key lost in an edit than intended.
func entries(name, value string, list bool) ([]keyEntry, error) {
	if value == "" {
		return nil, nil
	}
	if !list {
		if strings.Contains(value, ",") {
			return nil, fmt.Errorf("%s holds a list: it takes the one current key; put verify-only keys in %s", name, name+previousSuffix)
		}
		return []keyEntry{{name, value}}, nil
	}
	parts := strings.Split(value, ",")
	out := make([]keyEntry, len(parts))
	for i, p := range parts {
		out[i] = keyEntry{fmt.Sprintf("%s key %d of %d", name, i+1, len(parts)), strings.TrimSpace(p)}
		if out[i].value == "" {
			return nil, fmt.Errorf("%s is empty: separate the keys with single commas, none before the first or after the last", out[i].where)
		}
	}
	return out, nil
}

// keySource is where a key came from: its ring's current-key variable
// and, for errors, its place ("PASETO_LOCAL_KEY_PREVIOUS key 2 of 3").
type keySource struct{ ring, where string }

// remember records that the key with ID id came from src, refusing a key
// seen before, in the same ring or in the other one.
func remember(seen map[string]keySource, id string, src keySource) error {
	first, dup := seen[id]
	switch {
	case dup && first.ring == src.ring:
		return fmt.Errorf("%s is the same key as %s: list every key once", src.where, first.where)
	case dup:
		return fmt.Errorf("%s is the same key as %s: access and refresh tokens need independent keys", src.where, first.where)
	}
	seen[id] = src
	return nil
}

// localRing builds a v4.local ring from the variable name (the current
// key) and name_PREVIOUS (its verify-only keys).
func localRing(name, current, previous string, seen map[string]keySource) (*paseto.KeyRing, error) {
	cur, err := entries(name, current, false)
	if err != nil {
		return nil, err
	}
	prev, err := entries(name+previousSuffix, previous, true)
	if err != nil {
		return nil, err
	}
	var keys []paseto.SymmetricKey
	for _, e := range append(cur, prev...) {
		k, err := paseto.ParseSymmetricKey(e.value)
		if err != nil {
			return nil, fmt.Errorf("%s: want a k4.local. PASERK: %w", e.where, err)
		}
		if err := remember(seen, k.ID(), keySource{name, e.where}); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	ring, err := paseto.NewLocalKeyRing(keys[0], keys[1:]...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ring, nil
}

// publicRing builds a v4.public ring from PASETO_SECRET_KEY (the current
// key, which signs) and PASETO_SECRET_KEY_PREVIOUS (public keys that only
// verify: a retired secret key need not be kept, only its public half),
// with PASETO_SECRET_KEY_UPCOMING: public keys published in the key set
// as upcoming before they sign (docs/keys.md, the rotation runbook).
func publicRing(current, previous, upcoming string, seen map[string]keySource) (*paseto.KeyRing, error) {
	cur, err := entries(envSecretKey, current, false)
	if err != nil {
		return nil, err
	}
	sk, err := paseto.ParseSecretKey(cur[0].value)
	if err != nil {
		return nil, fmt.Errorf("%s: want a k4.secret. PASERK: %w", envSecretKey, err)
	}
	if err := remember(seen, sk.Public().ID(), keySource{envSecretKey, envSecretKey + " (its public key)"}); err != nil {
		return nil, err
	}
	prev, err := entries(envSecretPrevious, previous, true)
	if err != nil {
		return nil, err
	}
	var keys []paseto.PublicKey
	for _, e := range prev {
		if strings.HasPrefix(e.value, "k4.secret.") {
			return nil, fmt.Errorf("%s is a k4.secret. key: verify-only keys are public keys; give its k4.public. key (%s public -)", e.where, keygen)
		}
		k, err := paseto.ParsePublicKey(e.value)
		if err != nil {
			return nil, fmt.Errorf("%s: want a k4.public. PASERK: %w", e.where, err)
		}
		if err := remember(seen, k.ID(), keySource{envSecretKey, e.where}); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	ring, err := paseto.NewPublicKeyRing(sk, keys...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envSecretKey, err)
	}
	next, err := entries(envSecretUpcoming, upcoming, true)
	if err != nil {
		return nil, err
	}
	var up []paseto.PublicKey
	for _, e := range next {
		k, err := paseto.ParsePublicKey(e.value)
		if err != nil {
			return nil, fmt.Errorf("%s: want a k4.public. PASERK: %w", e.where, err)
		}
		if err := remember(seen, k.ID(), keySource{envSecretKey, e.where}); err != nil {
			return nil, err
		}
		up = append(up, k)
	}
	return ring.WithUpcoming(up...)
}

// verifyOnly returns the IDs of the keys a ring verifies with but does not
// mint with, sorted.
func verifyOnly(r *paseto.KeyRing) []string {
	ids := r.IDs()[1:]
	slices.Sort(ids)
	return ids
}

// openStore returns the session store: Redis when REDIS_URL is set, so that
// several instances share sessions and revocations; PostgreSQL when
// DATABASE_URL is a postgres:// URL, for the same reason; SQLite when it is
// a sqlite:// URL, so that one server keeps them across restarts; else the
// memory store. Both variables set is an error: the server would otherwise
// pick one silently.
func openStore(ctx context.Context, getenv func(string) string, liveCache time.Duration, logger *slog.Logger) (paseto.Store, func() error, error) {
	redisURL, databaseURL := strings.TrimSpace(getenv(envRedisURL)), strings.TrimSpace(getenv(envDatabase))
	switch {
	case redisURL != "" && databaseURL != "":
		return nil, nil, fmt.Errorf("both %s and %s are set: choose one session store", envRedisURL, envDatabase)
	case databaseURL != "":
		return openDatabase(ctx, databaseURL, logger)
	case redisURL != "":
		return openRedis(ctx, redisURL, liveCache, logger)
	}
	logger.Info("using the in-memory session store: sessions are lost on restart and not shared between instances; set " +
		envDatabase + " (sqlite:///path/file.db) to keep them across restarts, or " + envDatabase + " (postgres://…) or " + envRedisURL + " to share them")
	return paseto.NewMemoryStore(paseto.MemoryStoreConfig{}), func() error { return nil }, nil
}

// openDatabase opens the store DATABASE_URL names, by its scheme:
//
//	postgres://user:password@host:5432/db  PostgreSQL (also postgresql://)
//	sqlite:///var/lib/app/sessions.db      the file /var/lib/app/sessions.db
//	sqlite://sessions.db                   sessions.db in the working directory
//
// The file path is everything after "sqlite://", percent-decoded: a third
// slash makes it absolute. No query string: the store sets its own
// options (WAL, synchronous=FULL). The file is created if need be, and
// the tables too, by an explicit Migrate (idempotent) before the server
// serves.
func openDatabase(ctx context.Context, rawURL string, logger *slog.Logger) (paseto.Store, func() error, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	switch {
	case !ok:
		return nil, nil, fmt.Errorf("%s is not a URL: want postgres://user:password@host/db, sqlite:///absolute/path.db or sqlite://relative/path.db", envDatabase)
	case scheme == "postgres" || scheme == "postgresql":
		return openPostgres(ctx, rawURL, logger)
	case scheme != "sqlite":
		// Never quote the URL: a database URL may hold a password.
		return nil, nil, fmt.Errorf("%s: unsupported scheme %q: want postgres://user:password@host/db, sqlite:///absolute/path.db or sqlite://relative/path.db", envDatabase, scheme)
	}
	path, err := url.PathUnescape(rest)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("%s: bad percent-encoding in the file path: %w", envDatabase, err)
	case path == "" || path == "/":
		return nil, nil, fmt.Errorf("%s names no file: want sqlite:///absolute/path.db or sqlite://relative/path.db", envDatabase)
	case strings.ContainsAny(rest, "?#"):
		return nil, nil, fmt.Errorf("%s: no query string or fragment: the store sets its own SQLite options", envDatabase)
	}
	store, err := sqlitestore.Open(path, sqlitestore.Config{})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", envDatabase, err)
	}
	// Creates the tables unless they exist: the one step that changes the
	// database's schema, taken here on purpose rather than by Open.
	mctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := store.Migrate(mctx); err != nil {
		_ = store.Close()
		return nil, nil, fmt.Errorf("%s: %w", envDatabase, err)
	}
	logger.Info("using the SQLite session store: sessions and revocations survive a restart", "path", path)
	return store, store.Close, nil
}

// openPostgres opens the PostgreSQL store a postgres:// DATABASE_URL names,
// creates its table unless it exists (an explicit, idempotent Migrate),
// and starts the janitor that deletes dead rows in small batches; the
// returned close function stops it and closes the pool.
func openPostgres(ctx context.Context, rawURL string, logger *slog.Logger) (paseto.Store, func() error, error) {
	store, err := pgstore.Open(ctx, rawURL, pgstore.Config{}) // the error never quotes the URL
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", envDatabase, err)
	}
	mctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := store.Migrate(mctx); err != nil {
		_ = store.Close()
		return nil, nil, fmt.Errorf("%s: %w", envDatabase, err)
	}
	jctx, stop := context.WithCancel(context.Background())
	go store.Janitor(jctx, 5*time.Minute, 0, func(err error) { logger.Warn("deleting dead sessions failed", "err", err) })
	logger.Info("using the PostgreSQL session store: sessions and revocations are shared by every instance and survive restarts")
	return store, func() error { stop(); return store.Close() }, nil
}

// openRedis opens the Redis store REDIS_URL names.
func openRedis(ctx context.Context, rawURL string, liveCache time.Duration, logger *slog.Logger) (paseto.Store, func() error, error) {
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
	store, err := redisstore.New(client, redisstore.Config{Logger: logger, LiveCache: liveCache})
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
	logger.Info("using the Redis session store", "addr", opts.Addr, "db", opts.DB, "tls", opts.TLSConfig != nil, "live_cache", liveCache)
	return store, func() error { return errors.Join(store.Close(), client.Close()) }, nil
}
