package paseto

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDeviceIsBoundedAndCleaned(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	tests := []struct {
		name string
		keep IPRetention
		in   Device
		want Device
	}{
		{"kept as is", IPFull, Device{UserAgent: "curl/8.5.0", IP: "203.0.113.7", Label: "laptop"},
			Device{UserAgent: "curl/8.5.0", IP: "203.0.113.7", Label: "laptop"}},
		{"ip off by default", IPOff, Device{UserAgent: "ua", IP: "203.0.113.7"}, Device{UserAgent: "ua"}},
		{"ipv4 truncated to /24", IPTruncated, Device{IP: "203.0.113.7"}, Device{IP: "203.0.113.0"}},
		{"ipv6 truncated to /48", IPTruncated, Device{IP: "2001:db8:1:2:3:4:5:6"}, Device{IP: "2001:db8:1::"}},
		{"v4-mapped v6 read as v4", IPFull, Device{IP: "::ffff:198.51.100.9"}, Device{IP: "198.51.100.9"}},
		{"surrounding space", IPFull, Device{IP: " 198.51.100.9 "}, Device{IP: "198.51.100.9"}},
		{"user agent cut at a character", IPOff, Device{UserAgent: long}, Device{UserAgent: long[:MaxUserAgentBytes]}},
		{"label cut", IPOff, Device{Label: long}, Device{Label: long[:MaxLabelBytes]}},
		{"controls and bad UTF-8 removed", IPOff, Device{UserAgent: "a\r\nb\x00c\xffd", Label: "x\ty"}, Device{UserAgent: "abcd", Label: "xy"}},
		{"format characters removed", IPOff, Device{UserAgent: "\u202eevil\u202c Firefox\u200b\ufeff", Label: "a\u2066b"}, Device{UserAgent: "evil Firefox", Label: "ab"}},
		{"6to4 keeps only the /24 of its IPv4", IPTruncated, Device{IP: "2002:cb00:714d::1"}, Device{IP: "2002:cb00:7100::"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &Auth{cfg: Config{KeepIP: tc.keep}}
			got, err := a.device(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if len(got.UserAgent) > MaxUserAgentBytes || len(got.Label) > MaxLabelBytes {
				t.Fatalf("over the bounds: %d, %d bytes", len(got.UserAgent), len(got.Label))
			}
		})
	}
	// An odd cut: a 3-byte character straddling the bound is dropped whole.
	ua := strings.Repeat("a", MaxUserAgentBytes-1) + "€"
	if got, _ := (&Auth{}).device(Device{UserAgent: ua}); got.UserAgent != ua[:MaxUserAgentBytes-1] {
		t.Fatalf("cut inside a character: %q", got.UserAgent[MaxUserAgentBytes-3:])
	}
}

func TestDeviceRefusesWhatIsNoIP(t *testing.T) {
	for _, ip := range []string{"example.com", "203.0.113.7:443", "fe80::1%eth0", "203.0.113.0/24", "1.2.3"} {
		a := &Auth{cfg: Config{KeepIP: IPTruncated}}
		if _, err := a.device(Device{IP: ip}); !errors.Is(err, ErrConfig) {
			t.Errorf("IP %q: %v, want ErrConfig", ip, err)
		}
	}
	// Checked with IPOff too: turning retention on must not change which
	// logins succeed.
	if _, err := (&Auth{}).device(Device{IP: "not an ip"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("IPOff: %v, want ErrConfig", err)
	}
}

func TestLoginRefusesBadDeviceAndCreatesNothing(t *testing.T) {
	store := NewMemoryStore(MemoryStoreConfig{})
	a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), Store: store, KeepIP: IPFull})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Login(context.Background(), "alice", LoginOptions{Device: Device{IP: "nope"}}); !errors.Is(err, ErrConfig) {
		t.Fatalf("Login with a bad IP: %v, want ErrConfig", err)
	}
	if n := store.Len(); n != 0 {
		t.Fatalf("the refused login left %d records", n)
	}
}

func TestSessionConfigValidated(t *testing.T) {
	for name, cfg := range map[string]Config{
		"negative MaxSessions":  {MaxSessions: -1},
		"unknown AtMaxSessions": {AtMaxSessions: 9},
		"unknown KeepIP":        {KeepIP: 9},
	} {
		cfg.AccessKeys, cfg.RefreshKeys = mustLocalRing(t), mustLocalRing(t)
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

// There is always a cap: without MaxSessions, the 101st login of one
// subject ends its oldest session.
func TestDefaultSessionCap(t *testing.T) {
	clock := newTestClock(epoch)
	a, err := New(Config{AccessKeys: mustLocalRing(t), RefreshKeys: mustLocalRing(t), Clock: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, _ := a.Login(ctx, "alice", LoginOptions{})
	for range DefaultMaxSessions {
		clock.add(time.Second)
		if _, err := a.Login(ctx, "alice", LoginOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.VerifyAccess(ctx, first.AccessToken); !errors.Is(err, ErrRevoked) {
		t.Fatalf("the oldest of %d sessions: %v, want ErrRevoked", DefaultMaxSessions+1, err)
	}
	if l, _ := a.ListSessions(ctx, "alice", ""); len(l) != DefaultMaxSessions {
		t.Fatalf("%d sessions listed, want %d", len(l), DefaultMaxSessions)
	}
}
