"""``rla export csv|parquet``: the selected items' logged values as one tidy table.

One row per value logged (a NaN too; text is no value): the item's index, its
parameters (``params.<key>``, nested keys joined with ``.`` as ``rla ls`` shows
them), the step, the key, the value and the row's wall time (where progress.csv
has one). Items are read one at a time and written as they are read, so a table
larger than memory is fine; the columns (and, for parquet, their types) are
fixed first from the selection's parameters, which the query index already holds. A progress.csv that cannot be
read leaves its item out, and the result says which. The file is replaced only
once the whole table is written: a stopped export leaves the one before it.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from RLA.db.atomic import atomic_writer
from RLA.db.late_columns import read_progress
from RLA.db.layout import TIME_STEP_COLUMN, WALL_TIME_COLUMN
from RLA.db.query import ItemFilter, ItemRecord, select
from RLA.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMATS", "ExportResult", "tidy_frame", "export_table"]

#: the fixed columns, in order; each parameter's column goes between ``item`` and ``step``
ITEM, STEP, KEY, VALUE, WALL_TIME = "item", "step", "key", "value", WALL_TIME_COLUMN
PathLike = Union[str, os.PathLike]
#: how a NaN a run logged reads in progress.csv (an empty cell is no value)
_NAN_CELLS = ("nan", "-nan", "+nan")


@dataclass
class ExportResult:
    """What :func:`export_table` wrote."""

    path: str
    items: int = 0
    rows: int = 0
    #: items left out, with why (a progress.csv that cannot be read)
    left_out: List[Tuple[str, str]] = field(default_factory=list)


def _param_kinds(records: Sequence[ItemRecord]) -> Dict[str, str]:
    """Each parameter's column and the one type its values share (``int``, ``float``, ``bool``, else ``str``)."""
    kinds: Dict[str, set] = {}
    for record in records:
        for key, value in record.params.items():
            kinds.setdefault(key, set()).add(_kind(value))
    out = {}
    for key, seen in kinds.items():
        seen.discard("none")
        out[f"params.{key}"] = seen.pop() if len(seen) == 1 else "float" if seen == {"int", "float"} else "str"
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    return {int: "int", float: "float"}.get(type(value), "str")


def _cell(value: Any, kind: str) -> Any:
    """A parameter's value as its column holds it (a list or dict as JSON text)."""
    if value is None:
        return None
    if kind == "str":
        return value if isinstance(value, str) else json.dumps(value, default=str)
    return float(value) if kind == "float" else value


def _tidy(record: ItemRecord, kinds: Dict[str, str]) -> "pd.DataFrame":
    """One item's values, long: a row per (step, key) that has a value."""
    import pandas as pd

    table = read_progress(record.item.progress_csv, as_text=True, low_memory=False)
    if TIME_STEP_COLUMN not in table.columns:
        raise ValueError(f"it has no {TIME_STEP_COLUMN!r} column")
    keep = [TIME_STEP_COLUMN] + ([WALL_TIME_COLUMN] if WALL_TIME_COLUMN in table.columns else [])
    long = table.melt(id_vars=keep, var_name=KEY, value_name=VALUE)
    numbers = pd.to_numeric(long[VALUE], errors="coerce")
    logged = numbers.notna() | long[VALUE].str.strip().str.lower().isin(_NAN_CELLS)  # a NaN logged is a value
    long = long[logged].assign(**{VALUE: numbers[logged]}).rename(columns={TIME_STEP_COLUMN: STEP})
    long[STEP] = pd.to_numeric(long[STEP])
    if WALL_TIME not in long.columns:
        long[WALL_TIME] = float("nan")
    long = long.sort_values([STEP, KEY], kind="stable")
    frame = pd.DataFrame({ITEM: record.item.index}, index=long.index)
    for column, kind in kinds.items():
        frame[column] = _cell(record.params.get(column[len("params."):]), kind)
    frame[STEP] = long[STEP].astype("int64")
    frame[KEY] = long[KEY].astype(str)
    frame[VALUE] = long[VALUE].astype("float64")
    frame[WALL_TIME] = pd.to_numeric(long[WALL_TIME], errors="coerce").astype("float64")
    return frame.reset_index(drop=True)


def _chunks(data_root: PathLike, item_filter: ItemFilter, result: ExportResult,
            on_found: Optional[Callable[[int], None]] = None,
            on_progress: Optional[Callable[[Any], None]] = None) -> Tuple[Dict[str, str], Any]:
    """The parameters' columns of the selection, and its items' tidy tables one by one (filling ``result``)."""
    records = [r for r in select(data_root, item_filter) if r.rows]
    kinds = _param_kinds(records)
    if on_found is not None:
        on_found(len(records))

    def chunks() -> Any:
        for record in records:
            try:
                chunk = _tidy(record, kinds)
            except Exception as exc:  # pandas' parser errors, a file gone meanwhile: the other items go on
                result.left_out.append((record.item.index, f"{type(exc).__name__}: {exc}"))
            else:
                result.items += 1
                result.rows += len(chunk)
                yield chunk
            if on_progress is not None:
                on_progress(record)

    return kinds, chunks()


def tidy_frame(data_root: PathLike, item_filter: Optional[ItemFilter] = None) -> "pd.DataFrame":
    """The selected items' values as one tidy DataFrame: item, ``params.<key>``..., step, key, value, wall_time."""
    import pandas as pd

    kinds, chunks = _chunks(data_root, item_filter or ItemFilter(), ExportResult(""))
    parts = list(chunks)
    columns = [ITEM, *kinds, STEP, KEY, VALUE, WALL_TIME]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _write_csv(path: str, kinds: Dict[str, str], chunks: Any) -> None:
    if path != "-":
        with atomic_writer(path, durable=False, newline="") as out:
            _csv_to(out, kinds, chunks)
    else:
        _csv_to(sys.stdout, kinds, chunks)


def _csv_to(out: IO[str], kinds: Dict[str, str], chunks: Any) -> None:
    header = True
    for chunk in chunks:
        chunk.to_csv(out, index=False, header=header)
        header = False
    if header:  # nothing selected has a row: the header alone
        out.write(",".join([ITEM, *kinds, STEP, KEY, VALUE, WALL_TIME]) + "\n")


def _write_parquet(path: str, kinds: Dict[str, str], chunks: Any) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError("rla export parquet writes with pyarrow, which is not installed: pip install 'RLA[fast]'") \
            from None
    if path == "-":
        raise UsageError("parquet is written to a file: give -o FILE")
    types = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "str": pa.string()}
    schema = pa.schema([(ITEM, pa.string()), *[(c, types[k]) for c, k in kinds.items()], (STEP, pa.int64()),
                        (KEY, pa.string()), (VALUE, pa.float64()), (WALL_TIME, pa.float64())])
    with atomic_writer(path, "wb", durable=False) as out, pq.ParquetWriter(out, schema) as writer:
        for chunk in chunks:
            writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False))


#: the formats of ``rla export``: each writes the table's chunks to a path ("-": stdout, where it can), whole
#: or not at all (a file there is replaced once the table is written)
FORMATS: Dict[str, Callable[[str, Dict[str, str], Any], None]] = {"csv": _write_csv, "parquet": _write_parquet}


def export_table(data_root: PathLike, path: PathLike, fmt: str = "csv", item_filter: Optional[ItemFilter] = None,
                 on_found: Optional[Callable[[int], None]] = None,
                 on_progress: Optional[Callable[[Any], None]] = None) -> ExportResult:
    """Write the selected items' values to ``path`` (``-``: stdout) as one tidy ``fmt`` table (csv, parquet);
    ``on_found(n)`` once the items are selected, ``on_progress(record)`` after each."""
    write = FORMATS.get(fmt)
    if write is None:
        raise UsageError(f"no export format {fmt!r}; formats: {', '.join(FORMATS)}")
    result = ExportResult(os.fspath(path))
    folder = os.path.dirname(os.path.abspath(result.path))
    if result.path != "-" and not os.path.isdir(folder):
        raise UsageError(f"no folder {folder} to write {os.path.basename(result.path)} into: create it, or give "
                         "another output file")
    kinds, chunks = _chunks(data_root, item_filter or ItemFilter(), result, on_found, on_progress)
    write(os.fspath(path), kinds, chunks)
    return result
