package redisstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pasetoauth/pasetoauth/paseto"
	"github.com/pasetoauth/pasetoauth/paseto/redisstore"
	"github.com/pasetoauth/pasetoauth/paseto/storetest"
)

// realisticDevice is what a browser login records: a user agent of about
// 110 bytes, a truncated IPv4 address, a 16-byte label.
var realisticDevice = paseto.Device{
	UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	IP:        "203.0.113.0",
	Label:     "Chrome on Window",
}

// instances is two application instances sharing one Redis: each its own
// connection pool, Store and Auth, over the same keys, prefix and clock.
type instances struct {
	clock  *storetest.Clock
	stores [2]*redisstore.Store
	auths  [2]*paseto.Auth
}

func newInstances(t *testing.T, c1, c2 redis.UniversalClient, opts redisstore.Config, tweak func(*paseto.Config)) *instances {
	t.Helper()
	in := &instances{clock: storetest.NewClock(time.Now())}
	opts.Clock = in.clock.Now
	access, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := paseto.NewLocalKeyRing(paseto.GenerateSymmetricKey())
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []redis.UniversalClient{c1, c2} {
		in.stores[i] = newStore(t, c, opts)
		cfg := paseto.Config{AccessKeys: access, RefreshKeys: refresh, Store: in.stores[i], Clock: in.clock.Now,
			Logger: quiet, KeepIP: paseto.IPTruncated}
		if tweak != nil {
			tweak(&cfg)
		}
		if in.auths[i], err = paseto.New(cfg); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

func (in *instances) login(t *testing.T, i int, subject string) *paseto.TokenPair {
	t.Helper()
	p, err := in.auths[i].Login(ctx, subject, paseto.LoginOptions{Device: realisticDevice})
	if err != nil {
		t.Fatalf("Login on instance %d: %v", i, err)
	}
	return p
}

// accepted reports whether instance i accepts p's access token, and
// whether it refreshes p's refresh token (which rotates it).
func (in *instances) accepted(i int, p *paseto.TokenPair) (access, refresh bool) {
	_, aerr := in.auths[i].VerifyAccess(ctx, p.AccessToken)
	_, rerr := in.auths[i].Refresh(ctx, p.RefreshToken)
	return aerr == nil, rerr == nil
}

func (in *instances) listed(t *testing.T, i int, subject string) []string {
	t.Helper()
	l, err := in.auths[i].ListSessions(ctx, subject, "")
	if err != nil {
		t.Fatalf("ListSessions on instance %d: %v", i, err)
	}
	var ids []string
	for _, s := range l {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ps ...*paseto.TokenPair) []string {
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.Access.Session)
	}
	slices.Sort(ids)
	return ids
}

// testSharedInstances: a session listed or revoked on one instance is seen
// so on the other, at once: after a revocation on one, the other refuses
// the session's access and refresh tokens.
func testSharedInstances(t *testing.T, c1, c2 redis.UniversalClient, opts redisstore.Config) {
	in := newInstances(t, c1, c2, opts, nil)
	a, b, c, d := in.login(t, 0, "alice"), in.login(t, 1, "alice"), in.login(t, 0, "alice"), in.login(t, 1, "alice")
	bob := in.login(t, 0, "bob")
	for i := range 2 {
		if got, want := in.listed(t, i, "alice"), sorted(a, b, c, d); !slices.Equal(got, want) {
			t.Fatalf("instance %d lists %v, want %v", i, got, want)
		}
	}
	l, err := in.auths[1].ListSessions(ctx, "alice", a.Access.Session)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range l {
		if s.ID == a.Access.Session && (!s.Current || s.Device != realisticDevice) {
			t.Fatalf("instance 1 lists instance 0's login as %+v", s)
		}
	}

	// One session revoked on instance 1: instance 0 refuses both its tokens.
	if err := in.auths[1].RevokeSession(ctx, "alice", a.Access.Session); err != nil {
		t.Fatal(err)
	}
	if acc, ref := in.accepted(0, a); acc || ref {
		t.Fatalf("instance 0 after a revocation on instance 1: access %v, refresh %v", acc, ref)
	}
	if err := in.auths[0].RevokeSession(ctx, "alice", a.Access.Session); !errors.Is(err, paseto.ErrSessionNotFound) {
		t.Fatalf("revoking it again on instance 0: %v, want ErrSessionNotFound", err)
	}
	if got, want := in.listed(t, 0, "alice"), sorted(b, c, d); !slices.Equal(got, want) {
		t.Fatalf("instance 0 lists %v, want %v", got, want)
	}

	// The others revoked on instance 0, keeping b: instance 1 refuses them.
	b2, err := in.auths[1].Refresh(ctx, b.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	n, err := in.auths[0].RevokeOtherSessions(ctx, "alice", b.Access.Session)
	if err != nil || n != 2 {
		t.Fatalf("RevokeOtherSessions: %d, %v; want 2", n, err)
	}
	for _, p := range []*paseto.TokenPair{c, d} {
		if acc, ref := in.accepted(1, p); acc || ref {
			t.Fatalf("instance 1 after RevokeOtherSessions on instance 0: access %v, refresh %v", acc, ref)
		}
	}
	if acc, ref := in.accepted(1, b2); !acc || !ref {
		t.Fatalf("the kept session on instance 1: access %v, refresh %v", acc, ref)
	}
	if got, want := in.listed(t, 1, "alice"), sorted(b); !slices.Equal(got, want) {
		t.Fatalf("instance 1 lists %v, want %v", got, want)
	}
	if acc, _ := in.accepted(1, bob); !acc {
		t.Fatal("bob's session ended with alice's")
	}
}

func TestSharedInstancesSessionManagement(t *testing.T) {
	srv := startServer(t)
	for _, lossless := range []bool{false, true} {
		t.Run(fmt.Sprintf("lossless=%v", lossless), func(t *testing.T) {
			testSharedInstances(t, srv.client(t), srv.client(t), redisstore.Config{Prefix: srv.uniquePrefix(t), LosslessPersistence: lossless})
		})
	}
}

// serverRun is the identity digest the store records for the server c
// talks to: SHA-256 of run_id and master_replid, 40 hex digits.
func serverRun(t *testing.T, c *redis.Client) string {
	t.Helper()
	sum := sha256.Sum256([]byte(infoValue(t, c, "server", "run_id") + "\x00" + infoValue(t, c, "replication", "master_replid")))
	return hex.EncodeToString(sum[:20])
}

// putSession writes a session hash and its index member directly, as the
// store would, with fields overriding the defaults (a live session of
// tagSubject under its keys, recorded by the server c talks to).
func putSession(t *testing.T, c *redis.Client, prefix, tagSubject, sid string, created, expires time.Time, fields ...any) {
	t.Helper()
	tag := prefix + "{" + tagOf(tagSubject) + "}:"
	f := map[string]any{
		"u": tagSubject, "r": serverRun(t, c), "c": "h-" + sid, "p": "", "t": "0",
		"e": strconv.FormatInt(expires.UnixNano(), 10), "l": strconv.FormatInt(created.UnixNano(), 10),
		"i": "0", "x": "0", "b": "", "a": strconv.FormatInt(created.UnixNano(), 10),
		"0": "", "1": "", "2": "", "3": "", "n": "", "m": "",
	}
	for i := 0; i+1 < len(fields); i += 2 {
		f[fields[i].(string)] = fields[i+1]
	}
	if err := c.HSet(ctx, tag+"h:"+sid, f).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ZAdd(ctx, tag+"i", redis.Z{Score: float64(expires.UnixMilli()), Member: sid}).Err(); err != nil {
		t.Fatal(err)
	}
}

func members(t *testing.T, c *redis.Client, prefix, subject string) []string {
	t.Helper()
	m, err := c.ZRange(ctx, prefix+"{"+tagOf(subject)+"}:i", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(m)
	return m
}

// TestSessionCapJudgesEveryMember: a capped login judges each member of
// the index as SessionLive would. Members that can never be live again are
// dropped from the index, a corrupt one is ended, another subject's (a
// tag collision) and another server's are neither counted nor touched; at
// the cap the oldest by creation, then ID, end; and a refusal writes
// nothing at all.
func TestSessionCapJudgesEveryMember(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	store := newStore(t, client, redisstore.Config{Prefix: prefix, Clock: clock.Now})
	t0 := clock.Now()
	hour := t0.Add(time.Hour)
	key := func(kind, sid string) string { return prefix + "{" + tagOf("alice") + "}:" + kind + sid }

	putSession(t, client, prefix, "alice", "old-b", t0, hour)
	putSession(t, client, prefix, "alice", "old-a", t0, hour) // same time: ID breaks the tie
	putSession(t, client, prefix, "alice", "newer", t0.Add(time.Second), hour)
	putSession(t, client, prefix, "alice", "expired", t0.Add(-2*time.Hour), t0.Add(-time.Hour))
	putSession(t, client, prefix, "alice", "idle", t0, hour, "i", strconv.FormatInt(int64(time.Minute), 10),
		"l", strconv.FormatInt(t0.Add(-2*time.Minute).UnixNano(), 10))
	putSession(t, client, prefix, "alice", "gone", t0, hour)
	client.Del(ctx, key("h:", "gone"))
	putSession(t, client, prefix, "alice", "broken", t0, hour, "a", "x")
	putSession(t, client, prefix, "alice", "other-server", t0.Add(-time.Hour), hour, "r", strings.Repeat("a", 40))
	putSession(t, client, prefix, "alice", "bobs", t0.Add(-time.Hour), hour, "u", "bob")
	if err := client.Set(ctx, key("w:", "old-a"), "kept", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}

	rec := func(sid string, refuse bool) paseto.SessionRecord {
		return paseto.SessionRecord{ID: sid, Subject: "alice", Current: "h-" + sid, CreatedAt: clock.Now(),
			ExpiresAt: clock.Now().Add(time.Hour), MaxSessions: 2, RefuseAtMax: refuse}
	}
	// Refused: three live sessions of alice's on this server, cap 2.
	before := dump(t, client, prefix)
	if ended, err := store.CreateSession(ctx, rec("refused", true)); !errors.Is(err, paseto.ErrSessionLimit) || ended != nil {
		t.Fatalf("refused login: %v, %v; want ErrSessionLimit", ended, err)
	}
	if after := dump(t, client, prefix); after != before {
		t.Fatal("a refused login wrote")
	}

	// Ending the oldest: old-a, then old-b (same time, ID order).
	ended, err := store.CreateSession(ctx, rec("fresh", false))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ended, []string{"old-a", "old-b"}) {
		t.Fatalf("ended %v, want [old-a old-b] (oldest first, ID breaks ties)", ended)
	}
	if got, want := members(t, client, prefix, "alice"), []string{"bobs", "fresh", "newer", "other-server"}; !slices.Equal(got, want) {
		t.Fatalf("index %v, want %v", got, want)
	}
	for _, k := range []string{key("h:", "old-a"), key("w:", "old-a"), key("h:", "old-b"), key("h:", "broken")} {
		if client.Exists(ctx, k).Val() != 0 {
			t.Errorf("%s left after it ended", k)
		}
	}
	for _, k := range []string{key("h:", "expired"), key("h:", "idle"), key("h:", "other-server"), key("h:", "bobs")} {
		if client.Exists(ctx, k).Val() != 1 {
			t.Errorf("%s deleted: only its membership should go", k)
		}
	}
	for sid, want := range map[string]bool{"fresh": true, "newer": true, "old-a": false, "old-b": false, "idle": false} {
		if live, err := store.SessionLive(ctx, "alice", sid, clock.Now()); err != nil || live != want {
			t.Errorf("SessionLive(%s): %v, %v; want %v", sid, live, err, want)
		}
	}
	// The listing and the revocations leave bob's member alone too.
	list, err := store.ListSessions(ctx, "alice", clock.Now())
	if err != nil || len(list) != 2 {
		t.Fatalf("ListSessions: %v, %v", list, err)
	}
	if ended, err := store.RevokeSession(ctx, "alice", "bobs", clock.Now()); err != nil || ended {
		t.Fatalf("RevokeSession of a colliding subject's session: %v, %v", ended, err)
	}
	got, err := store.RevokeOtherSessions(ctx, "alice", "fresh", clock.Now())
	if err != nil || !slices.Equal(got, []string{"newer"}) {
		t.Fatalf("RevokeOtherSessions: %v, %v; want [newer]", got, err)
	}
	if got, want := members(t, client, prefix, "alice"), []string{"bobs", "fresh"}; !slices.Equal(got, want) {
		t.Fatalf("index %v, want %v", got, want)
	}
	if client.Exists(ctx, key("h:", "bobs")).Val() != 1 {
		t.Fatal("a colliding subject's session was deleted")
	}
}

// TestRevokeSessionEnded: ended is true only for the call that ends a
// live session; the keys go either way, but a reuse tombstone stays.
func TestRevokeSessionEnded(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	w := newWorld(t, client, redisstore.Config{Prefix: prefix}, func(c *paseto.Config) { c.SessionLifetime = time.Hour })
	now := w.clock.Now
	revoke := func(sid string) bool {
		t.Helper()
		ended, err := w.store.RevokeSession(ctx, "alice", sid, now())
		if err != nil {
			t.Fatal(err)
		}
		return ended
	}
	live := w.login("alice")
	if !revoke(live.Access.Session) || revoke(live.Access.Session) || revoke("unknown") {
		t.Fatal("ended: want true once, then false, and false for an unknown session")
	}
	expired := w.login("alice")
	w.clock.Advance(time.Hour)
	if revoke(expired.Access.Session) {
		t.Fatal("ended true for a session past its end")
	}
	if n := len(keysOf(t, client, prefix+"{"+tagOf("alice")+"}:h:")); n != 0 {
		t.Fatalf("%d session hashes left", n)
	}
	reused := w.login("alice")
	w.refresh(reused.RefreshToken)
	if _, err := w.auth.Refresh(ctx, reused.RefreshToken); !errors.Is(err, paseto.ErrRefreshReused) {
		t.Fatal(err)
	}
	if revoke(reused.Access.Session) {
		t.Fatal("ended true for a session revoked for reuse")
	}
	if n := len(keysOf(t, client, prefix+"{"+tagOf("alice")+"}:h:")); n != 1 {
		t.Fatalf("%d session hashes, want the reuse tombstone", n)
	}
}

// TestWrongTypedIndex: an index that is not a sorted set is corrupt for
// everything that grants or reads sessions (ErrStoreCorrupt, nothing
// written), while the revocations succeed; RevokeSubject deletes it, and
// logins work again.
func TestWrongTypedIndex(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	for name, set := range map[string]func(string) error{
		"hash":   func(k string) error { return client.HSet(ctx, k, "x", "y").Err() },
		"string": func(k string) error { return client.Set(ctx, k, "x", time.Hour).Err() },
		"list":   func(k string) error { return client.RPush(ctx, k, "x").Err() },
	} {
		t.Run(name, func(t *testing.T) {
			prefix := srv.uniquePrefix(t)
			w := newWorld(t, client, redisstore.Config{Prefix: prefix}, nil)
			p := w.login("alice")
			index := prefix + "{" + tagOf("alice") + "}:i"
			if err := client.Del(ctx, index).Err(); err != nil {
				t.Fatal(err)
			}
			if err := set(index); err != nil {
				t.Fatal(err)
			}
			now := w.clock.Now()
			snapshot := dump(t, client, prefix)
			corrupt := map[string]error{}
			_, corrupt["SessionLive"] = w.store.SessionLive(ctx, "alice", p.Access.Session, now)
			_, corrupt["ListSessions"] = w.store.ListSessions(ctx, "alice", now)
			_, corrupt["CreateSession"] = w.store.CreateSession(ctx, paseto.SessionRecord{ID: "n1", Subject: "alice", Current: "h", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
			_, corrupt["CreateSession capped"] = w.store.CreateSession(ctx, paseto.SessionRecord{ID: "n2", Subject: "alice", Current: "h", CreatedAt: now, ExpiresAt: now.Add(time.Hour), MaxSessions: 3})
			_, corrupt["Rotate"] = w.auth.Refresh(ctx, p.RefreshToken)
			for op, err := range corrupt {
				if !errors.Is(err, paseto.ErrStoreCorrupt) {
					t.Errorf("%s: %v, want ErrStoreCorrupt", op, err)
				}
			}
			if after := dump(t, client, prefix); after != snapshot {
				t.Fatal("a call refused as corrupt wrote")
			}
			if ended, err := w.store.RevokeOtherSessions(ctx, "alice", "", now); err != nil || ended != nil {
				t.Fatalf("RevokeOtherSessions: %v, %v; want success", ended, err)
			}
			if ended, err := w.store.RevokeSession(ctx, "alice", p.Access.Session, now); err != nil || ended {
				t.Fatalf("RevokeSession: %v, %v; want success, not live", ended, err)
			}
			if err := w.auth.RevokeSubject(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			w.dead("after the repair", paseto.ErrRevoked, p)
			q := w.login("alice")
			if _, err := w.auth.VerifyAccess(ctx, q.AccessToken); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestUpgradeFromGenerations: sessions written by the previous version of
// the store (a generation key, no index) are not live, and read as such,
// never as corrupt: upgrading logs everyone out, and nothing fails.
func TestUpgradeFromGenerations(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	w := newWorld(t, client, redisstore.Config{Prefix: prefix, LosslessPersistence: true}, nil)
	tag := prefix + "{" + tagOf("alice") + "}:"
	now := w.clock.Now()
	gen := "AAAAAAAAAAAAAAAAAAAAAA"
	if err := client.Set(ctx, tag+"g", gen, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.HSet(ctx, tag+"s:old", "subject", "alice", "gen", gen, "run", "", "current", "h0", "previous", "",
		"rotated_at", "0", "expires_at", strconv.FormatInt(now.Add(time.Hour).UnixNano(), 10), "last_used", "0",
		"idle_ns", "0", "revoked", "0", "reused_by", "").Err(); err != nil {
		t.Fatal(err)
	}
	if live, err := w.store.SessionLive(ctx, "alice", "old", now); live || err != nil {
		t.Fatalf("SessionLive of an old session: %v, %v; want false, nil", live, err)
	}
	if _, err := w.store.Rotate(ctx, paseto.Rotation{Subject: "alice", Session: "old", Presented: "h0", Successor: "h1", Now: now}); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("Rotate of an old session: %v, want ErrRevoked", err)
	}
	p := w.login("alice") // the index now exists, without the old session
	for _, capped := range []int{0, 5} {
		if _, err := w.store.CreateSession(ctx, paseto.SessionRecord{ID: "new" + strconv.Itoa(capped), Subject: "alice", Current: "h",
			CreatedAt: now, ExpiresAt: now.Add(time.Hour), MaxSessions: capped}); err != nil {
			t.Fatalf("login beside an old session (cap %d): %v", capped, err)
		}
	}
	if live, err := w.store.SessionLive(ctx, "alice", "old", now); live || err != nil {
		t.Fatalf("SessionLive of an old session: %v, %v; want false, nil", live, err)
	}
	list, err := w.store.ListSessions(ctx, "alice", now)
	if err != nil || len(list) != 3 {
		t.Fatalf("ListSessions: %d, %v; want the 3 new sessions", len(list), err)
	}
	if ended, err := w.store.RevokeOtherSessions(ctx, "alice", p.Access.Session, now); err != nil || len(ended) != 2 {
		t.Fatalf("RevokeOtherSessions: %v, %v", ended, err)
	}
	if ended, err := w.store.RevokeSession(ctx, "alice", "old", now); err != nil || ended {
		t.Fatalf("RevokeSession of an old session: %v, %v; want false, nil", ended, err)
	}
	// The old layout's hash ("s:", long field names) is not this
	// version's session key ("h:"): it is left to expire.
	if client.Exists(ctx, tag+"h:old").Val() != 0 {
		t.Fatal("a session hash appeared for the old session")
	}
	// "Log out everywhere" also deletes the earlier version's generation,
	// so that an earlier instance on the same prefix sees it too.
	if err := w.store.RevokeSubject(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if n := client.Exists(ctx, tag+"g", tag+"i").Val(); n != 0 {
		t.Fatalf("%d of the generation and the index survive RevokeSubject", n)
	}
}

// raceHook changes the index from another client just before the store's
// EVALSHA reaches Redis, a bounded number of times: between the store's
// read of the index and its script.
type raceHook struct {
	admin *redis.Client
	index string
	left  atomic.Int64
	n     atomic.Int64
}

func (h *raceHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *raceHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if name := cmd.Name(); (name == "evalsha" || name == "eval") && h.left.Add(-1) >= 0 {
			i := h.n.Add(1)
			h.admin.ZAdd(ctx, h.index, redis.Z{Score: float64(time.Now().Add(time.Hour).UnixMilli()), Member: "intruder-" + strconv.FormatInt(i, 10)})
		}
		return next(ctx, cmd)
	}
}
func (h *raceHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestIndexChangedBetweenPhases: a capped login and RevokeOtherSessions
// read the index, then run their script with its members' keys. When the
// index changed in between, the login's script writes nothing and it
// tries again with the members it found, a bounded number of times, and
// then fails (503) with nothing written; RevokeOtherSessions ends what it
// read and leaves what joined since, in one pass.
func TestIndexChangedBetweenPhases(t *testing.T) {
	srv := startServer(t)
	admin := srv.client(t)
	for _, tc := range []struct {
		races   int64
		succeed bool
	}{{1, true}, {3, true}, {1000, false}} {
		t.Run(fmt.Sprintf("races=%d", tc.races), func(t *testing.T) {
			prefix := srv.uniquePrefix(t)
			client := srv.client(t)
			hook := &raceHook{admin: admin, index: prefix + "{" + tagOf("alice") + "}:i"}
			client.AddHook(hook)
			w := newWorld(t, client, redisstore.Config{Prefix: prefix}, func(c *paseto.Config) { c.MaxSessions = 2 })
			first := w.login("alice")
			w.clock.Advance(time.Second) // the oldest by creation, not by a random ID
			second := w.login("alice")
			snapshot := dump(t, admin, prefix)
			hook.left.Store(tc.races)
			p, err := w.auth.Login(ctx, "alice", paseto.LoginOptions{})
			if !tc.succeed {
				if !errors.Is(err, paseto.ErrStoreUnavailable) {
					t.Fatalf("login with the index changing every time: %v, want ErrStoreUnavailable", err)
				}
				if n := hook.n.Load(); n > 10 {
					t.Fatalf("%d attempts: not bounded", n)
				}
				// Only the intruders the hook added changed.
				for i := range hook.n.Load() {
					admin.ZRem(ctx, hook.index, "intruder-"+strconv.FormatInt(i+1, 10))
				}
				if after := dump(t, admin, prefix); after != snapshot {
					t.Fatal("a login that gave up wrote")
				}
				w.refresh(first.RefreshToken)
				// RevokeOtherSessions needs one pass whatever the logins
				// racing it: it ends what it read, and leaves what joined
				// the index after it read (sessions created after the call
				// began), so a login flood cannot starve it.
				hook.left.Store(1000)
				if n, err := w.auth.RevokeOtherSessions(ctx, "alice", ""); err != nil || n != 2 {
					t.Fatalf("RevokeOtherSessions with the index changing every time: %d, %v; want the 2 sessions", n, err)
				}
				hook.left.Store(0)
				w.dead("after revoke others", paseto.ErrRevoked, first, second)
				last := "intruder-" + strconv.FormatInt(hook.n.Load(), 10)
				if _, err := admin.ZScore(ctx, hook.index, last).Result(); err != nil {
					t.Fatalf("the member added during the call: %v, want it kept", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("login after %d race(s): %v", tc.races, err)
			}
			if n := hook.n.Load(); n != tc.races {
				t.Fatalf("hook ran %d times, want %d", n, tc.races)
			}
			// The intruders have no hash: not live, dropped, not counted;
			// the oldest real session made room.
			w.dead("oldest", paseto.ErrRevoked, first)
			if got, want := members(t, admin, prefix, "alice"), sorted(second, p); !slices.Equal(got, want) {
				t.Fatalf("index %v, want %v", got, want)
			}
			hook.left.Store(tc.races)
			if n, err := w.auth.RevokeOtherSessions(ctx, "alice", p.Access.Session); err != nil || n != 1 {
				t.Fatalf("RevokeOtherSessions after %d race(s): %d, %v", tc.races, n, err)
			}
			w.dead("other", paseto.ErrRevoked, second)
		})
	}
}

// TestConcurrentCapLogins: many logins of one subject at once, through
// two instances, with MaxSessions k: at most k sessions are live after,
// the index holds no more than k members, and every live session is
// listed.
func TestConcurrentCapLogins(t *testing.T) {
	srv := startServer(t)
	admin := srv.client(t)
	const k, n = 3, 48
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("refuse=%v", refuse), func(t *testing.T) {
			prefix := srv.uniquePrefix(t)
			in := newInstances(t, srv.client(t), srv.client(t), redisstore.Config{Prefix: prefix}, func(c *paseto.Config) {
				c.MaxSessions = k
				if refuse {
					c.AtMaxSessions = paseto.RefuseNewSession
				}
			})
			var (
				wg              sync.WaitGroup
				mu              sync.Mutex
				pairs           []*paseto.TokenPair
				limited, busy   int
				start           = make(chan struct{})
				unexpectedError error
			)
			for i := range n {
				wg.Go(func() {
					<-start
					p, err := in.auths[i%2].Login(ctx, "alice", paseto.LoginOptions{Device: realisticDevice})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						pairs = append(pairs, p)
					case refuse && errors.Is(err, paseto.ErrSessionLimit):
						limited++
					case errors.Is(err, paseto.ErrStoreUnavailable):
						busy++
					default:
						unexpectedError = err
					}
				})
			}
			close(start)
			wg.Wait()
			if unexpectedError != nil {
				t.Fatal(unexpectedError)
			}
			t.Logf("%d logins: %d succeeded, %d refused at the cap, %d gave up under contention", n, len(pairs), limited, busy)
			var live []*paseto.TokenPair
			for _, p := range pairs {
				if _, err := in.auths[0].VerifyAccess(ctx, p.AccessToken); err == nil {
					live = append(live, p)
				}
			}
			if len(live) > k || len(live) == 0 {
				t.Fatalf("%d live sessions, want 1..%d", len(live), k)
			}
			if refuse && len(pairs) > k {
				t.Fatalf("%d logins succeeded, want at most %d", len(pairs), k)
			}
			if m := members(t, admin, prefix, "alice"); len(m) > k {
				t.Fatalf("index holds %d members, want at most %d", len(m), k)
			}
			for i := range 2 {
				if got, want := in.listed(t, i, "alice"), sorted(live...); !slices.Equal(got, want) {
					t.Fatalf("instance %d lists %v, live %v", i, got, want)
				}
			}
		})
	}
}

// TestIndexTTLAndPruning: the index outlives every session it lists, and
// a login drops the members whose absolute end has passed.
func TestIndexTTLAndPruning(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	clock := storetest.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	store := newStore(t, client, redisstore.Config{Prefix: prefix, Clock: clock.Now})
	create := func(sid string, life time.Duration) {
		t.Helper()
		now := clock.Now()
		if _, err := store.CreateSession(ctx, paseto.SessionRecord{ID: sid, Subject: "alice", Current: "h",
			CreatedAt: now, ExpiresAt: now.Add(life)}); err != nil {
			t.Fatal(err)
		}
	}
	index := prefix + "{" + tagOf("alice") + "}:i"
	pttl := func(k string) time.Duration { t.Helper(); return client.PTTL(ctx, k).Val() }
	create("long", 48*time.Hour)
	create("short", time.Hour)
	// The index first: it is read no later than the hash.
	if idx, long := pttl(index), pttl(prefix+"{"+tagOf("alice")+"}:h:long"); idx < long || long < 47*time.Hour {
		t.Fatalf("index TTL %v, longest session's %v", idx, long)
	}
	clock.Advance(time.Hour)
	create("later", time.Hour)
	if got, want := members(t, client, prefix, "alice"), []string{"later", "long"}; !slices.Equal(got, want) {
		t.Fatalf("index %v, want %v: the session that ended is pruned", got, want)
	}
	score := client.ZScore(ctx, index, "later").Val()
	if want := float64(clock.Now().Add(time.Hour).UnixMilli()); score != want {
		t.Fatalf("score %v, want the absolute end in ms %v", score, want)
	}
}

// TestListSessionsRecord: the listing round trip (two: ZRANGE, then one
// pipeline of HMGET) and the device it returns, a 256-byte user agent of
// multi-byte characters included, which leaves the session hash a compact
// listpack.
func TestListSessionsRecord(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	hook := &countHook{}
	client.AddHook(hook)
	prefix := srv.uniquePrefix(t)
	store := newStore(t, client, redisstore.Config{Prefix: prefix})
	redisstore.SetIdentityClock(store, storetest.NewClock(time.Now()).Now)
	auth := newAuth(t, store, time.Now, func(c *paseto.Config) { c.KeepIP = paseto.IPFull })
	long := paseto.Device{UserAgent: strings.Repeat("é", paseto.MaxUserAgentBytes/2), IP: "2001:db8:85a3::8a2e:370:7334", Label: strings.Repeat("x", paseto.MaxLabelBytes)}
	var sids []string
	for _, d := range []paseto.Device{long, realisticDevice, {}} {
		p, err := auth.Login(ctx, "alice", paseto.LoginOptions{Device: d})
		if err != nil {
			t.Fatal(err)
		}
		sids = append(sids, p.Access.Session)
		key := prefix + "{" + tagOf("alice") + "}:h:" + p.Access.Session
		if enc := client.ObjectEncoding(ctx, key).Val(); enc != "listpack" && enc != "ziplist" {
			t.Errorf("session hash with device %q is a %s", d.UserAgent, enc)
		}
	}
	trips := hook.trips.Load()
	list, err := auth.ListSessions(ctx, "alice", sids[0])
	if err != nil {
		t.Fatal(err)
	}
	if n := hook.trips.Load() - trips; n != 2 {
		t.Fatalf("ListSessions made %d round trips, want 2", n)
	}
	if len(list) != 3 {
		t.Fatalf("listed %d sessions", len(list))
	}
	for _, s := range list {
		if s.ID == sids[0] && (s.Device != long || !s.Current) {
			t.Fatalf("listed %+v, want device %+v", s, long)
		}
		if s.ID == sids[1] && s.Device != realisticDevice {
			t.Fatalf("listed %+v, want device %+v", s, realisticDevice)
		}
	}
	// Longer fields than Auth lets through are refused by the store.
	now := time.Now()
	if _, err := store.CreateSession(ctx, paseto.SessionRecord{ID: "x", Subject: "alice", Current: "h", CreatedAt: now,
		ExpiresAt: now.Add(time.Hour), Device: paseto.Device{UserAgent: strings.Repeat("a", 257)}}); err == nil {
		t.Fatal("a 257-byte user agent was stored")
	}
}

// TestUpgradeFromLongFields: a session of the previous index layout (its
// hash under "s:" with long field names, its sid in the index) is not
// live and reads as such, never as corrupt; revoking it, listing, the
// session cap and "sign out the others" all work beside it. Upgrading
// logs everyone out, and nothing fails.
func TestUpgradeFromLongFields(t *testing.T) {
	srv := startServer(t)
	client := srv.client(t)
	prefix := srv.uniquePrefix(t)
	w := newWorld(t, client, redisstore.Config{Prefix: prefix}, nil)
	p := w.login("alice") // the index exists
	tag := prefix + "{" + tagOf("alice") + "}:"
	now := w.clock.Now()
	end := now.Add(time.Hour)
	if err := client.HSet(ctx, tag+"s:old", "subject", "alice", "run", serverRun(t, client), "current", "h0", "previous", "",
		"rotated_at", "0", "expires_at", strconv.FormatInt(end.UnixNano(), 10), "last_used", "0",
		"idle_ns", "0", "revoked", "0", "reused_by", "", "created_at", "0", "ua", "", "ua1", "", "ua2", "", "ua3", "",
		"ip", "", "label", "").Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.ZAdd(ctx, tag+"i", redis.Z{Score: float64(end.UnixMilli()), Member: "old"}).Err(); err != nil {
		t.Fatal(err)
	}
	if live, err := w.store.SessionLive(ctx, "alice", "old", now); live || err != nil {
		t.Fatalf("SessionLive of an old session: %v, %v; want false, nil", live, err)
	}
	if _, err := w.store.Rotate(ctx, paseto.Rotation{Subject: "alice", Session: "old", Presented: "h0", Successor: "h1", Now: now}); !errors.Is(err, paseto.ErrRevoked) {
		t.Fatalf("Rotate of an old session: %v, want ErrRevoked", err)
	}
	if _, err := w.store.CreateSession(ctx, paseto.SessionRecord{ID: "capped", Subject: "alice", Current: "h",
		CreatedAt: now, ExpiresAt: end, MaxSessions: 5}); err != nil {
		t.Fatalf("login under a cap beside an old session: %v", err)
	}
	list, err := w.store.ListSessions(ctx, "alice", now)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListSessions: %v, %v; want the 2 new sessions", list, err)
	}
	if ended, err := w.store.RevokeOtherSessions(ctx, "alice", p.Access.Session, now); err != nil || !slices.Equal(ended, []string{"capped"}) {
		t.Fatalf("RevokeOtherSessions: %v, %v; want [capped]", ended, err)
	}
	if live, err := w.store.SessionLive(ctx, "alice", p.Access.Session, now); !live || err != nil {
		t.Fatalf("SessionLive of the kept new session: %v, %v", live, err)
	}
}
