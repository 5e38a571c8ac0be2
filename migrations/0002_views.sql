-- Analysis views: each answers a usual question in one SELECT.

CREATE OR REPLACE VIEW step_values AS
SELECT s.run_id, s.round, n.depth, n.action,
       count(*)::int AS nodes,
       sum(n.visits)::int AS visits,
       avg(n.value_sum / n.visits) AS mean_value
FROM nodes n JOIN searches s ON s.id = n.search_id
WHERE n.visits > 0 AND n.action IS NOT NULL
GROUP BY s.run_id, s.round, n.depth, n.action;

CREATE OR REPLACE VIEW search_cost AS
SELECT s.id AS search_id, s.problem_id, s.run_id, s.round, s.status,
       (SELECT count(*) FROM nodes n WHERE n.search_id = s.id)::int AS nodes,
       s.model_calls, s.tokens, s.executions,
       s.elapsed_ms / 1000.0 AS seconds
FROM searches s;

-- ASPR (average sampling pass rate, our reading of the O1-Coder paper): over the nodes on correct paths (ancestors of a terminal that
-- passes every test) whose children include code steps, the share of those code children that
-- pass; averaged per search (= problem), then over the searches of a round.
CREATE OR REPLACE VIEW aspr_by_search AS
WITH RECURSIVE correct AS (
  SELECT n.id, n.parent_id, n.search_id FROM nodes n
  WHERE n.terminal AND n.total > 0 AND n.passed = n.total
  UNION
  SELECT p.id, p.parent_id, p.search_id FROM nodes p JOIN correct c ON c.parent_id = p.id
),
per_node AS (
  SELECT c.search_id, c.id,
         count(*) FILTER (WHERE k.code IS NOT NULL)::float AS code_children,
         count(*) FILTER (WHERE k.code IS NOT NULL AND k.total > 0 AND k.passed = k.total)::float AS passing
  FROM (SELECT DISTINCT id, search_id FROM correct) c JOIN nodes k ON k.parent_id = c.id
  GROUP BY c.search_id, c.id
)
SELECT s.id AS search_id, s.problem_id, s.run_id, s.round,
       avg(p.passing / p.code_children) AS aspr
FROM searches s JOIN per_node p ON p.search_id = s.id
WHERE p.code_children > 0
GROUP BY s.id, s.problem_id, s.run_id, s.round;

CREATE OR REPLACE VIEW round_metrics AS
SELECT r.run_id, r.round,
       (SELECT count(*) FROM searches s WHERE s.run_id = r.run_id AND s.round = r.round)::int AS searches,
       (SELECT avg(a.aspr) FROM aspr_by_search a WHERE a.run_id = r.run_id AND a.round = r.round) AS aspr,
       (SELECT (e.metrics ->> 'pass@1')::float FROM evaluations e
          WHERE e.run_id = r.run_id AND e.round = r.round AND e.metrics ? 'pass@1'
          ORDER BY e.created_at DESC LIMIT 1) AS pass_at_1
FROM rounds r;

CREATE OR REPLACE VIEW model_cost AS
SELECT run_id, role, model_version,
       count(*)::int AS samples,
       sum(prompt_tokens)::int AS prompt_tokens,
       sum(completion_tokens)::int AS completion_tokens,
       sum(latency_ms) / 1000.0 AS seconds,
       sum(replays)::int AS cache_hits
FROM model_calls
GROUP BY run_id, role, model_version;
