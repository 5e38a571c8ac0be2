-- The cluster runner (its advertised HOST:PORT) that finished each search; null for the embedded single runner.
ALTER TABLE searches ADD COLUMN IF NOT EXISTS runner text;
