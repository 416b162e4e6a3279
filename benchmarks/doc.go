// Package benchmarks puts pasetoauth next to the libraries its users would
// otherwise reach for, in one `go test -bench . -benchmem` run, so that every
// ratio in docs/benchmarks.md compares numbers measured on the same machine
// at the same time.
//
// It is a module of its own so that the peers (gin-jwt, echo-jwt v4 and v5,
// gofiber contrib jwt and paseto and their contrib/v3 counterparts,
// go-chi/jwtauth, golang-jwt) never enter the root go.mod. The rows, from
// the floor up:
//
//   - BenchmarkFloor: the raw primitives, Ed25519 verify and XChaCha20 with
//     BLAKE2b, on the bytes of one of our access tokens;
//   - BenchmarkToken: one token verified by bare go-paseto (ParseV4Local,
//     ParseV4Public), by golang-jwt (HS256, EdDSA) and by this library's
//     Verifier, uncached and with a cache (VerifierConfig.CacheSize);
//   - BenchmarkGin, BenchmarkEcho, BenchmarkEchoV5, BenchmarkFiber,
//     BenchmarkFiberV3, BenchmarkHTTP: one protected GET through each
//     framework (echo v4 and v5, fiber v2 and v3), bare, with our adapter
//     (with and without the cache) and with the peer middleware of that
//     framework major. A peer the module proxy does not serve is reported as
//     unavailable, with the reason, rather than approximated.
//
// Every row checks its setup once (status 200, the handler ran and saw the
// token's subject) before timing, and every timed iteration checks that it
// succeeded, so a broken setup cannot report a fast number. TestSetups runs
// the same checks under plain `go test`.
//
// run.sh runs the suite, summarises it with benchstat and regenerates
// docs/benchmarks.md and its chart with cmd/chart.
//
// loadtest.sh is the HTTP load test, a run of its own: wrk against the
// gin, echo and fiber examples built as they ship (memory store, Redis,
// Redis with the live cache) and against cmd/peer, a server per framework
// with its JWT peer middleware answering the same JSON body. It writes
// results/http.md, which run.sh includes in docs/benchmarks.md.
package benchmarks
