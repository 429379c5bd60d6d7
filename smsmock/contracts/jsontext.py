"""Untrusted JSON read safely: bounded nesting, finite numbers only, and replies that stay valid JSON."""

from __future__ import annotations

import json
import math
from typing import Any

MAX_JSON_DEPTH = 64
"""The deepest nesting a body may have. The documents' bodies nest five levels at most; a deeper body is
either a mistake or an attack, and checking it would recurse once per level."""


class JSONRefused(ValueError):
    """A body that is not JSON the mock will read; the message says why."""


def _no_constant(name: str) -> Any:
    raise JSONRefused(f"{name} is not a JSON number (RFC 8259 has no NaN or Infinity)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONRefused(f"the number {_clip(text)} is too large to be a finite number")
    return value


def loads(body: str | bytes) -> Any:
    """The JSON value of `body`; JSONRefused for bad JSON, NaN/Infinity, overflowing or too deep nesting."""
    try:
        value = json.loads(body, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise JSONRefused(f"the body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except JSONRefused:
        raise
    except (ValueError, UnicodeDecodeError) as error:
        raise JSONRefused(f"the body is not valid JSON: {error}") from None
    if depth(value) > MAX_JSON_DEPTH:
        raise JSONRefused(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def depth(value: Any) -> int:
    """How many arrays and objects deep `value` nests, found without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if level <= MAX_JSON_DEPTH:
            stack.extend((child, level) for child in children)
    return deepest


def dumps(value: Any, **options: Any) -> str:
    """JSON text that every parser reads: NaN or Infinity anywhere is a bug, raised, never written."""
    return json.dumps(value, allow_nan=False, **options)


def _clip(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
