-- Dashboard sessions issued at or before this time (Unix milliseconds) are over: set at
-- logout, so a copied session cookie is worthless once its user has logged out.
ALTER TABLE users ADD COLUMN sessions_end_at INTEGER NOT NULL DEFAULT 0;
