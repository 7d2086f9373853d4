-- Scans: one row per scanned artifact, keyed by name and version (the diff compares against them).
CREATE TABLE artifacts (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    version     TEXT,
    sha256      TEXT,
    target      TEXT NOT NULL,
    kind        TEXT,
    command     TEXT NOT NULL DEFAULT 'scan',
    scanned_at  TEXT NOT NULL,
    verdict     TEXT NOT NULL,
    score       INTEGER NOT NULL,
    report_json BLOB NOT NULL            -- zlib-compressed report without the inventory
);
CREATE INDEX artifacts_by_name ON artifacts(name, scanned_at);
CREATE INDEX artifacts_by_sha256 ON artifacts(sha256);

CREATE TABLE members (
    artifact_id   INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
    path          TEXT NOT NULL,
    size          INTEGER NOT NULL,
    type          TEXT NOT NULL,
    md5           TEXT,
    sha1          TEXT,
    sha256        TEXT,
    tlsh          TEXT,
    entropy       REAL,
    record_json   BLOB NOT NULL          -- zlib-compressed MemberRecord (with its facts)
);
CREATE INDEX members_by_artifact ON members(artifact_id);
CREATE INDEX members_by_sha256 ON members(sha256);

CREATE TABLE findings (
    artifact_id   INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
    rule          TEXT NOT NULL,
    severity      TEXT NOT NULL,
    path          TEXT NOT NULL,
    message       TEXT NOT NULL,
    evidence_json TEXT NOT NULL
);
CREATE INDEX findings_by_artifact ON findings(artifact_id);
CREATE INDEX findings_by_rule ON findings(rule);
