-- newsflow warehouse, version 1: the table contract of ARCHITECTURE.md.

CREATE TABLE runs (
    run_id        VARCHAR PRIMARY KEY,
    flow_run_id   VARCHAR,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR NOT NULL,        -- completed | failed
    inputs        INTEGER NOT NULL,
    new_articles  INTEGER NOT NULL,
    duplicates    INTEGER NOT NULL,
    rejected      INTEGER NOT NULL,
    error         VARCHAR
);

CREATE TABLE articles (
    article_id     VARCHAR PRIMARY KEY,    -- first 16 hex digits of content_hash
    title          VARCHAR,
    authors        VARCHAR[],
    published_at   TIMESTAMPTZ,
    language       VARCHAR,
    language_prob  DOUBLE,
    text           VARCHAR NOT NULL,
    word_count     INTEGER NOT NULL,
    content_hash   VARCHAR NOT NULL UNIQUE, -- sha256 of the folded text
    site_name      VARCHAR,
    description    VARCHAR,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    first_run_id   VARCHAR NOT NULL,
    duplicate_of   VARCHAR,                -- canonical article_id for a near-duplicate
    similarity     DOUBLE,
    story_id       VARCHAR
);

CREATE TABLE documents (
    document_id    VARCHAR PRIMARY KEY,
    run_id         VARCHAR NOT NULL,
    origin         VARCHAR NOT NULL,       -- file path or URL as given
    kind           VARCHAR NOT NULL,       -- html | text
    url            VARCHAR,
    canonical_url  VARCHAR,
    source         VARCHAR,                -- the outlet
    fetched_at     TIMESTAMPTZ NOT NULL,
    raw_sha256     VARCHAR NOT NULL,
    article_id     VARCHAR NOT NULL,
    is_duplicate   BOOLEAN NOT NULL        -- the article was already known (exact copy)
);

CREATE TABLE removed_segments (
    document_id  VARCHAR NOT NULL,
    position     INTEGER NOT NULL,         -- order within the document
    rule         VARCHAR NOT NULL,
    segment      VARCHAR NOT NULL
);

CREATE TABLE rejects (
    run_id       VARCHAR NOT NULL,
    origin       VARCHAR NOT NULL,
    stage        VARCHAR NOT NULL,         -- acquire | decode | extract | clean | normalize | load
    reason       VARCHAR NOT NULL,
    detail       VARCHAR,
    rejected_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE dq_results (
    run_id          VARCHAR NOT NULL,
    suite           VARCHAR NOT NULL,
    expectation     VARCHAR NOT NULL,
    column_name     VARCHAR,
    success         BOOLEAN NOT NULL,
    observed_value  VARCHAR,
    severity        VARCHAR NOT NULL
);

CREATE TABLE stories (
    story_id            VARCHAR PRIMARY KEY,
    title               VARCHAR,
    first_published_at  TIMESTAMPTZ,
    article_count       INTEGER NOT NULL,
    source_count        INTEGER NOT NULL
);
