"""Rendering query results for `newsflow query` and `search`: table, CSV, JSON or Markdown.

Where the SQL comes from (argument, file or stdin) and which format is the default (a table on a
terminal, CSV when piped) are decided here too; running it is warehouse/readonly.py.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

FORMATS = ("table", "csv", "json", "markdown")


def read_sql(sql: str | None, file: str | None, stdin=None) -> str:
    """The SQL from the argument, `-` (stdin) or --file."""
    if file and sql:
        raise ValueError("give the SQL as an argument or with --file, not both")
    if file:
        return Path(file).read_text(encoding="utf-8")
    if sql == "-":
        return (stdin or sys.stdin).read()
    if not sql:
        raise ValueError("no SQL given: pass it as an argument, `-` to read it from stdin, or --file FILE")
    return sql


def default_format(stream=None) -> str:
    """table on a terminal, csv when piped or redirected."""
    stream = stream or sys.stdout
    return "table" if getattr(stream, "isatty", lambda: False)() else "csv"


# -- rendering ----------------------------------------------------------------------------------

def render(fmt: str, names: Sequence[str], types: Sequence[str], rows: Sequence[tuple], *,
           limit: int | None = None, max_width: int = 48) -> str:
    """The result as text in one of FORMATS. `limit` caps only the table (a human reads it)."""
    if fmt == "csv":
        return _csv(names, rows)
    if fmt == "json":
        return json.dumps([dict(zip(names, (_jsonable(v) for v in row))) for row in rows],
                          ensure_ascii=False, indent=1) + "\n"
    if fmt == "markdown":
        return markdown_table(names, rows)
    if fmt == "table":
        return _table(names, types, rows, limit, max_width)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def text(value) -> str:
    """A value as a person reads it: NULL as empty in CSV/Markdown, ISO times, lists in brackets."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    return str(value)


def _jsonable(value):
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _csv(names, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([text(v) for v in row])
    return out.getvalue()


def markdown_table(names, rows) -> str:
    def cell(v) -> str:
        return text(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(names) + " |", "|" + "|".join("---" for _ in names) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _table(names, types, rows, limit, max_width) -> str:
    shown = rows if limit is None else rows[:limit]

    def cell(v) -> str:
        s = "NULL" if v is None else text(v).replace("\n", " ")
        return s if len(s) <= max_width else s[:max_width - 1] + "…"

    body = [[cell(v) for v in row] for row in shown]
    widths = [max([len(n), len(t)] + [len(r[i]) for r in body]) for i, (n, t) in enumerate(zip(names, types))]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(values) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"

    out = [rule, line(names), line(types), rule, *(line(r) for r in body), rule]
    more = f", {len(shown)} shown (--limit)" if len(shown) < len(rows) else ""
    out.append(f"{len(rows)} row{'s' if len(rows) != 1 else ''}{more}")
    return "\n".join(out) + "\n"
