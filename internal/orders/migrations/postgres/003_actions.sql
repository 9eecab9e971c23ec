-- See sqlite/003_actions.sql.
DROP TABLE captures;
DROP TABLE refunds;

CREATE TABLE actions (
	rowid             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
	id                TEXT PRIMARY KEY,
	order_id          TEXT NOT NULL REFERENCES orders(id),
	kind              TEXT NOT NULL,  -- capture | void | refund | approve
	status            TEXT NOT NULL,  -- pending | requested | succeeded | failed
	amount            TEXT NOT NULL,
	shares            TEXT NOT NULL,  -- JSON [{dealer_id, amount}]
	refund_request_id TEXT NOT NULL,
	result_code       TEXT NOT NULL,
	result_message    TEXT NOT NULL,
	created_at        timestamptz NOT NULL,
	completed_at      timestamptz
);
CREATE INDEX actions_order ON actions (order_id, created_at);
CREATE INDEX actions_open ON actions (status, created_at) WHERE status IN ('pending', 'requested');
CREATE UNIQUE INDEX actions_one_pending ON actions (order_id) WHERE status = 'pending';

CREATE TABLE approvals (
	order_id    TEXT NOT NULL REFERENCES orders(id),
	dealer_id   bigint NOT NULL,
	action_id   TEXT NOT NULL,
	approved_at timestamptz NOT NULL,
	PRIMARY KEY (order_id, dealer_id)
);

ALTER TABLE idempotency_keys ADD COLUMN action_id TEXT NOT NULL DEFAULT '';
CREATE INDEX idempotency_created ON idempotency_keys (created_at);
