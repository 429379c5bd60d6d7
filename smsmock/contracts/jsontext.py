"""Untrusted JSON read safely: bounded nesting, finite numbers only, and replies that stay valid JSON."""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_JSON_DEPTH = 64
"""The deepest nesting a body may have. The documents' bodies nest five levels at most; a deeper body is
either a mistake or an attack, and checking it would recurse once per level."""


_SURROGATE = re.compile("[\ud800-\udfff]")
"""A UTF-16 surrogate left alone: json reads `"\\ud800"` (and CESU-8 octets) into one, which no UTF-8
encoder writes back out."""


class JSONRefused(ValueError):
    """A body that is not JSON the mock will read; the message says why."""


def _no_constant(name: str) -> Any:
    raise JSONRefused(f"{name} is not a JSON number (RFC 8259 has no NaN or Infinity)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONRefused(f"the number {_clip(text)} is too large to be a finite number")
    return value


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)
"""One decoder for every body: json.loads given these hooks would build a new one per call."""


def loads(body: str | bytes) -> Any:
    """The JSON value of `body`; JSONRefused for bad JSON, NaN/Infinity, overflowing or too deep nesting."""
    try:
        if not isinstance(body, str):  # as json.loads reads octets: UTF-8, -16 or -32, surrogates kept
            body = body.decode(json.detect_encoding(body), "surrogatepass")
        value = _DECODER.decode(body)
    except RecursionError:
        raise JSONRefused(f"the body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except JSONRefused:
        raise
    except (ValueError, UnicodeDecodeError) as error:
        raise JSONRefused(f"the body is not valid JSON: {error}") from None
    # Each walk is skipped when a scan of the text shows it cannot find anything (most bodies).
    if _brackets(body) > MAX_JSON_DEPTH and depth(value) > MAX_JSON_DEPTH:
        raise JSONRefused(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    surrogate = _lone_surrogate(value) if _may_hold_surrogate(body) else None
    if surrogate is not None:
        # RFC 8259 § 8.2: what software does with such a string is unpredictable; this mock refuses it
        # rather than store text that no reply, listing or journal entry could write as UTF-8 again.
        raise JSONRefused(f"the body holds a lone surrogate (\\u{ord(surrogate):04x}), which is no character")
    return value


def _brackets(body: str | bytes) -> int:
    """How many arrays and objects a body could open at most: every level of nesting is a bracket."""
    if isinstance(body, str):
        return body.count("[") + body.count("{")
    return body.count(b"[") + body.count(b"{")  # in UTF-16 or UTF-32 too, an octet of each bracket


def _may_hold_surrogate(body: str | bytes) -> bool:
    """Whether a lone surrogate could be in the value: only an escape (`\\ud800`), octets that decode
    to one (CESU-8's start with 0xED), or a body in UTF-16 or UTF-32 (whose ASCII has NUL octets) bring
    one in."""
    if isinstance(body, str):
        return "\\u" in body or _SURROGATE.search(body) is not None
    return b"\\u" in body or b"\xed" in body or b"\x00" in body


def _lone_surrogate(value: Any) -> str | None:
    """The first unpaired UTF-16 surrogate in a JSON value's strings (keys too), found without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found is not None:
                return found.group()
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


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
