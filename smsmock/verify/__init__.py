"""`smsmock verify`: a live server checked against the contracts with documented and generated requests."""

from __future__ import annotations

from typing import Any

__all__ = ["Credentials", "Outcome", "UnusableInput", "Verification", "verify"]


def __getattr__(name: str) -> Any:
    # Imported on first use: every `smsmock` command builds the parser, and must not pay for the HTTP
    # client and the checks that only `verify` runs.
    if name == "Credentials":
        from smsmock.verify.plan import Credentials

        return Credentials
    if name in __all__:
        from smsmock.verify import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
