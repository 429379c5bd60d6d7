"""The control API under /_smsmock/: inspect what was sent, steer the clock, outcomes and faults."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from smsmock.core.accounts import Account, Accounts, amount
from smsmock.core.rules import OutcomeRules, RuleError, normalise_number

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
            ("GET", "health"): lambda request, rest: {"status": "ok"},
            ("GET", "messages"): self._http_messages,
            ("GET", "messages/*"): lambda request, rest: self.message(rest[0]),
            ("DELETE", "messages/*"): lambda request, rest: self.delete_message(rest[0]),
            ("POST", "inbound"): lambda request, rest: self.inject_inbound(**_inbound_fields(request)),
            ("GET", "clock"): lambda request, rest: self.clock(),
            ("POST", "clock/advance"): lambda request, rest: self.advance(
                _number(_body(request, {"seconds"}), "seconds")
            ),
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

    def dispatch(self, request: Request, path: str) -> Response:
        segments = [segment for segment in path.split("/") if segment]
        handler, rest = self._route(request.method, segments)
        if handler is None:
            return _reply(
                404, {"error": "not found", "message": f"no control operation {request.method} {path}"}
            )
        try:
            answer = handler(request, rest)
            # A handler that picks its own media type (the journal as HAR or JSON Lines) answers itself.
            return answer if isinstance(answer, Response) else _reply(200, answer)
        except ControlError as problem:
            return _reply(problem.status, {"error": "bad request", "message": str(problem)})
        except (ValueError, TypeError, KeyError) as problem:
            return _reply(400, {"error": "bad request", "message": str(problem)})

    def _route(self, method: str, segments: list[str]) -> tuple[Any, list[str]]:
        for (route_method, pattern), handler in self._routes.items():
            parts = pattern.split("/")
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
    ) -> list[dict[str, Any]]:
        """Sent messages, newest first; `status` matches a status name or a status group."""
        wanted_to = None if to is None else normalise_number(to)

        def accept(message: Any) -> bool:
            if dialect is not None and message.dialect != dialect:
                return False
            if account is not None and message.account != account:
                return False
            if wanted_to is not None and normalise_number(message.to) != wanted_to:
                return False
            return status is None or status.upper() in (message.status.name, message.status.group_name)

        return [message.as_dict() for message in self.app.backend.messages(accept)]

    def _http_messages(self, request: Request, rest: list[str]) -> list[dict[str, Any]]:
        args = request.args
        return self.messages(
            dialect=args.get("dialect"),
            account=args.get("account"),
            to=args.get("to"),
            status=args.get("status"),
        )

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
            self.app.clock.after(seconds)
        except (OverflowError, ValueError, OSError):
            raise ControlError(f"advancing {seconds} s takes the clock past the year 9999") from None
        self.app.clock.advance(seconds)
        ran = self.app.backend.tick()
        return {**self.clock(), "ran": ran}

    def set_clock(self, at: str | None = None, frozen: bool | None = None) -> dict[str, Any]:
        if at is not None:
            try:
                moment = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
            except ValueError:
                raise ControlError(f"at must be an ISO-8601 date-time, not {at!r}") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            if moment.timestamp() < self.app.clock.timestamp():
                raise ControlError("the clock only moves forward; reset the mock to start over")
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
        return [entry.as_dict() for entry in self._journal_entries(dialect, operation, limit)]

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
        entries = [
            entry
            for entry in self.app.journal.entries()
            if (dialect is None or entry.dialect == dialect)
            and (operation is None or entry.operation == operation)
        ]
        return entries[-limit:] if limit is not None else entries

    def _http_journal(self, request: Request, rest: list[str]) -> Any:
        from smsmock.checks.har import HAR_MEDIA_TYPE, JSONL_MEDIA_TYPE, jsonl

        limit = request.args.get("limit")
        wanted = {
            "dialect": request.args.get("dialect"),
            "operation": request.args.get("operation"),
            "limit": None if limit is None else _whole(limit, "limit"),
        }
        form = request.args.get("format", "json")
        if form == "json":
            return self.journal(**wanted)
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
        return [account.as_dict() for account in self.app.backend.accounts.all()]

    def put_account(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        """Add an account, or replace the one of the same name."""
        account = Account.from_mapping(entry)
        self.app.backend.accounts.put(account)
        return account.as_dict()

    def set_balance(self, name: str, balance: Any) -> dict[str, Any]:
        account = self.account(name)
        if balance is None:
            raise ControlError("balance is required")
        account.balance = amount(balance, "balance")
        return account.as_dict()

    def load_rules(self, rules: Mapping[str, Any]) -> list[dict[str, Any]]:
        try:
            self.app.backend.rules = OutcomeRules.from_mapping(rules)
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
        backend.reset()
        backend.accounts = Accounts(config.accounts)
        backend.rules = config.rules
        self.app.clock.reset()
        if config.clock_frozen:
            self.app.clock.freeze()
        if config.clock_start is not None:
            self.app.clock.set(config.clock_start)
        self.app.journal.clear()
        self.app.faults.clear()
        return {"status": "reset"}


def _reply(status: int, value: Any) -> Response:
    return Response(json.dumps(value, ensure_ascii=False), status=status, content_type="application/json")


def _body(request: Request, fields: set[str] | None = None) -> dict[str, Any]:
    """The JSON object a control request carries; with `fields`, any other field is refused."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as problem:
        raise ControlError(f"the body is not JSON: {problem}") from None
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
