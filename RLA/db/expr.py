"""Parameter expressions such as ``lr >= 1e-3 and seed in [1, 2] and env == "Hopper-v4"``.

The text is parsed with :mod:`ast` and only a small whitelist of nodes is
accepted (comparisons, ``and``/``or``/``not``, parameter names, literals, and
metric values such as ``final("eval/return")``), then turned into a closure
(here) or into SQL (:mod:`RLA.db.where_sql`). User text is never passed to ``eval``.
"""
from __future__ import annotations

import ast
import operator
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from RLA.db.metrics import REDUCERS
from RLA.errors import ExpressionError

__all__ = ["ExpressionError", "compile_where", "where_names", "metric_names", "parse_where", "operand",
           "COMPARISONS"]

Predicate = Callable[[Mapping[str, Any]], bool]
Operand = Tuple[Optional[str], Any]

_MISSING = object()
COMPARISONS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_HELP = ('write comparisons of parameters (or of metric values: final("eval/return")) with literals joined by '
         'and/or/not, e.g. lr >= 1e-3 and seed in [1, 2] and env == "Hopper-v4"')


def compile_where(text: str) -> Predicate:
    """A predicate over a flat ``{param: value}`` mapping (dotted keys for nested params).

    A comparison with a missing parameter, or between values that cannot be
    compared (a string and a number), is false rather than an error. A metric value
    ``final("eval/return")`` is looked up as the key ``final:eval/return``.
    """
    return _compile(parse_where(text), text)


def parse_where(text: str) -> ast.expr:
    """The expression's syntax tree, every node of it checked (an :class:`ExpressionError` otherwise)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
        _compile(tree.body, text)
        return tree.body
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {_shown(text)}: {exc.msg}; {_HELP}") from None
    except (RecursionError, ValueError) as exc:  # nested too deep, or a null byte
        if isinstance(exc, ExpressionError):
            raise
        raise ExpressionError(f"cannot parse expression {_shown(text)}: {exc}; {_HELP}") from None


def where_names(text: str) -> List[str]:
    """The parameter names an expression compares (``lr >= 1e-3 and algo.gamma < 1`` -> lr, algo.gamma)."""
    names: Dict[str, None] = {}
    stack: List[ast.AST] = [parse_where(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            continue  # a metric, not a parameter
        if isinstance(node, (ast.Name, ast.Attribute)):
            names[_param_name(node, text)] = None
        else:
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return list(names)


def metric_names(text: str) -> List[str]:
    """The metric columns an expression compares (``final("eval/return") > 1`` -> final:eval/return)."""
    names: Dict[str, None] = {}
    stack: List[ast.AST] = [parse_where(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            names[_param_name(node, text)] = None
        else:
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return list(names)


def _shown(text: str, limit: int = 200) -> str:
    """``text`` quoted for a message, cut after ``limit`` characters."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text):,} characters)"


def _compile(node: ast.AST, text: str) -> Predicate:
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, text) for v in node.values]
        return _all(parts) if isinstance(node.op, ast.And) else _any(parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _compile(node.operand, text)
        return lambda p: not inner(p)
    if isinstance(node, ast.Compare):
        operands = [operand(n, text) for n in [node.left, *node.comparators]]
        ops = []
        for op in node.ops:
            func = COMPARISONS.get(type(op))
            if func is None:
                raise _unsupported(op, text)
            ops.append(func)
        comparisons = [_compare(func, left, right) for func, left, right in zip(ops, operands, operands[1:])]
        return comparisons[0] if len(comparisons) == 1 else _all(comparisons)
    if isinstance(node, (ast.Name, ast.Attribute, ast.Call)):
        key = _param_name(node, text)
        return lambda p: bool(p.get(key, False))
    raise _unsupported(node, text)


def _all(parts: List[Predicate]) -> Predicate:
    def predicate(params: Mapping[str, Any]) -> bool:
        for part in parts:
            if not part(params):
                return False
        return True
    return predicate


def _any(parts: List[Predicate]) -> Predicate:
    def predicate(params: Mapping[str, Any]) -> bool:
        for part in parts:
            if part(params):
                return True
        return False
    return predicate


def _compare(func: Callable[[Any, Any], bool], left: Operand, right: Operand) -> Predicate:
    """One comparison; specialised for ``name <op> literal``, by far the most common one."""
    if left[0] is not None and right[0] is None:
        key, value = left[0], right[1]

        def name_vs_literal(params: Mapping[str, Any]) -> bool:
            found = params.get(key, _MISSING)
            if found is _MISSING:
                return False
            try:
                return bool(func(found, value))
            except TypeError:
                return False
        return name_vs_literal

    def general(params: Mapping[str, Any]) -> bool:
        a = params.get(left[0], _MISSING) if left[0] is not None else left[1]
        b = params.get(right[0], _MISSING) if right[0] is not None else right[1]
        if a is _MISSING or b is _MISSING:
            return False
        try:
            return bool(func(a, b))
        except TypeError:
            return False
    return general


def operand(node: ast.AST, text: str) -> Operand:
    """``(parameter name, None)`` or ``(None, literal value)``; a metric value ``final("x")`` is
    named ``final:x``."""
    if isinstance(node, (ast.Name, ast.Attribute, ast.Call)):
        return _param_name(node, text), None
    return None, _literal(node, text)


def _param_name(node: ast.AST, text: str) -> str:
    """``lr`` -> ``"lr"``; ``algo.lr`` -> ``"algo.lr"`` (a nested parameter).

    Names are only ever keys of the parameter mapping; dunder names are refused
    all the same, as they can only be an attempt at something else. ``final("eval/return")``
    (a reducer of :mod:`RLA.db.metrics` called on one key) -> ``"final:eval/return"``.
    """
    if isinstance(node, ast.Call):
        if (isinstance(node.func, ast.Name) and node.func.id in REDUCERS and len(node.args) == 1
                and not node.keywords):
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                return f"{node.func.id}:{arg.value}"
            if isinstance(arg, (ast.Name, ast.Attribute)):
                return f"{node.func.id}:{_param_name(arg, text)}"
        raise _unsupported(node, text)
    if isinstance(node, ast.Name) and not node.id.startswith("__"):
        return node.id
    if isinstance(node, ast.Attribute) and not node.attr.startswith("__"):
        return f"{_param_name(node.value, text)}.{node.attr}"
    raise _unsupported(node, text)


def _literal(node: ast.AST, text: str) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, text)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [_literal(e, text) for e in node.elts]
    raise _unsupported(node, text)


def _unsupported(node: ast.AST, text: str) -> ExpressionError:
    where = ast.get_source_segment(text.strip(), node) if hasattr(node, "lineno") else None
    shown = f" {where!r}" if where else ""
    return ExpressionError(f"unsupported {type(node).__name__}{shown} in expression {_shown(text)}; {_HELP}")
