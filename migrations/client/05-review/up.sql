-- Schema 5: a reviewer's decision on a submitted audit (approved or returned).
ALTER TABLE audit ADD COLUMN reviewed_by TEXT;
ALTER TABLE audit ADD COLUMN reviewed_at TEXT;
ALTER TABLE audit ADD COLUMN review_comment TEXT;
