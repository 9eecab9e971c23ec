-- The id of Moka's transaction (DealerPaymentTrxId) that settled an action, so that each
-- refund transaction at Moka is matched to at most one of our refunds.
ALTER TABLE actions ADD COLUMN moka_trx_id INTEGER NOT NULL DEFAULT 0;
