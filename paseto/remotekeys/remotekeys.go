// Package remotekeys is a paseto.KeySource for resource servers: it fetches
// an issuer's published key set (paseto.KeySetPath, served by
// paseto.Guard.KeySet) from one pinned URL, caches it, and hands the
// verifier a ring of its keys, so that a service verifies another's
// v4.public access tokens through key rotations without being handed keys
// or restarted. It uses only the standard library.
//
//	src, err := remotekeys.New(remotekeys.Config{URL: "https://auth.example/.well-known/paserk"})
//	auth, err := paseto.New(paseto.Config{AccessKeySource: src, Store: issuersRedisStore})
//
// # Caching
//
// A fetched set is fresh for the max-age of its Cache-Control header,
// clamped to [Config.MinMaxAge, Config.MaxMaxAge] (a response without
// max-age, or with no-cache or no-store, gets MinMaxAge). While it is
// fresh, Keys is an atomic load and a clock reading: verifying through a
// Source costs what verifying with a local ring costs. When it expires,
// the next verification starts a fetch in the background and goes on with
// the old set; a set that did not change keeps its ring, so the verifier's
// token cache survives the refetch.
//
// # Unknown key IDs
//
// A token naming a key the set lacks makes LookupKey refetch at once,
// since the issuer may have promoted a key this service has not seen (it
// should have been published as upcoming first; see docs/keys.md). Fetches
// are single-flight (golang.org/x/sync/singleflight): N requests that miss
// together wait for one fetch. And no two fetches start less than
// Config.MinInterval apart (on time.Now's monotonic clock by default; a clock
// that goes back allows one fetch rather than none), whatever
// triggers them, so a client spraying random key IDs causes at most one
// fetch per interval; the rest are refused at once as invalid tokens.
//
// # Failures
//
// A failed fetch keeps the last good set: it is served for
// Config.MaxStale past its expiry, while fetches are retried (at most one
// per MinInterval). Past that, and before the first successful fetch, Keys
// fails closed with an error wrapping paseto.ErrKeysUnavailable, which the
// Guard answers 503 with Retry-After: the token may be valid, the service
// cannot tell. A fetch is bounded by Config.Timeout, the body by
// Config.MaxBytes and the headers by MaxHeaderBytes; redirects are
// refused (the URL is pinned), and so is a document paseto.ParseKeySet
// refuses, a status other than 200, and plain http to anything but a
// loopback IP address (127.0.0.1, [::1]; not the name localhost, which
// DNS may answer) unless Config.AllowHTTP.
//
// A Source is safe for concurrent use. Fetches run detached from the
// request that triggered them, under their own timeout, so a cancelled
// request never fails the fetch other requests wait for; the request
// itself stops waiting when its context is done.
package remotekeys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// Defaults and bounds of Config.
const (
	DefaultTimeout     = 5 * time.Second
	MaxTimeout         = time.Minute
	DefaultMinMaxAge   = time.Minute
	DefaultMaxMaxAge   = time.Hour
	DefaultMinInterval = 10 * time.Second
	DefaultMaxStale    = 15 * time.Minute
	// MaxHeaderBytes bounds the response headers when Config.Client is
	// nil (net/http's own default is 10 MB).
	MaxHeaderBytes = 16 << 10
)

// Config configures a Source. URL is required; every other field has a
// documented default.
type Config struct {
	// URL of the key set, https (or http to a loopback IP address, such
	// as 127.0.0.1 or [::1]; not the name localhost, which DNS may
	// answer). It is pinned: redirects are refused.
	URL string
	// AllowHTTP allows plain http to any host. Only for a network you
	// trust end to end: whoever can alter the response chooses the keys.
	AllowHTTP bool
	// Client sends the requests. Default a new http.Client with a clone of
	// http.DefaultTransport whose response headers are bounded by
	// MaxHeaderBytes. Its CheckRedirect is replaced (in a copy) to refuse
	// redirects; bound the headers of your own Client's Transport
	// (http.Transport.MaxResponseHeaderBytes) likewise.
	Client *http.Client
	// Timeout bounds each fetch, connection to last byte. Default
	// DefaultTimeout (5 s), at most MaxTimeout.
	Timeout time.Duration
	// MinMaxAge and MaxMaxAge clamp the response's Cache-Control max-age.
	// Defaults DefaultMinMaxAge (1 min) and DefaultMaxMaxAge (1 h).
	MinMaxAge, MaxMaxAge time.Duration
	// MinInterval is the least time between the starts of two fetches,
	// whatever triggers them: expiry, an unknown key ID, a failure.
	// Default DefaultMinInterval (10 s), at most MinMaxAge.
	MinInterval time.Duration
	// MaxStale is how long past its expiry the last good set is still
	// served while fetches fail; past it, verification fails closed.
	// Default DefaultMaxStale (15 min); negative means zero.
	MaxStale time.Duration
	// MaxBytes bounds the response body. Default and at most
	// paseto.MaxKeySetSize.
	MaxBytes int64
	// Clock replaces time.Now, for tests.
	Clock func() time.Time
	// Logger receives failed fetches at Warn level (at most one per
	// MinInterval). Default slog.Default().
	Logger *slog.Logger
}

// ErrInsecureURL means Config.URL is not https and not plain http to a
// loopback IP address, and Config.AllowHTTP is not set.
var ErrInsecureURL = errors.New("remotekeys: key set URL must be https (plain http only to a loopback IP such as 127.0.0.1, or with AllowHTTP)")

// Source is a paseto.KeySource reading a remote key set. Build it with New.
type Source struct {
	opt    Config
	client *http.Client

	snap atomic.Pointer[snapshot] // the last good set; nil before the first

	// flights makes fetches single-flight: callers that ask while one runs
	// share its result.
	flights singleflight.Group

	mu        sync.Mutex
	running   bool      // a fetch is in progress
	lastStart time.Time // the last fetch's start; zero before the first
	lastErr   error     // the last fetch's failure; nil after a success

	fetches atomic.Int64
}

type snapshot struct {
	set     *paseto.KeySet
	ring    *paseto.KeyRing
	expires time.Time // fresh until
	stale   time.Time // served until, when fetches fail
}

// flightKey is the single-flight key: a Source fetches one URL.
const flightKey = "keyset"

// errSkipped is the result of a flight that did not fetch because the
// last fetch started less than MinInterval ago.
var errSkipped = errors.New("remotekeys: fetch skipped (MinInterval)")

// New validates o and returns a Source. It does not fetch: call Refresh to
// load the set before serving, or let the first verification do it.
func New(o Config) (*Source, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%w: key set URL %q is not an absolute http(s) URL", paseto.ErrConfig, o.URL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: key set URL must not carry credentials", paseto.ErrConfig)
	}
	if u.Scheme == "http" && !o.AllowHTTP && !loopback(u.Hostname()) {
		return nil, fmt.Errorf("%w: %w", paseto.ErrConfig, ErrInsecureURL)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.Timeout, DefaultTimeout)
	def(&o.MinMaxAge, DefaultMinMaxAge)
	def(&o.MaxMaxAge, DefaultMaxMaxAge)
	def(&o.MinInterval, DefaultMinInterval)
	def(&o.MaxStale, DefaultMaxStale)
	o.MaxStale = max(o.MaxStale, 0)
	switch {
	case o.Timeout < 0 || o.Timeout > MaxTimeout:
		return nil, fmt.Errorf("%w: Timeout %v outside (0, %v]", paseto.ErrConfig, o.Timeout, MaxTimeout)
	case o.MinMaxAge < 0 || o.MaxMaxAge < o.MinMaxAge:
		return nil, fmt.Errorf("%w: need 0 < MinMaxAge <= MaxMaxAge", paseto.ErrConfig)
	case o.MinInterval < 0 || o.MinInterval > o.MinMaxAge:
		return nil, fmt.Errorf("%w: MinInterval %v outside (0, MinMaxAge]", paseto.ErrConfig, o.MinInterval)
	case o.MaxBytes < 0 || o.MaxBytes > paseto.MaxKeySetSize:
		return nil, fmt.Errorf("%w: MaxBytes %d outside [0, %d]", paseto.ErrConfig, o.MaxBytes, paseto.MaxKeySetSize)
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = paseto.MaxKeySetSize
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	c := http.Client{}
	if o.Client != nil {
		c = *o.Client
	} else {
		// DefaultTransport reads up to 10 MB of response headers; a key
		// set server has no reason to send more than a few hundred bytes.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxResponseHeaderBytes = MaxHeaderBytes
		c.Transport = t
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Source{opt: o, client: &c}, nil
}

// loopback reports whether host is a loopback IP address. The name
// "localhost" is not one: Go resolves it through /etc/hosts and then DNS
// (an image without /etc/hosts, a search domain), so it may reach another
// machine over plain http.
func loopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Keys returns the ring of the last good set while it is fresh or, while
// fetches fail, for Config.MaxStale past its expiry; an expired set
// starts a background fetch. Without a usable set it fetches and waits
// (within ctx and Config.Timeout), and fails with an error wrapping
// paseto.ErrKeysUnavailable.
func (s *Source) Keys(ctx context.Context) (*paseto.KeyRing, error) {
	now := s.opt.Clock()
	snap := s.snap.Load()
	if snap != nil && now.Before(snap.expires) {
		return snap.ring, nil
	}
	if snap != nil && now.Before(snap.stale) {
		s.start(now, false, false) // in the background; this request goes on
		return snap.ring, nil
	}
	return s.wait(ctx, now)
}

// LookupKey is called with a key ID the ring lacks: it refetches, unless
// a fetch started less than Config.MinInterval ago, and returns the ring
// it then has.
func (s *Source) LookupKey(ctx context.Context, kid string) (*paseto.KeyRing, error) {
	now := s.opt.Clock()
	if snap := s.snap.Load(); snap != nil && snap.ring.KeyState(kid) != 0 {
		return snap.ring, nil // another request's fetch found it
	}
	return s.wait(ctx, now)
}

// Refresh fetches the set now, whatever Config.MinInterval says (joining a
// fetch in progress), for loading it at start-up.
func (s *Source) Refresh(ctx context.Context) error {
	// A flight joined just as it decided to skip is followed by one that
	// fetches: two rounds at most, since only a forced flight starts next.
	for range 2 {
		select {
		case r := <-s.start(s.opt.Clock(), true, true):
			if r.Err != errSkipped {
				return r.Err
			}
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", paseto.ErrKeysUnavailable, ctx.Err())
		}
	}
	return fmt.Errorf("%w: %w", paseto.ErrKeysUnavailable, errSkipped)
}

// KeySet returns the last good set, or nil before the first.
func (s *Source) KeySet() *paseto.KeySet {
	if snap := s.snap.Load(); snap != nil {
		return snap.set
	}
	return nil
}

// Fetches returns how many fetches the Source has started.
func (s *Source) Fetches() int64 { return s.fetches.Load() }

// wait joins or starts a fetch, when MinInterval allows, and waits for it;
// then returns the usable ring, or the failure.
func (s *Source) wait(ctx context.Context, now time.Time) (*paseto.KeyRing, error) {
	if ch := s.start(now, false, true); ch != nil {
		select {
		case <-ch:
		case <-ctx.Done():
			return s.usable(s.opt.Clock(), fmt.Errorf("%w: %w", paseto.ErrKeysUnavailable, ctx.Err()))
		}
	}
	s.mu.Lock()
	err := s.lastErr
	s.mu.Unlock()
	return s.usable(s.opt.Clock(), err)
}

// usable returns the ring of the last good set if it may still be served,
// else an error wrapping paseto.ErrKeysUnavailable.
func (s *Source) usable(now time.Time, err error) (*paseto.KeyRing, error) {
	if snap := s.snap.Load(); snap != nil && now.Before(snap.stale) {
		return snap.ring, nil
	}
	if err == nil {
		err = errors.New("no key set fetched yet")
	}
	if !errors.Is(err, paseto.ErrKeysUnavailable) {
		err = fmt.Errorf("%w: %w", paseto.ErrKeysUnavailable, err)
	}
	return nil, err
}

// start returns the result channel of the fetch in progress (when join is
// set), or of a new one when MinInterval allows or force is set; nil when
// neither.
func (s *Source) start(now time.Time, force, join bool) <-chan singleflight.Result {
	s.mu.Lock()
	running, allowed := s.running, force || s.mayStart(now)
	s.mu.Unlock()
	if running && !join || !running && !allowed {
		// The cheap answers: no goroutine, no channel. A caller that
		// does not wait must not queue a channel on a slow fetch.
		return nil
	}
	// Joins the flight in progress, or runs a new one, which decides
	// again under the lock: the rate limit does not depend on the check
	// above, which another flight may have outdated.
	return s.flights.DoChan(flightKey, func() (any, error) { return nil, s.run(force) })
}

// mayStart reports whether a fetch may start at now: MinInterval after the
// last start. A clock that went back (a wall clock stepped by NTP, when
// Config.Clock has no monotonic reading) allows it rather than stopping
// every fetch until the clock catches up. s.mu must be held.
func (s *Source) mayStart(now time.Time) bool {
	since := now.Sub(s.lastStart)
	return s.lastStart.IsZero() || since < 0 || since >= s.opt.MinInterval
}

// run is one flight: it fetches when allowed (errSkipped otherwise) and
// records the outcome. Flights never overlap (singleflight.Group).
func (s *Source) run(force bool) error {
	s.mu.Lock()
	now := s.opt.Clock()
	if !force && !s.mayStart(now) {
		s.mu.Unlock()
		return errSkipped
	}
	s.running, s.lastStart = true, now
	s.mu.Unlock()
	s.fetches.Add(1)

	ctx, cancel := context.WithTimeout(context.Background(), s.opt.Timeout)
	defer cancel()
	snap, err := s.fetch(ctx)
	if err != nil {
		err = fmt.Errorf("%w: key set %s: %w", paseto.ErrKeysUnavailable, s.opt.URL, err)
		s.opt.Logger.Warn("remotekeys: fetching the key set failed", "url", s.opt.URL, "err", err)
	} else {
		s.snap.Store(snap)
	}
	s.mu.Lock()
	s.running, s.lastErr = false, err
	s.mu.Unlock()
	return err
}

// fetch gets, checks and parses the set.
func (s *Source) fetch(ctx context.Context) (*snapshot, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.opt.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d (redirects are refused)", resp.StatusCode)
	}
	if resp.ContentLength > s.opt.MaxBytes {
		return nil, fmt.Errorf("body of %d bytes, at most %d", resp.ContentLength, s.opt.MaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.opt.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > s.opt.MaxBytes {
		return nil, fmt.Errorf("body over %d bytes", s.opt.MaxBytes)
	}
	set, err := paseto.ParseKeySet(body)
	if err != nil {
		return nil, err
	}
	snap := &snapshot{set: set}
	if old := s.snap.Load(); old != nil && old.set.Equal(set) {
		snap.ring = old.ring // same keys: the verifier keeps its cache
	} else if snap.ring, err = set.KeyRing(); err != nil {
		return nil, err
	}
	now := s.opt.Clock()
	snap.expires = now.Add(s.maxAge(resp.Header.Values("Cache-Control")))
	snap.stale = snap.expires.Add(s.opt.MaxStale)
	return snap, nil
}

// maxAge reads max-age from Cache-Control and clamps it; no-store,
// no-cache or no max-age gives MinMaxAge.
func (s *Source) maxAge(values []string) time.Duration {
	age := time.Duration(0)
	for _, v := range values {
		for d := range strings.SplitSeq(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return s.opt.MinMaxAge
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
				if err == nil && n > 0 && age == 0 {
					age = time.Duration(min(n, int64(s.opt.MaxMaxAge/time.Second)+1)) * time.Second
				}
			}
		}
	}
	return min(max(age, s.opt.MinMaxAge), s.opt.MaxMaxAge)
}

var _ paseto.KeySource = (*Source)(nil)
