-- Known-good third-party components: (normalised file name, claimed version) -> hashes of good builds.
CREATE TABLE known_components (
    key         TEXT NOT NULL,           -- normalised file name, e.g. "ffmpeg.dll", "avcodec-61.dll"
    name        TEXT NOT NULL,           -- file name as learned
    version     TEXT NOT NULL,           -- version the file claims (version resource, assembly, package)
    product     TEXT,
    sha256      TEXT NOT NULL,
    size        INTEGER,
    source      TEXT,                    -- the artifact it was learned from
    learned_at  TEXT NOT NULL,
    PRIMARY KEY (key, version, sha256)
);
CREATE INDEX known_components_by_sha256 ON known_components(sha256);
