package main

import (
	"bufio"
	"io"
	"strings"
)

// What the rows are. Names here are definitions (which rows a ratio
// divides), never measurements: every figure comes from the raw output.

// groups, in report order, with a heading each.
var groups = []struct{ bench, title string }{
	{"BenchmarkFloor", "Floor: the raw primitives on one access token's bytes"},
	{"BenchmarkToken", "One token, verified as a string"},
	{"BenchmarkGin", "gin: protected GET"},
	{"BenchmarkEcho", "echo v4: protected GET"},
	{"BenchmarkEchoV5", "echo v5: protected GET"},
	{"BenchmarkFiber", "fiber v2: protected GET"},
	{"BenchmarkFiberV3", "fiber v3: protected GET"},
	{"BenchmarkHTTP", "net/http: protected GET"},
	{"BenchmarkGRPC", "gRPC and Connect: one unary call through the server interceptor"},
}

// peers maps the prefix of a row's leaf name, within one benchmark (bench;
// "" for any), to the modules it measures. The framework benchmarks of two
// majors name their peer rows alike (echo-jwt.HS256 under BenchmarkEcho and
// BenchmarkEchoV5), so those entries name their benchmark.
var peers = []struct {
	bench, prefix, what string
	modules             []string
}{
	{"", "go-paseto", "aidanwoods.dev/go-paseto, NewParser() (its default exp rule)", []string{"aidanwoods.dev/go-paseto"}},
	{"", "golang-jwt", "golang-jwt/jwt v5, Parse into MapClaims", []string{"github.com/golang-jwt/jwt/v5"}},
	{"BenchmarkGin", "gin-jwt", "appleboy/gin-jwt, defaults (header lookup, MapClaims)", []string{"github.com/appleboy/gin-jwt/v3"}},
	{"BenchmarkEcho", "echo-jwt", "labstack/echo-jwt, defaults (header lookup, MapClaims)", []string{"github.com/labstack/echo-jwt/v4"}},
	{"BenchmarkEchoV5", "echo-jwt", "labstack/echo-jwt/v5, defaults (header lookup, MapClaims)", []string{"github.com/labstack/echo-jwt/v5"}},
	{"BenchmarkFiber", "contrib-jwt", "gofiber/contrib jwt, defaults (header lookup, MapClaims)", []string{"github.com/gofiber/contrib/jwt"}},
	{"BenchmarkFiber", "contrib-paseto", "gofiber/contrib paseto: PASETO v2 via o1egl/paseto, default validator", []string{"github.com/gofiber/contrib/paseto", "github.com/o1egl/paseto"}},
	{"BenchmarkFiberV3", "contrib-jwt", "gofiber/contrib/v3 jwt, defaults (header lookup, MapClaims)", []string{"github.com/gofiber/contrib/v3/jwt"}},
	{"BenchmarkFiberV3", "contrib-paseto", "gofiber/contrib/v3 paseto: PASETO v2 via o1egl/paseto, default validator", []string{"github.com/gofiber/contrib/v3/paseto"}},
	{"BenchmarkHTTP", "jwtauth", "go-chi/jwtauth: Verifier + Authenticator, on lestrrat-go/jwx", []string{"github.com/go-chi/jwtauth/v5", "github.com/lestrrat-go/jwx/v2"}},
	{"BenchmarkGRPC", "grpc-middleware-auth", "go-grpc-middleware/v2 auth interceptor, AuthFunc parsing the JWT with golang-jwt/jwt v5", []string{"github.com/grpc-ecosystem/go-grpc-middleware/v2", "github.com/golang-jwt/jwt/v5"}},
}

// frameworks are listed with the peers' versions.
var frameworks = []string{
	"github.com/gin-gonic/gin", "github.com/labstack/echo/v4", "github.com/labstack/echo/v5",
	"github.com/gofiber/fiber/v2", "github.com/gofiber/fiber/v3",
	"github.com/valyala/fasthttp", "golang.org/x/crypto",
	"google.golang.org/grpc", "connectrpc.com/connect",
}

// kind classifies a row for the chart's colours.
func kind(name string) string {
	l := leaf(name)
	switch {
	case group(name) == "BenchmarkFloor":
		return "floor"
	case l == "bare":
		return "bare"
	case strings.HasSuffix(l, "+cache"):
		return "ours-cached"
	case strings.HasPrefix(l, "v4.local/pasetoauth"), strings.HasPrefix(l, "v4.public/pasetoauth"),
		strings.Contains(l, "paseto.v4."):
		return "ours"
	default:
		return "peer"
	}
}

// A ratio divides one row's median by another's, or bounds one row's
// figure; max is the target (0: reported, no target).
type ratio struct {
	label    string
	num, den string // row names; den "" bounds num's metric by max
	metric   string // "ns" or "allocs"
	max      float64
	strict   bool // the target is < max rather than ≤ max
}

// adapters are our adapters and their peers' rows, by benchmark; peerMod,
// when set, is added to the labels to tell which major of the peer the rows
// measure.
var adapters = []struct{ bench, ours, peerHS, peerEd, peerPaseto, peerMod string }{
	{"BenchmarkGin", "ginpaseto", "gin-jwt.HS256", "", "", ""},
	{"BenchmarkEcho", "echopaseto", "echo-jwt.HS256", "echo-jwt.EdDSA", "", ""},
	{"BenchmarkEchoV5", "echov5paseto", "echo-jwt.HS256", "echo-jwt.EdDSA", "", "echo-jwt/v5"},
	{"BenchmarkFiber", "fiberpaseto", "contrib-jwt.HS256", "contrib-jwt.EdDSA", "contrib-paseto.v2", ""},
	{"BenchmarkFiberV3", "fiberv3paseto", "contrib-jwt.HS256", "contrib-jwt.EdDSA", "contrib-paseto.v2", "contrib/v3"},
	{"BenchmarkHTTP", "httppaseto", "jwtauth.HS256", "jwtauth.EdDSA", "", ""},
	{"BenchmarkGRPC", "grpcpaseto", "grpc-middleware-auth.HS256", "grpc-middleware-auth.EdDSA", "", ""},
}

// peerLabel names a peer row in a ratio's label, with the peer's major when
// the adapter has one.
func peerLabel(row, mod string) string {
	if mod == "" {
		return row
	}
	return row + " (" + mod + ")"
}

// targets are the numbers to aim at, which the "Targets" table of
// docs/benchmarks.md reports.
func targets() []ratio {
	t := []ratio{
		{label: "v4.local Verifier ÷ go-paseto ParseV4Local", metric: "ns", max: 1.10,
			num: "BenchmarkToken/v4.local/pasetoauth", den: "BenchmarkToken/v4.local/go-paseto.ParseV4Local"},
		{label: "v4.public Verifier ÷ go-paseto ParseV4Public", metric: "ns", max: 1.05,
			num: "BenchmarkToken/v4.public/pasetoauth", den: "BenchmarkToken/v4.public/go-paseto.ParseV4Public"},
	}
	for _, p := range []string{"v4.local", "v4.public"} {
		row := "BenchmarkToken/" + p + "/pasetoauth+cache"
		t = append(t,
			ratio{label: "cached " + p + " verify, ns/op", num: row, metric: "ns", max: 1000, strict: true},
			ratio{label: "cached " + p + " verify, allocs/op", num: row, metric: "allocs", max: 2})
	}
	for _, a := range adapters {
		for _, p := range []string{"v4.local", "v4.public"} {
			t = append(t, ratio{
				label: a.ours + " " + p + " +cache ÷ " + peerLabel(a.peerHS, a.peerMod), metric: "ns", max: 1.0,
				num: a.bench + "/" + a.ours + "." + p + "+cache", den: a.bench + "/" + a.peerHS,
			})
		}
	}
	return t
}

// informational ratios: reported as measured, no target.
func informational() []ratio {
	var t []ratio
	for _, a := range adapters {
		for _, p := range []string{"v4.local", "v4.public"} {
			t = append(t, ratio{label: a.ours + " " + p + " (no cache) ÷ " + peerLabel(a.peerHS, a.peerMod), metric: "ns",
				num: a.bench + "/" + a.ours + "." + p, den: a.bench + "/" + a.peerHS})
		}
		if a.peerEd != "" {
			t = append(t, ratio{label: a.ours + " v4.public (no cache) ÷ " + peerLabel(a.peerEd, a.peerMod), metric: "ns",
				num: a.bench + "/" + a.ours + ".v4.public", den: a.bench + "/" + a.peerEd})
		}
		if a.peerPaseto != "" {
			for _, p := range []string{"local", "public"} {
				t = append(t, ratio{label: a.ours + " v4." + p + " (no cache) ÷ " + peerLabel(a.peerPaseto+"."+p, a.peerMod), metric: "ns",
					num: a.bench + "/" + a.ours + ".v4." + p, den: a.bench + "/" + a.peerPaseto + "." + p})
			}
		}
	}
	t = append(t,
		ratio{label: "v4.local Verifier ÷ floor (XChaCha20 + BLAKE2b)", metric: "ns",
			num: "BenchmarkToken/v4.local/pasetoauth", den: "BenchmarkFloor/xchacha20+blake2b"},
		ratio{label: "v4.public Verifier ÷ floor (Ed25519)", metric: "ns",
			num: "BenchmarkToken/v4.public/pasetoauth", den: "BenchmarkFloor/ed25519.Verify"},
		ratio{label: "v4.local Verifier ÷ golang-jwt HS256", metric: "ns",
			num: "BenchmarkToken/v4.local/pasetoauth", den: "BenchmarkToken/jwt/golang-jwt.HS256"},
		ratio{label: "v4.public Verifier ÷ golang-jwt EdDSA", metric: "ns",
			num: "BenchmarkToken/v4.public/pasetoauth", den: "BenchmarkToken/jwt/golang-jwt.EdDSA"},
	)
	return t
}

// moduleVersions reads the require lines of a go.mod.
func moduleVersions(in io.Reader) map[string]string {
	v := map[string]string{}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "require "))
		if len(f) >= 2 && strings.Contains(f[0], ".") && strings.HasPrefix(f[1], "v") {
			v[f[0]] = f[1]
		}
	}
	return v
}
