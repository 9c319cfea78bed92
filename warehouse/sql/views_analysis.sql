-- Analysis views (docs/tables.md, docs/analysis.md); recreated on every writable connect.
-- An outlet is documents.source: the sources-file name, --source-name, or the page's site name.

-- One row per distinct article (near-duplicate copies fold into their canonical article). Its first
-- document: the earliest fetched; among those of one time (a run's files share it), the one that
-- created the article (is_duplicate false), as articles.site_name does.
CREATE OR REPLACE VIEW articles_canonical AS
WITH own_docs AS (
    SELECT article_id, count(*) AS documents,
           arg_min(source, (fetched_at, is_duplicate, document_id)) FILTER (WHERE source IS NOT NULL) AS first_source,
           arg_min(coalesce(canonical_url, url), (fetched_at, is_duplicate, document_id))
               FILTER (WHERE coalesce(canonical_url, url) IS NOT NULL) AS first_url,
           arg_min(origin, (fetched_at, is_duplicate, document_id)) AS first_origin,
           min(fetched_at) AS first_fetched_at
    FROM documents GROUP BY article_id
), groups AS (
    SELECT coalesce(a.duplicate_of, a.article_id) AS article_id,
           count(*) FILTER (WHERE a.duplicate_of IS NOT NULL) AS copies,
           string_agg(DISTINCT d.source, ', ' ORDER BY d.source) AS outlets
    FROM articles a LEFT JOIN documents d USING (article_id) GROUP BY 1
)
SELECT a.article_id, a.title, coalesce(o.first_source, a.site_name) AS outlet, g.outlets, a.published_at,
       a.language, a.word_count, o.first_url, o.first_origin, o.first_fetched_at, a.first_seen_at,
       coalesce(o.documents, 0) AS documents, g.copies, a.story_id
FROM articles a LEFT JOIN own_docs o USING (article_id) JOIN groups g USING (article_id)
WHERE a.duplicate_of IS NULL
ORDER BY a.published_at NULLS LAST, a.first_seen_at, a.article_id;

-- Articles per outlet, publication day (UTC) and language. day is NULL for articles without a
-- publication time; it is never the ingest date.
CREATE OR REPLACE VIEW source_daily AS
WITH pairs AS (SELECT DISTINCT source, article_id FROM documents)
SELECT p.source AS outlet, CAST(timezone('UTC', a.published_at) AS DATE) AS day, a.language,
       count(*) AS articles, count(*) FILTER (WHERE a.duplicate_of IS NULL) AS originals,
       sum(a.word_count)::BIGINT AS words  -- BIGINT, not HUGEINT: survives Parquet as is
FROM pairs p JOIN articles a USING (article_id)
GROUP BY ALL
ORDER BY day NULLS LAST, outlet NULLS LAST, language NULLS LAST;

-- Runs with their counts, wall time, seconds per stage and data-quality pass rate.
CREATE OR REPLACE VIEW run_history AS
WITH dq AS (
    SELECT run_id, count(*) AS dq_checks, count(*) FILTER (WHERE success) AS dq_passed
    FROM dq_results GROUP BY run_id
), docs AS (SELECT run_id, count(*) AS documents FROM documents GROUP BY run_id)
SELECT r.run_id, r.flow_run_id, r.status, r.started_at, r.finished_at,
       round(epoch(r.finished_at - r.started_at), 3) AS seconds,
       r.inputs, coalesce(docs.documents, 0) AS documents, r.new_articles, r.duplicates, r.rejected,
       r.quarantined, r.unchanged, r.already_ingested, r.skipped, r.stage_seconds,
       dq.dq_checks, dq.dq_passed, round(dq.dq_passed / dq.dq_checks, 4) AS dq_pass_rate, r.error
FROM runs r LEFT JOIN dq USING (run_id) LEFT JOIN docs USING (run_id)
ORDER BY r.started_at;
