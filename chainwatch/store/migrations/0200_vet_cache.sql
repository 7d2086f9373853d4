-- vet: judged package artifacts by content hash, so a re-run (or an interrupted run) skips them
CREATE TABLE IF NOT EXISTS vet_results (
    sha256 TEXT NOT NULL,
    analysis_version INTEGER NOT NULL,
    ecosystem TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT,
    filename TEXT,
    verdict TEXT NOT NULL,
    score INTEGER NOT NULL,
    findings_json TEXT NOT NULL,
    judged_at TEXT NOT NULL,
    PRIMARY KEY (sha256, analysis_version)
);
CREATE INDEX IF NOT EXISTS vet_results_name ON vet_results (ecosystem, name, version);
