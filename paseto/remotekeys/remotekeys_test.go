package remotekeys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasetoauth/pasetoauth/internal/fakeclock"
	"github.com/pasetoauth/pasetoauth/paseto"
)

var epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// keyServer serves a key set document the test controls.
type keyServer struct {
	*httptest.Server
	hits atomic.Int64

	mu           sync.Mutex
	body         []byte
	status       int
	cacheControl string
	gate         chan struct{} // when set, requests wait for it (or their end)
}

func newKeyServer(t *testing.T, ring *paseto.KeyRing) *keyServer {
	t.Helper()
	ks := &keyServer{status: http.StatusOK, cacheControl: "public, max-age=300"}
	ks.setRing(t, ring)
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.hits.Add(1)
		ks.mu.Lock()
		body, status, cc, gate := ks.body, ks.status, ks.cacheControl, ks.gate
		ks.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Cache-Control", cc)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(ks.Close)
	return ks
}

func (ks *keyServer) setRing(t *testing.T, ring *paseto.KeyRing) {
	t.Helper()
	set, err := paseto.NewKeySet(ring)
	if err != nil {
		t.Fatal(err)
	}
	ks.set(func(k *keyServer) { k.body = set.JSON() })
}

func (ks *keyServer) set(f func(*keyServer)) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	f(ks)
}

func publicRing(t testing.TB, sk paseto.SecretKey, prev ...paseto.PublicKey) *paseto.KeyRing {
	t.Helper()
	r, err := paseto.NewPublicKeyRing(sk, prev...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newSource(t *testing.T, url string, clock *fakeclock.Clock, edit ...func(*Config)) *Source {
	t.Helper()
	o := Config{URL: url, Clock: clock.Now, Timeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)}
	for _, e := range edit {
		e(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// settle waits for the fetch in progress, if any.
func settle(t *testing.T, s *Source) {
	t.Helper()
	// Joins the flight in progress; without one, runs a flight that
	// does nothing.
	ch := s.flights.DoChan(flightKey, func() (any, error) { return nil, errSkipped })
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("fetch did not end")
	}
}

func TestCacheHonoursMaxAgeWithinFloorAndCeiling(t *testing.T) {
	for _, tc := range []struct {
		cacheControl string
		fresh        time.Duration
	}{
		{"public, max-age=300", 300 * time.Second},
		{"max-age=1", time.Minute},              // floor
		{"public, max-age=99999999", time.Hour}, // ceiling
		{"no-store", time.Minute},               // floor
		{"", time.Minute},                       // none: floor
		{"max-age=oops, max-age=120", 120 * time.Second},
	} {
		t.Run(tc.cacheControl, func(t *testing.T) {
			ks := newKeyServer(t, publicRing(t, paseto.GenerateSecretKey()))
			ks.set(func(k *keyServer) { k.cacheControl = tc.cacheControl })
			clock := fakeclock.New(epoch)
			s := newSource(t, ks.URL, clock)
			if _, err := s.Keys(context.Background()); err != nil {
				t.Fatal(err)
			}
			clock.Advance(tc.fresh - time.Second)
			s.Keys(context.Background())
			settle(t, s)
			if n := ks.hits.Load(); n != 1 {
				t.Fatalf("%d fetches while fresh, want 1", n)
			}
			clock.Advance(2 * time.Second)
			if _, err := s.Keys(context.Background()); err != nil {
				t.Fatal(err)
			}
			settle(t, s)
			if n := ks.hits.Load(); n != 2 {
				t.Errorf("%d fetches after expiry, want 2", n)
			}
		})
	}
}

func TestUnchangedSetKeepsItsRing(t *testing.T) {
	ks := newKeyServer(t, publicRing(t, paseto.GenerateSecretKey()))
	clock := fakeclock.New(epoch)
	s := newSource(t, ks.URL, clock)
	r1, _ := s.Keys(context.Background())
	clock.Advance(time.Hour)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r2, _ := s.Keys(context.Background()); r2 != r1 {
		t.Error("an unchanged set got a new ring (the verifier would drop its cache)")
	}
}

// TestUnknownKidSingleFlight: N concurrent requests naming a key the set
// lacks make one fetch, and all see the key it brings.
func TestUnknownKidSingleFlight(t *testing.T) {
	k1, k2 := paseto.GenerateSecretKey(), paseto.GenerateSecretKey()
	ks := newKeyServer(t, publicRing(t, k1))
	clock := fakeclock.New(epoch)
	s := newSource(t, ks.URL, clock)
	if _, err := s.Keys(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(DefaultMinInterval)
	ks.setRing(t, publicRing(t, k2, k1.Public()))
	gate := make(chan struct{})
	ks.set(func(k *keyServer) { k.gate = gate })
	const n = 64
	var wg sync.WaitGroup
	found := make(chan bool, n)
	for range n {
		wg.Go(func() {
			r, err := s.LookupKey(context.Background(), k2.Public().ID())
			found <- err == nil && r.KeyState(k2.Public().ID()) == paseto.KeyCurrent
		})
	}
	// Every goroutine is either waiting on the one flight or about to join
	// it; open the gate once the flight has started.
	for i := 0; ks.hits.Load() == 0 && i < 1000; i++ {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	close(found)
	for ok := range found {
		if !ok {
			t.Fatal("a request did not get the new key")
		}
	}
	if got := ks.hits.Load(); got != 2 {
		t.Errorf("%d fetches for %d concurrent misses, want 1 (plus the first load)", got-1, n)
	}
}

// TestUnknownKidRateLimit: random kids cause at most one fetch per
// MinInterval.
func TestUnknownKidRateLimit(t *testing.T) {
	ks := newKeyServer(t, publicRing(t, paseto.GenerateSecretKey()))
	clock := fakeclock.New(epoch)
	s := newSource(t, ks.URL, clock)
	if _, err := s.Keys(context.Background()); err != nil {
		t.Fatal(err)
	}
	spray := func() {
		for i := range 1000 {
			kid := paseto.GenerateSecretKey().Public().ID()
			if r, err := s.LookupKey(context.Background(), kid); err != nil || r.KeyState(kid) != 0 {
				t.Fatalf("spray %d: %v", i, err)
			}
			clock.Advance(time.Millisecond)
		}
	}
	spray() // 1 s of spraying right after the load: no fetch allowed
	if got := ks.hits.Load(); got != 1 {
		t.Fatalf("%d fetches, want 1 (the load)", got)
	}
	clock.Advance(DefaultMinInterval)
	spray()
	if got := ks.hits.Load(); got != 2 {
		t.Errorf("%d fetches after another interval of spraying, want 2", got)
	}
}

// TestStaleOnErrorThenFailClosed: a failing key set is served for
// MaxStale past its expiry, then verification fails closed.
func TestStaleOnErrorThenFailClosed(t *testing.T) {
	ks := newKeyServer(t, publicRing(t, paseto.GenerateSecretKey()))
	ks.set(func(k *keyServer) { k.cacheControl = "max-age=60" })
	clock := fakeclock.New(epoch)
	s := newSource(t, ks.URL, clock, func(o *Config) { o.MaxStale = 10 * time.Minute })
	ctx := context.Background()
	if _, err := s.Keys(ctx); err != nil {
		t.Fatal(err)
	}
	ks.set(func(k *keyServer) { k.status = http.StatusInternalServerError })
	for _, at := range []time.Duration{61 * time.Second, 5 * time.Minute, 10*time.Minute + 59*time.Second} {
		clock.Set(epoch.Add(at))
		if _, err := s.Keys(ctx); err != nil {
			t.Fatalf("at %v (stale, within MaxStale): %v", at, err)
		}
		settle(t, s)
	}
	clock.Set(epoch.Add(11*time.Minute + time.Second))
	_, err := s.Keys(ctx)
	if !errors.Is(err, paseto.ErrKeysUnavailable) || !strings.Contains(err.Error(), "status 500") {
		t.Fatalf("past MaxStale: %v, want ErrKeysUnavailable naming the status", err)
	}
	// Recovery: the next allowed fetch restores service.
	ks.set(func(k *keyServer) { k.status = http.StatusOK })
	clock.Advance(DefaultMinInterval)
	if _, err := s.Keys(ctx); err != nil {
		t.Errorf("after the key set came back: %v", err)
	}
}

func TestFailClosedBeforeFirstFetch(t *testing.T) {
	ks := newKeyServer(t, publicRing(t, paseto.GenerateSecretKey()))
	url := ks.URL
	ks.Close()
	s := newSource(t, url, fakeclock.New(epoch))
	_, err := s.Keys(context.Background())
	if !errors.Is(err, paseto.ErrKeysUnavailable) || paseto.Code(err) != "temporarily_unavailable" {
		t.Fatalf("unreachable key set: %v", err)
	}
	// Within MinInterval no new fetch: the same error at once.
	if _, err2 := s.Keys(context.Background()); !errors.Is(err2, paseto.ErrKeysUnavailable) || s.Fetches() != 1 {
		t.Errorf("second call: %v after %d fetches", err2, s.Fetches())
	}
}

func TestRefusedResponses(t *testing.T) {
	good := publicRing(t, paseto.GenerateSecretKey())
	goodSet, _ := paseto.NewKeySet(good)
	local := paseto.GenerateSymmetricKey()
	big := append(append([]byte{}, goodSet.JSON()...), make([]byte, paseto.MaxKeySetSize)...)
	for i := len(goodSet.JSON()); i < len(big); i++ {
		big[i] = ' '
	}
	for _, tc := range []struct {
		name string
		edit func(*keyServer)
		opt  func(*Config)
		why  string
	}{
		{"status 404", func(k *keyServer) { k.status = 404 }, nil, "status 404"},
		{"redirect", func(k *keyServer) { k.status = http.StatusFound }, nil, "redirects are refused"},
		{"oversize", func(k *keyServer) { k.body = big }, nil, "bytes"},
		{"over MaxBytes", nil, func(o *Config) { o.MaxBytes = 100 }, "100"},
		{"local key", func(k *keyServer) {
			k.body = []byte(`{"keys":[{"kid":"` + local.ID() + `","key":"` + local.PASERK() + `","state":"current"}]}`)
		}, nil, "k4.local"},
		{"not JSON", func(k *keyServer) { k.body = []byte("<html>") }, nil, "invalid key set"},
		{"timeout", func(k *keyServer) { k.gate = make(chan struct{}) }, func(o *Config) { o.Timeout = 50 * time.Millisecond }, "deadline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks := newKeyServer(t, good)
			if tc.edit != nil {
				ks.set(tc.edit)
			}
			opts := []func(*Config){}
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			s := newSource(t, ks.URL, fakeclock.New(epoch), opts...)
			_, err := s.Keys(context.Background())
			if !errors.Is(err, paseto.ErrKeysUnavailable) || !strings.Contains(err.Error(), tc.why) {
				t.Errorf("Keys = %v, want ErrKeysUnavailable saying %q", err, tc.why)
			}
			if strings.Contains(fmt.Sprint(err), local.PASERK()) {
				t.Error("error echoes the key")
			}
		})
	}
}

// TestHostileSetKeepsLastGood: a refetch that brings a refused document
// changes nothing.
func TestHostileSetKeepsLastGood(t *testing.T) {
	k1 := paseto.GenerateSecretKey()
	ks := newKeyServer(t, publicRing(t, k1))
	clock := fakeclock.New(epoch)
	s := newSource(t, ks.URL, clock)
	r1, err := s.Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sk := paseto.GenerateSecretKey()
	ks.set(func(k *keyServer) {
		k.body = []byte(`{"keys":[{"kid":"` + sk.Public().ID() + `","key":"` + sk.PASERK() + `","state":"current"}]}`)
	})
	clock.Advance(DefaultMinInterval)
	if err := s.Refresh(context.Background()); !errors.Is(err, paseto.ErrKeySet) {
		t.Errorf("secret key in the set: %v, want ErrKeySet", err)
	}
	if r, _ := s.Keys(context.Background()); r != r1 {
		t.Error("a refused document replaced the last good set")
	}
}

func TestNewRefusesInsecureAndBadOptions(t *testing.T) {
	for _, tc := range []struct {
		o    Config
		want error
	}{
		{Config{URL: "http://auth.example/.well-known/paserk"}, ErrInsecureURL},
		{Config{URL: "http://10.0.0.1/.well-known/paserk"}, ErrInsecureURL},
		// A name, even localhost, is resolved by /etc/hosts or DNS.
		{Config{URL: "http://localhost:1/x"}, ErrInsecureURL},
		{Config{URL: "http://LOCALHOST:1/x"}, ErrInsecureURL},
		{Config{URL: "http://auth.localhost:1/x"}, ErrInsecureURL},
		{Config{URL: "http://127.0.0.1.nip.io/x"}, ErrInsecureURL},
		{Config{URL: "ftp://auth.example/x"}, paseto.ErrConfig},
		{Config{URL: "/.well-known/paserk"}, paseto.ErrConfig},
		{Config{URL: "https://user:pw@auth.example/x"}, paseto.ErrConfig},
		{Config{URL: "https://auth.example/x", Timeout: 2 * time.Minute}, paseto.ErrConfig},
		{Config{URL: "https://auth.example/x", MinMaxAge: time.Hour, MaxMaxAge: time.Minute}, paseto.ErrConfig},
		{Config{URL: "https://auth.example/x", MinInterval: 2 * time.Minute}, paseto.ErrConfig},
		{Config{URL: "https://auth.example/x", MaxBytes: paseto.MaxKeySetSize + 1}, paseto.ErrConfig},
	} {
		if _, err := New(tc.o); !errors.Is(err, tc.want) {
			t.Errorf("New(%+v) = %v, want %v", tc.o, err, tc.want)
		}
	}
	for _, url := range []string{"http://127.0.0.1:1/x", "http://[::1]:1/x", "http://127.0.0.2:1/x", "https://auth.example/x"} {
		if _, err := New(Config{URL: url}); err != nil {
			t.Errorf("New(%s): %v", url, err)
		}
	}
	if _, err := New(Config{URL: "http://auth.example/x", AllowHTTP: true}); err != nil {
		t.Errorf("AllowHTTP: %v", err)
	}
}

func TestContextCancelStopsWaiting(t *testing.T) {
	ks := newKeyServer(t, publicRing(t, paseto.GenerateSecretKey()))
	gate := make(chan struct{})
	defer close(gate)
	ks.set(func(k *keyServer) { k.gate = gate })
	s := newSource(t, ks.URL, fakeclock.New(epoch))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Keys(ctx); !errors.Is(err, paseto.ErrKeysUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled request: %v", err)
	}
}
