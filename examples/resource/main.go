// Command resource is a second service, a resource server: it accepts the
// v4.public access tokens another service issues (any example under
// examples/ run with PASETO_SECRET_KEY) without holding any key of its
// own. It reads the issuer's published key set from KEYSET_URL through
// remotekeys, which caches it, follows key rotations (upcoming keys are
// learnt before they sign) and fails closed with 503 when the key set
// cannot be fetched for too long. A token is accepted only while its
// session is live in the issuer's session store, so REDIS_URL must be the
// issuer's Redis.
//
// Run the issuer and this service side by side, from the repository root:
//
//	eval "$(go run ./cmd/pasetokey gen env-public | grep -v '^#' | sed 's/^/export /')"
//	export REDIS_URL=redis://127.0.0.1:6379/0
//	go run ./examples/nethttp &
//	KEYSET_URL=http://127.0.0.1:8000/.well-known/paserk go run ./examples/resource
//
// then log in on the issuer and call GET /data here with the access token
// (README.md). It listens on LISTEN_HOST:PORT (default all interfaces, port 8001).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pasetoauth/pasetoauth/adapters/httppaseto"
	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
	"github.com/pasetoauth/pasetoauth/paseto/remotekeys"
)

// The environment variables the server reads (see README.md).
const (
	envHost      = "LISTEN_HOST"  // listen address; default all interfaces
	envPort      = "PORT"         // default 8001
	envKeySetURL = "KEYSET_URL"   // the issuer's key set, such as https://auth.example/.well-known/paserk
	envRedisURL  = "REDIS_URL"    // the issuer's session store
	envKeyCache  = "KEYSET_CACHE" // optional: cache the key set exactly this long (a Go duration), for demos and tests
	defaultPort  = "8001"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Getenv, nil, logger); err != nil {
		logger.Error("server failed", "err", err)
		os.Exit(1)
	}
}

// run configures the server from getenv and serves on ln (when nil, on
// LISTEN_HOST:PORT) until ctx is done, then shuts down gracefully.
func run(ctx context.Context, getenv func(string) string, ln net.Listener, logger *slog.Logger) (err error) {
	if ln != nil {
		defer func() {
			if err != nil {
				_ = ln.Close()
			}
		}()
	}
	src, err := keySource(getenv, logger)
	if err != nil {
		return err
	}
	store, closeStore, err := openStore(ctx, getenv(envRedisURL), logger)
	if err != nil {
		return err
	}
	defer closeStore()
	// A verify-only Auth: the keys come from the issuer's key set, and the
	// sessions from the issuer's store.
	auth, err := paseto.New(paseto.Config{AccessKeySource: src, Store: store, Logger: logger})
	if err != nil {
		return err
	}
	g, err := paseto.NewGuard(auth, paseto.GuardConfig{Realm: "resource"})
	if err != nil {
		return err
	}
	// Load the key set now, so that a wrong URL shows in the log at start;
	// until it loads, requests are answered 503.
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if err := src.Refresh(fctx); err != nil {
		logger.Warn("the key set cannot be fetched yet; requests fail with 503 until it can", "url", getenv(envKeySetURL), "err", err)
	}
	cancel()

	if ln == nil {
		addr, err := listenAddr(getenv(envHost), getenv(envPort))
		if err != nil {
			return err
		}
		if ln, err = net.Listen("tcp", addr); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           newHandler(httppaseto.New(g, httppaseto.Config{}), src, getenv(envKeySetURL)),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "key_set", getenv(envKeySetURL))
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// newHandler builds the routes: GET / (no token) says which keys the
// service trusts now; GET /data needs a valid access token.
func newHandler(m *httppaseto.Middleware, src *remotekeys.Source, keySetURL string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		type key struct {
			ID    string `json:"kid"`
			State string `json:"state"`
		}
		keys := []key{}
		if ks := src.KeySet(); ks != nil {
			for _, k := range ks.Keys() {
				keys = append(keys, key{k.ID, k.State.String()})
			}
		}
		writeJSON(w, map[string]any{"service": "resource", "key_set": keySetURL, "keys": keys})
	})
	mux.Handle("GET /data", m.Required()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := httppaseto.Claims(r.Context())
		writeJSON(w, map[string]any{"subject": c.Subject, "message": "verified with the issuer's published keys"})
	})))
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

// keySource builds the remote key source from KEYSET_URL and KEYSET_CACHE.
func keySource(getenv func(string) string, logger *slog.Logger) (*remotekeys.Source, error) {
	url := getenv(envKeySetURL)
	if url == "" {
		return nil, fmt.Errorf("%s is not set: give the issuer's key set URL, such as http://127.0.0.1:8000%s", envKeySetURL, paseto.KeySetPath)
	}
	o := remotekeys.Config{URL: url, Logger: logger}
	if v := getenv(envKeyCache); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > time.Hour {
			return nil, fmt.Errorf("%s=%q: want a duration between 1s and 1h", envKeyCache, v)
		}
		o.MinMaxAge, o.MaxMaxAge, o.MinInterval = d, d, min(d, remotekeys.DefaultMinInterval)
	}
	src, err := remotekeys.New(o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envKeySetURL, err)
	}
	return src, nil
}

func listenAddr(host, port string) (string, error) {
	if port == "" {
		port = defaultPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("%s=%q: want a TCP port number between 1 and 65535", envPort, port)
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return "", fmt.Errorf("%s=%q: want an IP address (such as 127.0.0.1) or localhost", envHost, host)
	}
	return net.JoinHostPort(host, port), nil
}

// openStore connects to the issuer's Redis. It is required: without the
// issuer's sessions, no token could be shown to be live.
func openStore(ctx context.Context, rawURL string, logger *slog.Logger) (paseto.Store, func() error, error) {
	if rawURL == "" {
		return nil, nil, fmt.Errorf("%s is not set: a token is accepted only while its session is live, so give the issuer's Redis", envRedisURL)
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("%s is not a valid Redis URL: want redis://[user:password@]host:port/db or rediss://…", envRedisURL)
	}
	opts.ContextTimeoutEnabled = true
	client := redis.NewClient(opts)
	store, err := redisstore.New(client, redisstore.Config{Logger: logger})
	if err != nil {
		_ = client.Close()
		return nil, nil, fmt.Errorf("%s: %w", envRedisURL, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := store.Check(cctx); err != nil {
		logger.Warn("Redis does not answer yet; requests fail with 503 until it does", "addr", opts.Addr, "err", err)
	}
	return store, client.Close, nil
}
