-- Evaluation harness (issue 8): notes on an evaluation (sample-file issues, unlabelled inputs),
-- and the held-out labels of MBPP+/HumanEval+ inputs, computed once by the canonical solution.

ALTER TABLE evaluations ADD COLUMN IF NOT EXISTS notes jsonb NOT NULL DEFAULT '[]';
CREATE INDEX IF NOT EXISTS evaluations_run ON evaluations (run_id, round);

-- key = hash(reference, setup, entry point, inputs, atol): a changed problem gets new labels.
CREATE TABLE IF NOT EXISTS held_out_labels (
  problem_id  text NOT NULL,
  key         text NOT NULL,
  tests       jsonb NOT NULL,               -- labelled tests (CallTests; an AssertTest for `is not None` results), in input order
  failures    jsonb NOT NULL,               -- inputs the reference could not label: [{index, args, status, error}]
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (problem_id, key)
);
