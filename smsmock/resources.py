"""Where the shipped contract data lives (`schemas/` and `fixtures/`, in a wheel or a checkout), and the
cache of what starts make from it and from the user's files: parsed tables, compiled checks."""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import tempfile
from collections.abc import Callable
from functools import cache
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType
from typing import IO, Any

_PACKAGE_DIR = Path(__file__).resolve().parent
_CACHE_FORMAT = b"smsmock parsed YAML 1\n"
"""Part of every cache key: a change to how tables are parsed or stored must change it."""


@cache
def data_root() -> Path:
    """The folder holding `schemas/` and `fixtures/`.

    A wheel carries them inside the package (`smsmock/_data/`); a source checkout
    keeps them at the top level, beside the package.
    """
    for candidate in (_PACKAGE_DIR / "_data", _PACKAGE_DIR.parent):
        if (candidate / "fixtures").is_dir() and (candidate / "schemas").is_dir():
            return candidate
    raise FileNotFoundError("smsmock's schemas/ and fixtures/ are missing from this installation")


def fixtures_dir() -> Path:
    return data_root() / "fixtures"


def schemas_dir() -> Path:
    return data_root() / "schemas"


@cache
def load_fixture(relative_path: str) -> Any:
    """A YAML table under `fixtures/` (cached, treat as read-only)."""
    return load_yaml(fixtures_dir() / relative_path)


def parse_yaml(source: str | bytes | IO[str]) -> Any:
    """YAML with the safe loader only: libyaml's C parser where PyYAML was built with it (ten times
    faster). Raises `yaml.YAMLError` for text that is not YAML."""
    # Imported here, not at the top: a start whose tables are all in the cache never needs the parser.
    import yaml

    return yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_yaml(path: Path) -> Any:
    """A shipped YAML file (safe loader only), parsed once per content.

    Parsing the tables was most of the mock's start-up, so the parsed form is kept in the user's cache
    directory under a hash of the file: the next start reads it back with `marshal`, and an edited
    table has another hash, so it is parsed again. A cache that cannot be read or written is skipped.
    """
    raw = path.read_bytes()
    return cached(_CACHE_FORMAT + raw, lambda: parse_yaml(raw))


def cached(key: bytes, produce: Callable[[], Any]) -> Any:
    """`produce()`, kept in the cache directory under a hash of `key`, which must name everything the
    value depends on (what it is, and the bytes it is made from): the next call with the same key reads
    it back with `marshal` instead. A value marshal cannot hold is returned uncached."""
    path = cache_dir() / f"{hashlib.blake2b(key, digest_size=16).hexdigest()}.marshal"
    with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
        return marshal.loads(path.read_bytes())
    value = produce()
    _store(path, value)
    return value


def cached_code(key: bytes, source: Callable[[], str], filename: str) -> CodeType:
    """Python source compiled once per `key` (and per bytecode format): generated code, such as a JSON
    Schema compiled to Python, that a start would otherwise generate and compile again."""
    return cached(
        b"smsmock compiled code 1\n" + MAGIC_NUMBER + key, lambda: compile(source(), filename, "exec")
    )


def cache_dir() -> Path:
    """`$SMSMOCK_CACHE_DIR`, else `smsmock/` in `$XDG_CACHE_HOME` or `~/.cache`."""
    if os.environ.get("SMSMOCK_CACHE_DIR"):
        return Path(os.environ["SMSMOCK_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "smsmock"


def _store(path: Path, data: Any) -> None:
    # Written aside and renamed, so a concurrent start never reads half a file. A value marshal cannot
    # hold (a YAML date) is simply not cached.
    with contextlib.suppress(OSError, ValueError):
        payload = marshal.dumps(data)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, scratch = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            os.replace(scratch, path)
        except OSError:
            Path(scratch).unlink(missing_ok=True)
            raise
