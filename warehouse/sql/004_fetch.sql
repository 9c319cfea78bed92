-- Fetching from the web: per-URL state for incremental runs, and what each fetched document's
-- response and listing said.

CREATE TABLE url_state (
    canonical_url    VARCHAR PRIMARY KEY,  -- the URL as asked for (canonical form)
    etag             VARCHAR,              -- validators for the next run's conditional request
    last_modified    VARCHAR,
    last_status      INTEGER,              -- 200, or 304 when the last request found it unchanged
    last_fetched_at  TIMESTAMPTZ,
    raw_sha256       VARCHAR,              -- the body in the raw store (<db>.raw/ab/cd/<sha256>.gz)
    kind             VARCHAR               -- html | text | listing (feed or sitemap)
);

ALTER TABLE documents ADD COLUMN final_url VARCHAR;            -- where the redirects ended
ALTER TABLE documents ADD COLUMN listing_url VARCHAR;          -- the feed or sitemap that named it
ALTER TABLE documents ADD COLUMN listed_title VARCHAR;         -- the listing's title for it
ALTER TABLE documents ADD COLUMN listed_published_at TIMESTAMPTZ;
ALTER TABLE documents ADD COLUMN listed_updated_at TIMESTAMPTZ; -- Atom <updated>, sitemap <lastmod>
ALTER TABLE documents ADD COLUMN http_status INTEGER;
ALTER TABLE documents ADD COLUMN content_type VARCHAR;         -- the whole Content-Type header

ALTER TABLE runs ADD COLUMN unchanged INTEGER DEFAULT 0;         -- URLs answered 304 (not inputs)
ALTER TABLE runs ADD COLUMN already_ingested INTEGER DEFAULT 0;  -- URLs skipped before fetching (not inputs)
