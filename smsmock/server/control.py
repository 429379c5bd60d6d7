"""The control API under /_smsmock/: inspect what was sent, steer the clock, outcomes and faults."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from smsmock.contracts import jsontext
from smsmock.core.accounts import Account, amount
from smsmock.core.clock import ClockRangeError, parse_moment, within_range
from smsmock.core.messages import Message
from smsmock.core.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, every
from smsmock.core.rules import SETTING as RULES_SETTING
from smsmock.core.rules import RuleError
from smsmock.core.stores import MessageQuery
from smsmock.server.metrics import exposition

if TYPE_CHECKING:
    from smsmock.contracts.journal import Exchange
    from smsmock.server.app import MockApp

CONTROL_PREFIX = "/_smsmock"


class ControlError(ValueError):
    """A control request that cannot be done; answered 400 (or `status`) with the reason."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Control:
    """Every control operation as a method, for Python callers; `dispatch` serves them over HTTP."""

    def __init__(self, app: MockApp) -> None:
        self.app = app
        self._routes: dict[tuple[str, str], Callable[[Request, list[str]], Any]] = {
            ("GET", ""): lambda request, rest: self.index(request.host_url),
            ("GET", "health"): lambda request, rest: {"status": "ok"},
            ("GET", "livez"): lambda request, rest: {"status": "ok"},
            ("GET", "readyz"): lambda request, rest: self.readiness(),
            ("GET", "metrics"): lambda request, rest: _metrics(self.app, request),
            ("GET", "messages"): self._http_messages,
            ("GET", "messages/*"): lambda request, rest: self.message(rest[0]),
            ("DELETE", "messages/*"): lambda request, rest: self.delete_message(rest[0]),
            ("POST", "inbound"): lambda request, rest: self.inject_inbound(**_inbound_fields(request)),
            ("GET", "clock"): lambda request, rest: self.clock(),
            ("POST", "clock/advance"): lambda request, rest: self.advance(
                _number(_body(request, {"seconds"}), "seconds")
            ),
            ("POST", "clock/next"): lambda request, rest: self.advance_to_next_event(),
            ("POST", "clock/set"): lambda request, rest: self.set_clock(**_body(request, {"at", "frozen"})),
            ("POST", "clock/freeze"): lambda request, rest: self.freeze(),
            ("POST", "clock/unfreeze"): lambda request, rest: self.unfreeze(),
            ("GET", "journal"): self._http_journal,
            ("DELETE", "journal"): lambda request, rest: self.clear_journal(),
            ("GET", "accounts"): lambda request, rest: self.accounts(),
            ("POST", "accounts"): lambda request, rest: self.put_account(_body(request)),
            ("POST", "accounts/*/balance"): lambda request, rest: self.set_balance(
                rest[0], _body(request, {"balance"}).get("balance")
            ),
            ("GET", "rules"): lambda request, rest: self.app.backend.rules.as_list(),
            ("POST", "rules"): lambda request, rest: self.load_rules(_body(request)),
            ("GET", "faults"): lambda request, rest: [fault.as_dict() for fault in self.app.faults.all()],
            ("POST", "faults"): lambda request, rest: self.add_fault(_body(request)),
            ("DELETE", "faults"): lambda request, rest: self.clear_faults(),
            ("DELETE", "faults/*"): lambda request, rest: self.clear_faults(_whole(rest[0], "fault id")),
            ("GET", "webhooks"): lambda request, rest: self.webhook_attempts(request.args.get("messageId")),
            ("POST", "reset"): lambda request, rest: self.reset(),
        }

    def dispatch(self, request: Request, path: str, method: str | None = None) -> Response:
        """Serve one control request; `method` stands in for the request's (HEAD is served as GET)."""
        method = method or request.method
        if method not in _READS and (foreign := _foreign_origin(request)) is not None:
            return _reply(403, {"error": "cross-origin request refused", "message": foreign})
        segments = [segment for segment in path.split("/") if segment]
        handler, rest = self._route(method, segments)
        if handler is None:
            allowed = self.allowed_methods(path)
            if allowed:
                response = _reply(
                    405, {"error": "method not allowed", "message": f"{path} takes {', '.join(allowed)}"}
                )
                response.headers["Allow"] = ", ".join(allowed)
                return response
            return _reply(404, {"error": "not found", "message": f"no control operation {method} {path}"})
        try:
            answer = handler(request, rest)
            # A handler that picks its own media type (the journal as HAR or JSON Lines) answers itself.
            return answer if isinstance(answer, Response) else _reply(200, answer)
        except ControlError as problem:
            return _reply(problem.status, {"error": "bad request", "message": str(problem)})
        except (ValueError, TypeError, KeyError) as problem:
            return _reply(400, {"error": "bad request", "message": str(problem)})

    def index(self, root: str) -> dict[str, Any]:
        """What this mock serves under `root`: each dialect's base URL, the inbox, every control
        operation, and where each is described."""
        root = root.rstrip("/")
        return {
            "smsmock": "a stateful mock of five SMS provider HTTP APIs",
            "dialects": {name: url for name, url in self.app.base_urls(root).items() if name != "control"},
            "inbox": None if self.app.inbox is None else f"{root}/",
            "control": [
                {"method": method, "path": f"{CONTROL_PREFIX}/{pattern.replace('*', '{id}')}".rstrip("/")}
                for method, pattern in self._routes
            ],
            "docs": {
                "control": "README.md, section 'Control API' (in the sdist and on the project page)",
                "openapi": "smsmock openapi --dialect NAME writes a dialect's OpenAPI 3.1 document",
                "help": "smsmock --help",
            },
        }

    def allowed_methods(self, path: str) -> list[str]:
        """The methods a control path takes (HEAD beside GET, OPTIONS everywhere); empty if none."""
        segments = [segment for segment in path.split("/") if segment]
        methods = {method for method in ("GET", "POST", "DELETE") if self._route(method, segments)[0]}
        if not methods:
            return []
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods | {"OPTIONS"})

    def readiness(self) -> dict[str, Any]:
        """Ready when the store answers; a store that cannot is a 503, so a load balancer stops sending."""
        try:
            stats = self.app.backend.store.stats()
        except Exception as problem:
            raise ControlError(f"the store does not answer: {problem}", status=503) from None
        return {"status": "ready", "store": type(self.app.backend.store).__name__, "messages": stats.messages}

    def _route(self, method: str, segments: list[str]) -> tuple[Any, list[str]]:
        for (route_method, pattern), handler in self._routes.items():
            parts = pattern.split("/") if pattern else []
            if route_method != method or len(parts) != len(segments):
                continue
            wildcards = [seg for part, seg in zip(parts, segments, strict=True) if part == "*"]
            if all(part in ("*", seg) for part, seg in zip(parts, segments, strict=True)):
                return handler, wildcards
        return None, []

    # messages

    def messages(
        self,
        *,
        dialect: str | None = None,
        account: str | None = None,
        to: str | None = None,
        status: str | None = None,
        sender: str | None = None,
        text: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every sent message that matches, newest first, read page by page.

        `to` is compared as normalised digits; `status` matches a status name or a status group;
        `sender` and `text` match a part of the sender id and of the text (a binary message's hex), in
        any case (Unicode case folding: `strasse` finds `Straße`).
        """

        def page(cursor: int | None) -> Page[Message]:
            query = MessageQuery(dialect, account, to, status, sender, text, limit=MAX_LIMIT, before=cursor)
            return self.app.backend.message_page(query)

        return [message.as_dict() for message in every(page)]

    def messages_page(
        self,
        *,
        dialect: str | None = None,
        account: str | None = None,
        to: str | None = None,
        status: str | None = None,
        sender: str | None = None,
        text: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: int | None = None,
    ) -> dict[str, Any]:
        """One page of the sent messages that match (the filters of `messages`), newest first: `items`,
        `total` and `nextCursor`."""
        query = MessageQuery(
            dialect, account, to, status, sender, text, limit=_page_size(limit), before=cursor
        )
        page = self.app.backend.message_page(query)
        return _page_reply(page, [message.as_dict() for message in page.items])

    def _http_messages(self, request: Request, rest: list[str]) -> dict[str, Any]:
        return self.messages_page(**_listing(request, MESSAGE_FILTERS))

    def message(self, message_id: str) -> dict[str, Any]:
        self.app.backend.tick()
        found = self.app.backend.store.message(message_id)
        if found is None:
            raise ControlError(f"no message {message_id!r}", status=404)
        return {**found.as_dict(), "webhooks": self.webhook_attempts(message_id)}

    def delete_message(self, message_id: str) -> dict[str, Any]:
        """Delete a message as its account holder would in the provider's panel: its report is gone."""
        found = self.app.backend.delete_message(message_id)
        if found is None:
            raise ControlError(f"no message {message_id!r}", status=404)
        return found.as_dict()

    def webhook_attempts(self, message_id: str | None = None) -> list[dict[str, Any]]:
        return [attempt.as_dict() for attempt in self.app.backend.store.attempts(message_id)]

    # inbound

    def inject_inbound(
        self,
        *,
        sender: str,
        to: str,
        text: str,
        dialect: str = "shortlink",
        account: str | None = None,
        keyword: str | None = None,
    ) -> dict[str, Any]:
        """A mobile-originated message from `sender` to `to`, waiting to be pulled once."""
        if dialect not in self.app.dialects:
            raise ControlError(f"unknown dialect {dialect!r}; expected one of {', '.join(self.app.dialects)}")
        owner = self.account(account)
        message = self.app.backend.inject_inbound(
            owner,
            dialect,
            sender=str(sender),
            to=str(to),
            text=str(text),
            keyword=None if keyword is None else str(keyword),
        )
        return message.as_dict()

    # clock

    def clock(self) -> dict[str, Any]:
        clock = self.app.clock
        return {"now": clock.now().isoformat(timespec="milliseconds"), "frozen": clock.frozen}

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the clock forward and run what falls due."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ControlError("seconds must be a finite number, not negative")
        try:
            self.app.clock.advance(seconds)
        except ClockRangeError as problem:
            raise ControlError(str(problem)) from None
        ran = self.app.backend.tick()
        return {**self.clock(), "ran": ran}

    def advance_to_next_event(self) -> dict[str, Any]:
        """Run what is due, then move the clock to the next event (a send, a delivery, an expiry, a
        callback) and run it."""
        ran = self.app.backend.tick()
        upcoming = self.app.backend.store.next_due()
        if upcoming is None:
            return {**self.clock(), "ran": ran}
        moved = self.advance(max(0.0, upcoming - self.app.clock.timestamp()))
        return {**moved, "ran": moved["ran"] + ran}

    def set_clock(self, at: str | None = None, frozen: bool | None = None) -> dict[str, Any]:
        if at is not None:
            try:
                moment = parse_moment(str(at))
            except ValueError:
                raise ControlError(f"at must be an ISO-8601 date-time, not {at!r}") from None
            try:
                moment = within_range(moment, f"at {at!r}")
                if moment.timestamp() < self.app.clock.timestamp():
                    raise ControlError("the clock only moves forward; reset the mock to start over")
            except (ClockRangeError, OverflowError) as problem:
                raise ControlError(str(problem)) from None
            self.app.clock.set(moment)
        if frozen is True:
            self.app.clock.freeze()
        elif frozen is False:
            self.app.clock.unfreeze()
        return {**self.clock(), "ran": self.app.backend.tick()}

    def freeze(self) -> dict[str, Any]:
        self.app.clock.freeze()
        return self.clock()

    def unfreeze(self) -> dict[str, Any]:
        self.app.clock.unfreeze()
        return self.clock()

    # journal

    def journal(
        self, *, dialect: str | None = None, operation: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Every recorded exchange that matches (the newest `limit` of them), oldest first."""
        return [entry.as_dict() for entry in self._journal_entries(dialect, operation, limit)]

    def journal_page(
        self,
        *,
        dialect: str | None = None,
        operation: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: int | None = None,
    ) -> dict[str, Any]:
        """One page of the recorded exchanges that match, newest first: `items`, `total` and `nextCursor`."""
        journal = self.app.journal
        page = journal.page(dialect=dialect, operation=operation, limit=_page_size(limit), before=cursor)
        return _page_reply(page, [entry.as_dict() for entry in page.items])

    def journal_har(
        self,
        base_url: str,
        *,
        dialect: str | None = None,
        operation: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """The journal as a HAR 1.2 document, its URLs under `base_url` (the server's root)."""
        from smsmock.checks.har import har_log

        return har_log(self._journal_entries(dialect, operation, limit), base_url)

    def _journal_entries(
        self, dialect: str | None, operation: str | None, limit: int | None
    ) -> list[Exchange]:
        """The matching exchanges, oldest first: every one, or the newest `limit`; read page by page."""
        journal = self.app.journal
        newest = every(
            lambda cursor: journal.page(dialect=dialect, operation=operation, limit=MAX_LIMIT, before=cursor)
        )
        entries = list(islice(newest, limit))
        entries.reverse()
        return entries

    def _http_journal(self, request: Request, rest: list[str]) -> Any:
        from smsmock.checks.har import HAR_MEDIA_TYPE, JSONL_MEDIA_TYPE, jsonl

        form = request.args.get("format", "json")
        if form == "json":
            return self.journal_page(**_listing(request, JOURNAL_FILTERS, also=("format",)))
        wanted = _export(request)
        if form == "jsonl":
            text = jsonl(self._journal_entries(**wanted))
            return Response(text, status=200, content_type=f"{JSONL_MEDIA_TYPE}; charset=utf-8")
        if form == "har":
            document = self.journal_har(request.host_url, **wanted)
            return Response(json.dumps(document, ensure_ascii=False), status=200, content_type=HAR_MEDIA_TYPE)
        raise ControlError(f"format must be json, jsonl or har, not {form!r}")

    def clear_journal(self) -> dict[str, Any]:
        self.app.journal.clear()
        return {"cleared": True}

    # accounts and rules

    def accounts(self) -> list[dict[str, Any]]:
        accounts = self.app.backend.accounts
        return [accounts.as_dict(account) for account in accounts.all()]

    def put_account(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        """Add an account, or replace the one of the same name."""
        account = Account.from_mapping(entry)
        self.app.backend.accounts.put(account)
        return self.app.backend.accounts.as_dict(account)

    def balance(self, name: str | None = None) -> Decimal:
        """What is left of an account's balance (the default account's without a name)."""
        return self.app.backend.accounts.balance(self.account(name))

    def set_balance(self, name: str, balance: Any) -> dict[str, Any]:
        account = self.account(name)
        if balance is None:
            raise ControlError("balance is required")
        self.app.backend.accounts.set_balance(account, amount(balance, "balance"))
        return self.app.backend.accounts.as_dict(account)

    def load_rules(self, rules: Mapping[str, Any]) -> list[dict[str, Any]]:
        try:
            self.app.config.rules.extended(rules)  # refused here, before any process takes them in
            self.app.settings.change(RULES_SETTING, lambda loaded: dict(rules))
        except RuleError as problem:
            raise ControlError(str(problem)) from None
        return self.app.backend.rules.as_list()

    def account(self, name: str | None = None) -> Account:
        accounts = self.app.backend.accounts
        # Without a name: the account called "default", else the first one configured.
        found = accounts.get(name) if name else accounts.get("default") or accounts.all()[0]
        if found is None:
            raise ControlError(f"no account {name!r}", status=404)
        return found

    # faults

    def add_fault(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        dialect = spec.get("dialect")
        if dialect is not None and dialect not in self.app.dialects:
            raise ControlError(f"unknown dialect {dialect!r}; expected one of {', '.join(self.app.dialects)}")
        code = spec.get("code")
        if isinstance(code, int) and not isinstance(code, bool) and dialect is not None:
            codes = self.app.dialects[dialect].fault_codes
            if code not in codes:
                offered = ", ".join(str(item) for item in sorted(codes)) or "none"
                raise ControlError(f"{dialect} has no error code {code!r} to inject; its codes: {offered}")
        return self.app.faults.add(spec).as_dict()

    def clear_faults(self, fault_id: int | None = None) -> dict[str, Any]:
        self.app.faults.clear(fault_id)
        return {"faults": [fault.as_dict() for fault in self.app.faults.all()]}

    # everything

    def reset(self) -> dict[str, Any]:
        """Back to the configured start state: accounts, rules, clock, messages, journal, faults."""
        config = self.app.config
        backend = self.app.backend
        backend.reset()  # the store's shared settings go with everything else
        backend.accounts.rebase(config.accounts)
        backend.rules = config.rules
        self.app.settings.refresh()
        self.app.clock.reset()
        if config.clock_frozen:
            self.app.clock.freeze()
        if config.clock_start is not None:
            self.app.clock.set(config.clock_start)
        self.app.journal.clear()
        self.app.faults.clear()
        return {"status": "reset"}


_READS = ("GET", "HEAD", "OPTIONS")


def _foreign_origin(request: Request) -> str | None:
    """Why a state-changing request comes from another site's page, or None when it may go on.

    A browser names the page that made a request (`Origin`, `Sec-Fetch-Site`); any page the person
    has open could otherwise reset the mock or inject messages. A request with neither header comes
    from no page (curl, tests, the pytest plugin) and is taken.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        if request.headers.get("Sec-Fetch-Site") == "cross-site":
            return "a page of another site may not change this mock (Sec-Fetch-Site: cross-site)"
        return None
    host = request.host.lower()
    try:
        # Only the host and port are compared: behind a TLS proxy the scheme the mock sees differs.
        if origin != "null" and urlsplit(origin).netloc.lower() == host:
            return None
    except ValueError:
        pass  # not a URL: no page of this mock's
    return (
        f"a page of {origin} may not change this mock: state-changing control requests are taken from"
        f" the mock's own pages ({host}) or from clients that send no Origin header (curl, tests)"
    )


def _metrics(app: MockApp, request: Request) -> Response:
    body, media_type = exposition(app, request.headers.get("Accept", ""))
    return Response(body, status=200, content_type=media_type)


def _reply(status: int, value: Any) -> Response:
    return Response(jsontext.dumps(value, ensure_ascii=False), status=status, content_type="application/json")


def _body(request: Request, fields: set[str] | None = None) -> dict[str, Any]:
    """The JSON object a control request carries; with `fields`, any other field is refused."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        value = jsontext.loads(raw)
    except jsontext.JSONRefused as problem:
        raise ControlError(str(problem)) from None
    if not isinstance(value, dict):
        raise ControlError("the body must be a JSON object")
    unknown = set() if fields is None else set(value) - fields
    if unknown:
        raise ControlError(
            f"unknown field(s): {', '.join(sorted(unknown))}; expected {', '.join(sorted(fields or ()))}"
        )
    return value


def _inbound_fields(request: Request) -> dict[str, Any]:
    body = _body(request)
    missing = [name for name in ("from", "to", "text") if not body.get(name)]
    if missing:
        raise ControlError(f"missing field(s): {', '.join(missing)}")
    unknown = set(body) - {"from", "to", "text", "dialect", "account", "keyword"}
    if unknown:
        raise ControlError(f"unknown field(s): {', '.join(sorted(unknown))}")
    body["sender"] = body.pop("from")
    return body


def _number(body: Mapping[str, Any], name: str) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ControlError(f"{name} must be a number")
    return float(value)


def _whole(value: str, name: str) -> int:
    if not value.isdigit():
        raise ControlError(f"{name} must be a whole number, not {value!r}")
    return int(value)


MESSAGE_FILTERS = ("dialect", "account", "to", "status", "sender", "text")
JOURNAL_FILTERS = ("dialect", "operation")


def _listing(request: Request, filters: tuple[str, ...], also: tuple[str, ...] = ()) -> dict[str, Any]:
    """A listing's filters, `limit` and `cursor` from the query string; any other parameter is refused.

    An empty filter (`?dialect=`) is no filter.
    """
    args = request.args
    _refuse_unknown(args, {*filters, "limit", "cursor", *also})
    wanted: dict[str, Any] = {name: args.get(name) or None for name in filters}
    limit, cursor = args.get("limit"), args.get("cursor")
    wanted["limit"] = DEFAULT_LIMIT if limit is None else _limit(limit, MAX_LIMIT)
    wanted["cursor"] = None if cursor is None else _cursor(cursor)
    return wanted


def _export(request: Request) -> dict[str, Any]:
    """The journal export's filters and `limit` (the newest N): an export is every match, not a page."""
    args = request.args
    if "cursor" in args:
        raise ControlError("an export (format=jsonl or har) holds every matching exchange: no cursor")
    _refuse_unknown(args, {*JOURNAL_FILTERS, "limit", "format"})
    limit = args.get("limit")
    return {
        **{name: args.get(name) or None for name in JOURNAL_FILTERS},
        "limit": None if limit is None else _limit(limit, None),
    }


def _refuse_unknown(args: Mapping[str, str], known: set[str]) -> None:
    unknown = sorted(set(args) - known)
    if unknown:
        raise ControlError(f"unknown parameter(s): {', '.join(unknown)}; expected {', '.join(sorted(known))}")


def _limit(value: str, most: int | None) -> int:
    number = int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else 0
    if number < 1 or (most is not None and number > most):
        span = "of at least 1" if most is None else f"from 1 to {most}"
        raise ControlError(f"limit must be a whole number {span}, not {value!r}")
    return number


def _page_size(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ControlError(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {limit!r}")
    return limit


def _cursor(value: str) -> int:
    # Cursors are the sequence numbers of stored items; one that no page gave matches nothing newer.
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise ControlError(f"cursor must be the nextCursor of an earlier page, not {value!r}")
    return int(value)


def _page_reply(page: Page[Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    cursor = None if page.next_cursor is None else str(page.next_cursor)
    return {"items": items, "total": page.total, "nextCursor": cursor}
