-- Self-play: a failed run is retried as a new attempt of its durable workflow (a fresh journal);
-- every stage is idempotent, so finished work is found in the store and not paid again.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS attempt integer NOT NULL DEFAULT 1;
