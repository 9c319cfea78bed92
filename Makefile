# newsflow: `make run` ingests the bundled samples, `make test` runs the tests.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DB ?= newsflow.duckdb
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export GX_ANALYTICS_ENABLED := false

SEEDS ?= ../shared/seeds
DQ_DB ?= reports/dq.duckdb

.PHONY: install lock run examples docs-tables test test-fast eval dq bench bench-dedup bench-runners serve clean

install: $(STAMP)

# The exact versions in requirements.lock, then newsflow itself (editable, no further resolution).
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

lock: install  ## re-resolve requirements.lock from pyproject.toml (after changing a dependency)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	echo "duckdb==2.0.0" > .lock-constraints.txt  # the warehouse format the tests and docs measured
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra bench --python-version 3.11 \
		-c .lock-constraints.txt -o requirements.lock --no-header --no-annotate
	rm -f .lock-constraints.txt
	sed -i '1i # Exact versions for `make install` and CI, resolved from pyproject.toml by `make lock` (uv pip compile).' requirements.lock

run: install  ## ingest the bundled sample corpus into $(DB), then show two queries to try
	$(VENV)/bin/newsflow ingest --db $(DB)
	@$(MAKE) -s examples DB=$(DB)

examples:  ## two example queries to paste (docs/tables.md lists every table and view)
	@echo ""
	@echo "Try:"
	@echo '  $(VENV)/bin/newsflow query "SELECT outlet, published_at, word_count, title FROM articles_canonical" --db $(DB)'
	@echo '  $(VENV)/bin/newsflow search "reservoir hose ban" --db $(DB)'

docs-tables: install  ## regenerate docs/tables.md from the warehouse catalog (warehouse/sql/comments.sql)
	$(PY) -m newsflow.warehouse.catalog > docs/tables.md

# pytest-xdist workers for `make test` and `make test-fast` (a test file stays on one worker); 0 = serial.
TEST_JOBS ?= 2

test: install  ## the whole test suite (ruff, then pytest on $(TEST_JOBS) workers)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q -n $(TEST_JOBS) --dist loadfile

test-fast: install  ## the inner loop: tests not marked slow (no servers, subprocess runs or builds)
	$(VENV)/bin/pytest -q -n $(TEST_JOBS) --dist loadfile -m "not slow"

eval: install  ## extraction quality on fundus-eval, readability-news and the multilingual samples (fails below a pinned floor)
	$(PY) bench/eval_extraction.py

bench: install  ## throughput vs trafilatura on a generated 1k corpus, re-run, small run, peak RSS at 5k/50k (BENCHMARKS.md; QUICK=1: a few minutes)
	$(PY) bench/bench_throughput.py $(if $(QUICK),--quick,)

bench-dedup: install  ## dedup stage at 5k and 50k articles: seconds, ratio, peak memory (~5 min)
	$(PY) bench/bench_dedup.py
	$(PY) bench/bench_dedup.py --sweep

dq: install  ## ingest the samples (and the seeds if present), validate, Data Docs in reports/dq
	mkdir -p reports && rm -f $(DQ_DB) $(DQ_DB).wal
	$(VENV)/bin/newsflow ingest --db $(DQ_DB) --no-progress
	if [ -d $(SEEDS) ]; then $(VENV)/bin/newsflow ingest $(SEEDS) --db $(DQ_DB) --no-progress; fi
	$(VENV)/bin/newsflow validate --db $(DQ_DB) --docs reports/dq

serve: install  ## serve the deployments in prefect.yaml (starts a Prefect server on 127.0.0.1 unless PREFECT_API_URL is set)
	$(VENV)/bin/newsflow serve

bench-runners: install  ## wall time per task runner (threads, processes, dask) on the samples and 600 generated pages
	$(PY) bench/bench_runners.py

clean:
	rm -rf $(VENV) *.egg-info reports $(DB) $(DB).wal $(DB).lock
