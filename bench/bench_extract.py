"""Extraction throughput: extract + clean over the dev-set pages, now and at another git ref.

Runs the loop over fundus-eval and readability-news (120 pages) `--rounds` times, alternating
the current code and `--against` (default: main; its transforms/extract.py, structure.py, pagemeta.py and the text rules
of that ref, loaded from git), and prints CPU seconds per page for each and their ratio.

Example: .venv/bin/python bench/bench_extract.py --against main --rounds 3
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_extraction as E  # noqa: E402


def load_ref(ref: str):
    """extract_html and clean as they are at `ref` (modules loaded from `git show`: the text rules,
    the structural stage, the metadata reader where it exists, extraction)."""
    tmp = Path(tempfile.mkdtemp(prefix="newsflow-bench-"))
    mods = {}
    names = ("rules", "clean", "structure", "pagemeta", "extract")  # each after the modules it imports
    for name in names:
        shown = subprocess.run(["git", "-C", str(E.REPO), "show", f"{ref}:transforms/{name}.py"],
                               capture_output=True, text=True)
        if shown.returncode:  # not at that ref (pagemeta.py is newer than some)
            continue
        source = shown.stdout
        for dep in mods:  # point the ref's own modules at each other
            source = source.replace(f"from newsflow.transforms.{dep} import", f"from ref_{dep} import")
        (tmp / f"ref_{name}.py").write_text(source)
        mods[name] = None
    sys.path.insert(0, str(tmp))
    for name in [n for n in names if n in mods]:
        spec = importlib.util.spec_from_file_location(f"ref_{name}", tmp / f"ref_{name}.py")
        mods[name] = importlib.util.module_from_spec(spec)
        sys.modules[f"ref_{name}"] = mods[name]
        spec.loader.exec_module(mods[name])
    return mods["extract"].extract_html, mods["clean"].clean


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default="main")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from newsflow.transforms.clean import clean
    from newsflow.transforms.decode import declared_charset, decode
    from newsflow.transforms.extract import extract_html

    pages = E.fundus_pages(E.CORPORA / "fundus-eval") + E.readability_pages(E.CORPORA / "readability-news")
    htmls = []
    for page in pages:
        body = E._read(page.path)
        htmls.append((decode(body, declared_charset(body)), page.url))
    old_extract, old_clean = load_ref(args.against)
    loops = {"now": (extract_html, clean), args.against: (old_extract, old_clean)}
    spent = {k: [] for k in loops}
    for _ in range(args.rounds):
        for label, (ex, cl) in loops.items():
            started = time.process_time()
            for html, url in htmls:
                cl(ex(html, url).text)
            spent[label].append(time.process_time() - started)
    best = {k: min(v) / len(htmls) * 1000 for k, v in spent.items()}
    for label, ms in best.items():
        print(f"{label:10} {ms:6.1f} ms/page CPU (best of {args.rounds}, {len(htmls)} pages)")
    print(f"throughput now / {args.against}: {best[args.against] / best['now']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
