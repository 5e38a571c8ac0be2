-- A model version is two things (issue 16): the spec o1coder samples from (`spec`, e.g. an
-- OpenAI-compatible endpoint and model name) and the weights a trainer loads (`checkpoint`: an HF
-- id or a checkpoint directory; null when not known, e.g. a hosted API).
ALTER TABLE model_versions ADD COLUMN IF NOT EXISTS checkpoint text;
