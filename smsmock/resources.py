"""Where the shipped contract data lives: `schemas/` and `fixtures/`, in a wheel or a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

# libyaml's C parser, where PyYAML was built with it: the code tables load ten times faster.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PACKAGE_DIR = Path(__file__).resolve().parent


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
    """Parse a YAML table under `fixtures/` (safe loader only; cached, treat as read-only)."""
    with (fixtures_dir() / relative_path).open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=SafeLoader)
