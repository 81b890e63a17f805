-- Schema 7: the corrective-action loop (crates/core/src/cap, follow_up, locking).

-- An audit stays as signed: `locked` while signed off and not reopened; a
-- follow-up names the audit it follows; the site's representative acknowledges.
ALTER TABLE audit ADD COLUMN locked INTEGER;
ALTER TABLE audit ADD COLUMN follow_up_of TEXT REFERENCES audit (id);
ALTER TABLE audit ADD COLUMN site_rep_name TEXT;
ALTER TABLE audit ADD COLUMN site_rep_role TEXT;

-- The site's answer per finding (signed), and what follow-ups found (not signed).
ALTER TABLE finding ADD COLUMN site_response TEXT;
ALTER TABLE finding ADD COLUMN site_comment TEXT;
ALTER TABLE finding ADD COLUMN recurrence_of TEXT REFERENCES finding (id);
ALTER TABLE finding ADD COLUMN follow_up_status TEXT;
ALTER TABLE finding ADD COLUMN verified_in TEXT REFERENCES audit (id);
ALTER TABLE finding ADD COLUMN verified_by TEXT;
ALTER TABLE finding ADD COLUMN verified_on TEXT;

-- The plan's due date (the fix-by date is due_date).
ALTER TABLE corrective_action ADD COLUMN plan_due_date TEXT;

-- The canonical form a sign-off signed (absent: 1), and whether a reopening voided it.
ALTER TABLE signoff ADD COLUMN content_format INTEGER;
ALTER TABLE signoff ADD COLUMN voided INTEGER;

CREATE TABLE reopening (
    id           TEXT PRIMARY KEY,
    audit_id     TEXT REFERENCES audit (id),
    reopened_by  TEXT,
    reason       TEXT,
    reopened_at  TEXT,
    deleted      INTEGER
) STRICT;
CREATE INDEX reopening_audit ON reopening (audit_id);

CREATE TABLE verification (
    id                 TEXT PRIMARY KEY,
    audit_id           TEXT REFERENCES audit (id),
    finding_id         TEXT REFERENCES finding (id),
    action_id          TEXT REFERENCES corrective_action (id),
    status             TEXT,
    method             TEXT,
    evidence_reviewed  TEXT,
    note               TEXT,
    verified_by        TEXT,
    verified_on        TEXT,
    deleted            INTEGER
) STRICT;
CREATE INDEX verification_audit ON verification (audit_id);
CREATE INDEX verification_finding ON verification (finding_id);

CREATE TABLE supplier_response (
    id                    TEXT PRIMARY KEY,
    action_id             TEXT REFERENCES corrective_action (id),
    root_cause            TEXT,
    corrective_action     TEXT,
    preventive_action     TEXT,
    responsible           TEXT,
    planned_completion    TEXT,
    evidence_description  TEXT,
    file_name             TEXT,
    received_at           TEXT,
    state                 TEXT,
    decided_by            TEXT,
    decided_at            TEXT,
    reject_reason         TEXT,
    deleted               INTEGER
) STRICT;
CREATE INDEX supplier_response_action ON supplier_response (action_id);
