-- newsflow warehouse, version 6: analysts see the contract tables and the views (schema main);
-- indexes and bookkeeping move to the schema `internal`. DuckDB has no ALTER TABLE ... SET SCHEMA,
-- so each table is created again there (same columns and keys) and its rows copied.
-- schema_migrations itself is moved by warehouse/db.py before migrations run.

CREATE SCHEMA IF NOT EXISTS internal;

CREATE TABLE internal.similarity_index (
    name        VARCHAR PRIMARY KEY,
    params      VARCHAR NOT NULL,
    n_docs      BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
INSERT INTO internal.similarity_index SELECT name, params, n_docs, updated_at FROM main.similarity_index;
DROP TABLE main.similarity_index;

CREATE TABLE internal.neardup_signatures (
    article_id     VARCHAR NOT NULL,
    signature      BLOB NOT NULL,
    shingle_count  INTEGER NOT NULL
);
INSERT INTO internal.neardup_signatures SELECT article_id, signature, shingle_count FROM main.neardup_signatures;
DROP TABLE main.neardup_signatures;

CREATE TABLE internal.neardup_bands (
    band_hash   BIGINT NOT NULL,
    article_id  VARCHAR NOT NULL
);
INSERT INTO internal.neardup_bands SELECT band_hash, article_id FROM main.neardup_bands;
DROP TABLE main.neardup_bands;

CREATE TABLE internal.story_df (
    term  VARCHAR NOT NULL,
    df    BIGINT NOT NULL
);
INSERT INTO internal.story_df SELECT term, df FROM main.story_df;
DROP TABLE main.story_df;

CREATE TABLE internal.story_centroids (
    story_id       VARCHAR NOT NULL,
    first_at       TIMESTAMPTZ NOT NULL,
    last_at        TIMESTAMPTZ NOT NULL,
    article_count  INTEGER NOT NULL
);
INSERT INTO internal.story_centroids SELECT story_id, first_at, last_at, article_count FROM main.story_centroids;
DROP TABLE main.story_centroids;

CREATE TABLE internal.story_terms (
    story_id  VARCHAR NOT NULL,
    term      VARCHAR NOT NULL,
    weight    DOUBLE NOT NULL
);
INSERT INTO internal.story_terms SELECT story_id, term, weight FROM main.story_terms;
DROP TABLE main.story_terms;

-- Full-text search (warehouse/search.py): the tokens of each article's title and text, as DuckDB's
-- fts extension would index them (docs/search.md). Filled at load; older articles are indexed by
-- the first load after this migration.
CREATE TABLE internal.search_docs (
    article_id  VARCHAR PRIMARY KEY,
    len         INTEGER NOT NULL          -- indexed terms in title and text (stopwords excluded)
);
CREATE TABLE internal.search_terms (
    term        VARCHAR NOT NULL,         -- a stem
    article_id  VARCHAR NOT NULL,
    field       VARCHAR NOT NULL,         -- title | text
    tf          INTEGER NOT NULL          -- occurrences in that field
);

-- An article's outlet is known from its documents when the page did not name its site.
UPDATE articles SET site_name = d.source
FROM (SELECT article_id, arg_min(source, fetched_at) AS source FROM documents WHERE source IS NOT NULL
      GROUP BY article_id) d
WHERE articles.article_id = d.article_id AND articles.site_name IS NULL;
