#!/bin/bash
# first run and re-run of a 10k corpus, fresh PREFECT_HOME (warmed by an empty flow) and DB
set -e
cd /work/main
export DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false GX_ANALYTICS_ENABLED=false PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=300
T=$(date +%s)
.venv/bin/python -c "
import sys; sys.path.insert(0,'bench'); import bench_throughput as b; print(b.corpus_of(10000))"
echo "corpus ready in $(( $(date +%s) - T )) s"
W=/tmp/bench/r10k; rm -rf $W; mkdir -p $W
export PREFECT_HOME=$W/home
printf 'from prefect import flow\n@flow\ndef empty():\n    return None\nempty()\n' > $W/empty.py
.venv/bin/python $W/empty.py > /dev/null 2>&1
uptime
/usr/bin/time -f "first %e s wall, %M KB maxrss(flow)" .venv/bin/newsflow ingest bench/.corpus/v1-10000 --db $W/w.duckdb --no-progress 2>&1 | tail -3
/usr/bin/time -f "rerun %e s wall, %M KB maxrss(flow)" .venv/bin/newsflow ingest bench/.corpus/v1-10000 --db $W/w.duckdb --no-progress 2>&1 | tail -3
.venv/bin/python -c "
import duckdb; c=duckdb.connect('$W/w.duckdb',read_only=True)
for r in c.execute('select inputs,new_articles,duplicates,stage_seconds from runs order by started_at').fetchall(): print(r)"
uptime
