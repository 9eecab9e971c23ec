-- Leases on background work (reconciling an attempt or an action, a sweep of Moka's
-- records), so that of several instances sharing the database one does each piece. A
-- lease is taken by an INSERT, or an UPDATE of a lease that has run out, and is never
-- released early: it runs out.
CREATE TABLE work_leases (
	item       TEXT PRIMARY KEY, -- e.g. "attempt:att_..."
	owner      TEXT NOT NULL,    -- the instance's random id
	held_until TEXT NOT NULL
);
CREATE INDEX work_leases_until ON work_leases (held_until);
