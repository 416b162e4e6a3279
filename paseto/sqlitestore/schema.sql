-- The schema of paseto/sqlitestore, version 1. (*Store).Migrate runs this
-- file in one transaction; every statement is idempotent, so running it
-- again changes nothing. Times are unix nanoseconds, durations
-- nanoseconds, both INTEGER; token hashes are the hex SHA-256 digests
-- paseto.Auth computes. No column holds a usable token.

CREATE TABLE IF NOT EXISTS pasetoauth_schema (
  version INTEGER NOT NULL
) STRICT;

-- One row per session (refresh-token family). A session is live while its
-- row exists, revoked = 0, now < expires_at and, when idle_ns > 0,
-- now - last_used <= idle_ns. Logout and "log out everywhere" delete the
-- row; reuse detection keeps it, revoked, until forget_at (a minute), so
-- that a repeat of that refresh answers "reused" again.
CREATE TABLE IF NOT EXISTS pasetoauth_sessions (
  sid        TEXT    NOT NULL PRIMARY KEY,
  subject    TEXT    NOT NULL,
  current    TEXT    NOT NULL,            -- hash of the one valid refresh-token ID; '' once revoked
  previous   TEXT    NOT NULL DEFAULT '', -- hash of the token the last rotation replaced
  rotated_at INTEGER NOT NULL DEFAULT 0,
  wrapped    TEXT    NOT NULL DEFAULT '', -- successor kept for a retry, encrypted for the previous token's holder
  keep_until INTEGER NOT NULL DEFAULT 0,  -- wrapped is handed out up to and including then
  created_at INTEGER NOT NULL,
  last_used  INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  idle_ns    INTEGER NOT NULL,            -- idle timeout; 0 disables it
  revoked    INTEGER NOT NULL DEFAULT 0,  -- 1 after reuse detection
  reused_by  TEXT    NOT NULL DEFAULT '', -- the successor hash of the refresh that detected reuse
  forget_at  INTEGER NOT NULL,            -- the row may be deleted from then on
  user_agent TEXT    NOT NULL DEFAULT '',
  ip         TEXT    NOT NULL DEFAULT '',
  label      TEXT    NOT NULL DEFAULT ''
) STRICT;

-- Listing, capping and revoking a subject's sessions.
CREATE INDEX IF NOT EXISTS pasetoauth_sessions_subject ON pasetoauth_sessions (subject);
-- Deleting dead rows in small batches.
CREATE INDEX IF NOT EXISTS pasetoauth_sessions_forget ON pasetoauth_sessions (forget_at);
-- Dropping kept successors once their grace window is over.
CREATE INDEX IF NOT EXISTS pasetoauth_sessions_kept ON pasetoauth_sessions (keep_until) WHERE wrapped <> '';

INSERT INTO pasetoauth_schema (version) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pasetoauth_schema);
