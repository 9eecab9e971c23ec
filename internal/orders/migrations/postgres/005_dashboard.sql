-- See sqlite/005_dashboard.sql.
CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	merchant_id   TEXT NOT NULL REFERENCES merchants(id),
	email         TEXT NOT NULL UNIQUE,
	password_hash bytea NOT NULL, -- bcrypt
	disabled      boolean NOT NULL DEFAULT FALSE,
	failed_logins bigint NOT NULL DEFAULT 0,
	locked_until  timestamptz,
	created_at    timestamptz NOT NULL,
	last_login_at timestamptz
);
CREATE INDEX users_merchant ON users (merchant_id);

CREATE TABLE audit_log (
	rowid       bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	email       TEXT NOT NULL,
	ip          TEXT NOT NULL,
	action      TEXT NOT NULL,
	order_id    TEXT NOT NULL,
	detail      TEXT NOT NULL,
	created_at  timestamptz NOT NULL
);
CREATE INDEX audit_log_merchant_created ON audit_log (merchant_id, created_at, rowid);
