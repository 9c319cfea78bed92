"""Great Expectations suites and the validation runner (imported lazily: GX is slow to import)."""
