-- Card-testing velocity (internal/checkout/velocity.go): every declined card is a row per
-- limit it counts against, so that every instance on the database sees the same counts.
-- key names the limit: "card_ip:<hmac>:<ip>", "card:<hmac>", "ip:<ip>" or "merchant",
-- where <hmac> is the hex HMAC-SHA256 of the card number under a key that is not in the
-- database (derived from the CodeForHash key). No card number, first six or last four is
-- kept here. Rows older than the window (an hour) are purged by reconciliation.
CREATE TABLE velocity_declines (
	merchant_id TEXT NOT NULL,
	key         TEXT NOT NULL,
	declined_at TEXT NOT NULL
);
-- "The declines of this key since T", newest first: one index range per limit.
CREATE INDEX velocity_declines_key ON velocity_declines (merchant_id, key, declined_at);
CREATE INDEX velocity_declines_at ON velocity_declines (declined_at);

-- The limit keys a decline of the attempt counts against, one per line, written when the
-- attempt starts: the bank's return, which may reach another instance, carries no card
-- number. Cleared when the attempt ends.
ALTER TABLE attempts ADD COLUMN decline_keys TEXT NOT NULL DEFAULT '';
