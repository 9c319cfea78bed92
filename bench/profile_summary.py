"""Self time per function and per process from a py-spy flamegraph SVG (bench/profiles/*.svg).

    python bench/profile_summary.py bench/profiles/ingest-1k.svg [--top 25]
"""

from __future__ import annotations

import argparse
import html
import re
from collections import Counter, defaultdict

_NODE = re.compile(r'<g><title>(.*?) \(([\d,]+) samples?, [\d.]+%\)</title><rect [^>]*y="(\d+)"[^>]*fg:x="(\d+)" fg:w="(\d+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("svg")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    nodes = [(html.unescape(t), int(y), int(x), int(w)) for t, _, y, x, w in _NODE.findall(open(args.svg).read())]
    by_row = defaultdict(list)
    for node in nodes:
        by_row[node[1]].append(node)
    step = 16  # py-spy draws the root at the top, each callee one row (16 px) further down
    self_time, per_process = Counter(), Counter()
    total = sum(w for t, y, x, w in nodes if t.startswith("process "))
    for name, y, x, w in nodes:
        children = sum(cw for _, _, cx, cw in by_row.get(y + step, []) if x <= cx < x + w)
        self_time[name] += w - children
        if name.startswith("process "):
            per_process[name[:110]] += w
    print(f"{total} samples")
    print("per process:")
    for name, n in per_process.most_common():
        print(f"  {n / total:6.1%}  {name}")
    print("self time:")
    for name, n in self_time.most_common(args.top):
        print(f"  {n / total:6.1%}  {name[:120]}")


if __name__ == "__main__":
    main()
