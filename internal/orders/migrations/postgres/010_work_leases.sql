-- See sqlite/010_work_leases.sql.
CREATE TABLE work_leases (
	item       TEXT PRIMARY KEY,
	owner      TEXT NOT NULL,
	held_until timestamptz NOT NULL
);
CREATE INDEX work_leases_until ON work_leases (held_until);
