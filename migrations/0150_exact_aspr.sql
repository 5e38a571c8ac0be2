-- ASPR averaged in numeric, not float: a float sum depends on the order rows are scanned, which
-- depends on the order concurrent searches stored them, so two runs with the same seed could
-- differ in the last digit. Same definition as 0002_views.sql; only the arithmetic changes.
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
       avg(p.passing::numeric / p.code_children::numeric)::float AS aspr
FROM searches s JOIN per_node p ON p.search_id = s.id
WHERE p.code_children > 0
GROUP BY s.id, s.problem_id, s.run_id, s.round;

CREATE OR REPLACE VIEW round_metrics AS
SELECT r.run_id, r.round,
       (SELECT count(*) FROM searches s WHERE s.run_id = r.run_id AND s.round = r.round)::int AS searches,
       (SELECT avg(a.aspr::numeric)::float FROM aspr_by_search a WHERE a.run_id = r.run_id AND a.round = r.round) AS aspr,
       (SELECT (e.metrics ->> 'pass@1')::float FROM evaluations e
          WHERE e.run_id = r.run_id AND e.round = r.round AND e.metrics ? 'pass@1'
          ORDER BY e.created_at DESC LIMIT 1) AS pass_at_1
FROM rounds r;
