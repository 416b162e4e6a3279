// Package paseto issues and verifies PASETO v4 access and refresh tokens for
// web applications, keeps their login sessions, and holds the HTTP policy
// that the framework adapters under adapters/ share. It imports only the
// standard library and golang.org/x.
//
// # Tokens
//
// Keys are typed ([SymmetricKey], [SecretKey], [PublicKey]) and travel as
// PASERK strings ([ParseSymmetricKey], [SymmetricKey.PASERK]); a [KeyRing]
// holds the keys of one purpose for rotation, named in each token's footer
// by key ID. An [Issuer] mints tokens from a [Template]; a [Verifier]
// checks, in this order, the token's shape and size, its footer and key ID,
// the cryptography, the claims ([Claims], strict JSON), the token type, the
// route's [Requirement]s (such as [RequireFresh] and [RequireScopes]) and,
// last, that its session is live ([VerifierConfig.Sessions]).
//
// Only v4.local (XChaCha20 + BLAKE2b) and v4.public (Ed25519) are supported,
// and each Verifier accepts exactly one of them, chosen by its KeyRing. The
// construction runs on the standard library's and golang.org/x/crypto's
// primitives and is checked against the official test vectors and, in both
// directions, against aidanwoods.dev/go-paseto (docs/security.md says why
// go-paseto is the tests' oracle rather than the run-time parser).
//
// # Published keys and rotation
//
// A v4.public issuer publishes its access ring's public keys as a
// [KeySet] at [KeySetPath] ([Guard.KeySet]), each current, upcoming
// ([KeyRing.WithUpcoming]) or retiring. Rings are swapped at run time with
// [Auth.SetAccessKeys] (or [Verifier.SetKeys]); a [KeySource] feeds a
// verifier whose keys live elsewhere, such as the remotekeys package's
// fetcher of another service's key set ([Config.AccessKeySource]).
// docs/keys.md has the rotation runbook.
//
// # Sessions
//
// [New] builds an [Auth] from a [Config]: [Auth.Login] starts a session and
// returns a fresh access token and a refresh token ([TokenPair]);
// [Auth.Refresh] rotates the refresh token with reuse detection and a grace
// window; [Auth.VerifyAccess] verifies an access token and asks the store
// whether its session is live; [Auth.FreshLogin] gives a fresh access
// token within the same session after the user re-entered credentials;
// [Auth.Logout] and [Auth.RevokeSubject] end sessions. [Config.OnRefresh]
// runs on every refresh and may replace claims, narrow scopes or refuse
// (which ends the session). Security events ([SecurityEvent]) go to the
// logger and to [Config.OnSecurityEvent].
//
// # Devices
//
// A session records when it was created and last refreshed and, at
// login, the [Device] it was opened from (user agent, client IP as far as
// [Config.KeepIP] allows, an application label). [Auth.ListSessions] lists
// a user's live sessions for an "active sessions" page,
// [Auth.RevokeSession] signs one device out and [Auth.RevokeOtherSessions]
// all the others; [Config.MaxSessions] caps sessions per user, ending the
// oldest or refusing the login ([Config.AtMaxSessions]). [Guard.ListSessions],
// [Guard.RevokeSession] and [Guard.RevokeOtherSessions] serve them over
// HTTP.
//
// # Stores
//
// A [Store] keeps sessions and fails closed: a token is accepted only while
// its store positively reports the session live ([SessionChecker]), so a
// lost, evicted or corrupt record ends a session and never revives one.
// Every store call runs under [Config.StoreTimeout]. [MemoryStore] is the
// default, for one process; paseto/redisstore shares sessions between
// instances; paseto/storetest is the conformance suite every store passes.
//
// # HTTP
//
// A [Guard] ([NewGuard], [GuardConfig]) is the policy the adapters
// translate: where tokens are found (the Authorization header, cookies
// with double-submit CSRF protection ([CookieConfig]), the query on routes
// that allow it), what each route demands ([Guard.Required],
// [Guard.FreshRequired], [Guard.RefreshRequired], [Guard.Optional] and the
// [RouteOption]s), the logout and cookie-session endpoints ([Guard.Logout],
// [Guard.LoginWithCookies]) and how every outcome is answered ([Problem],
// [Reply]). Adapters hold no policy of their own.
//
// # RPC
//
// gRPC and Connect services take the same tokens: a [MethodPolicies]
// table gives each full method name its [Policy] (a method it does not
// name gets its default, Required unless said otherwise),
// [Guard.AuthenticateRPC] checks the call's authorization metadata and
// [Guard.RPCProblemFor] maps a refusal to an [RPCCode] with the stable
// code. adapters/grpcpaseto and adapters/connectpaseto translate.
//
// # Errors
//
// Errors are sentinels ([ErrExpired], [ErrRevoked], [ErrStoreUnavailable],
// …) to test with errors.Is; each carries a stable machine code ([Code])
// that [Guard.ProblemFor] puts in response bodies and challenges. A forged
// token is always [ErrInvalid] or [ErrMalformed], never a claim error.
//
// # Observability
//
// An [Auth] logs each [SecurityEvent] and each store failure (rate-limited)
// to [Config.Logger], with stable messages and keys ([LogMsgSecurityEvent],
// [LogMsgStoreFailure], [LogKeyEvent]…). [Config.Observer], when set, is
// told every verification by error code, cache lookup, login, refresh,
// logout, revocation and store call ([Observer], [Operation],
// [OperationEvent]); package paseto/otelpaseto implements it on
// OpenTelemetry. Unset, it costs the verify path nothing.
package paseto
