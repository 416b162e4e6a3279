package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/pasetoauth/pasetoauth/paseto/internal/unixnano"
)

// DefaultPurgeBatch is how many rows Purge deletes per statement when
// asked for 0.
const DefaultPurgeBatch = 1000

// Purge deletes the rows that can no longer be live: sessions past their
// absolute end or (as of their last refresh) their idle end, and reuse
// tombstones a minute after the reuse, by the store's clock. Rows are
// deleted batch at a time (DefaultPurgeBatch when batch is 0), each batch
// its own short statement that skips rows another call holds locked (FOR
// UPDATE SKIP LOCKED), so it never waits on a refresh and never holds a
// lock for long; it goes on until a batch comes back short or ctx ends
// (each batch runs under the store's Timeout too), and returns how many
// rows it deleted. It then clears, the same way, the successors kept for a
// grace window that is over (nothing can use them any more, and the
// database need not hold them).
//
// Nothing calls it implicitly, and nothing depends on it but the table's
// size: a dead row is never read as live. Run it from a ticker in one
// instance or several (they skip each other's rows), every few minutes;
// see Janitor.
func (s *Store) Purge(ctx context.Context, batch int) (int64, error) {
	if batch < 0 {
		return 0, fmt.Errorf("pgstore: negative purge batch %d", batch)
	}
	if batch == 0 {
		batch = DefaultPurgeBatch
	}
	deleted, err := s.batches(ctx, s.q.purge, batch)
	if err != nil {
		return deleted, err
	}
	_, err = s.batches(ctx, s.q.purgeKept, batch)
	return deleted, err
}

// batches runs query (arguments: the store's clock, batch) until it
// changes fewer than batch rows, and returns how many it changed.
func (s *Store) batches(ctx context.Context, query string, batch int) (int64, error) {
	var total int64
	for {
		now, err := unixnano.From(s.now())
		if err != nil {
			return total, err
		}
		bctx, cancel := context.WithTimeout(ctx, s.timeout)
		tag, err := s.pool.Exec(bctx, query, now, batch)
		cancel()
		if err != nil {
			return total, s.fail("purge", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < int64(batch) {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// Janitor calls Purge every interval (every 5 minutes when interval is not
// positive), with batch as Purge takes it, until ctx ends, and returns
// then. It
// reports each failure to onError when that is not nil (a failed purge is
// tried again at the next tick). Start it in a goroutine of your own:
//
//	go store.Janitor(ctx, 5*time.Minute, 0, func(err error) { log.Print(err) })
func (s *Store) Janitor(ctx context.Context, interval time.Duration, batch int, onError func(error)) {
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Purge(ctx, batch); err != nil && ctx.Err() == nil && onError != nil {
				onError(err)
			}
		}
	}
}
