-- The bank's 3-D URL, so a buyer who posts the card form twice or comes back to the page
-- is sent to the bank session already open instead of being stuck on "in progress".
ALTER TABLE attempts ADD COLUMN bank_url TEXT NOT NULL DEFAULT '';
-- 0 for a failure that was not the buyer's (Moka could not be reached): it does not use up
-- one of the order's attempts.
ALTER TABLE attempts ADD COLUMN counted INTEGER NOT NULL DEFAULT 1;
