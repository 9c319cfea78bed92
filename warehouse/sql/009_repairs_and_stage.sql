-- Extraction audit: metadata values the extractor replaced or dropped (e.g. a placeholder date),
-- and which stage removed each boilerplate segment: 'html' (structural rules, before trafilatura)
-- or 'text' (the paragraph rules). quarantine mirrors the articles columns.

ALTER TABLE articles ADD COLUMN repairs VARCHAR[];
ALTER TABLE quarantine ADD COLUMN repairs VARCHAR[];
ALTER TABLE removed_segments ADD COLUMN stage VARCHAR DEFAULT 'text';
