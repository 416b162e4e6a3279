// Package pasetotest is a testing kit for applications that use
// pasetoauth: it builds a ready [paseto.Auth] and [paseto.Guard] on
// throwaway keys, a settable clock and a memory store, mints the tokens a
// test needs, puts them on requests, and breaks the store on demand. It
// works with every framework's way of testing handlers (httptest and an
// engine for gin and net/http, e.NewContext for echo, app.Test for
// fiber), because the app under test runs on the real Guard through its
// real adapter: nothing is mocked.
//
// # The kit
//
// [New] returns a [Kit]: Auth and Guard, built as the [Config] say (a
// func(*paseto.Config) and a func(*paseto.GuardConfig) adjust them as the
// application's main would), its [Clock] and its [FaultyStore]. Keys are
// new random ones for every kit, or derived from [Config.Seed]; they are
// test keys, never shipped. [Kit.Events] lists the security events the
// Auth emitted.
//
// # Tokens
//
// [Kit.AccessToken] mints an access token for a subject, tied to a live
// session in the kit's store, so the real verifier accepts it. Options
// choose its [Scopes], custom claims ([Claim]), freshness ([NotFresh],
// [AuthTime]), issue time ([IssuedAt]) and [Lifetime], or ask for a token
// that must be refused: [Expired], [NotYetValid]. No helper mints a token
// the verifier would refuse unless the test asks for one. [Kit.Login]
// starts a session as the application's login does and returns the token
// pair, refresh token included.
//
// # Requests
//
// [Bearer] puts a token in a request's Authorization header.
// [Kit.CookieLogin] logs in with the Guard's cookies and returns a
// [CookieSession], whose [CookieSession.Apply] adds the cookies and the
// CSRF header to a request as a browser's page would, and whose
// [CookieSession.Update] takes in the cookies a response sets (a
// refresh, a logout).
//
// # Time
//
// Auth, Guard and the default store read the kit's [Clock]: a test moves
// it with Advance to expire a token, end an idle session or leave a
// freshness window, and never sleeps.
//
// # Store faults
//
// [FaultyStore] wraps any [paseto.Store] (the kit's Store is one): per
// operation ([Op]) or for all, it makes calls fail as [Unavailable],
// [Hang] until their deadline, or return [Corrupt] records, and it counts
// calls, so that a test can check what its app answers when the store is
// down (503 with Retry-After) or that a request never reached the store.
// The kit's own calls (its logins and minted tokens) are neither failed
// nor counted.
package pasetotest
