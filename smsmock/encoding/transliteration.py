"""Transliteration tables of the advanced send API: smsmock's own, read from fixtures."""

from __future__ import annotations

from functools import cache

from smsmock.resources import load_fixture

_TABLES_FILE = "shortlink/transliteration.yaml"


def _tables() -> dict[str, dict[str, str]]:
    return load_fixture(_TABLES_FILE)


@cache
def names() -> tuple[str, ...]:
    """The transliteration values smsmock knows, in the fixture's order."""
    return tuple(_tables())


@cache
def _translation(name: str) -> dict[int, str]:
    table = _tables().get(name)
    if table is None:
        raise ValueError(f"unknown transliteration {name!r}; expected one of {', '.join(names())}")
    return str.maketrans(table)


def transliterate(text: str, name: str) -> str:
    """`text` with the named table applied; characters the table does not list stay as they are."""
    return text.translate(_translation(name))
