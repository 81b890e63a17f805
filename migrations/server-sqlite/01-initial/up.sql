-- FieldAudit sync server, SQLite schema v1.
-- Ids are UUIDs as text; HLCs are 16 lower-case hex digits (text order = time order);
-- values are JSON text, kept exactly as the device sent them.

CREATE TABLE organisation (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- Per-organisation counter that hands out server_seq. Pushes of one organisation
-- take it in their transaction, so server_seq order is commit order.
CREATE TABLE org_seq (
    organisation_id TEXT PRIMARY KEY REFERENCES organisation(id),
    last            INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE app_user (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisation(id),
    username        TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'auditor', 'interviewer')),
    created_at      TEXT NOT NULL,
    UNIQUE (organisation_id, username)
);

-- A device (laptop) signed in by a user. The bearer token is stored only as its SHA-256.
CREATE TABLE device (
    id               TEXT PRIMARY KEY,
    organisation_id  TEXT NOT NULL REFERENCES organisation(id),
    user_id          TEXT REFERENCES app_user(id),
    name             TEXT NOT NULL,
    token_hash       TEXT UNIQUE,
    token_expires_at TEXT,
    created_at       TEXT NOT NULL,
    last_seen_at     TEXT,
    revoked_at       TEXT,
    watermark        INTEGER NOT NULL DEFAULT 0
);

-- Every accepted change, in server order per organisation.
CREATE TABLE change_log (
    organisation_id TEXT NOT NULL REFERENCES organisation(id),
    server_seq      INTEGER NOT NULL,
    device_id       TEXT NOT NULL,
    device_seq      INTEGER NOT NULL,
    hlc             TEXT NOT NULL,
    entity          TEXT NOT NULL,
    row_id          TEXT NOT NULL,
    field           TEXT NOT NULL,
    value           TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    PRIMARY KEY (organisation_id, server_seq),
    UNIQUE (device_id, device_seq)
);

-- The first organisation to write a row owns it.
CREATE TABLE row_owner (
    row_id          TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisation(id),
    entity          TEXT NOT NULL
);

-- The current value of every field, merged with the protocol's LWW rule.
CREATE TABLE field_state (
    organisation_id TEXT NOT NULL,
    entity          TEXT NOT NULL,
    row_id          TEXT NOT NULL,
    field           TEXT NOT NULL,
    value           TEXT NOT NULL,
    hlc             TEXT NOT NULL,
    device_id       TEXT NOT NULL,
    PRIMARY KEY (organisation_id, entity, row_id, field)
);

-- Checklist templates served to devices (built-in ones are seeded at start-up).
CREATE TABLE template (
    id      TEXT NOT NULL,
    version TEXT NOT NULL,
    title   TEXT NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
