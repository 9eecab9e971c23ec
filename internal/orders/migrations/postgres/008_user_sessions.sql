-- See sqlite/008_user_sessions.sql.
ALTER TABLE users ADD COLUMN sessions_end_at bigint NOT NULL DEFAULT 0;
