"""Exporting every public table and view to Parquet or CSV files, with a manifest.

One file per relation (`<name>.parquet` or `<name>.csv`) and `manifest.json`: for each, its kind,
file, row count, columns (name, DuckDB type, description) and a checksum of its rows, so a reader
can check what it loaded. INTERVAL columns are written as seconds (DOUBLE), which every reader takes.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from newsflow.warehouse.catalog import relations

FORMATS = ("parquet", "csv")


def row_checksum(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """Order-independent checksum of a relation's rows: the sum of DuckDB's hash of each row, as hex.

    The same rows give the same value whatever their order, whether read from the warehouse or back
    from the exported Parquet file (types survive the round trip).
    """
    value = con.execute(f"SELECT coalesce(sum(hash(t)::HUGEINT), 0) % 18446744073709551616 FROM {relation} AS t"
                        ).fetchone()[0]
    return f"{int(value):016x}"


class ExportRefused(ValueError):
    """`out` holds a manifest.json that no newsflow export wrote: overwriting it could lose a file."""


def earlier_export(out: Path) -> list[str]:
    """The data files an earlier export wrote into `out`, as its manifest.json names them (none
    without one). Only plain file names of a format newsflow writes count: a manifest never points
    outside its folder. A manifest.json that is not newsflow's is ExportRefused."""
    manifest = out / "manifest.json"
    if not manifest.is_file():
        return []
    try:
        earlier = json.loads(manifest.read_text(encoding="utf-8"))
        files = [entry["file"] for entry in earlier["relations"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ExportRefused(f"{manifest} is not the manifest of a newsflow export ({type(exc).__name__}: {exc}); "
                            "export into another folder (--out)") from exc
    return [f for f in files if isinstance(f, str) and Path(f).name == f and Path(f).suffix[1:] in FORMATS]


def export(con: duckdb.DuckDBPyConnection, out: Path, fmt: str = "parquet", db: str | None = None,
           removed: list[str] | None = None) -> dict:
    """Write every public table and view of the open warehouse into `out`; returns the manifest.

    The files of an earlier export there (those its manifest.json names) that this one does not
    write again are deleted, so the folder holds one export, as its manifest says (another
    format's files, a relation since dropped); `removed`, if given, gets their names. Other files
    in the folder are left alone.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    earlier = earlier_export(out)
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for rel in relations(con):
        path = out / f"{rel.name}.{fmt}"
        options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
        # INTERVAL columns go out as seconds: Polars (and others) cannot read Parquet's INTERVAL.
        select = ", ".join(f'epoch("{c.name}") AS "{c.name}"' if c.type == "INTERVAL" else f'"{c.name}"'
                           for c in rel.columns)
        relation = f"(SELECT {select} FROM main.{rel.name})"
        con.execute(f"COPY {relation} TO '{_quote(path)}' ({options})")
        entries.append({
            "name": rel.name, "kind": rel.kind, "file": path.name, "description": rel.description,
            "rows": con.execute(f"SELECT count(*) FROM main.{rel.name}").fetchone()[0],
            "checksum": row_checksum(con, relation),
            "columns": [{"name": c.name, "type": "DOUBLE" if c.type == "INTERVAL" else c.type,
                         "description": c.description + (" (exported as seconds)" if c.type == "INTERVAL" else "")
                         if c.description else c.description} for c in rel.columns],
        })
    from newsflow import VERSION

    manifest = {"format": fmt, "exported_at": datetime.now(timezone.utc).isoformat(), "warehouse": db,
                "newsflow": VERSION, "checksum": "sum of DuckDB hash(row) over the rows, mod 2^64, hex",
                "relations": entries}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    written = {entry["file"] for entry in entries}
    for name in earlier:
        if name not in written and (out / name).is_file():
            (out / name).unlink()
            if removed is not None:
                removed.append(name)
    return manifest


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
