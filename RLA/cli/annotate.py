"""``rla tag`` and ``rla note``: tags and a note on the selected items (:func:`RLA.db.ops.annotate`)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import click

from RLA.cli.options import PATTERN_HELP, print_json, selection
from RLA.words import counted

__all__ = ["tag_command", "note_command"]

_ALL = click.option("--all", "allow_all", is_flag=True, help="Allow writing to every item (no selection given).")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the items' tags and notes as JSON on stdout.")


@click.command("tag", epilog="Select by tags with -w '\"baseline\" in tags'. " + PATTERN_HELP)
@selection
@click.option("-a", "--add", multiple=True, help="A tag to add (a word: no spaces or commas); repeatable.")
@click.option("--remove", multiple=True, help="A tag to remove; repeatable.")
@_ALL
@_JSON
def tag_command(data_root: str, filters: Dict[str, Any], add: Tuple[str, ...], remove: Tuple[str, ...],
                allow_all: bool, as_json: bool) -> None:
    """Add or remove tags of the selected items; without --add/--remove, show their tags."""
    from RLA.db import ops

    annotated = ops.annotate(data_root, add=add, remove=remove, allow_all=allow_all, **filters)
    changes = " ".join([*(f"+{t}" for t in add), *(f"-{t}" for t in remove)])
    _show(annotated, as_json, f"tagged {counted(len(annotated), 'item')}: {changes}" if changes else None,
          lambda entry: [", ".join(entry["tags"]) or "(no tag)"])


@click.command("note", epilog="Select by notes with -w '\"diverged\" in note'. " + PATTERN_HELP)
@selection
@click.option("--set", "text", help="The new note (replaces the one there; '' clears it).")
@click.option("--append", help="A paragraph to add at the end of the note.")
@_ALL
@_JSON
def note_command(data_root: str, filters: Dict[str, Any], text: Optional[str], append: Optional[str],
                 allow_all: bool, as_json: bool) -> None:
    """Set or append to the note of the selected items; without --set/--append, show their notes."""
    from RLA.db import ops

    annotated = ops.annotate(data_root, note=text, append=append, allow_all=allow_all, **filters)
    done = "set the note of" if text is not None else "appended to the note of" if append is not None else None
    _show(annotated, as_json, f"{done} {counted(len(annotated), 'item')}" if done else None,
          lambda entry: entry["note"].splitlines() or ["(no note)"])


def _show(annotated: List[Dict[str, Any]], as_json: bool, done: Optional[str], lines: Any) -> None:
    """The items and what they hold now, on stdout (``--json``: as JSON); what was done, on stderr."""
    from RLA.console.display import printable

    if as_json:
        print_json(annotated)
    else:
        for entry in annotated:
            click.secho(printable(entry["index"]), bold=True)
            for line in lines(entry):
                click.echo("  " + printable(line))
    if not annotated:
        click.echo("no item matches", err=True)
    elif done:
        click.echo(printable(done), err=True)
