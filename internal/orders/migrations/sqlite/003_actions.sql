-- Merchant actions on a paid or authorised order: captures, voids, refunds and pool
-- approvals, one row each, in one table so that "one action at a time per order" is an
-- index and the reconciler finds every unsettled action in one query. The captures and
-- refunds tables of 001 were never written; they are replaced.
DROP TABLE captures;
DROP TABLE refunds;

CREATE TABLE actions (
	id                TEXT PRIMARY KEY,
	order_id          TEXT NOT NULL REFERENCES orders(id),
	kind              TEXT NOT NULL,  -- capture | void | refund | approve
	status            TEXT NOT NULL,  -- pending | requested | succeeded | failed
	amount            TEXT NOT NULL,
	shares            TEXT NOT NULL,  -- JSON [{dealer_id, amount}]
	refund_request_id TEXT NOT NULL,
	result_code       TEXT NOT NULL,
	result_message    TEXT NOT NULL,
	created_at        TEXT NOT NULL,
	completed_at      TEXT
);
CREATE INDEX actions_order ON actions (order_id, created_at);
CREATE INDEX actions_open ON actions (status, created_at) WHERE status IN ('pending', 'requested');
-- At most one action per order waits for Moka's answer: a second capture, void or refund
-- racing the first is refused, on any number of instances sharing the database.
CREATE UNIQUE INDEX actions_one_pending ON actions (order_id) WHERE status = 'pending';

-- When each sub-dealer's share of a pool payment was approved (dealer_id 0: a pool
-- payment without sub-dealers, approved as a whole).
CREATE TABLE approvals (
	order_id    TEXT NOT NULL REFERENCES orders(id),
	dealer_id   INTEGER NOT NULL,
	action_id   TEXT NOT NULL,
	approved_at TEXT NOT NULL,
	PRIMARY KEY (order_id, dealer_id)
);

-- An Idempotency-Key whose request is still at Moka has status_code 0 and names its
-- action; keys are purged after a day.
ALTER TABLE idempotency_keys ADD COLUMN action_id TEXT NOT NULL DEFAULT '';
CREATE INDEX idempotency_created ON idempotency_keys (created_at);
