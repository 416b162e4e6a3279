package paseto_test

import (
	"context"
	"testing"
	"time"

	gopaseto "aidanwoods.dev/go-paseto"

	"github.com/pasetoauth/pasetoauth/paseto"
)

// The benchmarks put this package next to bare go-paseto on the same token
// (go-paseto parses our tokens: they are plain PASETO v4), so the ratio is
// measured in one run. Run with -benchmem.

type benchKeys struct {
	sym      paseto.SymmetricKey
	sk       paseto.SecretKey
	local    *paseto.KeyRing
	public   *paseto.KeyRing
	localTok string
	pubTok   string
}

func newBenchKeys(b *testing.B) benchKeys {
	k := benchKeys{sym: paseto.GenerateSymmetricKey(), sk: paseto.GenerateSecretKey()}
	var err error
	if k.local, err = paseto.NewLocalKeyRing(k.sym); err != nil {
		b.Fatal(err)
	}
	if k.public, err = paseto.NewPublicKeyRing(k.sk); err != nil {
		b.Fatal(err)
	}
	tpl := paseto.Template{Subject: benchSubject, Fresh: true, Session: benchSID}
	li, _ := paseto.NewIssuer(k.local, paseto.TypeAccess, paseto.IssuerConfig{Issuer: "https://api.example.com"})
	pi, _ := paseto.NewIssuer(k.public, paseto.TypeAccess, paseto.IssuerConfig{Issuer: "https://api.example.com"})
	k.localTok, _, _ = li.Issue(tpl)
	k.pubTok, _, _ = pi.Issue(tpl)
	return k
}

// benchSession is the session of the benchmark tokens.
const benchSubject, benchSID = "user-1234", "s-AAAAAAAAAAAAAAAAAAAAAA"

// newBenchStore returns a memory store in which the benchmark tokens'
// session is live.
func newBenchStore(b *testing.B) *paseto.MemoryStore {
	store := paseto.NewMemoryStore(paseto.MemoryStoreConfig{})
	now := time.Now()
	_, err := store.CreateSession(context.Background(), paseto.SessionRecord{
		ID: benchSID, Subject: benchSubject, Current: "h", CreatedAt: now, ExpiresAt: now.Add(time.Hour),
	})
	if err != nil {
		b.Fatal(err)
	}
	return store
}

func BenchmarkVerify(b *testing.B) {
	k := newBenchKeys(b)
	ctx := context.Background()
	gk, _ := gopaseto.V4SymmetricKeyFromBytes(k.sym.Bytes())
	gp, _ := gopaseto.NewV4AsymmetricPublicKeyFromBytes(k.sk.Public().Bytes())
	lv, _ := paseto.NewVerifier(k.local, paseto.TypeAccess, paseto.VerifierConfig{Issuer: "https://api.example.com"})
	pv, _ := paseto.NewVerifier(k.public, paseto.TypeAccess, paseto.VerifierConfig{Issuer: "https://api.example.com"})
	store := newBenchStore(b)
	lvr, _ := paseto.NewVerifier(k.local, paseto.TypeAccess, paseto.VerifierConfig{Issuer: "https://api.example.com", Sessions: store})
	pvr, _ := paseto.NewVerifier(k.public, paseto.TypeAccess, paseto.VerifierConfig{Issuer: "https://api.example.com", Sessions: store})

	// go-paseto's usual parser: NotExpired plus the issuer rule, as close to
	// our checks as it offers.
	gparser := gopaseto.NewParser()
	gparser.AddRule(gopaseto.IssuedBy("https://api.example.com"), gopaseto.NotBeforeNbf())

	b.Run("v4.local/go-paseto", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gparser.ParseV4Local(gk, k.localTok, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("v4.local/pasetoauth", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := lv.Verify(ctx, k.localTok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("v4.local/pasetoauth+memory-session", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := lvr.Verify(ctx, k.localTok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("v4.public/go-paseto", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gparser.ParseV4Public(gp, k.pubTok, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("v4.public/pasetoauth", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pv.Verify(ctx, k.pubTok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("v4.public/pasetoauth+memory-session", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pvr.Verify(ctx, k.pubTok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkIssue(b *testing.B) {
	k := newBenchKeys(b)
	gk, _ := gopaseto.V4SymmetricKeyFromBytes(k.sym.Bytes())
	gs, _ := gopaseto.NewV4AsymmetricSecretKeyFromBytes(k.sk.Bytes())
	li, _ := paseto.NewIssuer(k.local, paseto.TypeAccess, paseto.IssuerConfig{Issuer: "https://api.example.com"})
	pi, _ := paseto.NewIssuer(k.public, paseto.TypeAccess, paseto.IssuerConfig{Issuer: "https://api.example.com"})
	tpl := paseto.Template{Subject: benchSubject, Fresh: true, Session: benchSID}
	footer := []byte(`{"kid":"` + k.local.CurrentID() + `"}`)
	goToken := func() gopaseto.Token {
		now := time.Now()
		t := gopaseto.NewToken()
		t.SetIssuer("https://api.example.com")
		t.SetSubject("user-1234")
		t.SetJti("AAAAAAAAAAAAAAAAAAAAAA")
		t.SetString("type", "access")
		t.SetString("sid", "s-AAAAAAAAAAAAAAAAAAAAAA")
		_ = t.Set("fresh", true)
		t.SetTime("auth_time", now)
		t.SetIssuedAt(now)
		t.SetNotBefore(now)
		t.SetExpiration(now.Add(15 * time.Minute))
		t.SetFooter(footer)
		return t
	}
	b.Run("v4.local/go-paseto", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t := goToken()
			_ = t.V4Encrypt(gk, nil)
		}
	})
	b.Run("v4.local/pasetoauth", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := li.Issue(tpl); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("v4.public/go-paseto", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t := goToken()
			_ = t.V4Sign(gs, nil)
		}
	})
	b.Run("v4.public/pasetoauth", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := pi.Issue(tpl); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyCached: repeat verification of one token with the cache,
// including the claim checks and an in-memory session check.
func BenchmarkVerifyCached(b *testing.B) {
	k := newBenchKeys(b)
	ctx := context.Background()
	store := newBenchStore(b)
	for _, c := range []struct {
		name  string
		ring  *paseto.KeyRing
		token string
	}{{"v4.local", k.local, k.localTok}, {"v4.public", k.public, k.pubTok}} {
		v, _ := paseto.NewVerifier(c.ring, paseto.TypeAccess, paseto.VerifierConfig{Issuer: "https://api.example.com", Sessions: store, CacheSize: 10_000})
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, c.token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
