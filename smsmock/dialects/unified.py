"""The unified dialect: query or form parameters in, `code|destination|message id` lines out."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone

from werkzeug.wrappers import Request

from smsmock.contracts import fastcheck
from smsmock.contracts.catalog import code_tables, operations
from smsmock.contracts.params import Params, decode_params, overlay_form
from smsmock.contracts.unified_request import UnifiedRequest, by_contract_name, definitions, read_request
from smsmock.contracts.validation import Violation, schema_violations
from smsmock.core.accounts import Account
from smsmock.core.backend import Backend, Callback
from smsmock.core.commands import Submission
from smsmock.core.messages import Message
from smsmock.core.rules import invalid_destination_status, normalise_number
from smsmock.dialects.wire import FORM, JSON, Reply, json_body, media_type

REPLY_CONTENT_TYPE = "text/plain; charset=utf-8"
REPORT_CONTENT_TYPE = JSON
"""The delivery reports POSTed to an account's report_url are JSON (errata unified-dlr-callback)."""
DUPLICATE_WINDOW = timedelta(minutes=10)
"""How long the same text from the same source to the same number is a duplicate (1041) on the mock's
clock (errata unified-duplicate-message)."""
ADDRESS_CHECK = "address:"
"""The prefix of a request check on the client's IP address; what follows is what `Account.refuses` says."""
_LINE_BREAKING = re.compile(r"[|\r\n]")


class _Refused(Exception):
    """A request-level check failed: the reply is the bare code and nothing is sent."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Unified:
    """Routes, request checks and plain-text replies of the unified document."""

    name = "unified"
    # The error table's 1710, "Internal error."
    server_error_code: int | None = 1710
    # The error table's 1702, "Invalid URL": a request too large to read has no parameters to go by.
    too_large_code = 1702

    def __init__(self) -> None:
        tables = code_tables(self.name)
        self._success = next(row["code"] for row in tables["error_codes"].rows if row["success"])
        self.fault_codes: frozenset[int] = frozenset(
            row["code"] for row in tables["error_codes"].rows if not row["success"]
        )
        self._scopes = {row["code"]: row["scope"] for row in tables["error_scopes_own"].rows}
        self._checks = [(row["check"], row["code"]) for row in tables["request_checks_own"].rows]
        self._rejections = {row["status"]: row["code"] for row in tables["rejection_codes_own"].rows}
        self._reports = {str(row["dlr"]): row["delivery_report"] for row in tables["dlr_values"].rows}
        self.operations = {name: op for name, op in operations(self.name).items() if op.paths}
        # The shared path with a scheduling parameter is `schedule` (errata unified-schedule-path).
        self._dispatch = next(
            (name, op.extra["dispatch_on_shared_path"])
            for name, op in self.operations.items()
            if "dispatch_on_shared_path" in op.extra
        )
        self._destination = re.compile(definitions()["DestinationList"]["pattern"])

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
        raw = self._raw_params(request)
        params = decode_params(raw)
        operation = self._operation(request, operation, params)
        order = read_request(operation, raw, self._schema_violations(operation, params))
        violations = order.violations
        try:
            account = self._admit(order, request, backend)
        except _Refused as refused:
            return self._reply(operation, str(refused.code)), violations
        lines = [self._line(message) for message in self._send(order, account, backend)]
        return self._reply(operation, "\n".join(lines)), violations

    def requested_operation(self, operation: str, request: Request) -> str:
        """A send with scheduling parameters is schedule_sms, whichever path it took."""
        return self._operation(request, operation, decode_params(self._raw_params(request)))

    def fault_reply(self, operation: str, request: Request, code: int) -> Reply:
        """The reply an injected code gives: bare for a request-level code, else one line per destination."""
        params = decode_params(self._raw_params(request))
        operation = self._operation(request, operation, params)
        destinations = by_contract_name(operation, params).get("destination")
        if self._scopes.get(code) == "destination" and isinstance(destinations, str):
            body = "\n".join(f"{code}|{_echo(destination)}|" for destination in destinations.split(","))
        else:
            body = str(code)
        return self._reply(operation, body)

    def too_large_reply(self, operation: str, request: Request, problem: str) -> Reply:
        """The bare request-level code: the parameters could not be read, so nothing is sent."""
        operation = self._operation(request, operation, decode_params(request.query_string))
        return self._reply(operation, str(self.too_large_code))

    def _raw_params(self, request: Request) -> bytes:
        """The query, with a form body's parameters over it (errata unified-form-and-query), as sent."""
        if media_type(request.headers.get("Content-Type")) == FORM:
            return overlay_form(request.query_string, request.get_data(cache=True))
        return request.query_string

    def _operation(self, request: Request, operation: str, params: Params) -> str:
        scheduled, rule = self._dispatch
        if request.path.rstrip("/") == rule["path"]:
            named = {name.lower().removesuffix("[]") for name in params}
            if named & set(rule["when_any_param"]):
                return scheduled
        return operation

    def _schema_violations(self, operation: str, params: Params) -> list[Violation]:
        if fastcheck.conforms(self.name, operation, "request", "params", params):
            return []
        return schema_violations(self.name, operation, "request", params)

    # the checks, in the order of the request_checks_own table

    def _admit(self, order: UnifiedRequest, request: Request, backend: Backend) -> Account:
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

    def _send(self, order: UnifiedRequest, account: Account, backend: Backend) -> list[Message]:
        now = backend.clock.now()
        submissions = []
        seen: set[str] = set()
        for destination in order.destinations:
            submission = self._submission(order, destination, account)
            if not self._destination.fullmatch(destination):
                submission.rejection = invalid_destination_status(destination)
            else:
                submission.client_ref = _content_ref(submission)
                if submission.client_ref in seen or self._sent_recently(
                    backend, account, submission.client_ref, now
                ):
                    submission.rejection = "REJECTED_DUPLICATE_MESSAGE_ID"
                seen.add(submission.client_ref)
            submissions.append(submission)
        return backend.submit(account, self.name, submissions)

    def _submission(self, order: UnifiedRequest, destination: str, account: Account) -> Submission:
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


def _content_ref(submission: Submission) -> str:
    """What makes two submissions the same message: source, destination digits and text."""
    content = "\x00".join((submission.sender or "", normalise_number(submission.to), submission.text or ""))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]


def _echo(destination: str) -> str:
    """A destination as sent, with what would break the reply's lines percent-encoded."""
    return _LINE_BREAKING.sub(lambda found: f"%{ord(found.group()):02X}", destination)


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
