-- A due clock is claimed by one process at a time (a lease), so that
-- processes ticking together share the due clocks instead of racing on them.
ALTER TABLE clocks ADD COLUMN claimed_by TEXT;
ALTER TABLE clocks ADD COLUMN claimed_until BIGINT;
