-- Data quality: rows held back by a warning-level expectation, and their count per run.

CREATE TABLE quarantine (
    article_id      VARCHAR PRIMARY KEY,
    title           VARCHAR,
    authors         VARCHAR[],
    published_at    TIMESTAMPTZ,
    language        VARCHAR,
    language_prob   DOUBLE,
    text            VARCHAR NOT NULL,
    word_count      INTEGER NOT NULL,
    content_hash    VARCHAR NOT NULL UNIQUE,
    site_name       VARCHAR,
    description     VARCHAR,
    run_id          VARCHAR NOT NULL,
    checks          VARCHAR[] NOT NULL,      -- the expectations that caught the row
    quarantined_at  TIMESTAMPTZ NOT NULL
);

ALTER TABLE runs ADD COLUMN quarantined INTEGER DEFAULT 0;
