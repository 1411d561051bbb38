"""Parameter expressions such as ``lr >= 1e-3 and seed in [1, 2] and env == "Hopper-v4"``.

The text is parsed with :mod:`ast` and only a small whitelist of nodes is
accepted (comparisons, ``and``/``or``/``not``, parameter names, literals), then
turned into a closure. User text is never passed to ``eval``.
"""
from __future__ import annotations

import ast
import operator
from typing import Any, Callable, Mapping

__all__ = ["ExpressionError", "compile_where"]

Predicate = Callable[[Mapping[str, Any]], bool]

_MISSING = object()
_COMPARISONS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_HELP = ('write comparisons of parameters with literals joined by and/or/not, '
         'e.g. lr >= 1e-3 and seed in [1, 2] and env == "Hopper-v4"')


class ExpressionError(ValueError):
    """A parameter expression uses syntax outside the supported subset."""


def compile_where(text: str) -> Predicate:
    """A predicate over a flat ``{param: value}`` mapping (dotted keys for nested params).

    A comparison with a missing parameter, or between values that cannot be
    compared (a string and a number), is false rather than an error.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {text!r}: {exc.msg}; {_HELP}") from None
    return _compile(tree.body, text)


def _compile(node: ast.AST, text: str) -> Predicate:
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, text) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda p: all(part(p) for part in parts)
        return lambda p: any(part(p) for part in parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _compile(node.operand, text)
        return lambda p: not inner(p)
    if isinstance(node, ast.Compare):
        return _compile_compare(node, text)
    if isinstance(node, (ast.Name, ast.Attribute)):
        key = _param_name(node, text)
        return lambda p: bool(p.get(key, False))
    raise _unsupported(node, text)


def _compile_compare(node: ast.Compare, text: str) -> Predicate:
    operands = [_operand(n, text) for n in [node.left, *node.comparators]]
    ops = []
    for op in node.ops:
        func = _COMPARISONS.get(type(op))
        if func is None:
            raise _unsupported(op, text)
        ops.append(func)

    def predicate(params: Mapping[str, Any]) -> bool:
        values = [operand(params) for operand in operands]
        for func, left, right in zip(ops, values, values[1:]):
            if left is _MISSING or right is _MISSING:
                return False
            try:
                if not func(left, right):
                    return False
            except TypeError:
                return False
        return True

    return predicate


def _operand(node: ast.AST, text: str) -> Callable[[Mapping[str, Any]], Any]:
    if isinstance(node, (ast.Name, ast.Attribute)):
        key = _param_name(node, text)
        return lambda p: p.get(key, _MISSING)
    value = _literal(node, text)
    return lambda p: value


def _param_name(node: ast.AST, text: str) -> str:
    """``lr`` -> ``"lr"``; ``algo.lr`` -> ``"algo.lr"`` (a nested parameter).

    Names are only ever keys of the parameter mapping; dunder names are refused
    all the same, as they can only be an attempt at something else.
    """
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
    return ExpressionError(f"unsupported {type(node).__name__}{shown} in expression {text!r}; {_HELP}")
