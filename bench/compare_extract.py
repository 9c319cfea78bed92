"""CPU ms per page of another checkout's extract() against this one's, page by page in one process.

    python bench/compare_extract.py --old ../main [--pages 200] [--rounds 3] [--dev]

The old checkout's transforms/extract.py and transforms/structure.py are loaded as modules of their
own (everything else is shared), and each page goes through old extract(), new extract() and
trafilatura.extract() in turn, round after round: on a shared machine the three see the same load,
so their ratios hold even when the absolute milliseconds do not. Prints the minimum over rounds.
Pages: the first of the bench corpus, or with --dev the 120 dev-set pages.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="root of the other checkout (e.g. ../main)")
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dev", action="store_true", help="the 120 dev-set pages instead of the bench corpus")
    args = parser.parse_args()

    import trafilatura

    from newsflow.acquire.files import Item
    from newsflow.acquire.read import read_item
    from newsflow.transforms import extract as new

    old_structure = _load("old_structure", args.old / "transforms" / "structure.py")
    old = _load("old_extract", args.old / "transforms" / "extract.py")
    old.strip_structure, old.HTML_RULES = old_structure.strip_structure, old_structure.HTML_RULES

    if args.dev:
        import extraction_golden

        paths = list(extraction_golden.dev_pages().values())[:args.pages]
    else:
        folder = HERE / ".corpus" / f"v{corpus.VERSION}-1000"
        corpus.generate(folder, 1000)
        paths = sorted(folder.iterdir())[:args.pages]
    raws = [read_item(Item(str(p), "html"), 10**9) for p in paths]
    runs = {"trafilatura.extract(bytes) [the bare loop]": lambda r: trafilatura.extract(r.body),
            f"old extract() ({args.old})": lambda r: old.extract(r, old_structure.HTML_RULES),
            "new extract() (this checkout)": lambda r: new.extract(r)}
    best = {name: float("inf") for name in runs}
    for _ in range(args.rounds):
        spent = dict.fromkeys(runs, 0.0)
        for raw in raws:
            for name, fn in runs.items():
                started = time.process_time()
                fn(raw)
                spent[name] += time.process_time() - started
        for name in runs:
            best[name] = min(best[name], spent[name] * 1000 / len(raws))
    bare = best["trafilatura.extract(bytes) [the bare loop]"]
    print(f"{len(raws)} pages, CPU ms per page (minimum of {args.rounds} rounds), and against the bare loop")
    for name, ms in best.items():
        print(f"{name:<45} {ms:6.1f}  {ms / bare:5.2f}x")


if __name__ == "__main__":
    main()
