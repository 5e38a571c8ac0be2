-- o1coder core schema. Every table is meant to be queried (see the views in 0002).

CREATE TABLE IF NOT EXISTS problems (
  id              text PRIMARY KEY,            -- "<dataset>/<task id>"
  dataset         text NOT NULL,
  task_id         text NOT NULL,
  split           text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('function', 'stdio')),
  statement       text NOT NULL,
  entry_point     text,
  signature       text,
  reference       text,
  setup           text,
  visible_tests   jsonb NOT NULL,              -- tests the search may run
  held_out_tests  jsonb NOT NULL,              -- tests that only score answers
  held_out_inputs jsonb NOT NULL DEFAULT '[]', -- argument lists labelled by the reference at scoring time (MBPP+)
  atol            double precision,
  source_file     text,
  source_line     integer,
  imported_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS problems_dataset_split ON problems (dataset, split);

CREATE TABLE IF NOT EXISTS runs (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  config      jsonb NOT NULL,
  status      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS rounds (
  run_id          text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  round           integer NOT NULL,
  stage           text NOT NULL,
  policy_version  text,
  started_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  PRIMARY KEY (run_id, round)
);

CREATE TABLE IF NOT EXISTS test_suites (
  id          text PRIMARY KEY,
  problem_id  text NOT NULL REFERENCES problems (id) ON DELETE CASCADE,
  generator   text NOT NULL,                   -- dataset | mutation | llm | reduced | ...
  config_hash text NOT NULL,
  size        integer NOT NULL,
  stats       jsonb NOT NULL DEFAULT '{}',     -- kept/dropped by reason, validity, mutation score
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (problem_id, generator, config_hash)
);

CREATE TABLE IF NOT EXISTS test_cases (
  suite_id  text NOT NULL REFERENCES test_suites (id) ON DELETE CASCADE,
  ord       integer NOT NULL,
  test      jsonb NOT NULL,
  origin    text NOT NULL CHECK (origin IN ('dataset', 'llm', 'mutation')),
  PRIMARY KEY (suite_id, ord)
);

CREATE TABLE IF NOT EXISTS model_versions (
  id          text PRIMARY KEY,
  role        text NOT NULL CHECK (role IN ('policy', 'tcg', 'prm')),
  spec        text NOT NULL,
  parent_id   text REFERENCES model_versions (id),
  run_id      text,
  round       integer,
  job_id      text,
  datasets    jsonb NOT NULL DEFAULT '[]',
  meta        jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per sample: key = hash(model version, exact prompt or messages, sampling parameters, sample index).
CREATE TABLE IF NOT EXISTS model_calls (
  key                text PRIMARY KEY,
  model_version      text NOT NULL,
  role               text,
  run_id             text,
  kind               text NOT NULL CHECK (kind IN ('complete', 'chat')),
  sample_index       integer NOT NULL,
  request            jsonb NOT NULL,
  response           jsonb NOT NULL,
  finish_reason      text,
  prompt_tokens      integer NOT NULL DEFAULT 0,
  completion_tokens  integer NOT NULL DEFAULT 0,
  latency_ms         double precision NOT NULL DEFAULT 0,
  replays            integer NOT NULL DEFAULT 0,  -- times served from this record instead of the backend
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS model_calls_run ON model_calls (run_id);

CREATE TABLE IF NOT EXISTS searches (
  id              text PRIMARY KEY,
  problem_id      text NOT NULL REFERENCES problems (id),
  run_id          text,
  round           integer,
  suite_id        text,
  policy_version  text NOT NULL,
  config          jsonb NOT NULL,
  seed            integer NOT NULL,
  status          text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  rollouts_done   integer NOT NULL DEFAULT 0,
  best_node_id    text,
  tokens          integer NOT NULL DEFAULT 0,
  model_calls     integer NOT NULL DEFAULT 0,
  executions      integer NOT NULL DEFAULT 0,
  elapsed_ms      double precision NOT NULL DEFAULT 0,
  started_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz
);
CREATE INDEX IF NOT EXISTS searches_run ON searches (run_id, round);

CREATE TABLE IF NOT EXISTS nodes (
  id          text PRIMARY KEY,
  search_id   text NOT NULL REFERENCES searches (id) ON DELETE CASCADE,
  parent_id   text REFERENCES nodes (id),
  seq         integer NOT NULL,
  depth       integer NOT NULL,
  action      text CHECK (action IN ('A1', 'A2', 'A3')),
  body        text NOT NULL,
  code        text,
  terminal    boolean NOT NULL,
  visits      integer NOT NULL DEFAULT 0,
  value_sum   double precision NOT NULL DEFAULT 0,
  reward      double precision,
  passed      integer,
  total       integer,
  prior       double precision,
  UNIQUE (search_id, seq)
);
CREATE INDEX IF NOT EXISTS nodes_parent ON nodes (parent_id);

-- Execution cache: key = hash(code, suite, limits).
CREATE TABLE IF NOT EXISTS executions (
  key         text PRIMARY KEY,
  code_hash   text NOT NULL,
  suite_hash  text NOT NULL,
  compiled    boolean NOT NULL,
  passed      integer NOT NULL,
  total       integer NOT NULL,
  result      jsonb NOT NULL,
  ms          double precision NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Every request for an execution, cached or not, with its purpose: proves held-out tests never ran during search.
CREATE TABLE IF NOT EXISTS execution_log (
  id              bigserial PRIMARY KEY,
  execution_key   text NOT NULL,
  purpose         text NOT NULL CHECK (purpose IN ('search', 'scoring', 'validation', 'other')),
  run_id          text,
  search_id       text,
  problem_id      text,
  cached          boolean NOT NULL,
  at              timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS execution_log_search ON execution_log (search_id);

CREATE TABLE IF NOT EXISTS datasets (
  id          text PRIMARY KEY,
  kind        text NOT NULL,                   -- sft | prm | prm-pairs | dpo | verl | tcg-sft | tcg-dpo
  format      text NOT NULL,
  path        text NOT NULL,
  sha256      text NOT NULL,
  rows        integer NOT NULL,
  run_id      text,
  round       integer,
  filters     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS training_jobs (
  id           text PRIMARY KEY,               -- derived from (run, round, stage, inputs' hashes)
  backend      text NOT NULL,
  stage        text NOT NULL,
  external_id  text,
  status       text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  run_id       text,
  round        integer,
  spec         jsonb NOT NULL,
  output_dir   text,
  log_path     text,
  message      text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS evaluations (
  id             text PRIMARY KEY,
  run_id         text,
  round          integer,
  model_version  text,
  dataset        text NOT NULL,
  split          text NOT NULL,
  mode           text NOT NULL,
  protocol       text NOT NULL,
  metrics        jsonb NOT NULL,               -- {"pass@1": 0.62, "aspr": 0.4, ...}
  details        jsonb NOT NULL,               -- per problem
  created_at     timestamptz NOT NULL DEFAULT now()
);
