-- newsflow warehouse, version 2: the persisted near-duplicate index and story centroids.
-- Written by warehouse/similarity.py inside the load transaction; see docs/dedup.md.

-- One row per index: what its entries were computed with. Entries made with other parameters
-- (shingle size, permutations, seed, bands, datasketch version) cannot be compared.
CREATE TABLE similarity_index (
    name        VARCHAR PRIMARY KEY,     -- neardup | stories
    params      VARCHAR NOT NULL,        -- e.g. minhash/affine32/k=3/perm=128/seed=1/bands=42x3/datasketch=2.0.0
    n_docs      BIGINT NOT NULL,         -- articles indexed
    updated_at  TIMESTAMPTZ NOT NULL
);

-- MinHash signature per indexed article: uint32 little-endian x num_perm (512 bytes at 128).
-- Kept so similarity to a new canonical can be estimated and bands rebuilt without the texts.
CREATE TABLE neardup_signatures (
    article_id     VARCHAR NOT NULL,
    signature      BLOB NOT NULL,
    shingle_count  INTEGER NOT NULL
);

-- LSH: one row per (article, band); the band number is hashed into band_hash.
-- Candidates for a batch are one equi-join of the batch's band hashes against this table.
CREATE TABLE neardup_bands (
    band_hash   BIGINT NOT NULL,
    article_id  VARCHAR NOT NULL
);

-- Story index: document frequency per term (for IDF) ...
CREATE TABLE story_df (
    term  VARCHAR NOT NULL,
    df    BIGINT NOT NULL
);

-- ... each story's time span (event time: published_at, else first_seen_at) and member count ...
CREATE TABLE story_centroids (
    story_id       VARCHAR NOT NULL,
    first_at       TIMESTAMPTZ NOT NULL,
    last_at        TIMESTAMPTZ NOT NULL,
    article_count  INTEGER NOT NULL
);

-- ... and its centroid: the strongest terms of the sum of its members' unit TF-IDF vectors.
CREATE TABLE story_terms (
    story_id  VARCHAR NOT NULL,
    term      VARCHAR NOT NULL,
    weight    DOUBLE NOT NULL
);
