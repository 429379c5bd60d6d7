"""`SmsMock`: what a test holds of the mock — where it lives, what was sent, and the levers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from smsmock.contracts.journal import Exchange
from smsmock.contracts.validation import Severity, Violation
from smsmock.core.messages import Message
from smsmock.core.paging import MAX_LIMIT, every
from smsmock.core.rules import normalise_number
from smsmock.core.stores import MessageQuery
from smsmock.server.app import MockApp

if TYPE_CHECKING:
    import httpx

    from smsmock.plugin.inprocess import InProcessTransport

CLOSEST_SHOWN = 3
"""How many near misses a failed `assert_sent` lists."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """The default account's credentials, in every form the dialects ask for."""

    username: str
    password: str
    api_key: str | None


@dataclass(frozen=True, slots=True)
class ContractViolation:
    """A request the mock received that breaks its dialect's contract."""

    exchange: Exchange
    violation: Violation

    def __str__(self) -> str:
        request = f"{self.exchange.method} {self.exchange.path}"
        if self.exchange.query:
            request += f"?{self.exchange.query}"
        return f"{self.exchange.dialect} {self.exchange.operation} ({request}): {self.violation}"


class SmsMock:
    """One test's view of a running mock: base URLs, credentials, outbox, assertions, clock and faults.

    Every test starts from the configured state: no messages, the configured accounts and rules, and
    (unless the test asks otherwise) a frozen clock that moves only when the test advances it.
    """

    def __init__(
        self,
        app: MockApp,
        root: str,
        dialect: str | None = None,
        *,
        in_process: InProcessTransport | None = None,
    ) -> None:
        self.app = app
        self.control = app.control
        self.url = root.rstrip("/")
        self.dialect = dialect
        self.expects_violations = False
        self._in_process = in_process

    # where the mock is

    @property
    def urls(self) -> dict[str, str]:
        """The base URL of every dialect (and of the control API)."""
        return self.app.base_urls(self.url)

    @property
    def base_url(self) -> str:
        """The base URL of the test's dialect (the `smsmock(dialect=...)` marker)."""
        if self.dialect is None:
            raise AttributeError("no dialect chosen: mark the test @pytest.mark.smsmock(dialect='...')")
        return self.urls[self.dialect]

    @property
    def credentials(self) -> Credentials:
        account = self.control.account()
        return Credentials(account.username, account.password, account.api_key)

    # httpx clients that reach the mock, in process or over its socket (httpx is imported only here:
    # it would add to the start-up of every test run)

    def httpx_transport(self) -> httpx.BaseTransport:
        """The transport to give an `httpx.Client` (`transport=`, or `mounts=` for the mock's URL alone):
        in process, one that hands every request to the mock; over a socket, httpx's own."""
        import httpx

        return httpx.HTTPTransport() if self._in_process is None else self._in_process.httpx_transport()

    def httpx_async_transport(self) -> httpx.AsyncBaseTransport:
        """The same for an `httpx.AsyncClient`."""
        import httpx

        if self._in_process is None:
            return httpx.AsyncHTTPTransport()
        return self._in_process.httpx_async_transport()

    def httpx_client(self, **options: Any) -> httpx.Client:
        """An `httpx.Client` bound to the mock: `base_url` is its root (`self.url`), and in process its
        transport is the mock. Options are httpx's own, and win (`base_url=mock.base_url`, `auth=`)."""
        import httpx

        return httpx.Client(**{"base_url": self.url, "transport": self.httpx_transport(), **options})

    def httpx_async_client(self, **options: Any) -> httpx.AsyncClient:
        """An `httpx.AsyncClient` bound to the mock, as `httpx_client` binds an `httpx.Client`."""
        import httpx

        return httpx.AsyncClient(
            **{"base_url": self.url, "transport": self.httpx_async_transport(), **options}
        )

    # what was sent

    def outbox(
        self,
        *,
        to: str | None = None,
        dialect: str | None = None,
        account: str | None = None,
        sender: str | None = None,
        text_contains: str | None = None,
        status: str | None = None,
    ) -> list[Message]:
        """Messages sent during the test, oldest first, optionally filtered."""
        wanted = MessageQuery(
            dialect=dialect, account=account, to=to, status=None if status is None else str(status)
        )
        criteria = _criteria(sender=sender, text_contains=text_contains)
        return [message for message in self._sent(wanted) if all(check(message) for _, check, _ in criteria)]

    def assert_sent(
        self,
        *,
        to: str | None = None,
        text: str | None = None,
        text_contains: str | None = None,
        sender: str | None = None,
        encoding: str | None = None,
        parts: int | None = None,
        dialect: str | None = None,
        account: str | None = None,
        status: str | None = None,
        count: int | None = None,
    ) -> list[Message]:
        """The sent messages matching every criterion given; fails, showing the closest, if none do.

        With `count`, exactly that many must match.
        """
        criteria = _criteria(
            to=to,
            text=text,
            text_contains=text_contains,
            sender=sender,
            encoding=encoding,
            parts=parts,
            dialect=dialect,
            account=account,
            status=status,
        )
        sent = self._sent()
        matched = [message for message in sent if all(check(message) for _, check, _ in criteria)]
        if matched and (count is None or len(matched) == count):
            return matched
        wanted = ", ".join(f"{name}={value!r}" for name, _, value in criteria) or "anything"
        if matched:
            raise AssertionError(f"expected {count} message(s) with {wanted}, {len(matched)} were sent")
        raise AssertionError(f"no message sent with {wanted}\n{_near_misses(sent, criteria)}")

    def assert_nothing_sent(self) -> None:
        sent = self._sent()
        if sent:
            shown = "\n".join(f"  - {_describe(message)}" for message in sent[:CLOSEST_SHOWN])
            more = f"\n  ... and {len(sent) - CLOSEST_SHOWN} more" if len(sent) > CLOSEST_SHOWN else ""
            raise AssertionError(f"expected no message, {len(sent)} were sent:\n{shown}{more}")

    def _sent(self, query: MessageQuery | None = None) -> list[Message]:
        """The stored messages that match (every one without a query), oldest first, read page by page."""
        backend, wanted = self.app.backend, query or MessageQuery()
        found = list(
            every(lambda cursor: backend.message_page(replace(wanted, limit=MAX_LIMIT, before=cursor)))
        )
        found.reverse()
        return found

    # contract violations

    @property
    def journal(self) -> list[Exchange]:
        """Every request the mock answered during the test, with its reply, oldest first."""
        journal = self.app.journal
        found = list(every(lambda cursor: journal.page(limit=MAX_LIMIT, before=cursor)))
        found.reverse()
        return found

    @property
    def violations(self) -> list[ContractViolation]:
        """Errors of the requests received during the test against their contracts."""
        return [
            ContractViolation(exchange, violation)
            for exchange in self.journal
            for violation in exchange.request_violations
            if violation.severity is Severity.ERROR
        ]

    def expect_violations(self) -> None:
        """The test sends requests that break the contract on purpose: do not fail it for them."""
        self.expects_violations = True

    # levers

    def advance(self, seconds: float) -> None:
        """Move the mock's clock forward and run what falls due (deliveries, expiries, callbacks)."""
        self.control.advance(seconds)

    @property
    def now(self) -> datetime:
        return self.app.clock.now()

    def rules(self, rules: Mapping[str, Any]) -> None:
        """Add outcome rules for the rest of the test, tried before the test's own (`default`, `rules`,
        and `replace: true` to drop the others, as in the YAML)."""
        self.control.load_rules(rules)

    def fault(self, **spec: Any) -> dict[str, Any]:
        """Inject a fault: `delay`, `status`, `drop`, `malformed` or a dialect's `code`, for `times`."""
        return self.control.add_fault(spec)

    def set_balance(self, balance: Decimal | float | str, account: str | None = None) -> None:
        self.control.set_balance(account or self.control.account().name, balance)

    def inject_inbound(
        self, *, sender: str, to: str, text: str, dialect: str | None = None
    ) -> dict[str, Any]:
        """A mobile-originated message arrives for the test's dialect (or the one named)."""
        return self.control.inject_inbound(
            sender=sender, to=to, text=text, dialect=dialect or self.dialect or "shortlink"
        )


Criterion = tuple[str, Callable[[Message], bool], Any]


def _criteria(**wanted: Any) -> list[Criterion]:
    """(name, check, value) for every criterion given a value."""
    checks: dict[str, Callable[[Any], Callable[[Message], bool]]] = {
        "to": lambda value: lambda m: normalise_number(m.to) == normalise_number(value),
        "text": lambda value: lambda m: m.text == value,
        "text_contains": lambda value: lambda m: m.text is not None and value in m.text,
        "sender": lambda value: lambda m: m.sender == value,
        "encoding": lambda value: lambda m: m.encoding == str(value).upper(),
        "parts": lambda value: lambda m: m.parts == value,
        "dialect": lambda value: lambda m: m.dialect == value,
        "account": lambda value: lambda m: m.account == value,
        "status": lambda value: lambda m: str(value).upper() in (m.status.name, m.status.group_name),
    }
    return [(name, checks[name](value), value) for name, value in wanted.items() if value is not None]


def _near_misses(sent: list[Message], criteria: list[Criterion]) -> str:
    if not sent:
        return "nothing was sent at all"
    scored = sorted(sent, key=lambda message: -sum(check(message) for _, check, _ in criteria))
    lines = [f"{len(sent)} message(s) were sent; the closest:"]
    for message in scored[:CLOSEST_SHOWN]:
        misses = [f"{name} is {_field(message, name)!r}" for name, check, _ in criteria if not check(message)]
        lines.append(f"  - {_describe(message)}\n      differs: {'; '.join(misses)}")
    return "\n".join(lines)


def _field(message: Message, name: str) -> Any:
    return {
        "text_contains": message.text,
        "status": message.status.name,
        "sender": message.sender,
    }.get(name, getattr(message, name, None))


def _describe(message: Message) -> str:
    text = message.text if message.text is not None else f"<binary {message.binary_hex}>"
    return (
        f"{message.dialect} to {message.to} from {message.sender!r}: {text!r} "
        f"({message.encoding}, {message.parts} part(s), {message.status.name})"
    )
