package redisstore

import "time"

// SetIdentityClock makes s time the age of the server identity it holds
// (IdentityMaxAge) with now, so that tests move it with a fake clock
// rather than sleep. Call it before s is used.
func SetIdentityClock(s *Store, now func() time.Time) { s.server.now = now }
