-- Schema 2 (PostgreSQL; same as server-sqlite 02-scope): scoped sync (each row's audit; what each device holds) and accounts
-- (disabled users, sign-in throttling).

-- The audit a row belongs to (NULL: the organisation's, e.g. facilities) and the
-- user who wrote it first (an audit's starter leads it until a team is assigned).
ALTER TABLE row_owner ADD COLUMN audit_id TEXT;
ALTER TABLE row_owner ADD COLUMN created_by TEXT;
UPDATE row_owner SET audit_id = row_id WHERE entity = 'audit';
UPDATE row_owner SET audit_id = (
    SELECT btrim(f.value, '"') FROM field_state f
    WHERE f.organisation_id = row_owner.organisation_id AND f.entity = row_owner.entity
      AND f.row_id = row_owner.row_id AND f.field = 'audit_id' AND f.value <> 'null')
WHERE entity IN ('repeat_instance', 'answer', 'finding', 'attachment', 'fee_record', 'interview', 'signoff', 'audit_member', 'reopening');
UPDATE row_owner SET audit_id = (
    SELECT p.audit_id FROM field_state f JOIN row_owner p ON p.row_id = btrim(f.value, '"')
    WHERE f.organisation_id = row_owner.organisation_id AND f.entity = row_owner.entity
      AND f.row_id = row_owner.row_id AND f.field = CASE row_owner.entity WHEN 'corrective_action' THEN 'finding_id' ELSE 'fee_record_id' END)
WHERE entity IN ('corrective_action', 'fee');
-- A finding's verifications and a CAP item's supplier responses (after the items above).
UPDATE row_owner SET audit_id = (
    SELECT p.audit_id FROM field_state f JOIN row_owner p ON p.row_id = btrim(f.value, '"')
    WHERE f.organisation_id = row_owner.organisation_id AND f.entity = row_owner.entity
      AND f.row_id = row_owner.row_id AND f.field = CASE row_owner.entity WHEN 'verification' THEN 'finding_id' ELSE 'action_id' END)
WHERE entity IN ('verification', 'supplier_response');
UPDATE row_owner SET audit_id = (
    SELECT p.audit_id FROM field_state f JOIN row_owner p ON p.row_id = btrim(f.value, '"')
    WHERE f.organisation_id = row_owner.organisation_id AND f.entity = 'conflict'
      AND f.row_id = row_owner.row_id AND f.field = 'row_id')
WHERE entity = 'conflict';
-- Rows of an audit whose audit is unknown: held by no device (reviewers see them).
UPDATE row_owner SET audit_id = '00000000-0000-0000-0000-000000000000'
WHERE audit_id IS NULL AND entity NOT IN ('facility', 'reviewer_key', 'exchange_rate', 'wgi_value', 'conflict');
CREATE INDEX row_owner_audit ON row_owner (organisation_id, audit_id, entity);

-- Each change's audit, so a device's pull reads only its audits' changes.
ALTER TABLE change_log ADD COLUMN audit_id TEXT;
UPDATE change_log SET audit_id = (SELECT r.audit_id FROM row_owner r WHERE r.row_id = change_log.row_id);
CREATE INDEX change_log_scope ON change_log (organisation_id, audit_id, server_seq);

-- Audits by facility: the earlier audits a follow-up carries.
CREATE INDEX field_state_audit_facility ON field_state (organisation_id, value)
    WHERE entity = 'audit' AND field = 'facility_id';

-- Team rows by user: which audits a user is on.
CREATE INDEX field_state_member_user ON field_state (organisation_id, value)
    WHERE entity = 'audit_member' AND field = 'user_id';

-- The audits each device of an auditor or interviewer holds: sent in scope epoch
-- added_epoch, told to remove in removed_epoch (forgotten once it confirms).
CREATE TABLE device_audit (
    device_id     TEXT NOT NULL,
    audit_id      TEXT NOT NULL,
    team_role     TEXT NOT NULL,
    added_epoch   BIGINT NOT NULL,
    removed_epoch BIGINT,
    -- 1: an earlier audit of a follow-up's facility, held only for what the
    -- follow-up verifies (protocol scope::FOLLOW_UP_CARRIES).
    carried       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, audit_id)
);
ALTER TABLE device ADD COLUMN scope_epoch BIGINT NOT NULL DEFAULT 0;
-- 1 when the device was last served as one that receives only its audits.
ALTER TABLE device ADD COLUMN scoped BIGINT NOT NULL DEFAULT 0;

-- A disabled user cannot sign in, and their devices' tokens stop working.
ALTER TABLE app_user ADD COLUMN disabled_at TEXT;

-- Failed sign-ins per user and per address, for throttling.
CREATE TABLE sign_in_failure (
    key        TEXT PRIMARY KEY,
    failures   BIGINT NOT NULL,
    last_at    TEXT NOT NULL
);
