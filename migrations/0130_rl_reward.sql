-- Online RL (issue 17): the reward service (`o1coder serve`) logs its executions with purpose 'rl'
-- and the caller's tags (the trainer's run name and step), so an RL run's cost is a query away.
ALTER TABLE execution_log DROP CONSTRAINT IF EXISTS execution_log_purpose_check;
ALTER TABLE execution_log ADD CONSTRAINT execution_log_purpose_check
  CHECK (purpose IN ('search', 'scoring', 'validation', 'other', 'rl'));
ALTER TABLE execution_log ADD COLUMN IF NOT EXISTS rl_run text;
ALTER TABLE execution_log ADD COLUMN IF NOT EXISTS rl_step integer;
CREATE INDEX IF NOT EXISTS execution_log_rl_run ON execution_log (rl_run) WHERE rl_run IS NOT NULL;

-- What each RL run (and step) asked of the reward service: requests, cache hits, sandbox seconds paid.
CREATE OR REPLACE VIEW rl_cost AS
SELECT l.rl_run, l.rl_step,
       count(*)::int AS executions,
       count(*) FILTER (WHERE l.cached)::int AS cached,
       count(*) FILTER (WHERE NOT l.cached)::int AS executed,
       coalesce(sum(e.ms) FILTER (WHERE NOT l.cached), 0) / 1000.0 AS sandbox_seconds,
       min(l.at) AS first_at, max(l.at) AS last_at
FROM execution_log l LEFT JOIN executions e ON e.key = l.execution_key
WHERE l.purpose = 'rl'
GROUP BY l.rl_run, l.rl_step;
