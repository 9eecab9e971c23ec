-- Webhook delivery state. Each event of a merchant with a webhook_url gets one delivery
-- row, made from the outbox by EnqueueDeliveries; every HTTP try of it is a row of
-- webhook_tries.

-- How far EnqueueDeliveries has read the outbox: the rowid of the last event it looked at.
-- Events are never deleted and have one writer at a time, so rowids only grow in commit
-- order. It starts after the events already written: turning webhooks on does not send a
-- merchant its whole history.
CREATE TABLE webhook_cursor (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	last_rowid INTEGER NOT NULL
);
INSERT INTO webhook_cursor (id, last_rowid) SELECT 1, coalesce(max(rowid), 0) FROM events;

CREATE TABLE webhook_deliveries (
	event_id      TEXT PRIMARY KEY REFERENCES events(id),
	event_seq     INTEGER NOT NULL, -- the event's rowid: the order of an order's events
	merchant_id   TEXT NOT NULL,
	order_id      TEXT NOT NULL,
	state         TEXT NOT NULL,    -- pending | delivered | failed
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_try_at   TEXT NOT NULL,
	-- No try is made after deadline (72 hours after the event; a redelivery moves it).
	deadline      TEXT NOT NULL,
	-- A lease: a worker that claims the delivery owns it until claimed_until; a worker
	-- killed mid-try loses it when it passes, and the try is made again. '' = not claimed.
	claimed_until TEXT NOT NULL DEFAULT '',
	claim_token   TEXT NOT NULL DEFAULT '',
	last_error    TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL,
	delivered_at  TEXT
);
-- The claim's scan: pending deliveries of a merchant that are due.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (merchant_id, next_try_at) WHERE state = 'pending';
-- The ordering rule: the first pending delivery of an order goes before the others.
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (order_id, event_seq) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_state ON webhook_deliveries (merchant_id, state);

CREATE TABLE webhook_tries (
	id          INTEGER PRIMARY KEY,
	event_id    TEXT NOT NULL REFERENCES webhook_deliveries(event_id),
	attempt     INTEGER NOT NULL,   -- 1 for the first try
	started_at  TEXT NOT NULL,
	duration_ms INTEGER NOT NULL,
	http_status INTEGER NOT NULL,   -- 0: no answer (refused, timed out, reset)
	error       TEXT NOT NULL,
	response    TEXT NOT NULL,      -- the first 1 KiB of the answer, card-like digits masked
	next_try_at TEXT                -- the retry it scheduled; NULL when it ended the delivery
);
CREATE INDEX webhook_tries_event ON webhook_tries (event_id, id);
