"""A compiled fast path for `validate()`: does a parsed JSON body meet its contract exactly?

`validate()` explains every violation with jsonschema, which costs a millisecond on the larger
replies. The mock checks each request on its hot path, so it first asks a schema compiled to Python
code (fastjsonschema, draft-07 semantics over the inlined schema: the contracts use no keyword the
two drafts read differently). Only a body that fails the strict check goes to `validate()` for the
details; one that passes has nothing to report (tests/test_fastcheck.py holds the two to that).

The generated code is compiled once per contract and kept in the cache of parsed tables
(smsmock.resources), so a server's first request of each kind does not generate it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache, partial
from typing import Any

from smsmock.contracts.catalog import _json_files, inlined_schema, schema_file
from smsmock.resources import cached_code

_DRAFT_07 = "http://json-schema.org/draft-07/schema#"


@cache
def _compiled(dialect: str, name: str, direction: str, wire: str) -> Callable[[Any], Any] | None:
    if schema_file(dialect, name, direction, wire) is None:
        return None
    import decimal

    import fastjsonschema

    from smsmock.contracts.moments import FORMATS

    def source() -> str:
        schema = {**inlined_schema(dialect, name, direction, wire), "$schema": _DRAFT_07}
        return fastjsonschema.compile_to_code(schema, formats=FORMATS)

    # The inlined schema is made of the dialect's documents; the code names the custom formats it calls.
    key = "\n".join(["fast check", fastjsonschema.VERSION, dialect, name, direction, wire, *sorted(FORMATS)])
    code = cached_code(key.encode() + _documents_digest(dialect), source, f"<{dialect} {name} {direction}>")
    # As fastjsonschema.compile runs the same code: Decimal given (the code names it without importing
    # it), the formats passed to every call.
    namespace: dict[str, Any] = {"Decimal": decimal.Decimal}
    exec(code, namespace)
    return partial(namespace["validate"], custom_formats=FORMATS)


@cache
def _documents_digest(dialect: str) -> bytes:
    """What the dialect's JSON Schemas, which an inlined schema is made of, are: each file's name, size
    and modification time, as Python's own bytecode cache tells a changed source (reading them all
    took a first request 2 ms)."""
    digest = hashlib.blake2b(digest_size=16)
    for path in _json_files(dialect):
        found = path.stat()
        digest.update(f"{path.name} {found.st_size} {found.st_mtime_ns}\n".encode())
    return digest.digest()


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
