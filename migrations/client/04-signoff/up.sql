-- Schema 4: audit sign-off.

-- An auditor's sign-off (synced): the device's ed25519 signature over the SHA-256
-- digest of the audit's canonical form (crates/core/src/signoff.rs).
CREATE TABLE signoff (
    id             TEXT PRIMARY KEY,
    audit_id       TEXT REFERENCES audit (id),
    signer         TEXT,
    signer_device  TEXT,
    public_key     TEXT,
    digest         TEXT,
    signature      TEXT,
    signed_at      TEXT,
    deleted        INTEGER
) STRICT;
CREATE INDEX signoff_audit ON signoff (audit_id);

-- This device's ed25519 signing key (local only, never synced). It proves which
-- device signed; it protects nothing confidential.
CREATE TABLE device_signing_key (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    secret     BLOB NOT NULL
) STRICT;
