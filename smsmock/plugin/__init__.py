"""The pytest plugin: a mock per test session, a fresh state per test, an outbox and assertions.

Fixtures:
- `smsmock`: the mock over a real socket on an ephemeral port (any HTTP client, any language).
- `smsmock_inprocess`: the same app answering `requests` calls through `responses`, no socket.
- `smsmock_config`: the `MockConfig` each test starts from; override it in a conftest or module.

A test configures its mock with `@pytest.mark.smsmock(dialect=..., accounts=[...], rules={...},
balance=..., frozen=..., clock_start=..., expect_violations=...)`. A request that breaks its
contract fails the test that sent it, unless the test expects violations.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from smsmock.core.rules import OutcomeRules
from smsmock.plugin.handle import ContractViolation, Credentials, SmsMock
from smsmock.plugin.inprocess import ROOT, InProcessTransport
from smsmock.server.app import MockApp
from smsmock.server.config import ConfigError, MockConfig, load_config
from smsmock.server.thread import MockServer

__all__ = ["ContractViolation", "Credentials", "SmsMock"]

MARKER_OPTIONS = {"dialect", "accounts", "rules", "balance", "frozen", "clock_start", "expect_violations"}
_BASE_CONFIG = pytest.StashKey[MockConfig]()


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
def smsmock_server() -> Iterator[MockServer]:
    """One mock server per test session (per xdist worker), on an ephemeral port."""
    with MockServer(MockConfig()) as server:
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
def _smsmock_inprocess_transport() -> InProcessTransport:
    return InProcessTransport(MockApp(MockConfig()))


@pytest.fixture
def smsmock_inprocess(
    request: pytest.FixtureRequest,
    _smsmock_inprocess_transport: InProcessTransport,
    smsmock_config: MockConfig,
) -> Iterator[SmsMock]:
    """The mock answering `requests` calls to http://smsmock.test in process, through `responses`."""
    transport = _smsmock_inprocess_transport
    mock = _fresh(request, transport.app, ROOT, smsmock_config)
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
            config.rules = OutcomeRules.from_file(rules)
    except (ConfigError, ValueError) as problem:
        raise pytest.UsageError(f"smsmock: {problem}") from None
    config.clock_frozen = not pytestconfig.getoption("smsmock_real_clock")
    return config


def _fresh(request: pytest.FixtureRequest, app: MockApp, root: str, config: MockConfig) -> SmsMock:
    """Reset the app to the test's configuration and hand out a view of it."""
    options = _marker_options(request)
    config = _with_marker(config, options)
    app.config = config
    app.control.reset()
    if options.get("balance") is not None:
        for account in app.backend.accounts.all():
            app.control.set_balance(account.name, options["balance"])
    mock = SmsMock(app, root, options.get("dialect"))
    mock.expects_violations = bool(options.get("expect_violations"))
    return mock


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The smsmock markers of the test, the closest (function, then class, then module) winning."""
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("smsmock"))):
        unknown = set(marker.kwargs) - MARKER_OPTIONS
        if unknown or marker.args:
            raise pytest.UsageError(
                f"smsmock marker: unknown option(s) {', '.join(sorted(unknown)) or marker.args}; "
                f"expected {', '.join(sorted(MARKER_OPTIONS))}"
            )
        options.update(marker.kwargs)
    return options


def _with_marker(config: MockConfig, options: dict[str, Any]) -> MockConfig:
    try:
        if options.get("accounts") is not None:
            config = replace(config, accounts=[dict(entry) for entry in options["accounts"]])
        rules = options.get("rules")
        if isinstance(rules, (str, Path)):
            config = replace(config, rules=OutcomeRules.from_file(rules))
        elif rules is not None:
            config = replace(config, rules=OutcomeRules.from_mapping(rules))
    except ValueError as problem:
        raise pytest.UsageError(f"smsmock marker: {problem}") from None
    if options.get("frozen") is not None:
        config = replace(config, clock_frozen=bool(options["frozen"]))
    start = options.get("clock_start")
    if start is not None:
        moment = start if isinstance(start, datetime) else datetime.fromisoformat(str(start))
        config = replace(config, clock_start=moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))
    return config


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
