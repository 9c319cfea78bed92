"""Throughput of newsflow against trafilatura alone, on one generated corpus, in one run (`make bench`).

    python bench/bench_throughput.py                 # 1k pages; peak RSS at 5k and 50k
    python bench/bench_throughput.py --quick         # 300 pages; peak RSS at 300 and 1500 (a few minutes)
    python bench/bench_throughput.py --pages 10000 --rss 5000,50000
    python bench/bench_throughput.py --pages 10000 --rerun-only   # only the first run and the re-run
    python bench/bench_throughput.py --small-only --repeat 3      # only the empty-flow and 5-page rows

Measured, each in its own process on the same corpus (bench/corpus.py, cached under bench/.corpus):
  bare loop     read + trafilatura.extract, one process: the extraction limit of one core
  trafilatura   `trafilatura --input-dir DIR -o OUT --parallel 2`
  newsflow      `newsflow ingest DIR` with default settings on a fresh DuckDB file and a fresh
                PREFECT_HOME (so no cached batch result from an earlier bench is reused), whose
                database an empty flow has created first (a one-time cost, reported on its own)
  re-run        the same command again on the unchanged corpus
  small run     `newsflow ingest` of 5 pages vs an empty Prefect flow, in Prefect's ephemeral mode
                and against a running `prefect server start`
  --help        `newsflow --help`
and peak RSS (the whole process tree, sampled every 0.1 s) of `newsflow ingest` at the --rss sizes.
Ratios are what counts: the machine is shared, so absolute seconds move from run to run. Nothing
here asserts on time; results are printed as a Markdown table and saved as JSON (--json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402  (bench/corpus.py)

BIN = Path(sys.executable).parent
CACHE = HERE / ".corpus"
EMPTY_FLOW = "from prefect import flow\n@flow\ndef empty():\n    return None\nempty()\n"


def bare_loop(folder: str) -> None:
    """Read and extract every page in one process (run as `--bare-loop DIR`)."""
    import trafilatura

    for path in sorted(Path(folder).iterdir()):
        trafilatura.extract(path.read_bytes())


def _tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo, page = 0, [pid], os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
    return total


def timed(cmd: list[str], env: dict | None = None, cwd: str | None = None) -> dict:
    """Run `cmd`; wall seconds and the peak RSS of its process tree. Fails loudly on a non-zero exit."""
    peak = [0]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    done = threading.Event()

    def sample():
        while not done.wait(0.1):
            peak[0] = max(peak[0], _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out.decode(errors='replace')[-3000:]}")
    return {"seconds": seconds, "peak_rss_mb": peak[0] / 2**20, "output": out.decode(errors="replace")[-2000:]}


def stage_seconds(db: Path) -> dict[str, float]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        (stages,) = con.execute("SELECT stage_seconds FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return {k: round(v, 2) for k, v in (stages or {}).items()}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def newsflow(folder: Path, db: Path, home: Path, extra: list[str] = (), env: dict | None = None) -> dict:
    env = {**(env or {}), "PREFECT_HOME": str(home), "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "GX_ANALYTICS_ENABLED": "false",
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300"}  # a loaded machine starts it slowly
    result = timed([str(BIN / "newsflow"), "ingest", str(folder), "--db", str(db), "--no-progress", *extra], env)
    result["stage_seconds"] = stage_seconds(db)
    return result


def note(label: str, r: dict) -> dict:
    """Print one measurement as it is taken (a long bench shows progress), and return it."""
    print(f"# {label}: {r['seconds']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB "
          f"{json.dumps(r.get('stage_seconds', ''))}", file=sys.stderr, flush=True)
    return r


def corpus_of(pages: int, plain: bool = False) -> Path:
    folder = CACHE / f"v{corpus.VERSION}-{'plain-' if plain else ''}{pages}"
    corpus.generate(folder, pages, plain=plain)
    return folder


def rss_runs(sizes: list[int], tmp: Path, env: dict, plain: bool = False) -> dict[int, dict]:
    """A fresh ingest of each corpus size (default settings, a PREFECT_HOME of its own): peak RSS of its tree."""
    empty_py = tmp / "empty_flow.py"
    empty_py.write_text(EMPTY_FLOW)
    rss = {}
    for size in sizes:
        big = corpus_of(size, plain)
        rss_home = tmp / f"prefect-home-rss-{size}"
        timed([sys.executable, str(empty_py)], {**env, "PREFECT_HOME": str(rss_home)})
        rss[size] = note(f"RSS {size}", newsflow(big, tmp / f"rss-{size}.duckdb", rss_home))
        for leftover in tmp.glob(f"rss-{size}.duckdb*"):  # a 50k warehouse is ~GBs: not kept
            leftover.unlink() if leftover.is_file() else shutil.rmtree(leftover)
        shutil.rmtree(rss_home, ignore_errors=True)  # Prefect's result storage of the run
    return rss


def rss_only(sizes: list[int], json_path: Path | None, plain: bool = False) -> None:
    """`--rss-only`: the peak-RSS target alone (a 50k run takes most of an hour)."""
    results: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
                     f"{platform.python_version()}, {platform.platform()}", "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="nf-bench-rss-") as tmp:
        env = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300"}
        rss = rss_runs(sizes, Path(tmp), env, plain)
    lines = [f"peak RSS at {size} {'plain ' if plain else ''}pages: {r['peak_rss_mb']:.0f} MB in {r['seconds']:.0f} s "
             f"({size / r['seconds']:.1f} pages/s) {json.dumps(r['stage_seconds'])}" for size, r in rss.items()]
    if len(rss) >= 2:
        lo, hi = min(rss), max(rss)
        growth = rss[hi]["peak_rss_mb"] / rss[lo]["peak_rss_mb"]
        lines.append(f"| peak RSS at {hi} <= 1.3x at {lo} | {rss[hi]['peak_rss_mb']:.0f} / "
                     f"{rss[lo]['peak_rss_mb']:.0f} MB = {growth:.2f}x | {'yes' if growth <= 1.3 else 'NO'} |")
    results["load_after"] = os.getloadavg()
    print("\n".join(lines))
    if json_path:
        results.update({"rss": {s: r["peak_rss_mb"] for s, r in rss.items()},
                        "runs": {s: {k: v for k, v in r.items() if k != "output"} for s, r in rss.items()},
                        "table": lines})
        json_path.write_text(json.dumps(results, indent=1, default=str))


def rerun_only(folder: Path, n: int, results: dict, json_path: Path | None) -> None:
    """The first run and the re-run of the unchanged corpus, as in the full bench; their ratio and stages."""
    with tempfile.TemporaryDirectory(prefix="nf-bench-") as tmp:
        tmp = Path(tmp)
        empty_py = tmp / "empty_flow.py"
        empty_py.write_text(EMPTY_FLOW)
        home = tmp / "prefect-home"
        timed([sys.executable, str(empty_py)], {"PREFECT_HOME": str(home),
                                                 "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300"})
        first = note("newsflow", newsflow(folder, tmp / "first.duckdb", home))
        again = note("re-run", newsflow(folder, tmp / "first.duckdb", home))
        summary = again["output"].strip().splitlines()
    share = again["seconds"] / first["seconds"]
    results["load_after"] = os.getloadavg()
    lines = [f"Corpus: {n} pages (bench/corpus.py v{corpus.VERSION}), {results['machine']}; load average before: "
             f"{' '.join(f'{x:.1f}' for x in results['load_before'])}, after: "
             f"{' '.join(f'{x:.1f}' for x in results['load_after'])}", "",
             "| run | seconds | pages/s | peak RSS MB |", "|---|---:|---:|---:|",
             f"| newsflow ingest DIR (fresh DuckDB file) | {first['seconds']:.1f} | {n / first['seconds']:.1f} "
             f"| {first['peak_rss_mb']:.0f} |",
             f"| newsflow ingest DIR again (unchanged corpus) | {again['seconds']:.1f} | {n / again['seconds']:.1f} "
             f"| {again['peak_rss_mb']:.0f} |", "",
             f"re-run <= 5% of first run: {share:.1%} ({'yes' if share <= 0.05 else 'NO'})",
             "re-run summary: " + next((s for s in summary if " inputs: " in s), "?"),
             "stage_seconds of the first run: " + json.dumps(first["stage_seconds"]),
             "stage_seconds of the re-run: " + json.dumps(again["stage_seconds"])]
    print("\n".join(lines))
    if json_path:
        results.update({"first": {k: v for k, v in first.items() if k != "output"},
                        "rerun": {k: v for k, v in again.items() if k != "output"}, "share": share, "table": lines})
        json_path.write_text(json.dumps(results, indent=1, default=str))


def small_only(folder: Path, repeat: int, results: dict, json_path: Path | None) -> None:
    """`--small-only`: the empty flow and the 5-page ingest, ephemeral and against a running server,
    `repeat` times each, alternating; medians, and how much of each 5-page run stage_seconds covers."""
    from newsflow.flows.serve import start_server, stop_server

    runs: dict[str, list[dict]] = {"empty": [], "five": [], "empty_srv": [], "five_srv": []}

    def measured(key: str, label: str, r: dict) -> None:
        r["load"] = os.getloadavg()[0]
        runs[key].append(note(f"{label} (load {r['load']:.1f})", r))

    with tempfile.TemporaryDirectory(prefix="nf-bench-small-") as tmp:
        tmp = Path(tmp)
        empty_py = tmp / "empty_flow.py"
        empty_py.write_text(EMPTY_FLOW)
        home = tmp / "prefect-home"
        env = {"PREFECT_HOME": str(home), "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300"}
        note("first Prefect start (empty flow, new PREFECT_HOME)", timed([sys.executable, str(empty_py)], env))

        def five_pages(name: str) -> Path:  # copies with stamps of their own: no batch result to reuse
            small = tmp / name
            small.mkdir()
            for page in sorted(folder.iterdir())[:5]:
                shutil.copy(page, small / page.name)
            return small

        for i in range(repeat):
            measured("empty", "empty flow", timed([sys.executable, str(empty_py)], env))
            measured("five", "5 pages", newsflow(five_pages(f"small-{i}"), tmp / f"small-{i}.duckdb", home))
        api_url, server = start_server(tmp / "server-home", _free_port(), log_path=tmp / "server.log", timeout=300)
        try:
            served = {"PREFECT_API_URL": api_url}
            timed([sys.executable, str(empty_py)], served)  # warm-up
            for i in range(repeat):
                measured("empty_srv", "empty flow (server)", timed([sys.executable, str(empty_py)], served))
                measured("five_srv", "5 pages (server)",
                         newsflow(five_pages(f"small-srv-{i}"), tmp / f"small-srv-{i}.duckdb", home, env=served))
        finally:
            stop_server(server)
    results["load_after"] = os.getloadavg()
    med = {key: median([r["seconds"] for r in rs]) for key, rs in runs.items()}
    lines = [f"{repeat} runs of each, alternating (bench/corpus.py v{corpus.VERSION}, first 5 pages), {results['machine']}; "
             f"load average before: {' '.join(f'{x:.1f}' for x in results['load_before'])}, after: "
             f"{' '.join(f'{x:.1f}' for x in results['load_after'])}", "",
             "| run | median s | runs s | 1-min load at each |", "|---|---:|---|---|"]
    for key, label in (("empty", "empty flow, ephemeral API"), ("five", "5-page ingest, ephemeral API"),
                       ("empty_srv", "empty flow, running server"), ("five_srv", "5-page ingest, running server")):
        seconds = " / ".join(f"{r['seconds']:.1f}" for r in runs[key])
        loads = " / ".join(f"{r['load']:.1f}" for r in runs[key])
        lines.append(f"| {label} | {med[key]:.1f} | {seconds} | {loads} |")
    lines += ["", "| target | measured (medians) | met |", "|---|---|---|"]
    for key, mode in (("", "ephemeral"), ("_srv", "running server")):
        extra = med["five" + key] - med["empty" + key]
        lines.append(f"| 5-page ingest <= 1.5 s above an empty flow ({mode}) | {med['five' + key]:.1f} s - "
                     f"{med['empty' + key]:.1f} s = {extra:+.1f} s | {'yes' if extra <= 1.5 else 'NO'} |")
    for key, mode in (("five", "5 pages"), ("five_srv", "5 pages, server")):
        shares = [sum(r["stage_seconds"].values()) / r["seconds"] for r in runs[key]]
        lines.append(f"| stage_seconds sum = wall within 5% ({mode}) | median {median(shares):.1%} "
                     f"(runs {', '.join(f'{s:.1%}' for s in shares)}) | {'yes' if min(shares) >= 0.95 else 'NO'} |")
    for key, mode in (("five", "5 pages"), ("five_srv", "5 pages, server")):
        for i, r in enumerate(runs[key], 1):
            lines.append(f"stage_seconds, {mode}, run {i}: {json.dumps(r['stage_seconds'])}")
    print("\n".join(lines))
    if json_path:
        results.update({"runs": {k: [{f: v for f, v in r.items() if f != "output"} for r in rs]
                                 for k, rs in runs.items()}, "medians": med, "table": lines})
        json_path.write_text(json.dumps(results, indent=1, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rss", default="5000,50000", help="corpus sizes whose peak RSS is compared")
    parser.add_argument("--quick", action="store_true", help="300 pages, RSS at 300 and 1500")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--rss-only", action="store_true", help="only the peak-RSS runs (sizes from --rss)")
    parser.add_argument("--plain", action="store_true", help="--rss-only on the corpus's articles in minimal pages "
                        "(bench/corpus.py --plain: same texts, dates and copies, a fraction of the extraction cost)")
    parser.add_argument("--rerun-only", action="store_true",
                        help="only newsflow's first run and its re-run of the unchanged corpus (the re-run target)")
    parser.add_argument("--small-only", action="store_true",
                        help="only the empty-flow and 5-page rows, ephemeral and against a running server")
    parser.add_argument("--repeat", type=int, default=3, help="--small-only: runs of each row (medians)")
    parser.add_argument("--bare-loop", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_loop:
        return bare_loop(args.bare_loop)
    if args.rss_only:
        return rss_only([int(s) for s in args.rss.split(",") if s], args.json, args.plain)
    if args.quick:
        args.pages, args.rss = 300, "300,1500"
    rss_sizes = [int(s) for s in args.rss.split(",") if s]

    folder = corpus_of(args.pages)
    n = sum(1 for _ in folder.iterdir())
    results: dict = {"pages": n, "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                     f"{platform.python_implementation()} {platform.python_version()}, {platform.platform()}",
                     "load_before": os.getloadavg()}
    if args.rerun_only:
        return rerun_only(folder, n, results, args.json)
    if args.small_only:
        return small_only(folder, args.repeat, results, args.json)
    rows = []
    with tempfile.TemporaryDirectory(prefix="nf-bench-") as tmp:
        tmp = Path(tmp)
        bare = note("bare loop", timed([sys.executable, __file__, "--bare-loop", str(folder)]))
        rows.append(("bare loop: read + trafilatura.extract, 1 process", bare))
        cli = note("trafilatura", timed([str(BIN / "trafilatura"), "--input-dir", str(folder), "-o",
                                         str(tmp / "traf-out"), "--parallel", "2"]))
        rows.append(("trafilatura --input-dir DIR -o OUT --parallel 2", cli))
        # Prefect creates its database on the first start in a PREFECT_HOME (tens of seconds on a busy
        # machine): a one-time cost, measured here and kept out of the runs compared below.
        empty_py = tmp / "empty_flow.py"
        empty_py.write_text(EMPTY_FLOW)
        home = tmp / "prefect-home"
        env = {"PREFECT_HOME": str(home), "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300"}
        first_start = note("first Prefect start (empty flow, new PREFECT_HOME)", timed([sys.executable, str(empty_py)], env))
        first = note("newsflow", newsflow(folder, tmp / "first.duckdb", home))
        rows.append(("newsflow ingest DIR (fresh DuckDB file)", first))
        again = note("re-run", newsflow(folder, tmp / "first.duckdb", home))
        rows.append(("newsflow ingest DIR again (unchanged corpus)", again))
        # A home of its own, so that no batch result cached by the runs above is reused.
        home1 = tmp / "prefect-home-1"
        timed([sys.executable, str(empty_py)], {**env, "PREFECT_HOME": str(home1)})
        one = note("--workers 1", newsflow(folder, tmp / "one-worker.duckdb", home1, ["--workers", "1"]))
        rows.append(("newsflow ingest DIR --workers 1 (fresh)", one))

        small = tmp / "small"
        small.mkdir()
        for page in sorted(folder.iterdir())[:5]:
            shutil.copy(page, small / page.name)
        empty = note("empty flow", timed([sys.executable, str(empty_py)], env))
        five = note("5 pages", newsflow(small, tmp / "small.duckdb", home))
        # The same two against a running `prefect server start` (no temporary API per run).
        from newsflow.flows.serve import start_server, stop_server

        api_url, server = start_server(tmp / "server-home", _free_port(), log_path=tmp / "server.log", timeout=300)
        try:
            served = {"PREFECT_API_URL": api_url}
            timed([sys.executable, str(empty_py)], served)  # warm-up
            empty_srv = note("empty flow (server)", timed([sys.executable, str(empty_py)], served))
            small_srv = tmp / "small-srv"  # copies with stamps of their own: no batch result to reuse
            shutil.copytree(small, small_srv)
            five_srv = note("5 pages (server)", newsflow(small_srv, tmp / "small-srv.duckdb", home, env=served))
        finally:
            stop_server(server)
        helps = [timed([str(BIN / "newsflow"), "--help"]) for _ in range(3)]
        help_s = min(h["seconds"] for h in helps)

        rss = rss_runs(rss_sizes, tmp, env)

    base = bare["seconds"]
    lines = [f"Corpus: {n} pages (bench/corpus.py v{corpus.VERSION}), {results['machine']}; "
             f"load average before: {' '.join(f'{x:.1f}' for x in results['load_before'])}", "",
             "| run | seconds | pages/s | vs bare loop | peak RSS MB |", "|---|---:|---:|---:|---:|"]
    for label, r in rows:
        lines.append(f"| {label} | {r['seconds']:.1f} | {n / r['seconds']:.1f} | {base / r['seconds']:.2f}x "
                     f"| {r['peak_rss_mb']:.0f} |")
    lines.append(f"| (one-time) Prefect's first start in a new PREFECT_HOME, empty flow | {first_start['seconds']:.1f} | | | "
                 f"{first_start['peak_rss_mb']:.0f} |")
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    ratio = cli["seconds"] / first["seconds"]
    lines.append(f"| newsflow >= 1.0x trafilatura --parallel 2 | {ratio:.2f}x | {'yes' if ratio >= 1 else 'NO'} |")
    ratio1 = base / one["seconds"]
    lines.append(f"| newsflow --workers 1 >= 0.9x bare loop | {ratio1:.2f}x | {'yes' if ratio1 >= 0.9 else 'NO'} |")
    share = again["seconds"] / first["seconds"]
    lines.append(f"| re-run <= 5% of first run | {share:.1%} | {'yes' if share <= 0.05 else 'NO'} |")
    if len(rss) >= 2:
        lo, hi = min(rss), max(rss)
        growth = rss[hi]["peak_rss_mb"] / rss[lo]["peak_rss_mb"]
        lines.append(f"| peak RSS at {hi} <= 1.3x at {lo} | {rss[hi]['peak_rss_mb']:.0f} / "
                     f"{rss[lo]['peak_rss_mb']:.0f} MB = {growth:.2f}x | {'yes' if growth <= 1.3 else 'NO'} |")
    extra = five["seconds"] - empty["seconds"]
    lines.append(f"| 5-page ingest <= 1.5 s above an empty flow (ephemeral) | {five['seconds']:.1f} s - "
                 f"{empty['seconds']:.1f} s = {extra:+.1f} s | {'yes' if extra <= 1.5 else 'NO'} |")
    extra_srv = five_srv["seconds"] - empty_srv["seconds"]
    lines.append(f"| 5-page ingest <= 1.5 s above an empty flow (running server) | {five_srv['seconds']:.1f} s - "
                 f"{empty_srv['seconds']:.1f} s = {extra_srv:+.1f} s | {'yes' if extra_srv <= 1.5 else 'NO'} |")
    lines.append(f"| `newsflow --help` < 0.5 s | {help_s:.2f} s | {'yes' if help_s < 0.5 else 'NO'} |")
    for label, r in (("first run", first), ("re-run", again), ("5 pages", five), ("5 pages, server", five_srv)):
        total = sum(r["stage_seconds"].values())
        lines.append(f"| stage_seconds sum = wall within 5% ({label}) | {total:.1f} s of {r['seconds']:.1f} s "
                     f"({total / r['seconds']:.0%}) | {'yes' if abs(total / r['seconds'] - 1) <= 0.05 else 'NO'} |")
    lines += ["", "stage_seconds of the first run: " + json.dumps(first["stage_seconds"]),
              "stage_seconds of the re-run: " + json.dumps(again["stage_seconds"]),
              "stage_seconds of the 5-page run: " + json.dumps(five["stage_seconds"])]
    for size, r in rss.items():
        lines.append(f"peak RSS at {size} pages: {r['peak_rss_mb']:.0f} MB in {r['seconds']:.0f} s "
                     f"({size / r['seconds']:.1f} pages/s)")
    results["load_after"] = os.getloadavg()
    lines.append(f"load average after: {' '.join(f'{x:.1f}' for x in results['load_after'])}")
    print("\n".join(lines))
    if args.json:
        results.update({label: {k: v for k, v in r.items() if k != "output"} for label, r in rows})
        results.update({"empty_flow": empty["seconds"], "five_pages": five["seconds"], "help": help_s,
                        "empty_flow_server": empty_srv["seconds"], "five_pages_server": five_srv["seconds"],
                        "rss": {s: r["peak_rss_mb"] for s, r in rss.items()}, "table": lines})
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
