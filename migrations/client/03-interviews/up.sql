-- Schema 3: confidential worker interviews.

-- A reviewer's age public key (synced; written by the server's admin commands).
-- Finalised interviews are sealed to every key that is neither revoked nor deleted.
CREATE TABLE reviewer_key (
    id          TEXT PRIMARY KEY,
    public_key  TEXT,
    reviewer    TEXT,
    revoked     INTEGER,
    deleted     INTEGER
) STRICT;

-- The interviewer's draft key check (local only, never synced). The key itself is
-- derived from the interviewer's passphrase with Argon2id and is never stored: this
-- row holds only the salt and a known value encrypted under the key, so a wrong
-- passphrase is told apart from a damaged draft.
CREATE TABLE interview_key (
    singleton         INTEGER PRIMARY KEY CHECK (singleton = 1),
    salt              BLOB NOT NULL,
    kdf               TEXT NOT NULL,
    check_nonce       BLOB NOT NULL,
    check_ciphertext  BLOB NOT NULL
) STRICT;

-- Interview drafts (local only): the whole draft is XChaCha20-Poly1305 ciphertext
-- under the draft key, bound to its id and audit. Deleted on finalisation.
CREATE TABLE interview_draft (
    id          TEXT PRIMARY KEY,
    audit_id    TEXT NOT NULL REFERENCES audit (id),
    nonce       BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX interview_draft_audit ON interview_draft (audit_id);

-- Sampling coverage of finalised interviews per audit (local only), encrypted under
-- the draft key like the drafts: the categories of sealed interviews stay readable
-- to the interviewer who holds the passphrase, and to nobody else on this device.
CREATE TABLE interview_tally (
    audit_id    TEXT PRIMARY KEY REFERENCES audit (id),
    nonce       BLOB NOT NULL,
    ciphertext  BLOB NOT NULL
) STRICT;
