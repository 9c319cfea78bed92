-- Permanent fetch failures (404, 410) are remembered with a back-off, so a dead URL is not fetched
-- again every time its listing changes; and what a page declared as rel=canonical is kept even when
-- it names another site (it is then not used as the document's canonical_url); and when decoding
-- overruled a declared charset (a UTF-8 page labelled ISO-8859-1), the note says so.

ALTER TABLE url_state ADD COLUMN failures INTEGER DEFAULT 0;  -- permanent failures in a row (0 after a success)
ALTER TABLE url_state ADD COLUMN retry_after TIMESTAMPTZ;      -- not fetched again before this (NULL = any time)

ALTER TABLE documents ADD COLUMN declared_canonical VARCHAR;   -- the page's rel=canonical as written
ALTER TABLE documents ADD COLUMN charset_note VARCHAR;          -- decoded as UTF-8 though declared otherwise
