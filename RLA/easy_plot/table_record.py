"""A results table written with what it was made from, and made again from a newer database.

``write_table(table, "results.tex")`` writes the table and, beside it,
``results.tex.rla.json``: the command, the database, the spec (tasks, keys,
metric, score, statistic, normalization, selection, bootstrap settings), the
runs' code commits and the time. ``make_again("results.tex")`` reads that
record, computes the table from the database as it is now and writes both again
(``rla table --again results.tex``).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

from RLA.db.atomic import atomic_write
from RLA.easy_plot.results_table import ResultsTable, TableSpec, results_table
from RLA.easy_plot.table_format import FORMATS, provenance, render
from RLA.errors import UsageError

__all__ = ["RECORD_SUFFIX", "FORMAT_OF_SUFFIX", "format_of", "record_path", "write_table", "read_record",
           "make_again"]

#: the record of how a table was made, beside it: ``<table file><RECORD_SUFFIX>``
RECORD_SUFFIX = ".rla.json"
#: the format a table file's suffix implies
FORMAT_OF_SUFFIX = {".md": "md", ".markdown": "md", ".tex": "latex", ".csv": "csv", ".json": "json"}

PathLike = Union[str, os.PathLike]


def format_of(path: PathLike) -> str:
    """The format a file name implies (``.md``, ``.tex``, ``.csv``, ``.json``)."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMAT_OF_SUFFIX:
        raise UsageError(f"which format is {os.fspath(path)!r}? name the file .md, .tex, .csv or .json, "
                         f"or pass the format ({', '.join(FORMATS)})")
    return FORMAT_OF_SUFFIX[suffix]


def record_path(path: PathLike) -> Path:
    """The record beside a table file (the record itself when given one)."""
    path = Path(path)
    return path if path.name.endswith(RECORD_SUFFIX) else path.with_name(path.name + RECORD_SUFFIX)


def write_table(table: ResultsTable, path: PathLike, fmt: Optional[str] = None, command: str = "") -> Path:
    """Write ``table`` to ``path`` in ``fmt`` (default: the one its suffix implies) and its record
    beside it; returns the record's path. Each file is replaced whole or not at all."""
    fmt = fmt or format_of(path)
    text = render(table, fmt, command)
    record = {**provenance(table, command), "format": fmt, "file": Path(path).name}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)
    atomic_write(record_path(path), json.dumps(record, indent=2) + "\n")
    return record_path(path)


def read_record(path: PathLike) -> Dict[str, Any]:
    """The record of a table file written by :func:`write_table` (given the table or the record)."""
    record_file = record_path(path)
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{record_file} is missing: --again remakes a table written with -o FILE "
                         "(which writes FILE and FILE.rla.json)") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{record_file} cannot be read as a table record: {exc}") from None
    if not isinstance(record, dict) or not isinstance(record.get("spec"), dict):
        raise UsageError(f"{record_file} is not a table record (no 'spec')")
    for key in ("data_root", "format", "file", "command"):
        if not isinstance(record.get(key, ""), str):
            raise UsageError(f"{record_file} is not a table record: its {key!r} is not text")
    return record


def make_again(path: PathLike, data_root: Optional[PathLike] = None,
               use_buf: bool = True) -> Tuple[ResultsTable, Path]:
    """Make the table of ``path`` again, as it was asked for, from the database as it is now
    (``data_root``: the recorded one by default); rewrite the file and its record. Returns the
    table and the table file written."""
    record = read_record(path)
    table_file = Path(path)
    if table_file.name.endswith(RECORD_SUFFIX):  # the table beside its record (a name, never a path elsewhere)
        table_file = table_file.with_name(Path(record.get("file") or table_file.name[:-len(RECORD_SUFFIX)]).name)
    spec = TableSpec.from_dict(record["spec"])
    if not (data_root or record.get("data_root")):
        raise UsageError(f"{record_path(path)} names no database: remake it with -d DATA_ROOT --again FILE")
    table = results_table(data_root or record["data_root"], spec, use_buf=use_buf)
    write_table(table, table_file, record.get("format"), record.get("command", ""))
    return table, table_file
