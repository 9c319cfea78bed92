-- Run history: seconds spent per stage (discover, acquire, extract, clean, normalize, validate, load).
-- Batch stages add up the time of every batch, so with several workers they can exceed the wall time.

ALTER TABLE runs ADD COLUMN stage_seconds MAP(VARCHAR, DOUBLE);
