package orders

import (
	"context"
	"fmt"
	"time"
)

// TakeLease takes the lease on item for owner until d from now, when nobody else holds
// it: true means owner may do the work. Several instances sharing the database take
// leases before background work (reconciling an attempt, a sweep), so that each piece is
// done by one of them at a time. The owner gives the lease back when done (ReleaseLease);
// one that stops meanwhile loses it when it runs out. Owner may take again a lease it
// holds. Leases that ran out a day ago are purged with the expired Idempotency-Keys.
func (s *Store) TakeLease(ctx context.Context, item, owner string, d time.Duration) (bool, error) {
	var took bool
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		now := s.txNow(ctx)
		// The UPDATE's condition is checked on the row as it is when the statement runs
		// (after any other instance's lease write has committed, on PostgreSQL), so two
		// instances never both take it.
		res, err := tx.ExecContext(ctx, `INSERT INTO work_leases (item, owner, held_until) VALUES (?, ?, ?)
			ON CONFLICT (item) DO UPDATE SET owner = excluded.owner, held_until = excluded.held_until
			WHERE work_leases.held_until <= ? OR work_leases.owner = excluded.owner`,
			item, owner, formatTime(now.Add(d)), formatTime(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		took = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("take lease on %s: %w", item, err)
	}
	return took, nil
}

// ReleaseLease gives back owner's lease on item; a lease owner no longer holds is left
// alone.
func (s *Store) ReleaseLease(ctx context.Context, item, owner string) error {
	err := s.withTx(ctx, func(ctx context.Context, tx dbTx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM work_leases WHERE item = ? AND owner = ?`, item, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("release lease on %s: %w", item, err)
	}
	return nil
}

// purgeLeases deletes the leases that ran out before cutoff, inside a write.
func purgeLeases(ctx context.Context, tx dbTx, cutoff time.Time) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM work_leases WHERE held_until < ?`, formatTime(cutoff))
	return err
}
