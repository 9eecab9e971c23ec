-- See sqlite/006_action_moka_trx.sql.
ALTER TABLE actions ADD COLUMN moka_trx_id bigint NOT NULL DEFAULT 0;
