-- Near-duplicate and story views; recreated on every writable connect with views.sql.

-- Each canonical article that has near-duplicate copies, one row per copy.
CREATE OR REPLACE VIEW syndication AS
WITH sources AS (
    SELECT article_id, string_agg(DISTINCT source, ', ' ORDER BY source) AS outlets,
           min(fetched_at) AS first_fetched, max(fetched_at) AS last_fetched
    FROM documents GROUP BY article_id
), groups AS (
    SELECT coalesce(duplicate_of, article_id) AS canonical_id,
           min(first_seen_at) AS first_seen_at, max(first_seen_at) AS last_seen_at,
           count(*) - 1 AS copies
    FROM articles GROUP BY ALL HAVING count(*) > 1
)
SELECT g.canonical_id, c.title AS canonical_title, c.published_at AS canonical_published_at,
       cs.outlets AS canonical_outlets, g.copies, g.first_seen_at, g.last_seen_at,
       a.article_id AS copy_id, a.title AS copy_title, a.published_at AS copy_published_at,
       a.similarity, s.outlets AS copy_outlets, a.first_seen_at AS copy_first_seen_at
FROM groups g
JOIN articles c ON c.article_id = g.canonical_id
JOIN articles a ON a.duplicate_of = g.canonical_id
LEFT JOIN sources cs ON cs.article_id = g.canonical_id
LEFT JOIN sources s ON s.article_id = a.article_id
ORDER BY g.canonical_id, a.published_at NULLS LAST, a.first_seen_at, a.article_id;

-- Per story and article: the story's outlets and size, each article's outlets, its position and
-- the time from the story's first publication to it (the follow-up delay). An article without a
-- publication time has NULL published_at and after_first (never its ingest time) and comes last.
CREATE OR REPLACE VIEW story_coverage AS
WITH article_outlets AS (
    SELECT article_id, string_agg(DISTINCT source, ', ' ORDER BY source) AS outlets
    FROM documents GROUP BY article_id
), story_outlets AS (
    SELECT a.story_id, string_agg(DISTINCT d.source, ', ' ORDER BY d.source) AS outlets
    FROM articles a JOIN documents d USING (article_id) WHERE a.story_id IS NOT NULL GROUP BY a.story_id
), members AS (
    SELECT a.story_id, a.article_id, a.title, a.duplicate_of, a.published_at, a.first_seen_at, o.outlets
    FROM articles a LEFT JOIN article_outlets o USING (article_id) WHERE a.story_id IS NOT NULL
)
SELECT s.story_id, s.title AS story_title, s.article_count, s.source_count, so.outlets AS story_outlets,
       s.first_published_at, m.article_id, m.title, m.outlets, m.duplicate_of, m.published_at, m.first_seen_at,
       row_number() OVER (PARTITION BY m.story_id
                          ORDER BY m.published_at NULLS LAST, m.first_seen_at, m.article_id) AS position,
       m.published_at - min(m.published_at) OVER (PARTITION BY m.story_id) AS after_first
FROM stories s JOIN members m USING (story_id) LEFT JOIN story_outlets so USING (story_id)
ORDER BY s.first_published_at NULLS LAST, s.story_id, position;
