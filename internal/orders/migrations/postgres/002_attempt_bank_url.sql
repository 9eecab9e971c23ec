-- See sqlite/002_attempt_bank_url.sql.
ALTER TABLE attempts ADD COLUMN bank_url TEXT NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN counted boolean NOT NULL DEFAULT TRUE;
