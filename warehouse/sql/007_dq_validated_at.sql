-- Data quality history: when each result was produced and by which GX expectation type; and which
-- kind of run a `runs` row is (an ingest, or a whole-warehouse `newsflow validate`).

ALTER TABLE dq_results ADD COLUMN validated_at TIMESTAMPTZ;
ALTER TABLE dq_results ADD COLUMN expectation_type VARCHAR;  -- GX type, e.g. expect_column_values_to_not_be_null
ALTER TABLE runs ADD COLUMN kind VARCHAR DEFAULT 'ingest';   -- ingest | validate
