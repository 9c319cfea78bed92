"""CPU seconds of each process of one `newsflow ingest` run: the flow process, its workers, Prefect's API.

    python bench/cpu_split.py [--pages 1000] [-- extra ingest options, e.g. --workers 1]

Runs `newsflow ingest` on the bench corpus (fresh DuckDB file and PREFECT_HOME) and samples every
process of its tree from /proc every 0.2 s (utime + stime; the last sample of each process counts,
so a process living less than 0.2 s is missed). CPU time, unlike wall time, is little moved by
other load on a shared machine: it says where the run's work is, and whether the flow process
takes CPU away from the workers.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

BIN = Path(sys.executable).parent
TICK = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """Children of every thread of `pid` (the workers' fork server is started from a task's thread)."""
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return out


def _sample(root: int, seen: dict[int, tuple[str, float]]) -> None:
    todo = [root]
    while todo:
        pid = todo.pop()
        todo.extend(_children(pid))
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        cmd = cmd.strip() or seen.get(pid, ("",))[0]  # an exited (zombie) process has no command line
        seen[pid] = (cmd, (int(fields[11]) + int(fields[12])) / TICK)


def kind(cmd: str) -> str:
    if "forkserver" in cmd:
        return "workers (fork server and its processes)"
    if "uvicorn" in cmd or "prefect" in cmd and "server" in cmd:
        return "Prefect's API (uvicorn)"
    if "newsflow" in cmd and "ingest" in cmd:
        return "flow process"
    return f"other: {cmd[:60]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    args, extra = parser.parse_known_args()
    extra = [e for e in extra if e != "--"]
    folder = HERE / ".corpus" / f"v{corpus.VERSION}-{args.pages}"
    corpus.generate(folder, args.pages)
    with tempfile.TemporaryDirectory(prefix="cpu-split-") as tmp:
        env = {**os.environ, "PREFECT_HOME": f"{tmp}/home", "DO_NOT_TRACK": "1",
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "GX_ANALYTICS_ENABLED": "false"}
        for _ in range(3):  # Prefect's one-time first start, not counted (retried: it can time out on a busy machine)
            if subprocess.run([str(BIN / "python"), "-c", "from prefect import flow\n@flow\ndef empty():\n    pass\nempty()"],
                              env=env, capture_output=True).returncode == 0:
                break
        started = time.perf_counter()
        proc = subprocess.Popen([str(BIN / "newsflow"), "ingest", str(folder), "--db", f"{tmp}/nf.duckdb",
                                 "--no-progress", *extra], env=env, stdout=subprocess.DEVNULL)
        seen: dict[int, tuple[str, float]] = {}
        while proc.poll() is None:
            _sample(proc.pid, seen)
            time.sleep(0.2)
        wall = time.perf_counter() - started
    per = Counter()
    for cmd, cpu in seen.values():
        per[kind(cmd)] += cpu
    print(f"{args.pages} pages {' '.join(extra)}: wall {wall:.1f} s, {args.pages / wall:.1f} pages/s")
    for name, cpu in per.most_common():
        print(f"  {name:<42} {cpu:7.1f} s CPU  {cpu * 1000 / args.pages:6.1f} ms/page")
    total = sum(per.values())
    print(f"  {'all':<42} {total:7.1f} s CPU  {total * 1000 / args.pages:6.1f} ms/page")


if __name__ == "__main__":
    main()
