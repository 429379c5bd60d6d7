"""The unified dialect: query or form parameters in, `code|destination|message id` lines out."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request

from smsmock.contracts import fastcheck
from smsmock.contracts.catalog import code_tables, inlined_schema, operations
from smsmock.contracts.params import Params, decode_params
from smsmock.contracts.validation import Severity, Violation, errors, validate
from smsmock.core.accounts import Account
from smsmock.core.backend import MAX_VALIDITY_MINUTES, Backend, Callback
from smsmock.core.commands import Submission
from smsmock.core.messages import Message
from smsmock.core.rules import normalise_number
from smsmock.dialects.wire import FORM, JSON, Reply, json_body, media_type
from smsmock.encoding import Encoding, Profile, TooManyParts, default_charset, dialect_profiles, measure
from smsmock.resources import schemas_dir

REPLY_CONTENT_TYPE = "text/plain; charset=utf-8"
REPORT_CONTENT_TYPE = JSON
"""The delivery reports POSTed to an account's report_url are JSON (errata unified-dlr-callback)."""
DUPLICATE_WINDOW = timedelta(minutes=10)
"""How long the same text from the same source to the same number is a duplicate (1041) on the mock's
clock (errata unified-duplicate-message)."""
ADDRESS_CHECK = "address:"
"""The prefix of a request check on the client's IP address; what follows is what `Account.refuses` says."""
_UNUSABLE = frozenset({"required", "minLength", "type"})
"""Contract breaches that mean a parameter was not provided, left blank (minLength) or given twice (a
list, not a string): the request check `parameters`, 1702."""
_LINE_BREAKING = re.compile(r"[|\r\n]")
_LATEST_SEND = datetime.max.replace(tzinfo=timezone.utc) - timedelta(minutes=MAX_VALIDITY_MINUTES)
"""A later scheduled time leaves no room for the message's validity before the calendar ends."""


class _Refused(Exception):
    """A request-level check failed: the reply is the bare code and nothing is sent."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass(slots=True)
class _Order:
    """What one request asks for, decoded: one text from one source to a list of destinations."""

    operation: str
    values: dict[str, str]
    """The parameters given once, under the contract's names."""
    violations: list[Violation]
    unusable: bool = False
    broken: set[str] = field(default_factory=set)
    """Parameters that break the contract or smsmock's own reading of them."""
    kind: dict[str, Any] | None = None
    """The request's row of the message type table."""
    text: str | None = None
    send_at: datetime | None = None

    @property
    def destinations(self) -> list[str]:
        return self.values["destination"].split(",")


class Unified:
    """Routes, request checks and plain-text replies of the unified document."""

    name = "unified"

    def __init__(self) -> None:
        tables = code_tables(self.name)
        self._success = next(row["code"] for row in tables["error_codes"].rows if row["success"])
        self.fault_codes: frozenset[int] = frozenset(
            row["code"] for row in tables["error_codes"].rows if not row["success"]
        )
        self._scopes = {row["code"]: row["scope"] for row in tables["error_scopes_own"].rows}
        self._checks = [(row["check"], row["code"]) for row in tables["request_checks_own"].rows]
        self._rejections = {row["status"]: row["code"] for row in tables["rejection_codes_own"].rows}
        self._types = {str(row["type"]): row for row in tables["message_types"].rows}
        self._reports = {str(row["dlr"]): row["delivery_report"] for row in tables["dlr_values"].rows}
        self._profiles = dialect_profiles(self.name)
        self.operations = {name: op for name, op in operations(self.name).items() if op.paths}
        # The shared path with a scheduling parameter is `schedule` (errata unified-schedule-path).
        self._dispatch = next(
            (name, op.extra["dispatch_on_shared_path"])
            for name, op in self.operations.items()
            if "dispatch_on_shared_path" in op.extra
        )
        contracts = {name: inlined_schema(self.name, name, "request", "params") for name in self.operations}
        self._names = {name: frozenset(contract["properties"]) for name, contract in contracts.items()}
        self._required = {name: tuple(contract["required"]) for name, contract in contracts.items()}
        definitions = _definitions()
        self._destination = re.compile(definitions["DestinationList"]["pattern"])
        self._ucs2_hex = re.compile(definitions["Ucs2HexMessage"]["pattern"])
        self._sections = {item["title"]: item["x-section"] for item in definitions.values()}

    def routes(self) -> list[tuple[str, tuple[str, ...], str]]:
        """Each path once: the shared path belongs to the operation that documents it first."""
        shared = self._dispatch[1]["path"]
        return [
            (path, op.methods, name)
            for name, op in self.operations.items()
            for path in op.paths
            if not (path == shared and name == self._dispatch[0])
        ]

    # one request

    def handle(self, operation: str, request: Request, backend: Backend) -> tuple[Reply, list[Violation]]:
        """Answer one request; the second item is what the request breaks of its contract."""
        params = self._params(request)
        operation = self._operation(request, operation, params)
        violations = self._contract_violations(operation, params)
        order = self._decode(operation, request, params, violations)
        try:
            account = self._admit(order, request, backend)
        except _Refused as refused:
            return self._reply(operation, str(refused.code)), violations
        lines = [self._line(message) for message in self._send(order, account, backend)]
        return self._reply(operation, "\n".join(lines)), violations

    def fault_reply(self, operation: str, request: Request, code: int) -> Reply:
        """The reply an injected code gives: bare for a request-level code, else one line per destination."""
        params = self._params(request)
        operation = self._operation(request, operation, params)
        destinations = self._by_contract_name(operation, params).get("destination")
        if self._scopes.get(code) == "destination" and isinstance(destinations, str):
            body = "\n".join(f"{code}|{_echo(destination)}|" for destination in destinations.split(","))
        else:
            body = str(code)
        return self._reply(operation, body)

    def _params(self, request: Request) -> Params:
        """The query, with a form body's parameters over it (errata unified-form-and-query)."""
        params = decode_params(request.query_string)
        if media_type(request.headers.get("Content-Type")) == FORM:
            params.update(decode_params(request.get_data(cache=True)))
        return params

    def _operation(self, request: Request, operation: str, params: Params) -> str:
        scheduled, rule = self._dispatch
        if request.path.rstrip("/") == rule["path"]:
            named = {name.lower().removesuffix("[]") for name in params}
            if named & set(rule["when_any_param"]):
                return scheduled
        return operation

    def _by_contract_name(self, operation: str, params: Params) -> Params:
        """Parameters under the contract's names; one given under two spellings becomes a list, as if
        given twice."""
        named: dict[str, list[str]] = {}
        for name, value in params.items():
            values = value if isinstance(value, list) else [value]
            named.setdefault(self._contract_name(operation, name), []).extend(values)
        return {name: values[0] if len(values) == 1 else values for name, values in named.items()}

    def _contract_name(self, operation: str, name: str) -> str:
        """The name `validate()` reads a parameter as: `Message` and `message[]` are `message`."""
        known = self._names[operation]
        if name.endswith("[]") and name[:-2] in known:
            return name[:-2]
        if name in known or name.lower() not in known:
            return name
        return name.lower()

    def _contract_violations(self, operation: str, params: Params) -> list[Violation]:
        if fastcheck.conforms(self.name, operation, "request", "params", params):
            return []
        return validate(self.name, operation, "request", params)

    # reading the parameters

    def _decode(
        self, operation: str, request: Request, params: Params, violations: list[Violation]
    ) -> _Order:
        """The request's values, and which parameters are unusable or broken; the checks come later."""
        named = self._by_contract_name(operation, params)
        values = {name: value for name, value in named.items() if isinstance(value, str)}
        order = _Order(operation, values, violations)
        # Blank is 1702 whatever the contract says of the empty string (a pattern, an enum).
        order.unusable = any(values.get(name) == "" for name in self._required[operation])
        for violation in errors(violations):
            order.unusable = order.unusable or violation.keyword in _UNUSABLE
            order.broken.add(violation.location.split("[", 1)[0])
        for name in ("username", "password"):
            if name in values and not _printable(values[name]):
                self._break(order, name, "printable characters", values[name])
        for name in ("source", "date", "time", "gmt"):
            # The contract's patterns end in `$`, which lets one trailing line break through.
            if values.get(name, "").endswith("\n"):
                self._break(order, name, "no line break", values[name])
        kind = self._types.get(values.get("type", ""))
        if kind is None or kind["reserved"]:
            order.broken.add("type")  # errata unified-type-3-reserved: the contract lets 3 pass
        else:
            order.kind = kind
            if "message" in values:
                self._read_message(order, request)
        if operation == self._dispatch[0]:
            self._read_schedule(order)
        return order

    def _read_message(self, order: _Order, request: Request) -> None:
        """The text the client meant, by the message type (errata unified-message-invalid)."""
        assert order.kind is not None
        encoding = order.kind["encoding"]
        octets = self._message_octets(request, order.operation)
        try:
            text = octets.decode("utf-8")
        except UnicodeDecodeError:
            if encoding != "latin1":
                self._break(order, "message", "URL-UTF-8 encoded text", octets.decode("latin-1"))
                return
            # Types 5 and 7 name ISO-8859-1: a client may have percent-encoded that charset's octets.
            text = octets.decode("latin-1")
            order.violations.append(
                self._violation("message", "encoding", "URL-UTF-8 encoded text", text, Severity.WARNING)
            )
        if encoding == "ucs2":
            text = self._read_ucs2(order, text)
            if text is None:
                return
        else:
            self._check_alphabet(order, text)
        profile = self._profiles[str(order.kind["type"])]
        try:
            # Counted as the core will count it; too long for one destination is too long for all.
            measure(text, profile=profile, encoding=_forced_encoding(profile))
        except TooManyParts as problem:
            self._break(order, "message", "at most 255 parts", str(problem))
            return
        order.text = text

    def _message_octets(self, request: Request, operation: str) -> bytes:
        """The percent-decoded octets of `message`, before any charset is applied; the body's win."""
        found = b""
        sources = [request.query_string]
        if media_type(request.headers.get("Content-Type")) == FORM:
            sources.append(request.get_data(cache=True))
        for source in sources:
            pairs = parse_qsl(source.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
            for name, value in pairs:
                if self._contract_name(operation, name) == "message":
                    found = value.encode("latin-1")
        return found

    def _read_ucs2(self, order: _Order, text: str) -> str | None:
        """Types 2 and 6: hex UCS-2 big-endian, else plain text with a warning (errata
        unified-unicode-hex-message)."""
        if not self._ucs2_hex.fullmatch(text):
            order.violations.append(
                self._violation("message", "pattern", "hex of UCS-2 big-endian", text, Severity.WARNING)
            )
            return text
        try:
            return bytes.fromhex(text).decode("utf-16-be")
        except UnicodeDecodeError:
            self._break(order, "message", "hex of well-formed UTF-16 (no lone surrogate)", text)
            return None

    def _check_alphabet(self, order: _Order, text: str) -> None:
        """A character the type's alphabet lacks is the client's bug: recorded, and the text still sent."""
        assert order.kind is not None
        outside = _outside(order.kind["encoding"], text)
        if outside:
            expected = f"only characters of type {order.kind['type']}, {order.kind['description']}"
            found = ", ".join(outside)
            order.violations.append(self._violation("message", "alphabet", expected, found, section="type"))

    def _read_schedule(self, order: _Order) -> None:
        fields = ("date", "time", "gmt")
        if order.broken & set(fields) or not all(name in order.values for name in fields):
            return
        date, time, gmt = (order.values[name] for name in fields)
        try:
            order.send_at = _scheduled_moment(date, time, gmt)
        except (ValueError, OverflowError):
            self._break(order, "date", "a calendar day the mock can schedule", f"{date} {time} {gmt}")

    def _break(self, order: _Order, parameter: str, expected: str, found: str) -> None:
        order.broken.add(parameter)
        order.violations.append(self._violation(parameter, "format", expected, found))

    def _violation(
        self,
        parameter: str,
        keyword: str,
        expected: str,
        found: str,
        severity: Severity = Severity.ERROR,
        *,
        section: str | None = None,
    ) -> Violation:
        shown = json.dumps(found, ensure_ascii=False)
        shown = shown if len(shown) <= 60 else shown[:59] + "…"
        return Violation(severity, parameter, keyword, expected, shown, self._sections[section or parameter])

    # the checks, in the order of the request_checks_own table

    def _admit(self, order: _Order, request: Request, backend: Backend) -> Account:
        """The account the request sends from; `_Refused` with the first failing check's code."""
        account = None
        for check, code in self._checks:
            if self._scopes[code] == "destination":
                continue  # checked per destination when sending
            if check == "parameters":
                failed = order.unusable
            elif check == "credentials":
                account = backend.accounts.authenticate(order.values["username"], order.values["password"])
                failed = account is None
            elif check.startswith(ADDRESS_CHECK):
                why = check.removeprefix(ADDRESS_CHECK)
                failed = account is not None and account.refuses(request.remote_addr) == why
            else:
                failed = check in order.broken
            if failed:
                raise _Refused(code)
        assert account is not None, "request_checks_own needs a `credentials` check"
        return account

    # sending

    def _send(self, order: _Order, account: Account, backend: Backend) -> list[Message]:
        now = backend.clock.now()
        submissions = []
        seen: set[str] = set()
        for destination in order.destinations:
            submission = self._submission(order, destination, account)
            if not self._destination.fullmatch(destination):
                submission.rejection = "REJECTED_DESTINATION"
            else:
                submission.client_ref = _content_ref(submission)
                if submission.client_ref in seen or self._sent_recently(
                    backend, account, submission.client_ref, now
                ):
                    submission.rejection = "REJECTED_DUPLICATE_MESSAGE_ID"
                seen.add(submission.client_ref)
            submissions.append(submission)
        return backend.submit(account, self.name, submissions)

    def _submission(self, order: _Order, destination: str, account: Account) -> Submission:
        assert order.kind is not None
        kind = order.kind
        wants_report = self._reports[order.values["dlr"]]
        submission = Submission(
            to=destination,
            sender=order.values["source"],
            text=order.text,
            profile=str(kind["type"]),
            send_at=order.send_at,
        )
        submission.options.update(type=kind["type"], flash=kind["flash"], dlr=wants_report)
        if wants_report:
            submission.notify_url = account.report_url
            submission.notify_content_type = REPORT_CONTENT_TYPE
        return submission

    def _sent_recently(self, backend: Backend, account: Account, ref: str, now: datetime) -> bool:
        """A message with the same content went out from the account within the duplicate window."""
        return any(
            message.status.group_name != "REJECTED" and now - message.submitted_at < DUPLICATE_WINDOW
            for message in backend.by_client_ref(account, self.name, ref)
        )

    # replies

    def _code(self, message: Message) -> int:
        """The code of a message's reply line: success, a rule's own code, or its rejection's."""
        if message.status.group_name != "REJECTED":
            return self._success
        outcome = message.outcome
        if outcome is not None and outcome.code is not None and outcome.status.name == message.status.name:
            return outcome.code
        return self._rejections[message.status.name]

    def _line(self, message: Message) -> str:
        code = self._code(message)
        if code == self._success:
            return f"{code}|{message.to}|{message.id}"
        return f"{code}|{_echo(message.to)}|"

    def _reply(self, operation: str, body: str) -> Reply:
        # Every reply is a 200 in plain text, errors too (errata unified-reply-error-shape).
        return Reply(200, REPLY_CONTENT_TYPE, body.encode("utf-8"), operation, request_operation=operation)

    def render_callback(self, callback: Callback) -> tuple[str, bytes]:
        """A delivery report for the account's report_url, in smsmock's own JSON shape."""
        message: Message = callback.payload
        report = {
            "message_id": message.id,
            "destination": message.to,
            "source": message.sender or "",
            "code": self._code(message),
            "status": message.status.group_name,
            "detail": message.status.name,
            "error": message.error.name,
            "parts": message.parts,
            "submitted_at": _utc(message.submitted_at),
            "done_at": _utc(message.done_at or message.submitted_at),
        }
        return "dlr_callback", json_body(report)


@cache
def _definitions() -> dict[str, dict[str, Any]]:
    """The `$defs` of the unified common schema: the parameters' patterns and document sections."""
    path = schemas_dir() / "unified" / "common.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))["$defs"]


def _printable(value: str) -> bool:
    """No control character, and no U+FFFD standing in for octets that were not UTF-8."""
    return not any(char == "\ufffd" or unicodedata.category(char) == "Cc" for char in value)


def _outside(encoding: str, text: str) -> list[str]:
    """The distinct characters of `text` the alphabet of a message type cannot carry."""
    if encoding == "gsm7":
        charset = default_charset()
        chars = [char for char in text if not charset.septets(char)]
    elif encoding == "latin1":
        chars = [char for char in text if ord(char) > 0xFF]
    else:
        chars = []
    return list(dict.fromkeys(chars))


def _forced_encoding(profile: Profile) -> Encoding | None:
    """UCS-2 for the Unicode types, whatever the text: the type decides how it travels."""
    return Encoding.UCS2 if profile.encoding is Encoding.UCS2 else None


def _scheduled_moment(date: str, time: str, gmt: str) -> datetime:
    """The UTC moment of a local MM/DD/YYYY, hh:mm am/pm and offset whose forms the contract checked."""
    month, day, year = (int(part) for part in date.split("/"))
    clock, meridiem = time.split(" ")
    hour, minute = (int(part) for part in clock.split(":"))
    # 00 and 12 both start their half of the day (errata unified-schedule-time-hours).
    hour = hour % 12 + (12 if meridiem == "pm" else 0)
    offset = gmt.removeprefix("GMT ")
    offset_hours, offset_minutes = (int(part) for part in offset[1:].split(":"))
    east = timedelta(hours=offset_hours, minutes=offset_minutes)
    local = datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
    moment = local - east if offset.startswith("+") else local + east
    if moment > _LATEST_SEND:
        raise ValueError(f"{moment} leaves no room for the message's validity")
    return moment


def _content_ref(submission: Submission) -> str:
    """What makes two submissions the same message: source, destination digits and text."""
    content = "\x00".join((submission.sender or "", normalise_number(submission.to), submission.text or ""))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]


def _echo(destination: str) -> str:
    """A destination as sent, with what would break the reply's lines percent-encoded."""
    return _LINE_BREAKING.sub(lambda found: f"%{ord(found.group()):02X}", destination)


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
