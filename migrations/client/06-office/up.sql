-- Schema 6: the office's reference tables (org scope, imported by an admin, synced).

-- A dated exchange rate: `rate` units of to_currency for one unit of from_currency.
CREATE TABLE exchange_rate (
    id             TEXT PRIMARY KEY,
    rate_date      TEXT,
    from_currency  TEXT,
    to_currency    TEXT,
    rate           TEXT,
    source         TEXT,
    deleted        INTEGER
) STRICT;
CREATE INDEX exchange_rate_lookup ON exchange_rate (from_currency, to_currency, rate_date);

-- A country's latest value of one World Bank governance indicator (WGI).
CREATE TABLE wgi_value (
    id               TEXT PRIMARY KEY,
    country_code     TEXT,
    indicator        TEXT,
    year             INTEGER,
    estimate         TEXT,
    percentile_rank  TEXT,
    dataset          TEXT,
    deleted          INTEGER
) STRICT;
CREATE INDEX wgi_value_country ON wgi_value (country_code);

-- Office queries: CAP items by status and due date, audits by status and date.
CREATE INDEX corrective_action_status ON corrective_action (status, due_date);
CREATE INDEX audit_status ON audit (status, start_date);
CREATE INDEX finding_item ON finding (template_id, item_id);

-- The day a CAP item reached done or verified (days to close; cleared on reopening).
ALTER TABLE corrective_action ADD COLUMN closed_on TEXT;
