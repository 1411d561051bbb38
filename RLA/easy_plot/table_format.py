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

import io
import json
import math
from typing import Any, Callable, Dict, List, Sequence

import numpy as np

from RLA.easy_plot.aggregate import latex_escape
from RLA.easy_plot.results_table import KEY_PREFIX, STAT_NAMES, ResultsTable
from RLA.errors import UsageError

__all__ = ["FORMATS", "render", "provenance", "header", "cell_rows", "versus_rows", "caption"]

def provenance(table: ResultsTable, command: str = "") -> Dict[str, Any]:
    """How a table was made: the command, the database, what was asked (the spec, its selection
    included), the code commits of its runs and when."""
    return {"command": command, "data_root": table.data_root, "made": table.made, "spec": table.spec.to_dict(),
            "commits": table.commits, "runs": int(len(table.scores))}


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
    cells = table.cells
    decimals = {column: _decimals(list(rows["value"]) + list(rows["low"]) + list(rows["high"]))
                for column, rows in cells.groupby("column", sort=False)}
    keys = table.spec.split_keys
    out = []
    for group in table.groups:
        rows = cells[cells["group"] == group].set_index("column")
        line = [str(rows.iloc[0][KEY_PREFIX + key]) for key in keys] if keys else [group]
        for column in table.columns:
            cell = rows.loc[column]
            places = decimals[column]
            if cell["n"] == 0 or not math.isfinite(cell["value"]):
                line.append("-")
                continue
            value = _number(cell["value"], places)
            line.append(f"{bold(value) if cell['bold'] else value}{separator}"
                        f"[{_number(cell['low'], places)}, {_number(cell['high'], places)}]")
        counts = [int(rows.loc[task, "n"]) for task in table.spec.tasks]
        line.append(str(counts[0]) if len(set(counts)) == 1 else "/".join(map(str, counts)))
        out.append(line)
    return out


def header(table: ResultsTable) -> List[str]:
    """The names of the columns of :func:`cell_rows`."""
    return [*(table.spec.split_keys or ["group"]), *table.columns, "n"]


def versus_rows(table: ResultsTable, separator: str = " ") -> List[List[str]]:
    """The P(X > Y) matrix as text: one row per X (its name first), one column per Y, ``p [low, high]``."""
    versus = table.versus
    names = list(dict.fromkeys(versus["x"]))
    found = {(row.x, row.y): row for row in versus.itertuples(index=False)}
    lines = []
    for x in names:
        line = [x]
        for y in names:
            pair = found.get((x, y))
            line.append("" if pair is None else f"{pair.probability:.2f}{separator}[{pair.low:.2f}, {pair.high:.2f}]")
        lines.append(line)
    return lines


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
    if table.versus is not None:
        names = list(dict.fromkeys(table.versus["x"]))
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
    if table.versus is not None:
        names = list(dict.fromkeys(table.versus["x"]))
        lines += ["", f"% P(X > Y), X by row, Y by column, with {table.spec.ci:.0%} intervals",
                  r"\begin{tabular}{l" + "c" * len(names) + "}", r"\hline",
                  row([r"X $\backslash$ Y", *map(latex_escape, names)]), r"\hline"]
        lines += [row([latex_escape(line[0]), *line[1:]]) for line in versus_rows(table)]
        lines += [r"\hline", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def _csv(table: ResultsTable, command: str) -> str:
    out = io.StringIO()
    columns = ["group", *(KEY_PREFIX + key for key in table.spec.split_keys), "column", "kind", "value", "low",
               "high", "n", "bold"]
    table.cells.reindex(columns=columns).to_csv(out, index=False, lineterminator="\n")
    return out.getvalue()


def _plain(value: Any) -> Any:
    """A JSON value: numpy numbers as Python's, NaN as null."""
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


def _json(table: ResultsTable, command: str) -> str:
    def records(frame: Any) -> List[Dict[str, Any]]:
        return [{key: _plain(value) for key, value in row.items()} for row in frame.to_dict("records")]

    data = {**provenance(table, command), "groups": table.groups, "columns": table.columns,
            "cells": records(table.cells), "versus": None if table.versus is None else records(table.versus)}
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
