"""The client contract suite's frame: the adapter a user writes, and the properties every dialect shares.

A user subclasses a dialect's contract class (`ShortlinkClientContract`, `UnifiedClientContract`, ...)
in a `Test...` class and supplies two methods, `make_client` and `send`, and optionally more:
`fetch_reports`, and the flags `sends_language` and `sends_client_message_id`. pytest then collects the
inherited tests, which drive the client with generated inputs against the mock and check what the mock
received and what the client reported. A test whose optional part the adapter lacks is skipped, saying
which part it needs.

An async client gets an async adapter: `send` and `fetch_reports` (and `make_client`) may be coroutine
functions. The suite awaits them on one asyncio event loop per test, so a client that keeps an
`httpx.AsyncClient` across calls uses it on one loop, as an application does.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from smsmock import strategies
from smsmock.contracts.catalog import document_section
from smsmock.contracts.validation import Violation
from smsmock.core.messages import Message
from smsmock.core.rules import normalise_number
from smsmock.encoding import Encoding
from smsmock.plugin.handle import Credentials, SmsMock
from smsmock.plugin.inprocess import InProcessTransport

T = TypeVar("T")

SUITE_SETTINGS = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
    deadline=None,
    phases=[phase for phase in Phase if phase is not Phase.explain],
)
"""Each example resets the mock itself, so a function-scoped fixture is safe to share across examples;
and every user's class runs the same inherited tests, with their own client behind `self`. No explain
phase: the bug report already shows what the client sent, and explaining a failure drawn with `st.data()`
re-runs the client for minutes."""
DELIVERED_SOON = {"default": {"status": "DELIVERED_TO_HANDSET", "after": 1}, "rules": [], "replace": True}
"""Outcome rules for the properties that are not about outcomes: every number is delivered after 1 s."""
STALL_MARGIN = 3.0
"""Seconds the stall test waits beyond the client's own timeout before it calls the client hung."""


@dataclass(frozen=True, slots=True)
class Language:
    """The national language whose GSM shift tables a message may use (shortlink and qikli `language`)."""

    code: str
    """TR, ES or PT."""
    single_shift: bool = True
    locking_shift: bool = False


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message as the user means it: the sender, every destination, the text.

    The optional fields are set only for adapters that declare they pass them on (`sends_language`,
    `sends_client_message_id`); None means the client chooses as it always does.
    """

    sender: str
    destinations: tuple[str, ...]
    text: str
    language: Language | None = None
    """The national shift tables the message may use (shortlink and qikli `language`)."""
    client_message_id: str | None = None
    """The client's own id for the message, with one destination: shortlink and qikli `messageId`,
    quicktel `sms_id`, sendsms `ref`."""

    def __repr__(self) -> str:
        shown = [
            f"{field.name}={getattr(self, field.name)!r}"
            for field in fields(self)
            if field.default is not None or getattr(self, field.name) is not None
        ]
        return f"Outgoing({', '.join(shown)})"


@dataclass(slots=True)
class Sent:
    """What the client reported of a send, mapped by the adapter.

    `ok` is the client's overall verdict. `accepted` says, per destination (as given in `Outgoing`),
    whether the client reports it accepted; None when the client does not say. `parts` and `cost` are
    the client's own count and price of one destination's message, where it exposes them.
    `message_ids` are the provider's ids of the messages the client reports, per destination.
    """

    ok: bool
    accepted: dict[str, bool] | None = None
    parts: int | None = None
    cost: Decimal | None = None
    message_ids: dict[str, str | None] | None = None


class ContractFailure(AssertionError):
    """A property the client broke, told like a bug report."""


class ClientContract:
    """The properties every dialect's suite checks; subclasses add the dialect's own."""

    dialect: ClassVar[str]
    transport: ClassVar[str] = "socket"
    """`socket` (any HTTP client) or `inprocess` (clients built on requests or httpx, sync or async:
    faster, no sockets)."""
    client_timeout: ClassVar[float] = 10.0
    """The client's own timeout in seconds: the stall test lets it take this long to give up."""
    max_destinations: ClassVar[int] = 3
    sends_language: ClassVar[bool] = False
    """Whether `send` passes `outgoing.language` on to the client (shortlink and qikli let a client ask
    for a national language's shift tables); the national-language test is skipped otherwise."""
    sends_client_message_id: ClassVar[bool] = False
    """Whether `send` passes `outgoing.client_message_id` on as the client's own message id; the
    reused-id test is skipped otherwise."""

    # the adapter: what the user writes

    def make_client(self, base_url: str, credentials: Credentials) -> Any:
        """Build the client under test for this base URL and these credentials."""
        raise NotImplementedError("the contract suite needs make_client(base_url, credentials)")

    def send(self, client: Any, outgoing: Outgoing) -> Sent:
        """Send `outgoing` with the client and say what it reported (an exception counts as failure).

        May be `async def` for an async client."""
        raise NotImplementedError("the contract suite needs send(client, outgoing) -> Sent")

    # what each dialect provides

    def senders(self) -> st.SearchStrategy[str]:
        """Senders the dialect's own contract takes, often with characters that need escaping."""
        return strategies.contract_sender_ids(self.dialect)

    def numbers(self) -> st.SearchStrategy[str]:
        return strategies.phone_numbers(plus=False)

    def texts(self) -> st.SearchStrategy[str]:
        """Any text, and texts at part boundaries, where counting mistakes show."""
        return st.one_of(
            strategies.sms_texts(max_size=320),
            strategies.boundary_texts(Encoding.GSM7, max_parts=3),
            strategies.boundary_texts(Encoding.UCS2, max_parts=3),
        ).filter(str.strip)

    def boundary_texts(self) -> st.SearchStrategy[str]:
        """Texts on part boundaries, with a character of two units across the boundary."""
        return st.one_of(strategies.boundary_texts(Encoding.GSM7), strategies.boundary_texts(Encoding.UCS2))

    def outgoing(self) -> st.SearchStrategy[Outgoing]:
        """Messages the dialect can carry, to numbers the default rules deliver."""
        return st.builds(
            Outgoing,
            sender=self.senders(),
            # Duplicates dropped rather than refused: hypothesis favours the same small numbers, and a
            # list that kept drawing one it already had was given up as invalid (a fifth of examples).
            destinations=st.lists(self.numbers(), min_size=1, max_size=self.max_destinations).map(_distinct),
            text=self.texts(),
        )

    def error_replies(self) -> list[ErrorReply]:
        """Every documented error reply, and how many requests the document allows for each."""
        raise NotImplementedError

    # fixtures

    @pytest.fixture
    def contract_mock(self, request: pytest.FixtureRequest) -> Iterator[SmsMock]:
        fixture = "smsmock_inprocess" if self.transport == "inprocess" else "smsmock"
        mock: SmsMock = request.getfixturevalue(fixture)
        mock.dialect = self.dialect
        # The suite reports contract violations itself, inside the bug report of the property at fault.
        mock.expect_violations()
        try:
            yield mock
        finally:
            self._close_event_loop()

    # the shared properties

    @SUITE_SETTINGS
    @given(data=st.data())
    def test_what_the_mock_receives_is_what_the_user_meant(self, contract_mock: SmsMock, data: Any) -> None:
        """Text, sender and every destination arrive intact; the request meets its contract;
        a count or cost the client gives agrees with the segmentation engine."""
        mock = contract_mock
        outgoing = data.draw(self._strategy("outgoing", self.outgoing), label="outgoing")
        self._fresh(mock)
        sent = self._send(mock, outgoing, mock.credentials)
        received = mock.outbox()
        _require(not _departures(mock), "the requests break the contract", outgoing, mock)
        wanted = sorted(normalise_number(number) for number in outgoing.destinations)
        got = sorted(normalise_number(message.to) for message in received)
        _require(got == wanted, f"destinations {got} arrived, {wanted} were meant", outgoing, mock)
        for message in received:
            _require(
                message.text == outgoing.text,
                f"the text arrived as {message.text!r}",
                outgoing,
                mock,
            )
            _require(
                message.sender == outgoing.sender, f"the sender arrived as {message.sender!r}", outgoing, mock
            )
        _require(sent.ok, "the client reported a failed send that the provider accepted", outgoing, mock)
        if received:
            _require_same_count(sent, received[0], outgoing, mock)

    @SUITE_SETTINGS
    @given(data=st.data())
    def test_the_client_counts_parts_as_the_provider_does(self, contract_mock: SmsMock, data: Any) -> None:
        """Texts on part boundaries, where a character of two units across the boundary moves to the
        next part: a client that shows a count or a cost must agree with the provider's."""
        mock = contract_mock
        text = data.draw(self._strategy("boundary texts", self.boundary_texts), label="text")
        outgoing = Outgoing("InfoSMS", ("41793026727",), text)
        self._fresh(mock)
        sent = self._send(mock, outgoing, mock.credentials)
        received = mock.outbox()
        _require(len(received) == 1, "the message did not arrive", outgoing, mock)
        _require_same_count(sent, received[0], outgoing, mock)

    @SUITE_SETTINGS
    @given(data=st.data())
    def test_every_documented_error_is_a_failure_and_retried_only_where_allowed(
        self, contract_mock: SmsMock, data: Any
    ) -> None:
        errors = self._strategy("error replies", lambda: st.sampled_from(self.error_replies()))
        error = data.draw(errors, label="error reply")
        outgoing = data.draw(self._strategy("outgoing", self.outgoing), label="outgoing")
        self._check_error_reply(contract_mock, error, outgoing)

    def test_each_documented_error_in_turn(self, contract_mock: SmsMock) -> None:
        """Every documented error reply once, with a plain message: none is left to the luck of the draw."""
        for error in self.error_replies():
            self._check_error_reply(contract_mock, error, Outgoing("InfoSMS", ("41793026727",), "Hello"))

    def test_a_stalled_server_makes_the_client_give_up(
        self, contract_mock: SmsMock, request: pytest.FixtureRequest
    ) -> None:
        """The client gives up within `client_timeout` and STALL_MARGIN of slack: over a socket by the
        clock, in process by the waits the transport counts instead of waiting them out."""
        mock = contract_mock
        outgoing = Outgoing("InfoSMS", ("41793026727",), "Hello")
        self._fresh(mock)
        # A stalled provider may still carry the request out: the client cannot know it did not.
        mock.fault(delay=self.client_timeout + 2 * STALL_MARGIN, times=1, processed=True)
        outcome: list[Sent] = []
        failures: list[BaseException] = []

        def send() -> None:
            try:
                outcome.append(self._send(mock, outgoing, mock.credentials))
            except BaseException as failure:  # the in-process transport fails a client that waits too long
                failures.append(failure)

        with self._patience(request):
            worker = threading.Thread(target=send, daemon=True)
            worker.start()
            worker.join(self.client_timeout + STALL_MARGIN)
        if failures:
            _require(False, str(failures[0]), outgoing, mock)
        _require(
            not worker.is_alive(),
            f"the server stalled and the client was still waiting after "
            f"{self.client_timeout + STALL_MARGIN:g} s (its declared timeout: {self.client_timeout:g} s)",
            outgoing,
            mock,
        )
        _require(
            bool(outcome) and not outcome[0].ok,
            "the client reported success for a stalled send",
            outgoing,
            mock,
        )

    # helpers

    def _strategy(self, key: Hashable, build: Callable[[], st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
        """The strategy `build` gives, built once per test rather than once per example: hypothesis
        checks every strategy object it is given anew, at about the cost of drawing from it. (pytest
        makes an instance of the class for each test, so a strategy is never kept past its test.)"""
        strategies_built = self.__dict__.setdefault("_strategies_built", {})
        if key not in strategies_built:
            strategies_built[key] = build()
        return strategies_built[key]

    def _patience(self, request: pytest.FixtureRequest) -> AbstractContextManager[None]:
        """In process, the transport holds the client to the bound a socket's clock holds it to."""
        if self.transport != "inprocess":
            return nullcontext()
        transport: InProcessTransport = request.getfixturevalue("_smsmock_inprocess_transport")
        return transport.patience(self.client_timeout + STALL_MARGIN)

    def _run(self, result: Any) -> Any:
        """What an adapter method gave: its value, awaited first where it is a coroutine (async client)."""
        if not inspect.isawaitable(result):
            return result
        loop = getattr(self, "_event_loop", None)
        if loop is None:
            loop = self._event_loop = asyncio.new_event_loop()
        return loop.run_until_complete(result)

    def _close_event_loop(self) -> None:
        loop = getattr(self, "_event_loop", None)
        if loop is None:
            return
        self._event_loop = None
        if loop.is_running():
            # A client hung over a socket still awaits in the stall test's thread: stop it, leave it.
            loop.call_soon_threadsafe(loop.stop)
            return
        # As asyncio.run ends: what the client left running is cancelled, then the loop is closed.
        left = asyncio.all_tasks(loop)
        for task in left:
            task.cancel()
        if left:  # gather() of nothing would make its future on another loop
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()

    def _skip_unless(self, flag: str, reason: str) -> None:
        """Skip a test that needs an optional part of the adapter the user has not declared."""
        if not getattr(self, flag):
            pytest.skip(f"{reason}: set `{flag} = True` in {type(self).__name__} once `send` does")

    def _fresh(self, mock: SmsMock) -> None:
        mock.control.reset()
        mock.rules(DELIVERED_SOON)

    def _check_error_reply(self, mock: SmsMock, error: ErrorReply, outgoing: Outgoing) -> None:
        """After `error`, the client reports failure and sends no more requests than the document allows."""
        self._fresh(mock)
        error.arrange(mock)
        credentials = error.credentials(mock.credentials) if error.credentials else mock.credentials
        sent = self._send(mock, outgoing, credentials)
        accepted = [number for number, ok in (sent.accepted or {}).items() if ok]
        _require(
            not sent.ok and not accepted,
            f"after {error.name}, the client reports success ({'ok' if sent.ok else accepted})",
            outgoing,
            mock,
            error.section,
        )
        attempts = len(mock.journal)
        _require(
            attempts <= error.max_attempts,
            f"after {error.name}, the client sent {attempts} requests; the document allows "
            f"{error.max_attempts}",
            outgoing,
            mock,
            error.section,
        )

    def _send(self, mock: SmsMock, outgoing: Outgoing, credentials: Credentials) -> Sent:
        client = self._run(self.make_client(mock.base_url, credentials))
        try:
            return self._run(self.send(client, outgoing))
        except Exception:
            # A client that raises has reported failure, which is what an error reply calls for.
            return Sent(ok=False)


@dataclass(frozen=True)
class ErrorReply:
    """One documented error reply the suite provokes, and what the document allows after it."""

    name: str
    arrange: Callable[[SmsMock], Any]
    max_attempts: int = 1
    section: str = ""
    credentials: Callable[[Credentials], Credentials] | None = None

    def __repr__(self) -> str:
        return self.name


def wrong_password(credentials: Credentials) -> Credentials:
    return Credentials(credentials.username, credentials.password + "-wrong", credentials.api_key)


def wrong_api_key(credentials: Credentials) -> Credentials:
    return Credentials(credentials.username, credentials.password, (credentials.api_key or "") + "-wrong")


def section(dialect: str, operation: str) -> str:
    return document_section(dialect, operation)


def _distinct(numbers: list[str]) -> tuple[str, ...]:
    """The numbers with each destination once, as first written (`+41…` and `0041…` are one)."""
    kept: dict[str, str] = {}
    for number in numbers:
        kept.setdefault(normalise_number(number), number)
    return tuple(kept.values())


def _require_same_count(sent: Sent, received: Message, outgoing: Outgoing, mock: SmsMock) -> None:
    """A part count or cost the client shows must be the provider's."""
    if sent.parts is not None:
        parts = received.parts
        _require(
            sent.parts == parts,
            f"the client counts {sent.parts} part(s), the provider {parts}",
            outgoing,
            mock,
        )
    if sent.cost is not None:
        price = received.price
        _require(
            sent.cost == price, f"the client prices {sent.cost}, the provider charges {price}", outgoing, mock
        )


def _departures(mock: SmsMock) -> list[Violation]:
    """Every way the requests depart from their contracts, warnings included: the mock tolerates some
    departures (non-hex Unicode, unknown fields) that a real provider need not."""
    return [violation for exchange in mock.journal for violation in exchange.request_violations]


def _require(
    condition: bool, problem: str, outgoing: Outgoing, mock: SmsMock, where: str | None = None
) -> None:
    if condition:
        return
    lines = [problem, "", f"the user meant: {outgoing}"]
    for exchange in mock.journal:
        request = f"{exchange.method} {exchange.path}" + (f"?{exchange.query}" if exchange.query else "")
        lines.append(f"the client sent: {request}")
        if exchange.request_body:
            lines.append(f"  body: {exchange.request_body.decode('utf-8', 'replace')[:500]}")
        lines.append(
            f"  and got {exchange.status}: {exchange.response_body.decode('utf-8', 'replace')[:200]}"
        )
    for violation in _departures(mock):
        lines.append(f"the contract says: {violation}")
    if where:
        lines.append(f"see: {where}")
    raise ContractFailure("\n".join(lines))
