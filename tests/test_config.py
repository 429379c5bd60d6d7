"""`smsmock serve --config` and `--check-config`: the configuration file, its schema and its problems.

The file's outcome rules add to the built-in ones; every problem of a file is named by its key's path,
one a line, all at once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from smsmock.cli import main
from smsmock.core.accounts import Account
from smsmock.core.rules import _RULE_FIELDS as RULE_FIELDS
from smsmock.core.rules import RULE_FILE_KEYS
from smsmock.core.vocabulary import vocabulary
from smsmock.encoding.segmentation import NATIONAL_POLICIES
from smsmock.resources import fixtures_dir, parse_yaml
from smsmock.server.config import (
    ConfigError,
    MockConfig,
    config_schema,
    config_validator,
    conforms,
    load_config,
)
from smsmock.server.limits import parse_size

UNITS = ("", "B", "KiB", "MiB", "GiB", " MiB", "kib")

BLOCKED = "{name: blocked, to: '4470[0-9]*', status: REJECTED_DND}"


def decided(config_text: str, tmp_path: Path, number: str) -> str:
    """The name of the rule that decides `number` under the configuration `config_text`."""
    path = tmp_path / "smsmock.yaml"
    path.write_text(config_text, encoding="utf-8")
    return load_config(path).rules.decide(number, "shortlink", "default").outcome.rule


@pytest.mark.parametrize(
    "rules",
    [
        f"rules: {{rules: [{BLOCKED}]}}\n",
        "rules: outcomes.yaml\n",
    ],
    ids=["inline", "file"],
)
def test_configured_rules_add_to_the_built_in_ones(rules: str, tmp_path: Path) -> None:
    (tmp_path / "outcomes.yaml").write_text(f"rules: [{BLOCKED}]\n", encoding="utf-8")
    assert decided(rules, tmp_path, "447012") == "blocked"
    assert decided(rules, tmp_path, "15550001003") == "absent-subscriber", "the README's numbers still work"
    assert decided(rules, tmp_path, "41793026727") == "default"


def test_configured_rules_may_replace_the_built_in_ones(tmp_path: Path) -> None:
    (tmp_path / "outcomes.yaml").write_text(f"replace: true\nrules: [{BLOCKED}]\n", encoding="utf-8")
    for rules in (f"rules: {{replace: true, rules: [{BLOCKED}]}}\n", "rules: outcomes.yaml\n"):
        assert decided(rules, tmp_path, "447012") == "blocked"
        assert decided(rules, tmp_path, "15550001003") == "default"


def test_a_bad_replace_flag_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.yaml"
    path.write_text("rules: {replace: maybe}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"smsmock\.yaml: rules\.replace: 'maybe' is not true or false"):
        load_config(path)


# the schema, and every problem of a file at once


SCHEMA = config_schema()
WELL_FORMED = config_validator()
EXAMPLE = fixtures_dir() / "config-example.yaml"
STATUSES = sorted(vocabulary().statuses)
REJECTED = [name for name in STATUSES if name.startswith("REJECTED")]
ERRORS = sorted(vocabulary().errors)


@dataclass(frozen=True)
class Drawn:
    """A value drawn for one key: what it is, and the key path a refusal must name (None: it is good)."""

    value: Any
    bad_path: str | None = None


def good(value: Any) -> Drawn:
    return Drawn(value)


def bad(value: Any, path: str) -> Drawn:
    return Drawn(value, path)


names = st.text(st.sampled_from("abcdefgh"), min_size=1, max_size=6)
amounts = st.one_of(
    st.integers(-1000, 10**6),
    st.decimals(-1000, 10**6, places=2).map(str),
    st.floats(0, 1000, allow_nan=False).map(lambda number: round(number, 2)),
)
networks = st.lists(st.sampled_from(["127.0.0.1", "10.0.0.0/8", "::1", "192.168.1.0/24"]), max_size=3)


@st.composite
def accounts(draw: st.DrawFn) -> Drawn:
    count = draw(st.integers(1, 3))
    entries = []
    for index in range(count):
        entry: dict[str, Any] = {"name": f"account{index}", "username": f"user{index}"}
        for key, values in (
            ("password", names),
            ("api_key", st.one_of(st.none(), names)),
            ("balance", amounts),
            ("currency", st.sampled_from(["EUR", "USD", "SEK"])),
            ("price_per_part", amounts),
            ("allowed_ips", st.one_of(st.none(), networks)),
            ("denied_ips", networks),
            ("report_url", st.one_of(st.none(), st.just("http://127.0.0.1:9000/dlr"))),
            ("national_policy", st.sampled_from(["fewest", "requested"])),
        ):
            if draw(st.booleans()):
                entry[key] = draw(values)
        entries.append(entry)
    flaw = draw(
        st.sampled_from(
            [
                None,
                ("balance", "12x"),
                ("price_per_part", True),
                ("colour", "blue"),
                ("username", None),
                ("name", ""),
                ("password", 1234),
                ("allowed_ips", "10.0.0.0/8"),
                ("national_policy", "most"),
            ]
        )
    )
    if flaw is None:
        return good(entries)
    where = draw(st.integers(0, count - 1))
    key, value = flaw
    if value is None:
        del entries[where][key]
    else:
        entries[where][key] = value
    return bad(entries, f"accounts[{where}].{key}")


@st.composite
def rules(draw: st.DrawFn) -> Drawn:
    def rule() -> dict[str, Any]:
        entry: dict[str, Any] = {"to": draw(st.sampled_from(["4470[0-9]*", "15550001999", 441234567]))}
        entry["status"] = draw(st.sampled_from(STATUSES))
        if draw(st.booleans()):
            entry["error"] = draw(st.sampled_from(ERRORS))
        if draw(st.booleans()):
            entry["after"] = draw(st.floats(0, 600, allow_nan=False))
        if draw(st.booleans()):
            entry["dialect"] = draw(st.sampled_from(["shortlink", "unified", "sendsms"]))
        if draw(st.booleans()):
            entry.update(dialect="unified", code=1028, status=draw(st.sampled_from(REJECTED)))
        return entry

    mapping: dict[str, Any] = {"rules": [rule() for _ in range(draw(st.integers(0, 3)))]}
    if draw(st.booleans()):
        mapping["replace"] = draw(st.booleans())
    if draw(st.booleans()):
        mapping["default"] = {"status": draw(st.sampled_from(STATUSES))}
    flaw = draw(
        st.sampled_from(
            [
                None,
                ("replace", "maybe", "rules.replace"),
                ("rules", "all of them", "rules.rules"),
                ("rules", [{"to": "[(", "status": "DELIVERED_TO_HANDSET"}], "rules.rules[0].to"),
                (
                    "rules",
                    [{"to": "1", "status": "DELIVERED_TO_HANDSET", "after": -1}],
                    "rules.rules[0].after",
                ),
                (
                    "rules",
                    [{"to": "1", "status": "DELIVERED_TO_HANDSET", "when": "now"}],
                    "rules.rules[0].when",
                ),
                ("rules", [{"to": "1"}], "rules.rules[0].status"),
                ("default", {"status": "DELIVERED_TO_HANDSET", "dialect": "smpp"}, "rules.default.dialect"),
                ("colour", "blue", "rules.colour"),
            ]
        )
    )
    if flaw is None:
        return good(mapping)
    key, value, path = flaw
    return bad({**mapping, key: value}, path)


CLOCKS = st.sampled_from(
    [
        good(None),
        good({"frozen": True}),
        good({"start": "2026-01-01T09:00:00+00:00"}),
        good({"start": "2030-01-01T12:00:00.000+0100", "frozen": False}),
        good({"start": datetime(2026, 1, 1, 9, tzinfo=timezone.utc), "frozen": True}),
        good({"start": date(2026, 1, 1)}),
        bad({"frozen": "yes please"}, "clock.frozen"),
        bad({"start": 2026}, "clock.start"),
        bad({"stop": "2026-01-01"}, "clock.stop"),
        bad("2026-01-01", "clock"),
    ]
)
JOURNAL_SIZES = st.one_of(
    st.integers(1, 10**6).map(good),
    st.just(good(None)),
    st.sampled_from([0, -1, "many", True, 2.5]).map(lambda value: bad(value, "journal_size")),
)
STORES = st.sampled_from(
    [
        good("memory"),
        good("sqlite:mock.db"),
        good("redis://127.0.0.1:6379/0?prefix=team-a:"),
        bad("mem", "store"),
        bad("", "store"),
        bad(5, "store"),
        bad("sqlite:", "store"),
    ]
)
RETENTIONS = st.sampled_from(
    [
        good("48h"),
        good("30m,100000"),
        good("100000, 7d"),
        good(100000),
        good("none"),
        good(None),
        good({"window": "48h", "count": 5}),
        good({"count": 5}),
        bad("48x", "retain"),
        bad("48h,48h", "retain"),
        bad(0, "retain"),
        bad(1.5, "retain"),
        bad({"window": "1x"}, "retain.window"),
        bad({"count": 0}, "retain.count"),
        bad({"size": 5}, "retain.size"),
    ]
)
SIZES = st.one_of(
    st.integers(1, 1 << 31).map(good),
    st.builds(lambda number, unit: good(f"{number}{unit}"), st.integers(1, 4096), st.sampled_from(UNITS)),
    st.sampled_from([0, -5, "1MB", "0KiB", "big", True, 2.5, None]).map(lambda value: bad(value, "max_body")),
)
KEYS = {
    "accounts": accounts(),
    "rules": rules(),
    "clock": CLOCKS,
    "journal_size": JOURNAL_SIZES,
    "store": STORES,
    "retain": RETENTIONS,
    "max_body": SIZES,
    "colour": st.just(bad("blue", "colour")),
}


@st.composite
def configurations(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, str]]:
    """A configuration with some keys, and the paths of the values in it that are bad, by key."""
    chosen = draw(st.lists(st.sampled_from(sorted(KEYS)), unique=True, max_size=len(KEYS)))
    data, flaws = {}, {}
    for key in chosen:
        drawn = draw(KEYS[key])
        data[key] = drawn.value
        if drawn.bad_path is not None:
            flaws[key] = drawn.bad_path
    return data, flaws


def _named_path(line: str) -> str:
    return line.split(": ", 1)[0]


@settings(max_examples=300)
@given(configurations())
def test_a_configuration_the_schema_takes_loads_and_one_it_refuses_is_refused_naming_each_key(
    drawn: tuple[dict[str, Any], dict[str, str]],
) -> None:
    data, flaws = drawn
    assert WELL_FORMED.is_valid(as_json(data)) == (not flaws), "the schema judges as the draw intended"
    if not flaws:
        config = MockConfig.from_mapping(data)
        if "max_body" in data:
            assert config.max_body == parse_size(data["max_body"])
        if "journal_size" in data:
            assert config.journal_size == data["journal_size"]
        return
    with pytest.raises(ConfigError) as refused:
        MockConfig.from_mapping(data)
    named = [_named_path(line) for line in str(refused.value).splitlines()]
    assert sorted(set(named)) == sorted(set(flaws.values())), str(refused.value)


def as_json(data: dict[str, Any]) -> Any:
    """What the schema sees of YAML's values: dates as text (smsmock reads them the same way)."""
    return json.loads(json.dumps(data, default=lambda value: value.isoformat()))


def test_the_schema_covers_every_key_the_code_reads() -> None:
    assert set(SCHEMA["properties"]) == set(KEYS) - {"colour"}
    account_fields = {field.name for field in fields(Account) if not field.name.startswith("_")}
    assert set(SCHEMA["$defs"]["account"]["properties"]) == account_fields
    assert set(SCHEMA["$defs"]["rule"]["properties"]) == set(RULE_FIELDS)
    assert set(SCHEMA["$defs"]["rule_set"]["properties"]) == set(RULE_FILE_KEYS)
    assert SCHEMA["$defs"]["account"]["properties"]["national_policy"]["enum"] == list(NATIONAL_POLICIES)
    assert SCHEMA["properties"]["journal_size"]["default"] == MockConfig().journal_size
    assert SCHEMA["properties"]["max_body"]["default"] == MockConfig().max_body


def test_every_key_of_the_schema_says_what_it_means_and_what_a_bad_value_is_not() -> None:
    Draft202012Validator.check_schema(SCHEMA)

    def keys(properties: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, schema in properties.items():
            yield f"{where}{name}", schema

    described = [
        *keys(SCHEMA["properties"], ""),
        *keys(SCHEMA["$defs"]["account"]["properties"], "accounts[]."),
        *keys(SCHEMA["$defs"]["rule"]["properties"], "rules.rules[]."),
        *keys(SCHEMA["$defs"]["rule_set"]["properties"], "rules."),
    ]
    for path, schema in described:
        assert schema.get("description"), f"{path} has no description"
        assert schema.get("x-expected") or schema.get("$ref"), f"{path} has no x-expected"


def test_the_example_configuration_is_complete_and_loads() -> None:
    example = parse_yaml(EXAMPLE.read_text(encoding="utf-8"))
    assert set(example) == set(SCHEMA["properties"])
    assert set().union(*example["accounts"]) == set(SCHEMA["$defs"]["account"]["properties"])
    assert set().union(*example["rules"]["rules"]) == set(SCHEMA["$defs"]["rule"]["properties"])
    config = load_config(EXAMPLE)
    assert (config.max_body, config.journal_size, config.clock_frozen) == (1 << 20, 10_000, True)
    assert config.rules.decide("447012345", "shortlink", "default").outcome.rule == "blocked"


def test_every_problem_is_named_in_one_line_and_all_come_at_once(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.yaml"
    path.write_text(
        "accounts:\n"
        "  - {name: a, username: u, balance: 12x}\n"
        "  - {name: b, username: u, allowed_ips: [10.0.0.0/33]}\n"
        "rules: {rules: [{to: '4470', status: DELIVERED_SOMEWHERE}]}\n"
        "clock: {start: 'next tuesday', frozen: yes please}\n"
        "journal_size: 0\n"
        "colour: blue\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert str(refused.value).splitlines() == [
        f"{path}: accounts[0].balance: '12x' is not a decimal amount",
        f"{path}: rules.rules[0]: unknown status 'DELIVERED_SOMEWHERE'",
        f"{path}: clock.frozen: 'yes please' is not true or false",
        f"{path}: journal_size: 0 is not a whole number of at least 1, or null",
        f"{path}: colour: unknown key; the configuration takes accounts, rules, clock, journal_size, store,"
        " retain, max_body",
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "accounts: [{name: a, username: u, allowed_ips: [10.0.0.0/33]}]",
            "accounts[0].allowed_ips: '10.0.0.0/33' does not appear to be an IPv4 or IPv6 network",
        ),
        (
            "accounts: [{name: a, username: u}, {name: b, username: u}]",
            "accounts: username 'u' already belongs to 'a'",
        ),
        ("accounts: [{name: a, username: u}, {name: a, username: v}]", "accounts[1].name: 'a' names"),
        ("rules: {rules: [{to: '1', status: NOPE}]}", "rules.rules[0]: unknown status 'NOPE'"),
        (
            "rules: {rules: [{to: '1', status: DELIVERED_TO_HANDSET, code: 1028}]}",
            "rules.rules[0]: a rule with `code` needs `dialect`",
        ),
        ("rules: missing.yaml", "rules: in "),
        ("clock: {start: 'next tuesday'}", "clock.start: not an ISO 8601 date-time: 'next tuesday'"),
        ("clock: {start: '9999-12-31T23:59:59+00:00'}", "the latest moment smsmock can schedule"),
    ],
    ids=["network", "username-clash", "name-clash", "status", "code", "rule-file", "date", "date-range"],
)
def test_what_only_code_can_check_is_named_by_key_too(text: str, line: str, tmp_path: Path) -> None:
    path = tmp_path / "smsmock.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    [problem] = str(refused.value).splitlines()
    assert problem.startswith(f"{path}: ") and line in problem, problem


def test_a_rule_file_problem_names_the_configuration_key_and_the_rule_file(tmp_path: Path) -> None:
    (tmp_path / "outcomes.yaml").write_text("rules: [{to: '1', status: NOPE}]\n", encoding="utf-8")
    path = tmp_path / "smsmock.yaml"
    path.write_text("rules: outcomes.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert (
        str(refused.value)
        == f"{path}: rules: in {tmp_path / 'outcomes.yaml'}: rules[0]: unknown status 'NOPE'"
    )


def test_an_empty_file_is_every_default(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert load_config(path).max_body == MockConfig().max_body


# `smsmock serve --check-config FILE`


def check(
    capsys: pytest.CaptureFixture[str], path: Path | str, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    def no_port(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("--check-config must not listen on a port")

    monkeypatch.setattr("smsmock.server.serve.listen", no_port)
    code = main(["serve", "--check-config", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_example_passes_check_config(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check(capsys, EXAMPLE, monkeypatch) == (0, f"{EXAMPLE}: OK\n", "")


def test_check_config_prints_every_problem_and_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "smsmock.yaml"
    path.write_text("max_body: 1MB\nstore: mem\n", encoding="utf-8")
    code, out, err = check(capsys, path, monkeypatch)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{path}: max_body: '1MB' is not a size: bytes (1048576) or KiB, MiB, GiB (512KiB, 1MiB)",
        f"{path}: store: 'mem' is not a store URL: memory, sqlite:PATH or redis://HOST:PORT/DB",
    ]


@pytest.mark.parametrize(
    ("content", "said"),
    [(None, "No such file or directory"), ("accounts: [", "while parsing"), ("- a list", "is not a mapping")],
    ids=["missing", "not-yaml", "not-a-mapping"],
)
def test_check_config_of_a_file_it_cannot_read_says_why_and_exits_2(
    content: str | None,
    said: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    path = tmp_path / "smsmock.yaml"
    if content is not None:
        path.write_text(content + "\n", encoding="utf-8")
    code, out, err = check(capsys, path, monkeypatch)
    assert (code, out) == (2, "") and err.startswith(f"{path}: ") and said in err, err


def test_serve_with_a_bad_config_names_every_problem_and_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "smsmock.yaml"
    path.write_text("journal_size: many\nretain: 48x\n", encoding="utf-8")
    monkeypatch.setattr("smsmock.server.serve.listen", lambda *args: pytest.fail("listened"))
    assert main(["serve", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"smsmock: {path}: journal_size: 'many' is not a whole number of at least 1, or null",
        f"smsmock: {path}: retain: '48x' is not a retention: 48h, 100000, 48h,100000, none, or"
        " {window: 48h, count: 100000}",
    ]


# the compiled check: a valid configuration passes without jsonschema, never an invalid one


ODD_VALUES = st.sampled_from(
    [2.0, 1.5, -0.0, math.inf, -math.inf, math.nan, True, False, None, 0, -1, 10**20, "", "x", "memory\n",
     "48h\n", " 48h ", "1MiB\n", "[(", [], {}, [None], {"": None}]
)  # fmt: skip


def _places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value in a configuration, containers included."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _places(item, (*path, index))


@st.composite
def near_configurations(draw: st.DrawFn) -> Any:
    """A drawn configuration with one value, anywhere in it, swapped for an odd one (or a key added)."""
    data = as_json(draw(configurations())[0])
    path = draw(st.sampled_from(list(_places(data))))
    if not path:
        return draw(ODD_VALUES) if draw(st.booleans()) else data
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and draw(st.booleans()):
        parent[draw(st.sampled_from(["colour", "name", "to", "window", "start", "1"]))] = draw(ODD_VALUES)
    else:
        parent[path[-1]] = draw(ODD_VALUES)
    return data


@settings(max_examples=500)
@given(st.one_of(configurations().map(lambda drawn: as_json(drawn[0])), near_configurations()))
def test_what_the_compiled_check_passes_the_schema_s_validator_finds_no_problem_in(data: Any) -> None:
    if conforms(data):
        assert list(config_validator().iter_errors(data)) == [], data


@settings(max_examples=200)
@given(configurations())
def test_every_configuration_the_schema_takes_passes_the_compiled_check(
    drawn: tuple[dict[str, Any], dict[str, str]],
) -> None:
    data, flaws = drawn
    assume(not flaws)
    assert conforms(as_json(data)), "a valid configuration takes the fast path, without jsonschema"


# a file read once: its parsed form comes from the cache next time


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SMSMOCK_CACHE_DIR", str(folder))
    return folder


def _same(first: MockConfig, second: MockConfig) -> bool:
    plain = ("accounts", "clock_start", "clock_frozen", "journal_size", "store", "retain", "max_body", "ui")
    decide = [config.rules.decide("447012345", "shortlink", "default").outcome for config in (first, second)]
    return all(getattr(first, name) == getattr(second, name) for name in plain) and decide[0] == decide[1]


def test_a_file_read_before_is_not_parsed_again(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_config(EXAMPLE)

    def not_again(*args: Any) -> None:
        raise AssertionError("parsed again although the cache holds it")

    monkeypatch.setattr("smsmock.server.config._parsed", not_again)
    assert _same(load_config(EXAMPLE), first)
    assert first.clock_start is not None, "the example's YAML date reads back from the cache"


def test_an_edited_file_is_read_afresh(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "smsmock.yaml"
    path.write_text("journal_size: 5\nclock: {start: 2026-01-01T09:00:00Z}\n", encoding="utf-8")
    assert (load_config(path).journal_size, load_config(path).journal_size) == (5, 5)
    path.write_text("journal_size: 6\nclock: {start: 2026-01-01T09:00:00Z}\n", encoding="utf-8")
    config = load_config(path)
    assert config.journal_size == 6
    assert config.clock_start == datetime(2026, 1, 1, 9, tzinfo=timezone.utc)


def test_an_invalid_file_gives_the_same_problems_on_every_read(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "smsmock.yaml"
    path.write_text(
        "journal_size: 2.0\nstore: mem\nrules: {rules: [{to: '[(', status: X}]}\n", encoding="utf-8"
    )
    said = []
    for _ in range(2):
        with pytest.raises(ConfigError) as refused:
            load_config(path)
        said.append(str(refused.value))
    assert said[0] == said[1]
    assert said[0].splitlines()[:2] == [
        f"{path}: journal_size: 2.0 is not a whole number of at least 1, or null",
        f"{path}: store: 'mem' is not a store URL: memory, sqlite:PATH or redis://HOST:PORT/DB",
    ]


def test_a_file_that_is_not_utf_8_is_refused_in_one_line(
    cache: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "smsmock.yaml"
    path.write_bytes("accounts: [{name: café, username: u}]\n".encode("latin-1"))
    code, out, err = check(capsys, path, monkeypatch)
    assert (code, out) == (2, "")
    problem = "'utf-8' codec can't decode byte 0xe9 in position 21: invalid continuation byte"
    assert err.splitlines() == [f"{path}: not UTF-8 text: {problem}"]
