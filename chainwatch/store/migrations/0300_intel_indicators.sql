-- Threat-intel indicators (hashes, names, domains, rules, ...) and where they came from.
-- Sized for >= 10 million indicators: the UNIQUE (kind, value, source_id) index doubles as the
-- (kind, value) lookup index; value alone is indexed for kind-agnostic lookups (log hunting).
CREATE TABLE IF NOT EXISTS intel_source (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,          -- e.g. "builtin:3cx", "signature-base:iocs/hash-iocs.txt"
    feed TEXT,                          -- the import run's feed name, e.g. "signature-base", "misp", "stix"
    location TEXT,                      -- file or directory it was read from
    license TEXT,
    attribution TEXT,
    imported_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS intel_indicator (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    source_id INTEGER NOT NULL REFERENCES intel_source(id) ON DELETE CASCADE,
    score INTEGER NOT NULL DEFAULT 75,
    description TEXT NOT NULL DEFAULT '',
    campaign TEXT,
    first_seen TEXT,
    last_seen TEXT,
    expires TEXT,
    reference TEXT,
    extra TEXT,                         -- JSON object, NULL when empty
    UNIQUE (kind, value, source_id)
);
CREATE INDEX IF NOT EXISTS intel_indicator_value ON intel_indicator (value);
CREATE INDEX IF NOT EXISTS intel_indicator_source ON intel_indicator (source_id);
CREATE INDEX IF NOT EXISTS intel_indicator_campaign ON intel_indicator (campaign) WHERE campaign IS NOT NULL;
CREATE INDEX IF NOT EXISTS intel_indicator_expires ON intel_indicator (expires) WHERE expires IS NOT NULL;

-- Resumable hunts: one row per finished file of a run, findings kept so a resumed run reports them.
CREATE TABLE IF NOT EXISTS hunt_run (
    run_key TEXT PRIMARY KEY,           -- hash of the roots, options and indicator set
    roots TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS hunt_done (
    run_key TEXT NOT NULL REFERENCES hunt_run(run_key) ON DELETE CASCADE,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    findings TEXT,                      -- JSON list of findings, NULL when none
    errors TEXT,                        -- JSON list of scan errors, NULL when none
    PRIMARY KEY (run_key, path)
) WITHOUT ROWID;
