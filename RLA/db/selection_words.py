"""The words that select items, as data: one table read by the ``rla`` options and by the web page's filter box.

``2024/05/* -w 'lr >= 1e-3' -s finished --since 2024-05-01 -t hopper`` selects
the same items on the command line and in ``rla ui``: :mod:`RLA.cli.options`
turns :data:`SELECTION_WORDS` into click options, and :func:`parse_words`
reads the same words from one string (no CLI involved), into the fields of an
:class:`RLA.db.select.ItemFilter`.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Tuple

from RLA.errors import ExpressionError

__all__ = ["Word", "MAX_FILTER_CHARS", "SELECTION_WORDS", "LISTING_WORDS", "TIMESTEP_BELOW", "PATTERN_HELP",
           "parse_words", "words_summary"]

#: characters of a filter string at most: a filter is a few words, and reading one costs more than its length
MAX_FILTER_CHARS = 10_000

PATTERN_HELP = ("PATTERN is a glob on the record date YYYY/MM/DD/<name>, as in earlier releases: "
                "'2022/03/01/21-13*', or '2022/03/*' for everything under a date folder.")


@dataclass(frozen=True)
class Word:
    """One selection option: the :class:`~RLA.db.select.ItemFilter` field it sets and how it is spelled.

    ``kind`` is ``value`` (one string), ``many`` (repeatable, a tuple), ``flag``
    (no value, True when given) or ``int`` (one whole number).
    """

    field: str
    flags: Tuple[str, ...]
    help: str
    kind: str = "value"


#: the words every command that selects items takes (besides PATTERN)
SELECTION_WORDS: Tuple[Word, ...] = (
    Word("task", ("-t", "--task"), "The table (task_table_name); default: every table."),
    Word("where", ("-w", "--where"), "Expression on parameters, tags and note, e.g. 'lr >= 1e-3 and "
                                     "env == \"Hopper-v4\" and \"baseline\" in tags'."),
    Word("status", ("-s", "--status"), "Keep items with this status (running, finished, failed, killed, "
                                       "stopped, lost, unknown); repeatable.", kind="many"),
    Word("since", ("--since",), "Keep items started at or after this time (2022-03-01, '2022-03-01 21:13')."),
    Word("until", ("--until",), "Keep items started at or before this time; a bare date (2022-03-01) "
                                "means the end of that day."),
    Word("regex", ("--regex",), "A Python regular expression searched in the record date."),
    Word("archived", ("--archived",), "Select among archived items (<data_root>/arc).", kind="flag"),
)

TIMESTEP_BELOW = Word("timestep_below", ("--timestep-below",), "Keep items whose last time-step is below this.",
                      kind="int")
#: the words of listings only (``rla ls`` and the filter box)
LISTING_WORDS: Tuple[Word, ...] = (TIMESTEP_BELOW,)


def words_summary(words: Sequence[Word] = SELECTION_WORDS + LISTING_WORDS) -> str:
    """The words as one line, for an error message: ``PATTERN, -t TASK, -w WHERE, ...``."""
    return ", ".join(["PATTERN"] + [w.flags[0] + ("" if w.kind == "flag" else f" {w.field.upper()}")
                                    for w in words])


def parse_words(text: Optional[str], words: Sequence[Word] = SELECTION_WORDS + LISTING_WORDS) -> Dict[str, Any]:
    """The ItemFilter fields that ``text`` (shell words, as typed after ``rla ls``) sets.

    Every field of ``words`` is in the result (None, ``()`` or False when not
    given), and ``pattern``; a word that is not one of them, a missing value or
    a second PATTERN raises :class:`~RLA.errors.ExpressionError` naming it.
    """
    if text and len(text) > MAX_FILTER_CHARS:
        raise ExpressionError(f"the filter is {len(text):,} characters long; at most {MAX_FILTER_CHARS:,}: "
                              "a filter selects by a few words (to pick many runs by name, tick them in the table)")
    try:
        tokens = shlex.split(text or "")
    except ValueError as error:
        raise ExpressionError(f"cannot read the filter {text!r}: {error}") from None
    by_flag = {flag: word for word in words for flag in word.flags}
    fields: Dict[str, Any] = {w.field: () if w.kind == "many" else (False if w.kind == "flag" else None)
                              for w in words}
    fields["pattern"] = None
    position = 0
    while position < len(tokens):
        token = tokens[position]
        position += 1
        if not token.startswith("-") or token == "-":
            if fields["pattern"] is not None:
                raise ExpressionError(f"filter: a second PATTERN {token!r} (one glob at most; quote a "
                                      f"pattern holding spaces); the words are {words_summary(words)}")
            fields["pattern"] = token
            continue
        flag, has_value, value = token.partition("=") if token.startswith("--") else (token, False, "")
        word = by_flag.get(flag)
        if word is None:
            raise ExpressionError(f"filter: unknown word {flag!r}; the words are {words_summary(words)}")
        if word.kind == "flag":
            if has_value:
                raise ExpressionError(f"filter: {flag} takes no value")
            fields[word.field] = True
            continue
        if not has_value:
            if position >= len(tokens):
                raise ExpressionError(f"filter: {flag} needs a value")
            value = tokens[position]
            position += 1
        fields[word.field] = _value(word, flag, value, fields[word.field])
    return fields


def _value(word: Word, flag: str, value: str, previous: Any) -> Any:
    if word.kind == "many":
        return (*previous, value)
    if word.kind == "int":
        try:
            return int(value)
        except ValueError:
            raise ExpressionError(f"filter: {flag} takes a whole number, not {value!r}") from None
    return value
