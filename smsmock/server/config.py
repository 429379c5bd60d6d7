"""What a mock starts from: accounts, outcome rules, clock, journal size, store, retention and body limit.

A configuration is YAML (safe loader), checked first against config.schema.json beside this module, then
by the code that uses each value (rules that parse, addresses, dates): every problem is reported at once,
one line each, named by its key's path (`accounts[0].balance: '12x' is not a decimal amount`).

Reading a file is on the way to every `smsmock serve --config`, so what does not change between starts is
kept in the cache of parsed tables (smsmock.resources): the file's parsed form, by its content, and the
schema compiled to Python, which passes a valid configuration without loading jsonschema. jsonschema
runs only for a configuration the compiled check refuses, to say what is wrong with it.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from smsmock.contracts.journal import DEFAULT_SIZE
from smsmock.core.accounts import DEFAULT_ACCOUNTS, Account, Accounts
from smsmock.core.clock import parse_moment, within_range
from smsmock.core.retention import Retention, retention_from
from smsmock.core.rules import OutcomeRules, RuleError
from smsmock.resources import cached, cached_code, parse_yaml
from smsmock.server.limits import DEFAULT_MAX_BODY, parse_size

SCHEMA_FILE = Path(__file__).with_name("config.schema.json")
"""The configuration's JSON Schema (2020-12), shipped in the package."""
_PARSED_FORMAT = b"smsmock configuration as JSON values 1\n"
"""Part of the cache key of a parsed configuration: a change to how files are read must change it."""


class ConfigError(ValueError):
    """A configuration smsmock cannot use: one line per problem, each naming the key at fault."""

    def __init__(self, problems: Sequence[str], source: str | Path | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        prefix = "" if source is None else f"{source}: "
        super().__init__("\n".join(prefix + problem for problem in self.problems))


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
    max_body: int = DEFAULT_MAX_BODY
    """The longest request body read, in octets; a longer one gets its dialect's error (`--max-body`)."""

    @classmethod
    def from_mapping(cls, data: Any, base: Path | None = None) -> MockConfig:
        """The configuration a mapping describes; ConfigError with every problem it has.

        `base` is where a rule file named by a relative path is looked for (the configuration's folder).
        """
        data = _as_json(data)
        problems = schema_problems(data)
        config = cls()
        if isinstance(data, dict):
            flawed = {problem.key for problem in problems}
            for key, value in data.items():
                apply = _APPLY.get(key)
                if apply is None or key in flawed:
                    continue
                try:
                    apply(config, value, base)
                except ValueError as error:  # RuleError and ClockRangeError among them
                    problems.extend(Problem(key, _joined(key, line)) for line in str(error).splitlines())
            problems.sort(key=lambda problem: _position(data, problem.key))
        if problems:
            raise ConfigError([problem.line for problem in problems])
        return config


def load_config(path: str | Path | None) -> MockConfig:
    """The configuration in a YAML file (the defaults for None); ConfigError naming the file otherwise."""
    if path is None:
        return MockConfig()
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError([_one_line(error)], path) from error
    # A file read before is not parsed again: the next start finds its parsed form by its content.
    data = cached(_PARSED_FORMAT + raw, lambda: _parsed(raw, path))
    if data is None:  # an empty file: every default
        data = {}
    try:
        return MockConfig.from_mapping(data, path.parent)
    except ConfigError as error:
        raise ConfigError(error.problems, path) from None


def _parsed(raw: bytes, path: Path) -> Any:
    """A configuration file's YAML, with its dates as the ISO 8601 text they stand for."""
    import yaml  # for its error type; only a file not read before needs it

    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError([f"not UTF-8 text: {error}"], path) from None
    # Read as open(path, encoding="utf-8") reads (universal newlines), and named as the file for
    # YAML's messages, which say where a problem is.
    named = io.BytesIO(raw)
    named.name = str(path)
    try:
        return _as_json(parse_yaml(io.TextIOWrapper(named, encoding="utf-8")))
    except yaml.YAMLError as error:
        raise ConfigError([_one_line(error)], path) from error


def _one_line(error: Exception) -> str:
    # YAML says where over several lines: one line here, as every other problem.
    return "; ".join(line.strip() for line in str(error).splitlines() if line.strip())


# the schema


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of a configuration: its top-level key (None for the whole) and the line saying it."""

    key: str | None
    line: str


@cache
def config_schema() -> dict[str, Any]:
    """The configuration's JSON Schema (config.schema.json)."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@cache
def config_validator() -> Any:
    """The schema's validator, as smsmock applies it: `integer` is an int (not 2.0), `number` is finite,
    and a `regex` format is a pattern Python compiles."""
    from jsonschema import Draft202012Validator, FormatChecker, validators

    # A whole number is an int, not 2.0; a number is finite: what the code behind each key takes.
    checker = Draft202012Validator.TYPE_CHECKER.redefine_many(
        {
            "integer": lambda _, value: isinstance(value, int) and not isinstance(value, bool),
            "number": lambda _, value: (
                isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            ),
        }
    )
    strict = validators.extend(Draft202012Validator, type_checker=checker)
    # The shipped schema is checked against the metaschema by the tests, not at every start (~30 ms).
    return strict(config_schema(), format_checker=FormatChecker(formats=("regex",)))


_DRAFT_04 = "http://json-schema.org/draft-04/schema#"


@cache
def compiled_check() -> Callable[[Any], Any]:
    """The schema compiled to Python by fastjsonschema: raises ValueError for a configuration it refuses.

    It reads the schema as draft 4, whose `integer` is smsmock's (an int, not 2.0); every keyword the
    schema uses means the same in draft 4 and 2020-12, and a value is never filled in from a default.
    The code is generated once per schema and fastjsonschema version, then read from the cache.
    """
    import decimal

    import fastjsonschema

    raw = SCHEMA_FILE.read_bytes()

    def source() -> str:
        schema = {**json.loads(raw), "$schema": _DRAFT_04}
        schema.pop("$id", None)  # without it the entry point is named `validate`
        return fastjsonschema.compile_to_code(schema, use_default=False)

    key = f"configuration schema, fastjsonschema {fastjsonschema.VERSION}\n".encode() + raw
    code = cached_code(key, source, str(SCHEMA_FILE))
    # The generated code names Decimal (a `number` may be one) without importing it.
    namespace: dict[str, Any] = {"Decimal": decimal.Decimal}
    exec(code, namespace)
    return namespace["validate"]


def conforms(data: Any) -> bool:
    """True when the compiled check takes `data`: the schema's validator would find no problem in it.

    It may refuse more than the validator does (a `$` that matches before a final newline, say); what
    it refuses goes to the validator, which decides and says why.
    """
    try:
        if not _finite(data):  # draft 4's `number` takes infinity; smsmock's does not
            return False
        compiled_check()(data)
    except Exception:  # its ValueError, or anything else (nesting too deep): the validator decides
        return False
    return True


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    if isinstance(value, list):
        return all(_finite(item) for item in value)
    return True


def schema_problems(data: Any) -> list[Problem]:
    """What `data` breaks of the configuration schema, one problem per line, in document order."""
    if conforms(data):
        return []
    problems: list[Problem] = []
    for error in sorted(config_validator().iter_errors(data), key=lambda error: [str(p) for p in error.path]):
        for line in _explained(error):
            path = list(error.absolute_path)
            key = str(path[0]) if path else None
            if key is None and error.validator == "additionalProperties":
                key = line.split(":", 1)[0]
            problem = Problem(key, line)
            if problem not in problems:
                problems.append(problem)
    return problems


def _explained(error: Any) -> Iterator[str]:
    """The lines that say what is wrong, each starting with the path of the key at fault."""
    path = list(error.absolute_path)
    schema = error.schema
    if error.validator == "additionalProperties":
        known = list(schema.get("properties", {}))
        for key in error.instance:
            if key not in known:
                where = _path(path) if path else "the configuration"
                yield f"{_path([*path, key])}: unknown key; {where} takes {', '.join(known)}"
        return
    if error.validator == "required":
        for key in error.validator_value:
            if key not in error.instance:
                yield f"{_path([*path, key])}: required"
        return
    if error.validator in ("anyOf", "oneOf"):
        # A mapping or a list read against its one branch of that type: say what is wrong inside it.
        branches = [
            index
            for index, branch in enumerate(error.validator_value)
            if _admits_type(error.instance, branch)
        ]
        if isinstance(error.instance, (dict, list)) and len(branches) == 1:
            inner = [sub for sub in error.context if sub.schema_path and sub.schema_path[0] == branches[0]]
            if inner:
                for sub in inner:
                    yield from _explained(sub)
                return
    expected = schema.get("x-expected")
    if expected is None:
        yield f"{_path(path)}: {error.message}"
    else:
        yield f"{_path(path)}: {_shown(error.instance)} is not {expected}"


def _admits_type(instance: Any, branch: Mapping[str, Any]) -> bool:
    """Whether a branch of an anyOf takes values of the instance's type (one with no `type` takes all)."""
    if "$ref" in branch:
        branch = {**_resolved(branch["$ref"]), **branch}
    types = branch.get("type")
    if types is None:
        return "enum" not in branch and "const" not in branch
    types = [types] if isinstance(types, str) else types
    return any(config_validator().is_type(instance, kind) for kind in types)


def _resolved(reference: str) -> Mapping[str, Any]:
    """A local `#/$defs/name` reference of the configuration schema."""
    found: Any = config_schema()
    for part in reference.removeprefix("#/").split("/"):
        found = found[part]
    return found


def _path(parts: Sequence[Any]) -> str:
    """accounts[0].balance: keys joined by dots, list positions in brackets."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the configuration"


def _shown(value: Any, limit: int = 60) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _as_json(value: Any) -> Any:
    """The value with YAML's dates and times as the ISO 8601 text they stand for, mappings as dicts."""
    if isinstance(value, Mapping):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_json(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


_LEADING_PATH = re.compile(r"(?:[A-Za-z_]\w*|\[\d+\])(?:\.[A-Za-z_]\w*|\[\d+\])*: ")
"""A message that starts with the path of what it is about: `rules[0]: ...`, `[1].name: ...`."""


def _joined(key: str, line: str) -> str:
    """A code's message under its key: `rules[0]: ...` of `rules` reads `rules.rules[0]: ...`."""
    if _LEADING_PATH.match(line) is None:
        return f"{key}: {line}"
    return f"{key}{line}" if line.startswith("[") else f"{key}.{line}"


def _position(data: Mapping[str, Any], key: str | None) -> int:
    """Where a key stands in the configuration, for problems in the order they are written."""
    keys = list(data)
    return keys.index(key) if key in keys else -1


# what each key does, once the schema took it


def _accounts(config: MockConfig, entries: list[dict[str, Any]], base: Path | None) -> None:
    problems = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        try:
            Account.from_mapping(entry)
        except ValueError as error:
            problems.append(_joined(f"[{index}]", str(error)))
        if entry["name"] in names:
            problems.append(f"[{index}].name: {entry['name']!r} names an account before it already")
        names.add(entry["name"])
    if not problems:
        try:
            Accounts(entries)  # names and usernames that clash
        except ValueError as error:
            problems.append(str(error))
    if problems:
        raise ValueError("\n".join(problems))
    config.accounts = [dict(entry) for entry in entries]


def _rules(config: MockConfig, rules: str | dict[str, Any] | None, base: Path | None) -> None:
    if isinstance(rules, str):
        path = Path(rules) if base is None or Path(rules).is_absolute() else base / rules
        try:
            config.rules = config.rules.extended_from_file(path)
        except RuleError as error:  # it names the file first: `FILE: rules[0]: ...`
            raise RuleError(f"in {error}") from None
    elif rules is not None:
        config.rules = config.rules.extended(rules)


def _clock(config: MockConfig, clock: dict[str, Any] | None, base: Path | None) -> None:
    clock = clock or {}
    start = clock.get("start")
    if start is not None:
        try:
            config.clock_start = within_range(parse_moment(start), f"clock start {start!r}")
        except ValueError as problem:  # ClockRangeError among them
            raise ValueError(f"start: {problem}") from None
    config.clock_frozen = bool(clock.get("frozen", False))


def _journal_size(config: MockConfig, size: int | None, base: Path | None) -> None:
    config.journal_size = size


def _store(config: MockConfig, store: str, base: Path | None) -> None:
    config.store = store


def _retain(config: MockConfig, retain: Any, base: Path | None) -> None:
    config.retain = retention_from(retain)


def _max_body(config: MockConfig, size: int | str, base: Path | None) -> None:
    config.max_body = parse_size(size)


_APPLY: dict[str, Callable[[MockConfig, Any, Path | None], None]] = {
    "accounts": _accounts,
    "rules": _rules,
    "clock": _clock,
    "journal_size": _journal_size,
    "store": _store,
    "retain": _retain,
    "max_body": _max_body,
}
"""Every key the schema describes, and what it does to the configuration."""
