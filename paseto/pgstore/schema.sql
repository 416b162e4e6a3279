-- Schema of the pasetoauth session store on PostgreSQL (package pgstore),
-- version 1. (*pgstore.Store).Migrate runs this file in one transaction,
-- under a transaction-scoped advisory lock, so that instances migrating at
-- once wait for each other; every statement is idempotent. Every name
-- starts with "pasetoauth_", which Migrate replaces with Options.Prefix.
-- Tables and functions are created in the first schema of the search_path.
--
-- Times are unix nanoseconds (bigint), as the application's clock gives
-- them: every decision on a session uses the instant paseto.Auth passes,
-- never the server's clock, which only enforces the caller's deadline.
-- Token values are never stored: current_hash, previous_hash and reused_by
-- are hashes of refresh-token IDs, and wrapped is the next refresh token
-- encrypted under a key derived from the presented token's ID, which the
-- database does not hold.

CREATE TABLE IF NOT EXISTS pasetoauth_sessions (
  sid           text    NOT NULL PRIMARY KEY,
  subject       text    NOT NULL,
  -- hash of the only valid refresh-token ID; '' once revoked for reuse
  current_hash  text    NOT NULL,
  -- hash of the token current_hash replaced, for the grace window
  previous_hash text    NOT NULL DEFAULT '',
  rotated_at    bigint  NOT NULL DEFAULT 0,
  -- the successor kept for the grace window, and the end of that window
  wrapped       text    NOT NULL DEFAULT '',
  keep_until    bigint  NOT NULL DEFAULT 0,
  created_at    bigint  NOT NULL,
  last_used     bigint  NOT NULL,
  expires_at    bigint  NOT NULL,
  idle_ns       bigint  NOT NULL,
  -- revoked rows are reuse tombstones, kept a minute so that a repeat of
  -- the refresh that detected the reuse answers the same
  revoked       boolean NOT NULL DEFAULT false,
  reused_by     text    NOT NULL DEFAULT '',
  -- when Purge may delete the row: the session's end, or the tombstone's
  purge_at      bigint  NOT NULL,
  user_agent    text    NOT NULL DEFAULT '',
  ip            text    NOT NULL DEFAULT '',
  label         text    NOT NULL DEFAULT '',
  CONSTRAINT pasetoauth_sessions_sane CHECK (
    subject <> '' AND idle_ns >= 0 AND created_at >= 0 AND last_used >= 0
    AND expires_at >= 0 AND (revoked OR current_hash <> ''))
);

-- Listing, "sign out the others" and "log out everywhere" read a subject's
-- sessions through this index, never the whole table.
CREATE INDEX IF NOT EXISTS pasetoauth_sessions_subject ON pasetoauth_sessions (subject);
-- Purge finds dead rows through this one, in batches.
CREATE INDEX IF NOT EXISTS pasetoauth_sessions_purge ON pasetoauth_sessions (purge_at);
-- and the successors kept past their grace window, which it clears.
CREATE INDEX IF NOT EXISTS pasetoauth_sessions_kept ON pasetoauth_sessions (keep_until) WHERE wrapped <> '';

-- Every write is one of the functions below, called as one statement, so
-- it runs in one implicit transaction and one round trip. Each one:
--   * makes its commit wait for the WAL flush (synchronous_commit on, for
--     this transaction only, whatever the connection's setting): an
--     acknowledged logout or rotation survives a crash of the server;
--   * compares the server's clock with the caller's deadline (p_deadline)
--     after its last write, just before the commit, and past it raises
--     SQLSTATE PA001, which rolls back everything it did: a write that
--     reaches the server after its caller gave up never takes effect;
--   * raises SQLSTATE XX001 (data_corrupted) for a row the store could not
--     have written, before it grants anything from it.

-- pasetoauth_late raises PA001 when the deadline has passed.
CREATE OR REPLACE FUNCTION pasetoauth_late(p_deadline timestamptz) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  IF clock_timestamp() >= p_deadline THEN
    RAISE EXCEPTION 'pasetoauth: the call reached the server after its deadline' USING ERRCODE = 'PA001';
  END IF;
END
$fn$;

-- pasetoauth_create records a new session. With p_max > 0 it first counts
-- the subject's live sessions at p_now, holding a transaction-scoped
-- advisory lock on the subject so that concurrent logins of one subject
-- count one after the other: at the cap it deletes the oldest (by
-- created_at, then sid in byte order) until there is room and returns
-- their sids, or, with p_refuse, answers -5 having written nothing.
-- code: 1 created (or this very call repeated), 0 the sid is taken by
-- another session, -5 refused at the cap.
CREATE OR REPLACE FUNCTION pasetoauth_create(
  p_sid text, p_subject text, p_current text, p_created bigint, p_expires bigint,
  p_idle bigint, p_purge bigint, p_ua text, p_ip text, p_label text,
  p_now bigint, p_max integer, p_refuse boolean, p_deadline timestamptz,
  OUT code integer, OUT ended text[])
LANGUAGE plpgsql AS $fn$
DECLARE
  s pasetoauth_sessions%ROWTYPE;
  n integer;
BEGIN
  ended := '{}';
  PERFORM set_config('synchronous_commit', 'on', true);
  PERFORM pasetoauth_late(p_deadline);
  IF p_max > 0 THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('pasetoauth_sessions/' || p_subject, 0));
  END IF;
  SELECT * INTO s FROM pasetoauth_sessions WHERE sid = p_sid;
  IF FOUND THEN
    IF s.subject = p_subject AND s.current_hash = p_current AND NOT s.revoked THEN
      code := 1; -- a repeat of this very call: nothing to do
    ELSE
      code := 0;
    END IF;
    RETURN;
  END IF;
  IF p_max > 0 THEN
    SELECT count(*) INTO n FROM pasetoauth_sessions
      WHERE subject = p_subject AND NOT revoked AND p_now < expires_at
        AND (idle_ns = 0 OR p_now - last_used <= idle_ns);
    IF n + 1 > p_max THEN
      IF p_refuse THEN
        code := -5;
        RETURN;
      END IF;
      WITH victims AS (
        SELECT sid FROM pasetoauth_sessions
          WHERE subject = p_subject AND NOT revoked AND p_now < expires_at
            AND (idle_ns = 0 OR p_now - last_used <= idle_ns)
          ORDER BY created_at, sid COLLATE "C"
          LIMIT n + 1 - p_max),
      gone AS (
        DELETE FROM pasetoauth_sessions t USING victims v WHERE t.sid = v.sid RETURNING t.sid)
      SELECT coalesce(array_agg(sid ORDER BY sid COLLATE "C"), '{}') INTO ended FROM gone;
    END IF;
  END IF;
  INSERT INTO pasetoauth_sessions (sid, subject, current_hash, created_at, last_used,
      expires_at, idle_ns, purge_at, user_agent, ip, label)
    VALUES (p_sid, p_subject, p_current, p_created, p_created, p_expires, p_idle,
      p_purge, p_ua, p_ip, p_label);
  PERFORM pasetoauth_late(p_deadline);
  code := 1;
END
$fn$;

-- pasetoauth_rotate is paseto.Rotation, step for step as
-- paseto.MemoryStore.Rotate, on the session row locked FOR UPDATE: two
-- refreshes of one session, from any number of processes, run one after
-- the other, and the second sees what the first wrote.
-- code: 1 rotated (or this very rotation repeated), 2 retried within the
-- grace window (kept is the successor kept for it), 3 reuse (the session
-- is now revoked), -1 unknown or revoked, or a retry within the grace
-- window whose kept successor is gone (nothing written), -2 expired.
CREATE OR REPLACE FUNCTION pasetoauth_rotate(
  p_sid text, p_subject text, p_presented text, p_successor text, p_wrapped text,
  p_now bigint, p_grace bigint, p_tomb_until bigint, p_deadline timestamptz,
  OUT code integer, OUT kept text)
LANGUAGE plpgsql AS $fn$
DECLARE
  s pasetoauth_sessions%ROWTYPE;
  found_row boolean;
BEGIN
  kept := '';
  PERFORM set_config('synchronous_commit', 'on', true);
  SELECT * INTO s FROM pasetoauth_sessions WHERE sid = p_sid FOR UPDATE;
  found_row := FOUND;
  -- Checked once the row lock is ours: a call that waited for it past its
  -- deadline stops here.
  PERFORM pasetoauth_late(p_deadline);
  -- A NULL anywhere (a NOT NULL constraint dropped by hand) would make the
  -- comparisons below neither true nor false, and skip their refusals.
  IF found_row AND NOT (s IS NOT NULL) THEN
    RAISE EXCEPTION 'pasetoauth: corrupt session row' USING ERRCODE = 'XX001';
  END IF;
  IF NOT found_row OR s.subject <> p_subject THEN
    code := -1;
    RETURN;
  END IF;
  IF s.revoked THEN
    -- Only a repeat of the call that detected the reuse answers it again.
    IF s.reused_by <> '' AND s.reused_by = p_successor THEN code := 3; ELSE code := -1; END IF;
    RETURN;
  END IF;
  IF s.current_hash = '' OR s.idle_ns < 0 THEN
    RAISE EXCEPTION 'pasetoauth: corrupt session row' USING ERRCODE = 'XX001';
  END IF;
  IF p_now >= s.expires_at OR (s.idle_ns > 0 AND p_now - s.last_used > s.idle_ns) THEN
    code := -2;
    RETURN;
  END IF;
  IF p_presented = s.current_hash THEN
    UPDATE pasetoauth_sessions SET
        previous_hash = current_hash, current_hash = p_successor,
        rotated_at = p_now, last_used = p_now,
        wrapped = CASE WHEN p_grace > 0 THEN p_wrapped ELSE '' END,
        keep_until = CASE WHEN p_grace > 0 THEN p_now + p_grace ELSE 0 END,
        purge_at = CASE WHEN idle_ns > 0 AND idle_ns < expires_at - p_now
          THEN p_now + idle_ns ELSE expires_at END
      WHERE sid = p_sid;
    PERFORM pasetoauth_late(p_deadline);
    code := 1;
    RETURN;
  END IF;
  IF s.previous_hash <> '' AND p_presented = s.previous_hash AND p_successor = s.current_hash THEN
    code := 1; -- this very rotation, already applied
    RETURN;
  END IF;
  IF p_grace > 0 AND s.previous_hash <> '' AND p_presented = s.previous_hash
      AND p_now - s.rotated_at <= p_grace THEN
    IF s.wrapped <> '' AND p_now <= s.keep_until THEN
      code := 2;
      kept := s.wrapped;
      RETURN;
    END IF;
    -- A retry inside the window whose kept successor is gone (Purge, on
    -- a clock ahead of this call's, cleared it): nothing to hand out, and
    -- a retry is no theft. Deny, change nothing.
    code := -1;
    RETURN;
  END IF;
  -- Reuse: the session is revoked; the row stays as a short tombstone.
  UPDATE pasetoauth_sessions SET
      revoked = true, current_hash = '', previous_hash = '', wrapped = '',
      keep_until = 0, reused_by = p_successor, purge_at = p_tomb_until
    WHERE sid = p_sid;
  PERFORM pasetoauth_late(p_deadline);
  code := 3;
END
$fn$;

-- pasetoauth_revoke ends one session of a subject by deleting its row (a
-- reuse tombstone is left to expire). live reports whether it was live at
-- p_now.
CREATE OR REPLACE FUNCTION pasetoauth_revoke(
  p_sid text, p_subject text, p_now bigint, p_deadline timestamptz, OUT live boolean)
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM set_config('synchronous_commit', 'on', true);
  PERFORM pasetoauth_late(p_deadline);
  DELETE FROM pasetoauth_sessions
    WHERE sid = p_sid AND subject = p_subject AND revoked IS NOT TRUE
    RETURNING p_now < expires_at AND (idle_ns = 0 OR p_now - last_used <= idle_ns) INTO live;
  live := coalesce(live, false);
  PERFORM pasetoauth_late(p_deadline);
END
$fn$;

-- pasetoauth_revoke_others ends every session of a subject but p_keep
-- (reuse tombstones are left to expire) and returns the sids of those that
-- were live at p_now.
CREATE OR REPLACE FUNCTION pasetoauth_revoke_others(
  p_subject text, p_keep text, p_now bigint, p_deadline timestamptz, OUT ended text[])
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM set_config('synchronous_commit', 'on', true);
  PERFORM pasetoauth_late(p_deadline);
  WITH gone AS (
    DELETE FROM pasetoauth_sessions
      WHERE subject = p_subject AND sid <> p_keep AND revoked IS NOT TRUE
      RETURNING sid, p_now < expires_at AND (idle_ns = 0 OR p_now - last_used <= idle_ns) AS live)
  SELECT coalesce(array_agg(sid ORDER BY sid COLLATE "C") FILTER (WHERE live), '{}') INTO ended FROM gone;
  PERFORM pasetoauth_late(p_deadline);
END
$fn$;

-- pasetoauth_revoke_subject ends every session of a subject, tombstones
-- included, by deleting its rows.
CREATE OR REPLACE FUNCTION pasetoauth_revoke_subject(p_subject text, p_deadline timestamptz)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM set_config('synchronous_commit', 'on', true);
  PERFORM pasetoauth_late(p_deadline);
  DELETE FROM pasetoauth_sessions WHERE subject = p_subject;
  PERFORM pasetoauth_late(p_deadline);
END
$fn$;
