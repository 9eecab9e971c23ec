-- See sqlite/011_velocity.sql.
CREATE TABLE velocity_declines (
	merchant_id TEXT NOT NULL,
	key         TEXT NOT NULL,
	declined_at timestamptz NOT NULL
);
CREATE INDEX velocity_declines_key ON velocity_declines (merchant_id, key, declined_at);
CREATE INDEX velocity_declines_at ON velocity_declines (declined_at);

ALTER TABLE attempts ADD COLUMN decline_keys TEXT NOT NULL DEFAULT '';
