-- Warehouses written before exact copies recounted their story (similarity.refresh_copied_stories)
-- can hold a stale stories.source_count: a copy from a new outlet, loaded in a later run, added a
-- documents row but never touched the story. Recount every story once, as refresh_stories does.

UPDATE stories SET source_count = counted.n
FROM (
    SELECT a.story_id, count(DISTINCT d.source) AS n
    FROM articles a JOIN documents d USING (article_id)
    WHERE a.story_id IS NOT NULL
    GROUP BY a.story_id
) AS counted
WHERE stories.story_id = counted.story_id AND stories.source_count <> counted.n;
