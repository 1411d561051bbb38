"""A results table (:class:`RLA.easy_plot.results_table.ResultsTable`) as markdown, LaTeX, csv or JSON.

Markdown and LaTeX show one row per group: each cell ``value [low, high]`` (the
statistic and its interval), the best of a column in bold where its interval
clears the runner-up's, and ``n`` the runs of the row on each task; the
P(X > Y) matrix follows when it was computed. A header comment says how the
table was made (the command, the selection, the runs' code commits). csv is
the long table of cells (one line per group and column); JSON holds the cells,
the matrix and how the table was made.

LaTeX uses plain ``tabular`` rules (``\\hline``) and ``\\textbf``: it compiles
with the base LaTeX packages alone (Debian ``texlive-latex-base``).
"""
from __future__ import annotations

import csv
import io
import json
import math
from typing import Any, Callable, Dict, List, Sequence

import numpy as np

from RLA.easy_plot.aggregate import latex_escape
from RLA.easy_plot.results_table import KEY_PREFIX, STAT_NAMES, ResultsTable
from RLA.errors import UsageError

__all__ = ["FORMATS", "render", "provenance", "header", "cell_rows", "versus_rows", "versus_names", "caption"]

def provenance(table: ResultsTable, command: str = "") -> Dict[str, Any]:
    """How a table was made: the command, the database, what was asked (the spec, its selection
    included), the code commits of its runs and when."""
    return {"command": command, "data_root": table.data_root, "made": table.made, "spec": table.spec.to_dict(),
            "commits": table.commits, "runs": len(table.score_records)}


def _decimals(values: Sequence[float]) -> int:
    """Decimals showing 3 significant digits of a column's largest value (0 to 4)."""
    finite = [abs(v) for v in values if math.isfinite(v) and v != 0]
    if not finite:
        return 2
    return int(min(4, max(0, 2 - math.floor(math.log10(max(finite))))))


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}" if math.isfinite(value) else "-"


def cell_rows(table: ResultsTable, bold: Callable[[str], str] = str, separator: str = " ") -> List[List[str]]:
    """The rows of the main table as text: the keys, one cell per column (``value[separator][low, high]``,
    the value passed through ``bold`` where it is bold), n."""
    numbers: Dict[str, List[float]] = {}
    by_group: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for cell in table.cell_records:
        numbers.setdefault(cell["column"], []).extend((cell["value"], cell["low"], cell["high"]))
        by_group.setdefault(cell["group"], {})[cell["column"]] = cell
    decimals = {column: _decimals(values) for column, values in numbers.items()}
    keys = table.spec.split_keys
    out = []
    for group in table.groups:
        rows = by_group[group]
        first = next(iter(rows.values()))
        line = [str(first[KEY_PREFIX + key]) for key in keys] if keys else [group]
        for column in table.columns:
            cell = rows[column]
            places = decimals[column]
            if cell["n"] == 0 or not math.isfinite(cell["value"]):
                line.append("-")
                continue
            value = _number(cell["value"], places)
            line.append(f"{bold(value) if cell['bold'] else value}{separator}"
                        f"[{_number(cell['low'], places)}, {_number(cell['high'], places)}]")
        counts = [int(rows[task]["n"]) for task in table.spec.tasks]
        line.append(str(counts[0]) if len(set(counts)) == 1 else "/".join(map(str, counts)))
        out.append(line)
    return out


def header(table: ResultsTable) -> List[str]:
    """The names of the columns of :func:`cell_rows`."""
    return [*(table.spec.split_keys or ["group"]), *table.columns, "n"]


def versus_rows(table: ResultsTable, separator: str = " ") -> List[List[str]]:
    """The P(X > Y) matrix as text: one row per X (its name first), one column per Y, ``p [low, high]``."""
    names = versus_names(table)
    found = {(row["x"], row["y"]): row for row in table.versus_records or []}
    lines = []
    for x in names:
        line = [x]
        for y in names:
            pair = found.get((x, y))
            line.append("" if pair is None else
                        f"{pair['probability']:.2f}{separator}[{pair['low']:.2f}, {pair['high']:.2f}]")
        lines.append(line)
    return lines


def versus_names(table: ResultsTable) -> List[str]:
    """The groups of the P(X > Y) matrix, in its order (none without the matrix)."""
    return list(dict.fromkeys(row["x"] for row in table.versus_records or []))


def caption(table: ResultsTable) -> str:
    """What the numbers are, in a sentence."""
    spec = table.spec
    score = {"final": f"mean of the last {spec.last} point(s)", "best": f"mean of the best {spec.last} point(s)",
             "auc": "area under the curve"}[spec.score]
    normalized = " normalized" if spec.normalize else ""
    return (f"{STAT_NAMES[spec.stat]} of{normalized} {spec.metric} ({score} of each run) with "
            f"{spec.ci:.0%} stratified-bootstrap intervals ({spec.n_bootstrap} resamples); "
            "bold: the interval clears the runner-up's; n: runs per task")


def _comment_lines(table: ResultsTable, command: str) -> List[str]:
    made = provenance(table, command)
    commits = ", ".join(f"{commit} ({count} runs)" for commit, count in made["commits"].items())
    selection = " ".join(f"{key}={value!r}" for key, value in made["spec"]["selection"].items()) or "all runs"
    return [f"made by: {command or 'RLA.easy_plot.results_table'}", f"database: {table.data_root}",
            f"selection: {selection}", f"code: {commits}", f"made: {table.made}"]


def _markdown(table: ResultsTable, command: str) -> str:
    def row(fields: Sequence[str]) -> str:
        return "| " + " | ".join(field.replace("|", "\\|") for field in fields) + " |"

    lines = ["<!--", *_comment_lines(table, command), "-->", "", caption(table), ""]
    titles = header(table)
    lines += [row(titles), "|" + "|".join("---" for _ in titles) + "|"]
    lines += [row(line) for line in cell_rows(table, lambda text: f"**{text}**")]
    if table.versus_records is not None:
        names = versus_names(table)
        lines += ["", f"P(X > Y), X by row, Y by column, with {table.spec.ci:.0%} intervals", "",
                  row(["X \\ Y", *names]), "|" + "|".join("---" for _ in range(len(names) + 1)) + "|"]
        lines += [row(line) for line in versus_rows(table)]
    return "\n".join(lines) + "\n"


def _latex(table: ResultsTable, command: str) -> str:
    def row(fields: Sequence[str]) -> str:
        return " & ".join(fields) + r" \\"

    titles = header(table)
    keys = len(titles) - len(table.columns) - 1
    lines = [f"% {line}" for line in _comment_lines(table, command)]
    lines += [f"% {caption(table)}", r"\begin{tabular}{" + "l" * keys + "c" * len(table.columns) + "r}", r"\hline",
              row([latex_escape(field) for field in titles]), r"\hline"]
    lines += [row([latex_escape(field) if i < keys else field for i, field in enumerate(line)])
              for line in cell_rows(table, lambda text: rf"\textbf{{{text}}}")]
    lines += [r"\hline", r"\end{tabular}"]
    if table.versus_records is not None:
        names = versus_names(table)
        lines += ["", f"% P(X > Y), X by row, Y by column, with {table.spec.ci:.0%} intervals",
                  r"\begin{tabular}{l" + "c" * len(names) + "}", r"\hline",
                  row([r"X $\backslash$ Y", *map(latex_escape, names)]), r"\hline"]
        lines += [row([latex_escape(line[0]), *line[1:]]) for line in versus_rows(table)]
        lines += [r"\hline", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def _csv_field(value: Any) -> Any:
    """A cell as pandas' ``to_csv`` writes it: floats shortest round-trip, NaN empty."""
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else str(np.float64(value))
    return value


def _csv(table: ResultsTable, command: str) -> str:
    out = io.StringIO()
    columns = ["group", *(KEY_PREFIX + key for key in table.spec.split_keys), "column", "kind", "value", "low",
               "high", "n", "bold"]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_csv_field(cell.get(column)) for column in columns] for cell in table.cell_records)
    return out.getvalue()


def _plain(value: Any) -> Any:
    """A JSON value: numpy numbers as Python's, NaN as null."""
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


def _json(table: ResultsTable, command: str) -> str:
    def plain(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        return [{key: _plain(value) for key, value in row.items()} for row in rows]

    data = {**provenance(table, command), "groups": table.groups, "columns": table.columns,
            "cells": plain(table.cell_records),
            "versus": None if table.versus_records is None else plain(table.versus_records)}
    return json.dumps(data, indent=2) + "\n"


#: each output format -> its renderer
FORMATS: Dict[str, Callable[[ResultsTable, str], str]] = {"md": _markdown, "latex": _latex, "csv": _csv,
                                                          "json": _json}


def render(table: ResultsTable, fmt: str = "md", command: str = "") -> str:
    """The table as text in ``fmt`` (md, latex, csv, json); ``command``: the command line that
    made it, written with it."""
    renderer = FORMATS.get(fmt)
    if renderer is None:
        raise UsageError(f"unknown table format {fmt!r}; choose from {', '.join(FORMATS)}")
    return renderer(table, command)
