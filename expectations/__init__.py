"""Great Expectations suites and the validation runner (imported lazily: GX is slow to import).

`expectations.suites` holds the checks as data and `QualityConfig`; `expectations.runner.validate`
runs them on DataFrames and returns a `Report`. Neither module imports GX or pandas at import time.
See docs/quality.md.
"""
