-- EvalPlus grading (issue 20): the base inputs of MBPP+ / HumanEval+ (`base_input`), which EvalPlus
-- scores by comparing with the canonical solution's outputs, as it does `plus_input`.
ALTER TABLE problems ADD COLUMN IF NOT EXISTS held_out_base_inputs jsonb NOT NULL DEFAULT '[]';
-- The reference's measured time per labelled test (ms; per-test time limits of fast scoring) and how many
-- of the labelled tests are base tests (the first ones).
ALTER TABLE held_out_labels ADD COLUMN IF NOT EXISTS times jsonb NOT NULL DEFAULT '[]';
ALTER TABLE held_out_labels ADD COLUMN IF NOT EXISTS base_count integer NOT NULL DEFAULT 0;
