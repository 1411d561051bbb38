"""Terminal output of the ``rla`` command and the scripts: rich tables and progress bars, on stderr.

Human-readable output goes to stderr so that ``--json`` output on stdout stays
clean for scripts. The database layer (RLA.db) never prints; this module shows
what it returns.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Sequence

from RLA.db import data_types
from RLA.db.layout import DATA_TYPES
from RLA.db.metrics import DEFAULT_REDUCER, metric_column
from RLA.db.names import readable_name
from RLA.words import counted

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from RLA.db.ops import OpResult, Plan
    from RLA.db.query import ItemRecord

__all__ = ["console", "show_plan", "show_waiting", "report_lines", "warning_lines", "progress_bar", "progress_counter",
           "frame_table", "titled", "size_columns", "start_labels", "human_size", "short_size",
           "printable", "as_markup"]

#: columns `rla ls` shows by default (parameters are added after them)
DEFAULT_COLUMNS = ("status", "last_time_step", "rows", "size")
#: headers of the compact table (80 columns)
_SHORT_HEADERS = {"last_time_step": "step"}
#: columns of free text, cut first in the compact table as parameters are
_TEXT_COLUMNS = ("tags", "note")


#: what a terminal would act on instead of show: C0 and C1 controls (ESC starts cursor moves, OSC titles,
#: hyperlinks), DEL, and the bidirectional overrides that reorder what the eye reads
_OTHER_CONTROLS = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNPRINTABLE = re.compile(rf"[\t\n{_OTHER_CONTROLS}]")
_UNPRINTABLE_IN_LINES = re.compile(f"[{_OTHER_CONTROLS}]")


def printable(value: Any, lines: bool = False) -> str:
    """``value`` as text a terminal only shows: every control character as its escape (``\\x1b``).

    Everything the CLI prints from the database goes through here: a parameter, a status or a
    file name could otherwise move the cursor, rewrite lines or retitle the terminal. ``lines``
    keeps newlines and tabs (a text file shown as text); a table cell keeps none. A byte of a
    folder name that is not UTF-8 is shown as ``\\xNN`` too.
    """
    pattern = _UNPRINTABLE_IN_LINES if lines else _UNPRINTABLE
    return pattern.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"),
                       readable_name(str(value)))


def as_markup(value: Any) -> str:
    """``value`` as :func:`printable` text with rich's markup escaped: a cell of a table that also
    holds markup (a bold value) shows a parameter such as ``[relu]`` or ``[/x]`` as it reads."""
    from rich.markup import escape

    return escape(printable(value))


def console(stderr: bool = True) -> "Console":
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def human_size(size: Optional[float]) -> str:
    if size is None or size != size:  # None or NaN
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def short_size(size: Optional[float]) -> str:
    """A size in at most five characters, as ``du -h`` writes it (``512B``, ``2.5K``, ``136K``, ``1.2G``):
    the form of 80-column tables."""
    if size is None or size != size:  # None or NaN
        return "-"
    if size < 1024:
        return f"{size:.0f}B"
    for unit in "KMGT":
        size /= 1024
        if size < 999.5 or unit == "T":
            return f"{size:.1f}{unit}" if size < 9.95 else f"{size:.0f}{unit}"
    raise AssertionError("unreachable")


def show_plan(plan: "Plan", dry_run: bool = False) -> None:
    """List what a plan will touch: one row per item (named as ``rla ls`` names it at this width),
    the size the plan touches, and below the table the size per data type."""
    from rich.markup import escape
    from rich.text import Text

    from RLA.db.query import to_frame

    out = console()
    _show_skipped(out, plan)
    if not plan.entries:
        what = "no other item matches" if plan.skipped else "no item matches"
        out.print(f"[bold]{escape(plan.action)}[/]: {what}; nothing to do")
        return
    touched: Dict[str, Dict[str, int]] = {}
    for entry in plan.entries:
        touched.setdefault(entry.item.index, {})[entry.data_type] = 0
    records = [r for r in plan.records if r.index in touched]
    for record in records:
        touched[record.index] = {t: record.sizes.get(t, 0) for t in touched[record.index]}
    frame = to_frame(records)
    frame["size"] = [sum(touched[record.index].values()) for record in records]
    title = (f"{plan.action}: {counted(len(plan.entries), 'entry')} of {counted(len(records), 'item')}"
             + (" (dry run: nothing is changed)" if dry_run else ""))
    out.print(frame_table(frame, title=title, out=out))
    per_type = {t: sum(sizes.get(t, 0) for sizes in touched.values()) for t in DATA_TYPES}
    out.print(Text("by data type: " + ", ".join(f"{data_types.BY_NAME[t].header} {short_size(size)}"
                                               for t, size in per_type.items()
                                               if any(t in sizes for sizes in touched.values()))))
    targets = [e for e in plan.entries if e.target is not None]
    if targets:
        first = targets[0]
        out.print(Text(printable(f"to: {first.target} (and {len(targets) - 1} more)" if len(targets) > 1
                                 else f"to: {first.target}")), soft_wrap=True)  # whole: the terminal wraps it


def _show_skipped(out: "Console", plan: "Plan") -> None:
    """The selected items a plan leaves alone, each with the reason."""
    from rich.text import Text

    if not plan.skipped:
        return
    out.print(Text(f"skipped {counted(len(plan.skipped), 'item')} still marked running "
                   "(pass --include-running to include them):", style="yellow"))
    for record, reason in plan.skipped:
        out.print(Text(printable(f"  {record.index}: {reason}")))


def show_waiting(who: str) -> None:
    """Say that an operation waits for ``who`` (another operation holding the database's lock)."""
    from rich.text import Text

    console().print(Text(printable(f"waiting for {who} to finish: one operation at a time per database"),
                         style="yellow"))


def report_lines(result: "OpResult") -> List[str]:
    """What an operation did, in words (the summary line of `rla rm`, `rla archive`, ... and the scripts)."""
    lines = []
    if result.dry_run:
        lines.append(f"dry run: {counted(result.planned, 'entry')} would be touched; nothing was changed")
    elif result.planned and not result.confirmed:
        lines.append("cancelled: nothing was changed")
    elif result.planned:
        lines.append(f"{result.action}: {counted(result.count, 'entry')} of {counted(len(result.records), 'item')}")
    if result.skipped:
        lines.append(f"skipped {counted(len(result.skipped), 'item')} still marked running; "
                     "pass --include-running to include them if their runs are dead")
    for record, reason in result.revived:
        lines.append(printable(f"left alone {record.index}: {reason}"))
    if result.gone:
        lines.append(f"{counted(len(result.gone), 'entry')} gone already: another operation took them meanwhile")
    return lines


#: how many damaged items a listing names one by one
SHOWN_DAMAGED = 10


def warning_lines(records: Sequence["ItemRecord"]) -> List[str]:
    """What a listing says below its table: items an interrupted operation may have split, and
    items whose files cannot be read (named up to :data:`SHOWN_DAMAGED`, then counted)."""
    lines = [printable(f"warning: {r.index} may be split between two places: {r.split}") for r in records if r.split]
    damaged = [r for r in records if r.damage]
    lines += [printable(f"warning: {r.index} is damaged:\n  {r.damage}", lines=True) for r in damaged[:SHOWN_DAMAGED]]
    if len(damaged) > SHOWN_DAMAGED:
        lines.append(f"warning: {counted(len(damaged) - SHOWN_DAMAGED, 'more item')} damaged (--json names each)")
    if damaged:
        lines.append("  the other items read normally; repair what is named, or remove the item (rla rm)")
    return lines


@contextmanager
def progress_bar(total: int, description: str, quiet: bool) -> Iterator[Callable[[Any], None]]:
    """A progress bar on a terminal (none when quiet or not a terminal), advanced by the callback it gives:
    pass that as ``on_progress`` to :func:`RLA.db.ops.apply`."""
    out = console()
    if quiet or not out.is_terminal:
        yield lambda _done: None
        return
    from rich.progress import Progress

    with Progress(console=out, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda _done: bar.advance(task)


class Counter:
    """A progress bar whose total is known only once work is found: :meth:`found` sets it."""

    def __init__(self, bar: Any = None, task: Any = None):
        self._bar, self._task = bar, task

    def found(self, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, total=total)

    def advance(self, _done: Any = None) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)


@contextmanager
def progress_counter(description: str, quiet: bool) -> Iterator[Counter]:
    """:func:`progress_bar` for work counted as it is found: pass ``counter.found`` and ``counter.advance``."""
    out = console()
    if quiet or not out.is_terminal:
        yield Counter()
        return
    from rich.progress import Progress

    with Progress(console=out, transient=True) as bar:
        yield Counter(bar, bar.add_task(description, total=None))


def titled(title: Optional[str], table: Any) -> Any:
    """``table`` with ``title`` as a line of its own above it, wrapped at the terminal's width (a rich
    table's own title wraps at the table's)."""
    from rich.console import Group
    from rich.text import Text

    return table if title is None else Group(Text(title), table)


def frame_table(frame: "pd.DataFrame", columns: Optional[Sequence[str]] = None, title: Optional[str] = None,
                out: Optional["Console"] = None, wide: bool = False) -> Any:
    """A rich table of a query DataFrame: the item, chosen columns and the tracked parameters.

    Items are named by their full index when the table fits ``out``'s width;
    otherwise by their start time (and table), so that a run is one line in an
    80-column terminal, and ``wide`` adds each item's full index on a line of
    its own under its row (whole, to copy). ``--json`` shows everything. The
    ``title`` is a line of its own above (:func:`titled`).
    """
    if columns is None:
        tracked: List[str] = []
        for keys in frame.get("tracked", []):
            tracked += [f"params.{k}" for k in keys if f"params.{k}" not in tracked]
        tagged = ["tags"] if any(frame.get("tags", [])) else []
        columns = [c for c in (*DEFAULT_COLUMNS, *tracked, *tagged) if c in frame.columns]
    from rich.measure import Measurement
    from rich.text import Text

    full = _table(frame, columns, short_names=False)
    if out is None:
        return titled(title, full)
    terminal: "Console" = out

    def fits(table: Any) -> bool:
        return Measurement.get(terminal, terminal.options.update_width(1_000_000), table).maximum <= terminal.width

    if fits(full):
        return titled(title, full)
    columns = list(columns)
    left_out: List[str] = []
    for cut in _CUTS:  # parameter and metric cells as wide as the terminal leaves room for
        short = _table(frame, columns, short_names=True, cut=cut)
        if fits(short):
            break
    while not fits(short) and any(c.startswith("params.") for c in columns):
        # the last parameters, when they would be cut to a letter or off the edge, are left out and named
        left_out.insert(0, columns.pop(max(i for i, c in enumerate(columns) if c.startswith("params."))))
        short = _table(frame, columns, short_names=True, cut=_CUTS[-1])
    if left_out:
        names = ", ".join(_header(c, frame.columns) for c in left_out)
        short.caption = Text(printable(f"not shown: {names} (-c to choose the columns, --json for all)"))
        short.caption_justify = "left"
    return titled(title, _under_each_row(out, short, [printable(index) for index in frame.index]) if wide else short)


def _under_each_row(out: "Console", table: Any, lines: Sequence[str]) -> Any:
    """``table`` (one line per row) with a dim, indented line of text under each row (whole when printed
    with ``crop=False``: the terminal wraps it, and it copies as one line)."""
    from rich.console import Group
    from rich.segment import Segment, Segments
    from rich.text import Text

    caption, table.caption = table.caption, None  # said after the rows (and their lines), not among them
    try:
        rendered = out.render_lines(table, out.options, pad=False)
    finally:
        table.caption = caption
    head = len(rendered) - len(lines)
    if head < 0:  # rows of several lines: a terminal too narrow even for the short table
        return table
    parts: List[Any] = [Segments([segment for line in rendered[:head] for segment in (*line, Segment.line())])]
    for row, below in zip(rendered[head:], lines):
        parts += [Segments([*row, Segment.line()]), Text("  " + below, style="dim", no_wrap=True, overflow="ignore")]
    return Group(*parts, *([caption] if caption is not None else []))


#: the widths a short table cuts parameter cells and headers to, the widest that fits first (metrics: 4 more)
_CUTS = (24, 16, 12)


def _table(frame: "pd.DataFrame", columns: Sequence[str], short_names: bool, cut: int = _CUTS[-1]) -> Any:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD if short_names else box.HEAVY_HEAD, show_edge=not short_names,
                  pad_edge=not short_names)
    cells = {column: [_cell(column, value, short_names) for value in frame[column]] for column in columns}
    if not short_names:
        lead = {"index": [printable(index) for index in frame.index]}
        table.add_column("index", overflow="fold")
    else:
        lead = {"task": [printable(task) for task in frame["task"]]} if frame["task"].nunique() > 1 else {}
        lead["started"] = start_labels(frame["date"])
        for name, values in lead.items():  # never cut: they say which item a row is
            table.add_column(name, no_wrap=True, min_width=max(map(len, values), default=len(name)))
    for column in columns:
        header = printable(_header(column, frame.columns, short_names))
        if not short_names:
            table.add_column(Text(header), justify="right")
        elif column.startswith("params.") or column in _TEXT_COLUMNS or metric_column(column):  # cut first
            table.add_column(Text(header), justify="right", no_wrap=True, overflow="ellipsis",
                             min_width=min(len(header), 6), max_width=cut + 4 if metric_column(column) else cut)
        else:  # status, step, rows, size: never cut
            width = max([len(header), *map(len, cells[column])])
            table.add_column(Text(header), justify="right", no_wrap=True, min_width=width)
    for position in range(len(frame)):  # Text: "&algo=[ppo]" is no rich markup
        table.add_row(*[Text(values[position]) for values in (*lead.values(), *cells.values())])
    return table


def start_labels(dates: Sequence[Any]) -> List[str]:
    """Each item's start time, as short as keeps them apart: ``12-02 07:44:40`` (the year when it varies,
    digits of the second when two items start in the same second); ``?`` for an unknown one. In tables
    that must fit 80 columns, this names an item."""
    import pandas as pd

    dates = list(dates)
    years = {d.year for d in dates if not pd.isna(d)}
    fmt = "%Y-%m-%d %H:%M:%S" if len(years) > 1 else "%m-%d %H:%M:%S"
    for digits in range(7):
        labels = ["?" if pd.isna(d) else d.strftime(fmt) + (f".{d.microsecond:06d}"[:digits + 1] if digits else "")
                  for d in dates]
        if len(set(labels)) == len(labels):
            break
    return labels


def size_columns(frame: "pd.DataFrame") -> List[str]:
    """The size of each data type some item of ``frame`` holds, then the total (``rla ls --sizes``)."""
    return [*(f"size.{t}" for t in DATA_TYPES if f"size.{t}" in frame and frame[f"size.{t}"].fillna(0).gt(0).any()),
            "size"]


def _header(column: str, known: Sequence[str], short: bool = False) -> str:
    """A column's header: ``params.lr`` as ``lr``, unless ``lr`` is also a column of its own
    (a parameter named ``status`` keeps its prefix, so it is not taken for the run's status);
    in a short table, a size column by its data type's short name (``ckpt``) and a metric's final
    value by its key (``eval/return``)."""
    if short and column in _SHORT_HEADERS:
        return _SHORT_HEADERS[column]
    metric = metric_column(column)
    if short and metric is not None and metric.reducer == DEFAULT_REDUCER and metric.key not in known:
        return metric.key  # a key alone is its final value
    if short and column.startswith("size.") and column[len("size."):] in data_types.BY_NAME:
        return data_types.BY_NAME[column[len("size."):]].header
    if column.startswith("params."):
        name = column[len("params."):]
        if name not in known and name != "index":
            return name
    return column


def _cell(column: str, value: Any, short: bool = False) -> str:
    if metric_column(column) is not None:  # final:eval/return: a number, or none logged
        return "-" if value is None else "nan" if value != value else f"{value:.4g}"
    if column == "size" or column.startswith("size."):
        return (short_size if short else human_size)(None if _missing(value) else float(value))
    if column == "tags":
        return printable(",".join(value)) if value else "-"
    if column == "note":
        return printable(" ".join(str(value).split())) if value else "-"
    return "-" if _missing(value) else printable(value)


def _missing(value: Any) -> bool:
    import pandas as pd

    return not isinstance(value, (list, tuple, dict)) and bool(pd.isna(value))
