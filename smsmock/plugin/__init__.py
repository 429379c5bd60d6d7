"""The pytest plugin: a mock per test session, a fresh state per test, an outbox and assertions.

Fixtures:
- `smsmock`: the mock over a real socket on an ephemeral port (any HTTP client, any language).
- `smsmock_inprocess`: the same app answering `requests` and `httpx` calls (sync and async), no socket:
  requests through `responses`, httpx through its transports. A client that builds its own
  `httpx.Client()` is routed too; one with a transport of its own takes `smsmock_inprocess.httpx_transport()`
  (`httpx_client()` and `httpx_async_client()` give clients bound to the mock).
- `smsmock_config`: the `MockConfig` each test starts from; override it in a conftest or module.

A test configures its mock with `@pytest.mark.smsmock(dialect=..., accounts=[...], rules={...},
balance=..., frozen=..., clock_start=..., expect_violations=...)`. A request that breaks its
contract fails the test that sent it, unless the test expects violations.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import fields, replace
from datetime import datetime
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import pytest

from smsmock.core.accounts import Account, Accounts, amount
from smsmock.core.clock import ClockRangeError, parse_moment, within_range
from smsmock.core.rules import RULE_FILE_KEYS, RuleError
from smsmock.plugin.handle import ContractViolation, Credentials, SmsMock
from smsmock.plugin.inprocess import ROOT, InProcessTransport
from smsmock.server.app import MockApp
from smsmock.server.config import ConfigError, MockConfig, load_config
from smsmock.server.thread import MockServer

__all__ = ["ContractViolation", "Credentials", "SmsMock"]

MARKER_OPTIONS = {"dialect", "accounts", "rules", "balance", "frozen", "clock_start", "expect_violations"}
_BASE_CONFIG = pytest.StashKey[MockConfig]()


class MarkerError(ValueError):
    """An `@pytest.mark.smsmock(...)` argument the plugin cannot use, saying what it takes."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smsmock", "smsmock: SMS provider mocks")
    group.addoption(
        "--smsmock-config", metavar="PATH", help="the mock's start state (as for `smsmock serve`)"
    )
    group.addoption("--smsmock-rules", metavar="PATH", help="outcome rules YAML for every test")
    group.addoption(
        "--smsmock-real-clock",
        action="store_true",
        help="run the mock's clock in real time (by default it is frozen and tests advance it)",
    )
    group.addoption(
        "--smsmock-store",
        metavar="URL",
        default="memory",
        help="where the fixtures' mocks keep their state: memory (default), sqlite:PATH or redis://HOST:PORT/DB",
    )
    group.addoption(
        "--smsmock-journal",
        metavar="PATH",
        help="write every request and reply the mocks saw to PATH (JSON Lines)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "smsmock(dialect=None, accounts=None, rules=None, balance=None, frozen=True, clock_start=None, "
        "expect_violations=False): configure the smsmock mock of this test",
    )
    journal = config.getoption("smsmock_journal", None)
    if journal and not hasattr(config, "workerinput"):
        # Only the controlling process starts the file; xdist workers append to it.
        Path(journal).write_text("", encoding="utf-8")


# fixtures


@pytest.fixture
def smsmock_config(pytestconfig: pytest.Config) -> MockConfig:
    """The state each test's mock starts from. Override this fixture to change it for many tests."""
    base = pytestconfig.stash.get(_BASE_CONFIG, None)
    if base is None:
        base = pytestconfig.stash[_BASE_CONFIG] = _base_config(pytestconfig)
    return replace(base, accounts=[dict(entry) for entry in base.accounts])


@pytest.fixture(scope="session")
def smsmock_server(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """One mock server per test session (per xdist worker), on an ephemeral port.

    Its journal is unbounded: each test starts it empty, and every exchange of the test is checked.
    """
    with MockServer(_fixture_config(pytestconfig)) as server:
        yield server


@pytest.fixture
def smsmock(
    request: pytest.FixtureRequest, smsmock_server: MockServer, smsmock_config: MockConfig
) -> Iterator[SmsMock]:
    """The mock over a real socket, in the state the test configured, with its outbox and levers."""
    mock = _fresh(request, smsmock_server.app, smsmock_server.url, smsmock_config)
    yield mock
    _write_journal(request, mock)


@pytest.fixture(scope="session")
def _smsmock_inprocess_transport(pytestconfig: pytest.Config) -> InProcessTransport:
    return InProcessTransport(MockApp(_fixture_config(pytestconfig)))


def _fixture_config(pytestconfig: pytest.Config) -> MockConfig:
    """What the fixtures' long-lived mocks are built with: an unbounded journal, the chosen store."""
    store = pytestconfig.getoption("smsmock_store", None) or "memory"
    return MockConfig(journal_size=None, store=store)


@pytest.fixture
def smsmock_inprocess(
    request: pytest.FixtureRequest,
    _smsmock_inprocess_transport: InProcessTransport,
    smsmock_config: MockConfig,
) -> Iterator[SmsMock]:
    """The mock answering `requests` and `httpx` calls to http://smsmock.test in process, no socket."""
    transport = _smsmock_inprocess_transport
    mock = _fresh(request, transport.app, ROOT, smsmock_config, in_process=transport)
    transport.start()
    try:
        yield mock
    finally:
        transport.stop()
        _write_journal(request, mock)


# contract violations fail the test that caused them


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield
    funcargs = getattr(item, "funcargs", {})
    for name in ("smsmock", "smsmock_inprocess"):
        mock = funcargs.get(name)
        if isinstance(mock, SmsMock) and not mock.expects_violations and mock.violations:
            listed = "\n".join(f"  - {found}" for found in mock.violations)
            raise AssertionError(
                "the mock received requests that break the contract "
                f"(mark the test smsmock(expect_violations=True) if that is intended):\n{listed}"
            )
    return result


# helpers


def _base_config(pytestconfig: pytest.Config) -> MockConfig:
    try:
        config = load_config(pytestconfig.getoption("smsmock_config"))
        rules = pytestconfig.getoption("smsmock_rules")
        if rules:
            config.rules = config.rules.extended_from_file(rules)
    except (ConfigError, ValueError) as problem:
        raise pytest.UsageError(f"smsmock: {problem}") from None
    config.clock_frozen = not pytestconfig.getoption("smsmock_real_clock")
    return config


def _fresh(
    request: pytest.FixtureRequest,
    app: MockApp,
    root: str,
    config: MockConfig,
    *,
    in_process: InProcessTransport | None = None,
) -> SmsMock:
    """Reset the app to the test's configuration and hand out a view of it."""
    try:
        options = _marker_options(request)
        _check_marker(options, app)
        config = _with_marker(config, options)
    except MarkerError as problem:
        unusable = problem
    else:
        unusable = None
    if unusable is not None:
        # Outside the except block, so the failure shows the message alone, with no chained traceback.
        pytest.fail(f"@pytest.mark.smsmock: {unusable}", pytrace=False)
    app.config = config
    app.control.reset()
    if options.get("balance") is not None:
        for account in app.backend.accounts.all():
            app.control.set_balance(account.name, options["balance"])
    mock = SmsMock(app, root, options.get("dialect"), in_process=in_process)
    mock.expects_violations = bool(options.get("expect_violations"))
    return mock


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The smsmock markers of the test, the closest (function, then class, then module) winning."""
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("smsmock"))):
        if marker.args:
            raise MarkerError(
                f"takes keyword arguments only, not {', '.join(map(repr, marker.args))}; "
                f"the options are {', '.join(sorted(MARKER_OPTIONS))}"
            )
        unknown = set(marker.kwargs) - MARKER_OPTIONS
        if unknown:
            raise MarkerError(
                f"unknown option(s) {', '.join(sorted(unknown))}{_did_you_mean(unknown, MARKER_OPTIONS)}; "
                f"the options are {', '.join(sorted(MARKER_OPTIONS))}"
            )
        options.update(marker.kwargs)
    return options


def _check_marker(options: dict[str, Any], app: MockApp) -> None:
    """MarkerError naming the option at fault and what it takes, before the mock is touched."""
    dialect = options.get("dialect")
    if dialect is not None and dialect not in app.dialects:
        raise MarkerError(
            f"dialect={dialect!r} is not a dialect{_did_you_mean({str(dialect)}, app.dialects)}; "
            f"the dialects are {', '.join(app.dialects)}"
        )
    for flag in ("frozen", "expect_violations"):
        if options.get(flag) is not None and not isinstance(options[flag], bool):
            raise MarkerError(f"{flag}= takes True or False, not {options[flag]!r}")
    if options.get("balance") is not None:
        try:
            amount(options["balance"], "balance=")
        except ValueError as problem:
            raise MarkerError(str(problem)) from None
    rules = options.get("rules")
    if rules is not None and not isinstance(rules, (str, Path, Mapping)):
        raise MarkerError(
            f"rules= takes a rule file's path or a mapping with {', '.join(RULE_FILE_KEYS)}, "
            f"not {type(rules).__name__}"
        )
    accounts = options.get("accounts")
    if accounts is not None:
        _check_accounts(accounts)


def _check_accounts(accounts: Any) -> None:
    fields_taken = ", ".join(field.name for field in fields(Account) if not field.name.startswith("_"))
    if not isinstance(accounts, (list, tuple)) or not accounts:
        raise MarkerError(f"accounts= takes a non-empty list of mappings with {fields_taken}")
    if not all(isinstance(entry, Mapping) for entry in accounts):
        raise MarkerError(f"accounts= takes mappings with {fields_taken}, not {accounts!r}")
    try:
        Accounts(accounts)
    except ValueError as problem:
        raise MarkerError(f"accounts=: {problem}; an account has {fields_taken}") from None


def _did_you_mean(given: set[str], choices: Iterable[str]) -> str:
    close = [match for name in sorted(given) for match in get_close_matches(name, list(choices), n=1)]
    return f" (did you mean {', '.join(map(repr, close))}?)" if close else ""


def _with_marker(config: MockConfig, options: dict[str, Any]) -> MockConfig:
    """The test's configuration: the session's, changed by the options of its markers."""
    try:
        if options.get("accounts") is not None:
            config = replace(config, accounts=[dict(entry) for entry in options["accounts"]])
        rules = options.get("rules")
        if isinstance(rules, (str, Path)):
            config = replace(config, rules=config.rules.extended_from_file(rules))
        elif rules is not None:
            config = replace(config, rules=config.rules.extended(rules))
    except RuleError as problem:
        raise MarkerError(f"rules=: {problem}") from None
    if options.get("frozen") is not None:
        config = replace(config, clock_frozen=options["frozen"])
    start = options.get("clock_start")
    if start is not None:
        moment = _moment(start)
        config = replace(config, clock_start=moment)
    return config


def _moment(start: Any) -> datetime:
    try:
        moment = start if isinstance(start, datetime) else parse_moment(str(start))
        return within_range(moment, f"clock_start={start!r}")
    except ClockRangeError as problem:
        raise MarkerError(str(problem)) from None
    except ValueError:
        raise MarkerError(
            f"clock_start= takes a datetime or an ISO 8601 text such as '2031-05-01T08:00:00+00:00', "
            f"not {start!r}"
        ) from None


def _write_journal(request: pytest.FixtureRequest, mock: SmsMock) -> None:
    path = request.config.getoption("smsmock_journal", None)
    if not path:
        return
    lines = [
        json.dumps({"test": request.node.nodeid, **exchange.as_dict()}, ensure_ascii=False) + "\n"
        for exchange in mock.journal
    ]
    if lines:
        with Path(path).open("a", encoding="utf-8") as journal:
            journal.write("".join(lines))
