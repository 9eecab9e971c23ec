-- Dashboard users and the audit log.
--
-- An email identifies one user across all merchants (it is the login name), stored
-- lower-cased and trimmed so that "Ana@Shop.com " and "ana@shop.com" are one user.
CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	merchant_id   TEXT NOT NULL REFERENCES merchants(id),
	email         TEXT NOT NULL UNIQUE,
	password_hash BLOB NOT NULL, -- bcrypt
	disabled      INTEGER NOT NULL DEFAULT 0,
	failed_logins INTEGER NOT NULL DEFAULT 0, -- failed passwords in a row
	locked_until  TEXT,
	created_at    TEXT NOT NULL,
	last_login_at TEXT
);
CREATE INDEX users_merchant ON users (merchant_id);

-- One row per login, failure and dashboard action. No foreign keys: a failed login for an
-- unknown email has no user and no merchant, and the log must never lose a line because
-- of what it refers to.
CREATE TABLE audit_log (
	id          TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	email       TEXT NOT NULL,
	ip          TEXT NOT NULL,
	action      TEXT NOT NULL,
	order_id    TEXT NOT NULL,
	detail      TEXT NOT NULL,
	created_at  TEXT NOT NULL
);
-- A merchant's log, newest first: read backwards, ties broken by the rowid.
CREATE INDEX audit_log_merchant_created ON audit_log (merchant_id, created_at);
