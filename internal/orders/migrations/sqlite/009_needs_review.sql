-- A lasting "needs review" flag on an order: why (a reason code and a text for people),
-- when it was raised, and when, by whom and with which note a person resolved it. An order
-- is flagged while review_flagged_at is set and review_resolved_at is not. A resolved flag
-- keeps its columns until the order is flagged again; every flag and resolution is also an
-- event (order.needs_review, order.review_resolved), so the history stays in the outbox.
ALTER TABLE orders ADD COLUMN review_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN review_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN review_flagged_at TEXT;
ALTER TABLE orders ADD COLUMN review_resolved_at TEXT;
ALTER TABLE orders ADD COLUMN review_resolved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN review_note TEXT NOT NULL DEFAULT '';
-- The review queue and GET /api/v1/orders?needs_review=true: a merchant's open flags,
-- newest first.
CREATE INDEX orders_needs_review ON orders (merchant_id, created_at)
	WHERE review_flagged_at IS NOT NULL AND review_resolved_at IS NULL;

-- Attempts and merchant actions that reconciliation no longer asks Moka about, because
-- what Moka holds for them needs a person (a payment of another amount, say). A hold is
-- for good: resolving the order's flag does not put the item back on the work list, or
-- the same mismatch would be flagged again on the next pass.
CREATE TABLE review_holds (
	item_id  TEXT PRIMARY KEY, -- an attempt's or an action's id
	order_id TEXT NOT NULL REFERENCES orders(id),
	reason   TEXT NOT NULL,
	held_at  TEXT NOT NULL
);
CREATE INDEX review_holds_order ON review_holds (order_id);
