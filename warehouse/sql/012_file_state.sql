-- Local files a committed run read, with the stat stamp they had when it found them, so the next
-- run can count an unchanged file as `unchanged` without reading it (as a 304 is for a URL).
-- One row per file path: the latest run that read it. Only files that became a documents row
-- (loaded, quarantined or an exact duplicate) are recorded; a file rejected at its latest reading
-- has no row, so it is read again.

CREATE TABLE file_state (
    origin       VARCHAR PRIMARY KEY,  -- the file path as given (documents.origin)
    outlet       VARCHAR,              -- the outlet the run named for it (--source-name, sources file); NULL if none
    device       UBIGINT NOT NULL,     -- st_dev
    inode        UBIGINT NOT NULL,     -- st_ino
    size         BIGINT NOT NULL,      -- st_size, bytes
    mtime_ns     BIGINT NOT NULL,      -- st_mtime_ns
    ctime_ns     BIGINT NOT NULL,      -- st_ctime_ns: moves on any write, and no tool can set it back
    run_id       VARCHAR NOT NULL,     -- the run that read it
    document_id  VARCHAR NOT NULL      -- that run's documents row for it
);
