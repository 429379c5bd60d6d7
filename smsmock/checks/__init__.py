"""Contract checks of recorded traffic: HAR and journal readers, semantic checks, reports, `smsmock check`."""

from __future__ import annotations

from typing import Any

__all__ = ["Finding", "check_exchanges"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the CLI imports this package for every command, and the checks need the
    # contracts, which `smsmock serve` would otherwise pay for at start-up.
    if name == "Finding":
        from smsmock.checks.findings import Finding

        return Finding
    if name == "check_exchanges":
        from smsmock.checks.semantics import check_exchanges

        return check_exchanges
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
