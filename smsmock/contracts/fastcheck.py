"""A compiled fast path for `validate()`: does a parsed JSON body meet its contract exactly?

`validate()` explains every violation with jsonschema, which costs a millisecond on the larger
replies. The mock checks each request on its hot path, so it first asks a schema compiled to Python
code (fastjsonschema, draft-07 semantics over the inlined schema: the contracts use no keyword the
two drafts read differently). Only a body that fails the strict check goes to `validate()` for the
details; one that passes has nothing to report (tests/test_fastcheck.py holds the two to that).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from smsmock.contracts.catalog import inlined_schema, schema_file

_DRAFT_07 = "http://json-schema.org/draft-07/schema#"


@cache
def _compiled(dialect: str, name: str, direction: str, wire: str) -> Callable[[Any], Any] | None:
    if schema_file(dialect, name, direction, wire) is None:
        return None
    import fastjsonschema

    from smsmock.contracts.moments import FORMATS

    schema = {**inlined_schema(dialect, name, direction, wire), "$schema": _DRAFT_07}
    return fastjsonschema.compile(schema, formats=FORMATS)


def conforms(dialect: str, name: str, direction: str, wire: str, value: Any) -> bool:
    """True when `value` meets the contract with no error and nothing to warn about."""
    check = _compiled(dialect, name, direction, wire)
    if check is None:
        return False
    try:
        check(value)
    except ValueError:
        # fastjsonschema's JsonSchemaValueException is a ValueError. Naming the base class keeps this
        # right even when the module is imported afresh (pytester runs do), making a second class.
        return False
    return True
