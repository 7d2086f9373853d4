-- Baselines: a named, versioned release the diff compares new releases against (no old installer needed).
CREATE TABLE baselines (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    version     TEXT,
    artifact_id INTEGER NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
    added_at    TEXT NOT NULL,
    note        TEXT
);
CREATE INDEX baselines_by_name ON baselines(name, id);
