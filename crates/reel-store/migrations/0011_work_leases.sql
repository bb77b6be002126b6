-- Leases on the processing queue: a worker claims a due session for a while (its node and
-- until when); another worker takes it only once that time has passed, so a node that dies
-- mid-run holds its sessions no longer than a lease. A run's results still apply only if the
-- progress is the one it started from (signals_until_ms), so a run that outlives its lease
-- and one that took the session over never both count.
ALTER TABLE session_work ADD COLUMN lease_owner TEXT;
ALTER TABLE session_work ADD COLUMN lease_until_ms INTEGER;
-- When the next lease runs out, without reading the whole queue (held leases are few).
CREATE INDEX session_work_leased ON session_work (lease_until_ms) WHERE lease_until_ms IS NOT NULL;
