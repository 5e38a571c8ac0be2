-- Reward integrity of suites (issue 16): how many trivial baselines (constant returns, an argument
-- returned, empty containers, None, True/False, raising) each suite kills. A suite some baseline
-- still passes is not reward-safe and stays out of RL exports. Columns are appended (views keep
-- their earlier columns in place).

CREATE OR REPLACE VIEW suite_stats AS
SELECT s.id AS suite_id, s.problem_id, p.dataset, p.split, s.generator, s.config_hash, s.size,
       (s.stats ->> 'generated')::int AS generated,
       (s.stats ->> 'validated')::int AS validated,
       (s.stats ->> 'validity')::float AS validity,
       (s.stats ->> 'mutants')::int AS mutants,
       (s.stats ->> 'killed')::int AS killed,
       (s.stats ->> 'mutationScore')::float AS mutation_score,
       coalesce((s.stats -> 'dropped' ->> 'unparseable')::int, 0) AS dropped_unparseable,
       coalesce((s.stats -> 'dropped' ->> 'duplicate')::int, 0) AS dropped_duplicate,
       coalesce((s.stats -> 'dropped' ->> 'wrong_output')::int, 0) AS dropped_wrong_output,
       coalesce((s.stats -> 'dropped' ->> 'crash')::int, 0) AS dropped_crash,
       coalesce((s.stats -> 'dropped' ->> 'timeout')::int, 0) AS dropped_timeout,
       coalesce((s.stats -> 'dropped' ->> 'non_deterministic')::int, 0) AS dropped_non_deterministic,
       coalesce((s.stats -> 'dropped' ->> 'unrepresentable')::int, 0) AS dropped_unrepresentable,
       coalesce((s.stats -> 'dropped' ->> 'untrusted')::int, 0) AS dropped_untrusted,
       s.created_at,
       (s.stats -> 'integrity' ->> 'baselines')::int AS baselines,
       (s.stats -> 'integrity' ->> 'killed')::int AS baselines_killed,
       (s.stats -> 'integrity' ->> 'killed')::float / nullif((s.stats -> 'integrity' ->> 'baselines')::int, 0) AS baseline_kill_rate,
       (s.stats -> 'integrity' ->> 'initialSurvivors')::int AS baselines_passing_before,
       (s.stats -> 'integrity' ->> 'added')::int AS integrity_tests_added,
       (s.stats -> 'integrity' ->> 'rewardSafe')::boolean AS reward_safe,
       s.stats -> 'integrity' -> 'survivors' AS baseline_survivors
FROM test_suites s JOIN problems p ON p.id = s.problem_id;

CREATE OR REPLACE VIEW suite_quality AS
SELECT dataset, generator,
       count(*)::int AS suites,
       sum(size)::int AS cases,
       avg(size)::float AS mean_size,
       sum(generated)::int AS generated,
       sum(validity * validated) / nullif(sum(validated) FILTER (WHERE validity IS NOT NULL), 0) AS validity,
       sum(killed)::float / nullif(sum(mutants), 0) AS mutation_score,
       avg(mutation_score) AS mean_mutation_score,
       sum(dropped_unparseable)::int AS dropped_unparseable,
       sum(dropped_duplicate)::int AS dropped_duplicate,
       sum(dropped_wrong_output)::int AS dropped_wrong_output,
       sum(dropped_crash)::int AS dropped_crash,
       sum(dropped_timeout)::int AS dropped_timeout,
       sum(dropped_non_deterministic)::int AS dropped_non_deterministic,
       sum(baselines_killed)::float / nullif(sum(baselines), 0) AS baseline_kill_rate,
       (count(*) FILTER (WHERE reward_safe IS NOT TRUE))::int AS unsafe_suites,
       (count(*) FILTER (WHERE baselines_passing_before > 0))::int AS suites_extended
FROM suite_stats
GROUP BY dataset, generator;
