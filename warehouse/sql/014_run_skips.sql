-- Files discovery skipped inside the folders a run scanned (hidden, other type, symlink, not a
-- regular file, dangling link, unreadable), so that every file a run saw is accounted for in SQL,
-- not only in the console line and the Prefect artifact. No default: runs from before this
-- migration (and `newsflow validate` runs, which scan nothing) have NULL, not a made-up 0.

ALTER TABLE runs ADD COLUMN skipped INTEGER;                      -- files skipped, all reasons
ALTER TABLE runs ADD COLUMN skip_reasons MAP(VARCHAR, INTEGER);   -- reason -> files
