-- The process that drives a run (host, pid, its start time) and its heartbeat: `status` and
-- `runs` say `running` only while that process is alive, else `interrupted`.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS owner_host text;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS owner_pid integer;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS owner_started_at timestamptz;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS heartbeat_at timestamptz;
