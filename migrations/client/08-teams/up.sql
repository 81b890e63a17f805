-- Schema 8: audit teams (synced) and the audits this device holds.

-- A member of an audit's team (lead, auditor or interviewer). Its id is derived
-- from the audit and the user (crates/protocol/src/scope.rs, member_row_id).
CREATE TABLE audit_member (
    id        TEXT PRIMARY KEY,
    audit_id  TEXT REFERENCES audit (id),
    user_id   TEXT,
    username  TEXT,
    role      TEXT,
    deleted   INTEGER
) STRICT;
CREATE INDEX audit_member_audit ON audit_member (audit_id);
CREATE INDEX audit_member_user ON audit_member (user_id);
