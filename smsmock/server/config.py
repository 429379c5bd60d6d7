"""What a mock starts from: accounts, outcome rules, clock and journal size (YAML, safe loader)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from smsmock.contracts.journal import DEFAULT_SIZE
from smsmock.core.accounts import DEFAULT_ACCOUNTS
from smsmock.core.clock import parse_moment, within_range
from smsmock.core.retention import Retention, retention_from
from smsmock.core.rules import OutcomeRules
from smsmock.core.stores import SCHEMES
from smsmock.resources import parse_yaml


class ConfigError(ValueError):
    """A configuration file smsmock cannot use, saying what is wrong where."""


@dataclass(slots=True)
class MockConfig:
    accounts: list[dict[str, Any]] = field(
        default_factory=lambda: [dict(entry) for entry in DEFAULT_ACCOUNTS]
    )
    rules: OutcomeRules = field(default_factory=OutcomeRules.default_rules)
    clock_start: datetime | None = None
    clock_frozen: bool = False
    journal_size: int | None = DEFAULT_SIZE
    """How many exchanges the journal keeps, the oldest dropped first; None keeps every one."""
    store: str = "memory"
    """Where the mock's state lives: `memory`, `sqlite:PATH` or `redis://HOST:PORT/DB`."""
    retain: Retention | None = None
    """What is kept; None when not said (`smsmock serve` then keeps 48 hours, the fixtures everything)."""
    ui: bool = True
    """Whether the web inbox answers at `/` and under /_smsmock/ui/ (`smsmock serve --no-ui`: it does not)."""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base: Path | None = None) -> MockConfig:
        unknown = set(data) - {"accounts", "rules", "clock", "journal_size", "store", "retain"}
        if unknown:
            raise ConfigError(f"unknown configuration key(s): {', '.join(sorted(unknown))}")
        config = cls()
        if "accounts" in data:
            if not isinstance(data["accounts"], list) or not data["accounts"]:
                raise ConfigError("accounts must be a non-empty list")
            config.accounts = [dict(entry) for entry in data["accounts"]]
        if "store" in data:
            if not isinstance(data["store"], str) or not data["store"]:
                raise ConfigError(f"store is a URL, one of {', '.join(SCHEMES)}")
            config.store = data["store"]
        if "retain" in data:
            config.retain = retention_from(data["retain"])
        rules = data.get("rules")
        if isinstance(rules, str):
            path = Path(rules) if base is None or Path(rules).is_absolute() else base / rules
            config.rules = config.rules.extended_from_file(path)
        elif isinstance(rules, Mapping):
            config.rules = config.rules.extended(rules)
        elif rules is not None:
            raise ConfigError("rules must be a file name or a mapping with `default`, `rules` and `replace`")
        clock = data.get("clock") or {}
        if not isinstance(clock, Mapping):
            raise ConfigError("clock must be a mapping with `start` and `frozen`")
        if clock.get("start") is not None:
            start = clock["start"]
            try:
                moment = start if isinstance(start, datetime) else parse_moment(str(start))
                config.clock_start = within_range(moment, f"clock start {start!r}")
            except ValueError as problem:  # ClockRangeError among them
                raise ConfigError(f"clock: {problem}") from None
        config.clock_frozen = bool(clock.get("frozen", False))
        if "journal_size" in data:
            size = data["journal_size"]
            if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
                raise ConfigError(f"journal_size must be a whole number of at least 1, or null, not {size!r}")
            config.journal_size = size
        return config


def load_config(path: str | Path | None) -> MockConfig:
    if path is None:
        return MockConfig()
    import yaml  # for its error type; only a configuration file needs it

    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            data = parse_yaml(handle) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: {error}") from error
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: the configuration is a mapping")
    try:
        return MockConfig.from_mapping(data, path.parent)
    except ValueError as error:
        raise ConfigError(f"{path}: {error}") from error
