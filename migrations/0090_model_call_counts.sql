-- How each sample's completion tokens were counted (servers differ: llama.cpp's usage covers the
-- first choice only, vLLM's all of them), and the sample's own seed (call seed + sample index).
ALTER TABLE model_calls ADD COLUMN IF NOT EXISTS tokens_counted_by text;
ALTER TABLE model_calls ADD COLUMN IF NOT EXISTS seed bigint;
