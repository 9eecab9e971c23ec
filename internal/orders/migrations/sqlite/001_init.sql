-- Initial schema. Money is TEXT ("150.00"), times are UTC RFC 3339 TEXT with a fixed
-- nine-digit fraction so that string order is time order.

CREATE TABLE merchants (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at TEXT NOT NULL
);

CREATE TABLE orders (
	id                  TEXT PRIMARY KEY,
	merchant_id         TEXT NOT NULL REFERENCES merchants(id),
	reference           TEXT NOT NULL,
	amount              TEXT NOT NULL,
	currency            TEXT NOT NULL,
	description         TEXT NOT NULL,
	installments        TEXT NOT NULL, -- JSON array
	capture             TEXT NOT NULL,
	pool                INTEGER NOT NULL,
	commission_scenario INTEGER NOT NULL,
	sub_dealers         TEXT NOT NULL, -- JSON array
	buyer               TEXT NOT NULL, -- JSON object
	basket              TEXT NOT NULL, -- JSON array
	return_url          TEXT NOT NULL,
	cancel_url          TEXT NOT NULL,
	locale              TEXT NOT NULL,
	status              TEXT NOT NULL,
	cancel_reason       TEXT NOT NULL,
	form_token          TEXT NOT NULL,
	max_attempts        INTEGER NOT NULL,
	created_at          TEXT NOT NULL,
	updated_at          TEXT NOT NULL,
	expires_at          TEXT NOT NULL,
	paid_at             TEXT,
	approved_at         TEXT,
	UNIQUE (merchant_id, reference)
);
CREATE INDEX orders_status_expires ON orders (status, expires_at);

CREATE TABLE attempts (
	id             TEXT PRIMARY KEY,
	order_id       TEXT NOT NULL REFERENCES orders(id),
	other_trx_code TEXT NOT NULL UNIQUE,
	status         TEXT NOT NULL,
	code_for_hash  TEXT NOT NULL,
	installments   INTEGER NOT NULL,
	card_holder    TEXT NOT NULL,
	card_first6    TEXT NOT NULL,
	card_last4     TEXT NOT NULL,
	card_brand     TEXT NOT NULL,
	embedded       INTEGER NOT NULL,
	parent_origin  TEXT NOT NULL,
	trx_code       TEXT NOT NULL,
	result_code    TEXT NOT NULL,
	result_message TEXT NOT NULL,
	created_at     TEXT NOT NULL,
	completed_at   TEXT
);
CREATE INDEX attempts_order ON attempts (order_id, created_at);
CREATE INDEX attempts_status ON attempts (status, created_at);

CREATE TABLE captures (
	id         TEXT PRIMARY KEY,
	order_id   TEXT NOT NULL REFERENCES orders(id),
	amount     TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX captures_order ON captures (order_id, created_at);

CREATE TABLE refunds (
	id                TEXT PRIMARY KEY,
	order_id          TEXT NOT NULL REFERENCES orders(id),
	amount            TEXT NOT NULL,
	status            TEXT NOT NULL,
	refund_request_id TEXT NOT NULL,
	created_at        TEXT NOT NULL
);
CREATE INDEX refunds_order ON refunds (order_id, created_at);

-- The webhook outbox: one row per state change, written in the change's transaction.
CREATE TABLE events (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	order_id    TEXT NOT NULL,
	type        TEXT NOT NULL,
	payload     TEXT NOT NULL, -- JSON
	created_at  TEXT NOT NULL
);
CREATE INDEX events_merchant ON events (merchant_id, created_at);
CREATE INDEX events_order ON events (order_id, created_at);

CREATE TABLE idempotency_keys (
	merchant_id  TEXT NOT NULL,
	key          TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	status_code  INTEGER NOT NULL,
	body         BLOB NOT NULL,
	created_at   TEXT NOT NULL,
	PRIMARY KEY (merchant_id, key)
);
