"""A parameter expression (:mod:`RLA.db.expr`) as an SQL condition over the query index.

The condition selects exactly what :func:`RLA.db.expr.compile_where` selects: a missing
parameter compares false (and ``not`` of that is true), values of types Python cannot order
(a string and a number) compare false, ``1 == 1.0 == True``. Each parameter is a column whose
values are stored by :func:`RLA.db.index_db.sql_value`: numbers and text compared by SQLite,
anything else (None, lists, NaN, huge integers) and any comparison SQLite cannot mirror
(``x in "text"``, two parameters) by a Python function over the stored value, row by row.
The text is never evaluated: it is parsed into an :mod:`ast`, and literals are bound as
SQL parameters, never spliced into the SQL.

Beside the condition, the comparisons every selected row satisfies in plain SQL (``lr >= ?``,
``env = ?``, ``seed IN (?, ?)``: the top-level ``and`` of the expression) are given as
:class:`Seek` terms: true of every row the condition selects (and of some it does not), they
let SQLite find the rows through an index of the column instead of reading every row.
"""
from __future__ import annotations

import ast
from typing import Any, Callable, List, NamedTuple, Optional

from RLA.db.expr import COMPARISONS, operand, parse_where
from RLA.db.index_db import param_value

__all__ = ["Condition", "Seek", "translate", "compare_function", "COMPARE_FUNCTION"]

#: the SQL function (name, 3 arguments) comparing in Python: ``rla_compare(n, a, b)``, ``n`` the
#: comparison's number in :attr:`Condition.functions`
COMPARE_FUNCTION = "rla_compare"
_SQL_OPERATORS = {ast.Eq: "=", ast.NotEq: "<>", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_FLIPPED = {ast.Eq: ast.Eq, ast.NotEq: ast.NotEq, ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt,
            ast.GtE: ast.LtE}
_NUMBER_TYPES = "typeof({c}) IN ('integer', 'real')"
#: a float at least this large may equal an integer stored as JSON (beyond SQLite's integers)
_HUGE = float(2 ** 63)


class Seek(NamedTuple):
    """A term every row of a condition satisfies, which an index of ``column`` answers: ``column =
    ?`` or ``IN (?, ...)`` (``equal``), else ``column >= ?`` or ``> ?`` (a range open above: SQLite
    orders numbers before text before blobs, so text and JSON values are in it as Python may find
    them larger)."""

    column: str
    sql: str
    args: List[Any]
    equal: bool


class Condition(NamedTuple):
    """An SQL condition (0 or 1 for every row, never NULL), its bound arguments, and the terms an
    index may answer (implied by it)."""

    sql: str
    args: List[Any]
    seeks: List[Seek]


def translate(text: str, column: Callable[[str], Optional[str]],
              functions: List[Callable[[Any, Any], bool]]) -> Condition:
    """The SQL of the expression ``text``; ``column(key)`` is the SQL of a parameter's stored value
    (``key`` may name a metric, ``final:eval/return``), or None when no item has it. The Python
    comparisons it calls are appended to ``functions``: ``rla_compare(n, a, b)`` is
    ``functions[n](a, b)``."""
    args: List[Any] = []
    tree = parse_where(text)
    sql = _Translator(text, column, args, functions).node(tree)
    seeks: List[Seek] = []
    _seeks(tree, text, column, seeks)
    return Condition(sql, args, seeks)


def _seeks(node: ast.AST, text: str, column: Callable[[str], Optional[str]], out: List[Seek]) -> None:
    """The :class:`Seek` terms of the comparisons of the top-level ``and`` of ``node``."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        for value in node.values:
            _seeks(value, text, column, out)
        return
    if not isinstance(node, ast.Compare):
        return
    operands = [operand(n, text) for n in [node.left, *node.comparators]]
    for op, (left_key, left_value), (right_key, right_value) in zip(node.ops, operands, operands[1:]):
        if left_key is None and right_key is not None and type(op) in _FLIPPED:  # `1e-3 <= lr`
            op, left_key, right_value = _FLIPPED[type(op)](), right_key, left_value
        elif left_key is None or right_key is not None:
            continue
        found = column(left_key)
        if found is not None:
            seek = _seek(op, found, right_value)
            if seek is not None:
                out.append(seek)


def _seek(op: ast.cmpop, column: str, literal: Any) -> Optional[Seek]:
    """The term ``column <op> literal`` implies in plain SQL, if an index can answer it: equality and
    ``in`` with literals no JSON value equals (a float beyond SQLite's integers may equal a huge
    integer), ``>``/``>=`` with a number or text (smaller than text and JSON values in SQLite)."""
    if isinstance(op, ast.In) and isinstance(literal, list) and literal and all(_seekable(v) for v in literal):
        return Seek(column, f"{column} IN ({', '.join('?' * len(literal))})", [_bound(v) for v in literal], True)
    if isinstance(op, ast.Eq) and _seekable(literal):
        return Seek(column, f"{column} = ?", [_bound(literal)], True)
    if isinstance(op, (ast.Gt, ast.GtE)) and _plain(literal):
        return Seek(column, f"{column} {_SQL_OPERATORS[type(op)]} ?", [_bound(literal)], False)
    return None


def _seekable(value: Any) -> bool:
    """Whether no parameter stored as JSON can equal ``value``."""
    return _plain(value) and not (type(value) is float and abs(value) >= _HUGE)


def compare_function(functions: List[Callable[[Any, Any], bool]]) -> Callable[[int, Any, Any], int]:
    """The SQL function :data:`COMPARE_FUNCTION` over ``functions``."""
    return lambda number, a, b: int(functions[number](a, b))


class _Translator:
    def __init__(self, text: str, column: Callable[[str], Optional[str]], args: List[Any],
                 functions: List[Callable[[Any, Any], bool]]):
        self.text = text
        self.column = column
        self.args = args
        self.functions = functions

    def node(self, node: ast.AST) -> str:
        if isinstance(node, ast.BoolOp):
            joiner = " AND " if isinstance(node.op, ast.And) else " OR "
            return "(" + joiner.join(self.node(v) for v in node.values) + ")"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return f"(NOT {self.node(node.operand)})"
        if isinstance(node, ast.Compare):
            operands = [operand(n, self.text) for n in [node.left, *node.comparators]]
            parts = [self.compare(op, left, right) for op, left, right in zip(node.ops, operands, operands[1:])]
            return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"
        # a parameter alone: its truth
        column = self.column(operand(node, self.text)[0] or "")
        if column is None:
            return "0"
        blob = self.function(lambda value, _: value is not None and bool(param_value(value)))
        return (f"(CASE typeof({column}) WHEN 'integer' THEN {column} <> 0 WHEN 'real' THEN {column} <> 0 "
                f"WHEN 'text' THEN {column} <> '' WHEN 'blob' THEN {blob.format(c=column, other='NULL')} ELSE 0 END)")

    def function(self, compare: Callable[[Any, Any], bool]) -> str:
        """A call of the Python comparison ``compare(stored value, other)``, as a template."""
        self.functions.append(compare)
        return f"{COMPARE_FUNCTION}({len(self.functions) - 1}, {{c}}, {{other}})"

    def compare(self, op: ast.cmpop, left: tuple, right: tuple) -> str:
        func = COMPARISONS[type(op)]
        (left_key, left_value), (right_key, right_value) = left, right
        if left_key is None and right_key is None:  # two literals: known now
            return "1" if _python(func, left_value, right_value) else "0"
        if left_key is not None and right_key is not None:  # two parameters
            a, b = self.column(left_key), self.column(right_key)
            if a is None or b is None:
                return "0"
            call = self.function(lambda x, y: x is not None and y is not None
                                 and _python(func, param_value(x), param_value(y)))
            return call.format(c=a, other=b)
        if left_key is None:  # a literal first: `1e-4 < lr`, or `1 in hidden`
            if type(op) not in _FLIPPED:
                column = self.column(right_key)
                if column is None:
                    return "0"
                call = self.function(lambda value, _: value is not None
                                     and _python(func, left_value, param_value(value)))
                return call.format(c=column, other="NULL")
            return self.compare(_FLIPPED[type(op)](), (right_key, None), (None, left_value))
        column = self.column(left_key)
        if column is None:
            return "0"
        return self.parameter_vs_literal(op, func, column, right_value)

    def parameter_vs_literal(self, op: ast.cmpop, func: Callable[[Any, Any], bool], column: str, literal: Any) -> str:
        """``column <op> literal``: in SQL when SQLite compares as Python does, else in Python."""
        in_python = self.function(lambda value, _: value is not None and _python(func, param_value(value), literal))
        blob = in_python.format(c=column, other="NULL")
        if isinstance(op, (ast.In, ast.NotIn)):
            if not isinstance(literal, list) or not all(_plain(v) for v in literal):
                return f"(CASE WHEN {column} IS NULL THEN 0 ELSE {blob} END)"
            self.args.extend(_bound(v) for v in literal)
            test = f"{column} {'NOT IN' if isinstance(op, ast.NotIn) else 'IN'} ({', '.join('?' * len(literal))})"
            return f"(CASE typeof({column}) WHEN 'null' THEN 0 WHEN 'blob' THEN {blob} ELSE {test} END)"
        if not _plain(literal):
            return f"(CASE WHEN {column} IS NULL THEN 0 ELSE {blob} END)"
        self.args.append(_bound(literal))
        test = f"{column} {_SQL_OPERATORS[type(op)]} ?"
        if isinstance(op, (ast.Eq, ast.NotEq)):  # SQLite, like Python, finds text and numbers unequal
            return f"(CASE typeof({column}) WHEN 'null' THEN 0 WHEN 'blob' THEN {blob} ELSE {test} END)"
        same_kind = "typeof({c}) = 'text'" if isinstance(literal, str) else _NUMBER_TYPES
        return (f"(CASE WHEN {same_kind.format(c=column)} THEN {test} "
                f"WHEN typeof({column}) = 'blob' THEN {blob} ELSE 0 END)")


def _plain(value: Any) -> bool:
    """Whether SQLite compares ``value`` as Python does: a bool, an int it can hold, a float that is
    not NaN, or text it can hold."""
    kind = type(value)
    if kind is bool:
        return True
    if kind is int:
        return -(2 ** 63) <= value < 2 ** 63
    if kind is float:
        return value == value
    if kind is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    return False


def _bound(value: Any) -> Any:
    return int(value) if type(value) is bool else value


def _python(func: Callable[[Any, Any], bool], a: Any, b: Any) -> bool:
    """``func(a, b)`` as :func:`RLA.db.expr.compile_where` takes it: values that cannot be compared
    compare false."""
    try:
        return bool(func(a, b))
    except TypeError:
        return False
