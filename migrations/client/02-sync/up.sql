-- Schema 2: what sync needs on the device.

-- A kept conflict (synced like any row, so every device and the reviewer see it;
-- its id is derived from the losing write, so detecting it twice makes one row).
CREATE TABLE conflict (
    id             TEXT PRIMARY KEY,
    entity         TEXT,
    row_id         TEXT,
    field          TEXT,
    winner_value   TEXT,
    winner_device  TEXT,
    winner_hlc     TEXT,
    loser_value    TEXT,
    loser_device   TEXT,
    loser_hlc      TEXT,
    status         TEXT,
    deleted        INTEGER
) STRICT;
CREATE INDEX conflict_status ON conflict (status);

-- Ops the server refused, with its reason (local only; the UI lists them).
CREATE TABLE quarantine (
    device_seq  INTEGER PRIMARY KEY,
    entity      TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    code        TEXT NOT NULL,
    message     TEXT NOT NULL,
    at          TEXT NOT NULL
) STRICT;

-- Attachment uploads the server refused for good (e.g. too large).
ALTER TABLE attachment_file ADD COLUMN upload_error TEXT;

-- Finding this device's latest write of a field when a remote change arrives.
CREATE INDEX change_log_field ON change_log (entity, row_id, field);
