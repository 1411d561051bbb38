"""A training command's hyper-parameters, read from its command line as argparse, tyro and Hydra read them.

``python train.py --env-id Hopper-v4 --learning-rate=3e-4 --no-cuda seed=1 +optim.lr=1e-3``
gives ``{"env_id": "Hopper-v4", "learning_rate": 0.0003, "cuda": False, "seed": 1,
"optim.lr": 0.001}``; short options count too (RL Zoo's ``-n 2048``). The program
itself (``python``, its options, the script or the ``-m`` module) is not a parameter;
words that are neither an option nor an override (positional arguments,
sub-commands) are kept in order as ``args``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from RLA.db.records import typed_value

__all__ = ["CommandLine", "parse_command_line", "typed_value"]

#: interpreters whose own options come before the script (``python -u train.py``)
_INTERPRETERS = re.compile(r"^(python[0-9.]*|pypy[0-9.]*)$")
#: interpreter options that take a value as the next word
_INTERPRETER_VALUE_OPTIONS = {"-W", "-X", "-Q"}
#: launchers that run the next words as the command (``uv run python train.py``)
_LAUNCHERS = {("uv", "run"), ("poetry", "run"), ("pipenv", "run"), ("conda", "run")}
#: ``key=value``, ``+key=value``, ``++key=value`` (Hydra / OmegaConf overrides)
_OVERRIDE = re.compile(r"^\+{0,2}([A-Za-z_][\w.\-/]*)=(.*)$", re.S)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass
class CommandLine:
    """What a command line says about the run it starts."""

    #: the program: ``train.py`` for ``python train.py``, ``rl_zoo3.train`` for ``python -m rl_zoo3.train``
    program: str
    #: hyper-parameters, typed, in the order given; dashes in option names became underscores
    params: Dict[str, Any] = field(default_factory=dict)
    #: positional words (sub-commands, files), in order
    args: List[str] = field(default_factory=list)
    #: the script file when the program is a Python script (what the code snapshot is taken around)
    script: Optional[str] = None


def parse_command_line(argv: Sequence[str]) -> CommandLine:
    """Split ``argv`` into the program and the parameters given to it."""
    words = list(argv)
    if not words:
        raise ValueError("no command given")
    while len(words) > 2 and (os.path.basename(words[0]), words[1]) in _LAUNCHERS:
        words = words[2:]
    program, rest, script = _program(words)
    line = CommandLine(program=program, script=script)
    _read_options(rest, line)
    return line


def _program(words: List[str]) -> "tuple[str, List[str], Optional[str]]":
    """The program's name, the words after it, and its script file if it is one."""
    if not _INTERPRETERS.match(os.path.basename(words[0])):
        program = words[0]
        script = program if program.endswith(".py") else None
        return program, words[1:], script
    i = 1
    while i < len(words):
        word = words[i]
        if word == "-m" and i + 1 < len(words):
            return words[i + 1], words[i + 2:], None
        if word.startswith("-m") and len(word) > 2:
            return word[2:], words[i + 1:], None
        if word == "-c" and i + 1 < len(words):
            return "-c", words[i + 2:], None
        if word in _INTERPRETER_VALUE_OPTIONS:
            i += 2
            continue
        if word.startswith("-"):
            i += 1
            continue
        return word, words[i + 1:], word
    return words[0], [], None


def _is_option(word: str) -> bool:
    """``--name``, ``--name=value`` or a short ``-n``; not ``-1`` nor ``-3e-4`` (negative numbers)."""
    return word.startswith("-") and word.strip("-") != "" and not _NUMBER.match(word)


def _key(option: str) -> str:
    return option.lstrip("-").replace("-", "_")


def _read_options(words: List[str], line: CommandLine) -> None:
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            line.args.extend(words[i + 1:])
            return
        if _is_option(word):
            name, has_value, value = word.lstrip("-").partition("=")
            if has_value:
                line.params[_key(name)] = typed_value(value)
                i += 1
                continue
            values = []
            j = i + 1
            while j < len(words) and not _is_option(words[j]) and words[j] != "--" \
                    and not _OVERRIDE.match(words[j]):
                values.append(words[j])
                j += 1
            if values:
                typed = [typed_value(v) for v in values]
                line.params[_key(name)] = typed[0] if len(typed) == 1 else typed
            elif name.startswith("no-") or name.startswith("no_"):
                line.params[_key(name[3:])] = False
            else:
                line.params[_key(name)] = True
            i = j
            continue
        override = _OVERRIDE.match(word)
        if override:
            line.params[override.group(1)] = _override_value(override.group(2))
        else:
            line.args.append(word)
        i += 1


def _override_value(text: str) -> Any:
    """A Hydra override's value: a scalar, or a ``[a,b]`` list of scalars."""
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        inner = stripped[1:-1].strip()
        return [typed_value(part.strip().strip("'\"")) for part in inner.split(",")] if inner else []
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        return stripped[1:-1]
    return typed_value(stripped)
