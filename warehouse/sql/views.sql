-- Views are recreated on every writable connect; they hold no data.

CREATE OR REPLACE VIEW article_sources AS
SELECT a.article_id, a.title, a.language, a.word_count, a.published_at,
       d.origin, d.source, d.canonical_url, d.fetched_at, d.is_duplicate, d.run_id
FROM articles a JOIN documents d USING (article_id);

CREATE OR REPLACE VIEW rule_hits AS
SELECT rule, count(*) AS segments, count(DISTINCT document_id) AS documents,
       any_value(segment) AS example
FROM removed_segments GROUP BY rule ORDER BY segments DESC;
