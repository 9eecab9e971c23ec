-- See sqlite/009_needs_review.sql.
ALTER TABLE orders ADD COLUMN review_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN review_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN review_flagged_at timestamptz;
ALTER TABLE orders ADD COLUMN review_resolved_at timestamptz;
ALTER TABLE orders ADD COLUMN review_resolved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN review_note TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_needs_review ON orders (merchant_id, created_at, rowid)
	WHERE review_flagged_at IS NOT NULL AND review_resolved_at IS NULL;

CREATE TABLE review_holds (
	item_id  TEXT PRIMARY KEY,
	order_id TEXT NOT NULL REFERENCES orders(id),
	reason   TEXT NOT NULL,
	held_at  timestamptz NOT NULL
);
CREATE INDEX review_holds_order ON review_holds (order_id);
