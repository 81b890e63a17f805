-- FieldAudit device database, schema 1.
-- Synced entity tables mirror crates/protocol/src/registry.rs column for column
-- (a test in fieldaudit-core checks they agree). Every synced column is nullable:
-- rows arrive field by field. Writes go only through fieldaudit-core's store,
-- which appends to change_log in the same transaction.

CREATE TABLE device (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id    TEXT NOT NULL,
    device_name  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seq     INTEGER NOT NULL DEFAULT 0
) STRICT;

-- One row per changed field, in the order this device made the changes.
CREATE TABLE change_log (
    device_seq  INTEGER PRIMARY KEY,
    hlc         TEXT NOT NULL,
    entity      TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL
) STRICT;
CREATE INDEX change_log_hlc ON change_log (hlc);

-- The version (hlc, device) of the value each field currently holds: the merge state.
CREATE TABLE field_version (
    entity     TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    field      TEXT NOT NULL,
    hlc        TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    PRIMARY KEY (entity, row_id, field)
) STRICT, WITHOUT ROWID;
CREATE INDEX field_version_hlc ON field_version (hlc);

-- Sync bookkeeping: push watermark, pull cursor, server URL (key/value).
CREATE TABLE sync_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) STRICT;

-- Attachment bytes stored under the data directory by SHA-256 (local only).
CREATE TABLE attachment_file (
    sha256      TEXT PRIMARY KEY,
    size_bytes  INTEGER NOT NULL,
    stored_at   TEXT NOT NULL,
    uploaded    INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE facility (
    id              TEXT PRIMARY KEY,
    name            TEXT,
    address         TEXT,
    country_code    TEXT,
    sectors         TEXT,
    lat             REAL,
    lng             REAL,
    workers_min     INTEGER,
    workers_max     INTEGER,
    os_id           TEXT,
    parent_company  TEXT,
    facility_type   TEXT,
    product_types   TEXT,
    deleted         INTEGER
) STRICT;

CREATE TABLE audit (
    id           TEXT PRIMARY KEY,
    facility_id  TEXT REFERENCES facility (id),
    checklists   TEXT,
    audit_type   TEXT,
    notice       TEXT,
    start_date   TEXT,
    end_date     TEXT,
    auditors     TEXT,
    status       TEXT,
    deleted      INTEGER
) STRICT;
CREATE INDEX audit_facility ON audit (facility_id);

CREATE TABLE repeat_instance (
    id           TEXT PRIMARY KEY,
    audit_id     TEXT REFERENCES audit (id),
    template_id  TEXT,
    group_id     TEXT,
    label        TEXT,
    position     INTEGER,
    deleted      INTEGER
) STRICT;
CREATE INDEX repeat_instance_audit ON repeat_instance (audit_id);

CREATE TABLE answer (
    id              TEXT PRIMARY KEY,
    audit_id        TEXT REFERENCES audit (id),
    template_id     TEXT,
    item_id         TEXT,
    instance_id     TEXT REFERENCES repeat_instance (id),
    value           TEXT,
    note            TEXT,
    deleted         INTEGER
) STRICT;
CREATE INDEX answer_audit ON answer (audit_id, template_id);

CREATE TABLE finding (
    id           TEXT PRIMARY KEY,
    audit_id     TEXT REFERENCES audit (id),
    template_id  TEXT,
    item_id      TEXT,
    instance_id  TEXT REFERENCES repeat_instance (id),
    origin       TEXT,
    severity     TEXT,
    title        TEXT,
    description  TEXT,
    status       TEXT,
    deleted      INTEGER
) STRICT;
CREATE INDEX finding_audit ON finding (audit_id);

CREATE TABLE corrective_action (
    id                   TEXT PRIMARY KEY,
    finding_id           TEXT REFERENCES finding (id),
    root_cause           TEXT,
    corrective_action    TEXT,
    preventive_action    TEXT,
    owner                TEXT,
    due_date             TEXT,
    evidence             TEXT,
    verification_method  TEXT,
    status               TEXT,
    production_blocking  INTEGER,
    deleted              INTEGER
) STRICT;
CREATE INDEX corrective_action_finding ON corrective_action (finding_id);

CREATE TABLE attachment (
    id            TEXT PRIMARY KEY,
    audit_id      TEXT REFERENCES audit (id),
    subject_kind  TEXT,
    subject_id    TEXT,
    sha256        TEXT,
    file_name     TEXT,
    media_type    TEXT,
    size_bytes    INTEGER,
    caption       TEXT,
    deleted       INTEGER
) STRICT;
CREATE INDEX attachment_subject ON attachment (subject_id);

CREATE TABLE fee_record (
    id                         TEXT PRIMARY KEY,
    audit_id                   TEXT REFERENCES audit (id),
    worker_ref                 TEXT,
    migrant_type               TEXT,
    origin_country             TEXT,
    origin_region              TEXT,
    channel                    TEXT,
    agency_origin              TEXT,
    agency_destination         TEXT,
    recruited_on               TEXT,
    contract_before_departure  INTEGER,
    contract_language          TEXT,
    contract_substituted       INTEGER,
    reimbursement_status       TEXT,
    reimbursed_amount          TEXT,
    reimbursed_currency        TEXT,
    reimbursed_on              TEXT,
    passport_held_by_employer  INTEGER,
    deleted                    INTEGER
) STRICT;
CREATE INDEX fee_record_audit ON fee_record (audit_id);

CREATE TABLE fee (
    id                TEXT PRIMARY KEY,
    fee_record_id     TEXT REFERENCES fee_record (id),
    category          TEXT,
    amount            TEXT,
    currency          TEXT,
    paid_to           TEXT,
    paid_when         TEXT,
    financed_by_loan  INTEGER,
    evidence          TEXT,
    deleted           INTEGER
) STRICT;
CREATE INDEX fee_fee_record ON fee (fee_record_id);

CREATE TABLE interview (
    id            TEXT PRIMARY KEY,
    audit_id      TEXT REFERENCES audit (id),
    conducted_on  TEXT,
    interviewer   TEXT,
    language      TEXT,
    format        TEXT,
    sealed        TEXT,
    deleted       INTEGER
) STRICT;
CREATE INDEX interview_audit ON interview (audit_id);
