"""The shortlink dialect: the full /restapi family, JSON or XML, HTTP Basic auth."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from werkzeug.wrappers import Request

from smsmock.contracts import fastcheck
from smsmock.contracts.catalog import operations
from smsmock.contracts.params import decode_params
from smsmock.contracts.validation import Severity, Violation, validate
from smsmock.core.accounts import Account
from smsmock.core.backend import Backend, Callback
from smsmock.core.commands import InboundFilter, LogFilter, NumberAnswer, Submission
from smsmock.core.messages import Message, new_uuid
from smsmock.core.numbering import Network
from smsmock.core.rules import invalid_destination_status
from smsmock.core.vocabulary import Status, vocabulary
from smsmock.dialects import family
from smsmock.dialects.wire import (
    JSON,
    XML,
    BadRequest,
    Reply,
    basic_credentials,
    body_format,
    element_value,
    json_body,
    parse_json,
    parse_xml_tree,
    reply_format,
    xml_body,
)

_LISTS = ("to", "messages", "destinations")
"""Request fields that are lists whatever form the XML gives them."""


_SENDER_FIELD = re.compile(r"/from$")
"""A sender the per-message checks answer (REJECTED_SOURCE-like status), not a malformed request."""


class Shortlink:
    """Routes, request decoding and reply rendering of shortlink; qikli reuses most of it."""

    name = "shortlink"
    server_error_code: int | None = None
    default_report_limit = 50
    ok_spelling = "OK"
    sender_id = family.SENDER_ID
    phone_number = family.PHONE_NUMBER
    fault_codes: frozenset[int] = frozenset({400, 401})
    """The family's two error replies, by HTTP status: the General error and bad credentials."""
    send_roots: ClassVar[dict[str, str]] = {
        "send_text_single": "SMSResponse",
        "send_text_multi": "SendSMSResponse",
        "send_text_advanced": "SendSMSResponse",
        "send_binary_single": "SMSResponse",
        "send_binary_multi": "SMSResponse",
    }

    def __init__(self) -> None:
        # "error" is the error reply of every operation, not an endpoint, whatever paths it lists.
        self.operations = {
            name: op for name, op in operations(self.name).items() if op.paths and name != "error"
        }
        self._handlers: dict[str, Callable[[str, Any, Account, Backend], dict[str, Any]]] = {
            "send_text_single": self._send_simple,
            "send_text_multi": self._send_simple,
            "send_binary_single": self._send_simple,
            "send_binary_multi": self._send_simple,
            "send_text_advanced": self._send_advanced,
            "get_reports": self._get_reports,
            "get_logs": self._get_logs,
            "get_balance": self._get_balance,
            "get_inbox": self._get_inbox,
            "get_inbox_logs": self._get_inbox_logs,
            "number_query": self._number_query,
            "number_notify": self._number_notify,
        }
        self._words = vocabulary()

    def routes(self) -> list[tuple[str, tuple[str, ...], str]]:
        """(path, methods, operation) for every documented path and accepted erroneous spelling."""
        return [(path, op.methods, name) for name, op in self.operations.items() for path in op.paths]

    # one request

    def handle(self, operation: str, request: Request, backend: Backend) -> tuple[Reply, list[Violation]]:
        """Answer one request; the second item is what the request breaks of its contract."""
        contract = self.operations[operation]
        takes_body = "params" not in contract.request_formats
        request_format = body_format(request.headers.get("Content-Type")) if takes_body else None
        wire = reply_format(request.headers.get("Accept"), request_format)
        violations: list[Violation] = []
        try:
            account = self._authenticate(request, backend)
            if takes_body:
                payload, violations = self._read_body(operation, request, request_format)
            else:
                payload, violations = self._read_params(operation, request)
            answer = self._handlers[operation](operation, payload, account, backend)
        except BadRequest as problem:
            return self.error_reply(problem, wire), problem.violations or violations
        return self._render(operation, answer, wire), violations

    def requested_operation(self, operation: str, request: Request) -> str:
        return operation  # each operation has paths of its own

    def fault_reply(self, operation: str, request: Request, code: int) -> Reply:
        """The family's error body with status `code`, in the format the request asked for."""
        wire = reply_format(request.headers.get("Accept"), body_format(request.headers.get("Content-Type")))
        if code == 401:
            return self.error_reply(
                BadRequest("Invalid login details", status=401, code="UNAUTHORIZED"), wire
            )
        return self.error_reply(
            BadRequest("General error: the request was refused (an injected fault)"), wire
        )

    def too_large_reply(self, operation: str, request: Request, problem: str) -> Reply:
        """The General error (a body the provider cannot read), in the format the request asked for."""
        wire = reply_format(request.headers.get("Accept"), body_format(request.headers.get("Content-Type")))
        return self.error_reply(BadRequest(f"General error: {problem}"), wire)

    def _authenticate(self, request: Request, backend: Backend) -> Account:
        credentials = basic_credentials(request.headers.get("Authorization"))
        account = backend.accounts.authenticate(*credentials) if credentials else None
        if account is None:
            raise BadRequest("Invalid login details", status=401, code="UNAUTHORIZED")
        return account

    def _read_body(
        self, operation: str, request: Request, request_format: str | None
    ) -> tuple[Any, list[Violation]]:
        raw = request.get_data(cache=True)
        if request_format not in ("json", "xml"):
            given = request.headers.get("Content-Type")
            raise BadRequest(
                "General error: Content-Type must be application/json or application/xml"
                + (f", not {given!r}" if given else " and is missing")
            )
        media = JSON if request_format == "json" else XML
        try:
            if request_format == "json":
                payload = parse_json(raw)
            else:
                payload = element_value(parse_xml_tree(raw), _LISTS)
        except BadRequest as problem:
            problem.violations = validate(self.name, operation, "request", raw, media, max_xml_octets=None)
            raise
        if request_format == "json" and fastcheck.conforms(self.name, operation, "request", "json", payload):
            violations = []
        else:
            violations = validate(self.name, operation, "request", raw, media, max_xml_octets=None)
        self._refuse(violations)
        return payload, violations

    def _read_params(self, operation: str, request: Request) -> tuple[Any, list[Violation]]:
        query = request.query_string.decode("latin-1")
        params = decode_params(query)
        if fastcheck.conforms(self.name, operation, "request", "params", params):
            return params, []
        violations = validate(self.name, operation, "request", query)
        self._refuse(violations)
        return params, violations

    @staticmethod
    def _refuse(violations: list[Violation]) -> None:
        """A request that breaks its contract gets the General error, naming the first violation.

        A destination that breaks only its pattern is a warning (validation's ANSWERED_IN_THE_REPLY),
        and a sender that does is an error of the client's that the per-message checks answer all the
        same: each gets a REJECTED status in a 200 reply, as the document does.
        """
        for violation in violations:
            if violation.severity is not Severity.ERROR:
                continue
            if violation.keyword in ("pattern", "minLength", "maxLength") and _SENDER_FIELD.search(
                violation.location
            ):
                continue
            raise BadRequest(f"General error: {violation}", violations=violations)

    # sending

    def _send_simple(
        self, operation: str, payload: Any, account: Account, backend: Backend
    ) -> dict[str, Any]:
        entries = payload.get("messages") if operation.endswith("_multi") else [payload]
        if not isinstance(entries, list) or not entries:
            raise BadRequest("General error: messages must be a non-empty list")
        binary = operation.startswith("send_binary")
        submissions = []
        for entry in entries:
            if not isinstance(entry, dict):
                raise BadRequest("General error: each message must be an object")
            for to in _destinations(entry.get("to")):
                submissions.append(self._submission(entry, to, binary=binary))
        return self._submit(account, backend, submissions, payload.get("bulkId"), operation)

    def _send_advanced(
        self, operation: str, payload: Any, account: Account, backend: Backend
    ) -> dict[str, Any]:
        entries = payload.get("messages")
        if not isinstance(entries, list) or not entries:
            raise BadRequest("General error: messages must be a non-empty list")
        submissions = []
        for entry in entries:
            if not isinstance(entry, dict):
                raise BadRequest("General error: each message must be an object")
            destinations = entry.get("destinations")
            if destinations:
                # XML gives a destination's <to> as a one-item list (it is one of the list fields).
                pairs = [
                    (to, item.get("messageId"))
                    for item in destinations
                    if isinstance(item, dict)
                    for to in _destinations(item.get("to")) or [""]
                ]
            else:
                pairs = [(to, entry.get("messageId")) for to in _destinations(entry.get("to"))]
            for to, message_id in pairs:
                submission = self._submission(entry, str(to or ""), binary=False)
                submission.message_id = message_id or None
                self._advanced_options(entry, submission)
                submissions.append(submission)
        return self._submit(account, backend, submissions, payload.get("bulkId"), operation)

    def _advanced_options(self, entry: dict[str, Any], submission: Submission) -> None:
        language = entry.get("language") if isinstance(entry.get("language"), dict) else entry
        code = language.get("languageCode")
        if code:
            submission.language = str(code).upper()
            submission.single_shift = _flag(language.get("singleShift"))
            submission.locking_shift = _flag(language.get("lockingShift"))
        submission.transliteration = entry.get("transliteration") or None
        flash = _flag(entry.get("flash"))
        submission.options["flash"] = flash
        if entry.get("sendAt"):
            submission.send_at = family.parse_send_at(str(entry["sendAt"]))
        if entry.get("validityPeriod") not in (None, ""):
            submission.validity_minutes = _whole(entry["validityPeriod"], "validityPeriod")
        submission.notify_url = entry.get("notifyUrl") or None
        submission.notify_content_type = entry.get("notifyContentType") or None
        submission.callback_data = entry.get("callbackData")
        if entry.get("tracking"):
            submission.options["tracking"] = entry["tracking"]

    def _submission(self, entry: dict[str, Any], to: str, *, binary: bool) -> Submission:
        sender = entry.get("from")
        submission = Submission(to=to, sender=None if sender is None else str(sender))
        if binary:
            content = entry.get("binary") or {}
            submission.binary_hex = str(content.get("hex", ""))
            submission.profile = "binary"
            submission.options["dataCoding"] = content.get("dataCoding")
            submission.options["esmClass"] = content.get("esmClass")
        else:
            submission.text = str(entry.get("text") or "")
        if submission.sender is not None and not self.sender_id.fullmatch(submission.sender):
            submission.rejection = "REJECTED_SOURCE"
        elif not self.phone_number.fullmatch(to):
            submission.rejection = invalid_destination_status(to)
        return submission

    def _submit(
        self, account: Account, backend: Backend, submissions: list[Submission], bulk_id: Any, operation: str
    ) -> dict[str, Any]:
        if not submissions:
            raise BadRequest("General error: the request names no destination")
        if not bulk_id and len(submissions) > 1:
            bulk_id = new_uuid()
        for submission in submissions:
            submission.bulk_id = str(bulk_id) if bulk_id else None
        messages = backend.submit(account, self.name, submissions)
        reply: dict[str, Any] = {}
        if bulk_id:
            reply["bulkId"] = str(bulk_id)
        reply["messages"] = [
            {
                "to": message.to,
                "status": family.status_object(self._reply_status(message)),
                "smsCount": message.parts,
                "messageId": message.id,
            }
            for message in messages
        ]
        return reply

    def _reply_status(self, message: Message) -> Status:
        return message.status

    # reading back

    def _get_reports(
        self, operation: str, payload: Any, account: Account, backend: Backend
    ) -> dict[str, Any]:
        reports = backend.pull_reports(
            account,
            self.name,
            limit=family.limit_param(_single(payload, "limit"), self.default_report_limit),
            bulk_ids=family.id_list(payload.get("bulkId")),
            message_ids=family.id_list(payload.get("messageId")),
        )
        return {
            "results": [family.report_object(message, ok_spelling=self.ok_spelling) for message in reports]
        }

    def _get_logs(self, operation: str, payload: Any, account: Account, backend: Backend) -> dict[str, Any]:
        filters = LogFilter(
            sender=_single(payload, "from"),
            to=_single(payload, "to"),
            bulk_ids=family.id_list(payload.get("bulkId")),
            message_ids=family.id_list(payload.get("messageId")),
            general_status=_single(payload, "generalStatus"),
            sent_since=_date(payload, "sentSince"),
            sent_until=_date(payload, "sentUntil"),
            mcc=_single(payload, "mcc"),
            mnc=_single(payload, "mnc"),
            limit=family.limit_param(_single(payload, "limit"), 50),
        )
        results = []
        for message in backend.logs(account, self.name, filters):
            entry: dict[str, Any] = {}
            if message.bulk_id:
                entry["bulkId"] = message.bulk_id
            entry.update(messageId=message.id, to=message.to)
            # A log's `from` is a Sender ID (SentSMSLog table); one the send refused with REJECTED_SOURCE
            # is left out, as is a missing one (errata shortlink-logs-invalid-sender).
            if message.sender and self.sender_id.fullmatch(message.sender):
                entry["from"] = message.sender
            entry["text"] = message.text if message.text is not None else message.binary_hex
            entry.update(
                sentAt=family.timestamp(message.sent_at or message.submitted_at),
                doneAt=family.timestamp(message.done_at),
                smsCount=message.parts,
                mccmnc=message.mcc_mnc,
                price=family.price_object(message),
                status=family.status_object(message.status),
                error=family.error_object(message.error),
            )
            # What a message has not got (doneAt before its outcome, an unknown mccmnc) is left out, not null.
            results.append({key: value for key, value in entry.items() if value is not None})
        return {"results": results}

    def _get_balance(
        self, operation: str, payload: Any, account: Account, backend: Backend
    ) -> dict[str, Any]:
        balance, currency = backend.balance(account)
        return {"balance": float(balance), "currency": currency}

    def _get_inbox(self, operation: str, payload: Any, account: Account, backend: Backend) -> dict[str, Any]:
        pulled = backend.pull_inbound(
            account, self.name, limit=family.limit_param(_single(payload, "limit"), 50)
        )
        return {
            "results": [
                {
                    "messageId": message.id,
                    "from": message.sender,
                    "to": message.to,
                    "text": message.text,
                    "cleanText": message.clean_text,
                    "keyword": message.keyword,
                    "receivedAt": family.timestamp(message.received_at),
                    "smsCount": message.parts,
                }
                for message in pulled
            ]
        }

    def _get_inbox_logs(
        self, operation: str, payload: Any, account: Account, backend: Backend
    ) -> dict[str, Any]:
        filters = InboundFilter(
            keyword=_single(payload, "keyword"),
            to=_single(payload, "to"),
            received_since=_date(payload, "receivedSince"),
            received_until=_date(payload, "receivedUntil"),
            limit=family.limit_param(_single(payload, "limit"), 50),
        )
        results = []
        for message in backend.inbound_logs(account, self.name, filters):
            entry = {
                "messageId": message.id,
                "to": message.to,
                "receivedAt": family.timestamp(message.received_at),
                "from": message.sender,
                "text": message.text,
                "cleanText": message.clean_text,
            }
            if message.keyword:
                entry["keyword"] = message.keyword
            entry["smsCount"] = message.parts
            results.append(entry)
        return {"results": results}

    # Number Context

    def _number_query(
        self, operation: str, payload: Any, account: Account, backend: Backend
    ) -> dict[str, Any]:
        numbers = _destinations(payload.get("to"))
        if not numbers:
            raise BadRequest("General error: to must name at least one number")
        answers = backend.number_query(account, self.name, numbers)
        reply: dict[str, Any] = {}
        if len(numbers) > 1:
            reply["bulkId"] = new_uuid()
        reply["results"] = [self.number_object(answer) for answer in answers]
        return reply

    def _number_notify(
        self, operation: str, payload: Any, account: Account, backend: Backend
    ) -> dict[str, Any]:
        numbers = _destinations(payload.get("to"))
        if not numbers:
            raise BadRequest("General error: to must name at least one number")
        bulk_id = new_uuid() if len(numbers) > 1 else None
        acks = backend.number_notify(
            account,
            self.name,
            numbers,
            notify_url=str(payload.get("notifyUrl") or ""),
            content_type=str(payload.get("notifyContentType") or JSON),
            bulk_id=bulk_id,
        )
        reply: dict[str, Any] = {}
        if bulk_id:
            reply["bulkId"] = bulk_id
        reply["ncResults"] = []
        for ack in acks:
            entry: dict[str, Any] = {"to": ack.to, "status": family.status_object(ack.status)}
            if ack.message_id:
                entry["messageId"] = ack.message_id
            reply["ncResults"].append(entry)
        return reply

    def number_object(self, answer: NumberAnswer) -> dict[str, Any]:
        entry: dict[str, Any] = {"to": answer.to}
        if answer.network is not None:
            entry["mccMnc"] = answer.mcc_mnc
            entry["imsi"] = answer.imsi
            entry["originalNetwork"] = _network(answer.network)
            entry["ported"] = answer.ported_network is not None
            if answer.ported_network is not None:
                entry["portedNetwork"] = _network(answer.ported_network)
            entry["roaming"] = answer.roaming_network is not None
            if answer.roaming_network is not None:
                entry["roamingNetwork"] = _network(answer.roaming_network)
            entry["servingMSC"] = answer.serving_msc
        entry["status"] = family.status_object(answer.status)
        entry["error"] = family.error_object(answer.error)
        return entry

    # replies

    def _render(self, operation: str, answer: dict[str, Any], wire: str) -> Reply:
        if wire == "json":
            return Reply(200, JSON, json_body(answer), operation)
        root, wrapped = self.xml_layout(operation)
        return Reply(200, XML, xml_body(root, answer, wrapped), operation)

    def xml_layout(self, operation: str) -> tuple[str, tuple[str, ...]]:
        """The root element and the wrapped lists of a reply, as each operation's examples show."""
        if operation in self.send_roots:
            return self.send_roots[operation], ("messages",)
        return {
            "get_reports": ("SMSReportResponse", ()),
            "get_logs": ("SMSLogsResponse", ("results",)),
            "get_balance": ("AccountBalance", ()),
            "get_inbox": ("MOReportResponse", ("results",)),
            "get_inbox_logs": ("MOLogsResponse", ("results",)),
            "number_query": ("NCResponse", ("results",)),
            "number_notify": ("NCResponseAsync", ("ncResults",)),
            "dlr_callback": ("SMSReportResponse", ()),
            "number_callback": ("NCResponse", ("ncResults",)),
        }[operation]

    def error_reply(self, problem: BadRequest, wire: str) -> Reply:
        code = problem.code or {401: "UNAUTHORIZED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(
            problem.status, "BAD_REQUEST"
        )
        text = str(problem)
        if code == "BAD_REQUEST" and not text.startswith("General error"):
            text = f"General error: {text}"  # every 400 is the documents' "General error"
        body = {"requestError": {"serviceException": {"messageId": code, "text": text}}}
        # A 401 names its scheme (RFC 9110 15.5.2; errata qikli-unauthorized-body).
        headers = [("WWW-Authenticate", 'Basic realm="smsmock"')] if problem.status == 401 else []
        if wire == "xml":
            encoded = xml_body("requestError", body["requestError"])
            return Reply(problem.status, XML, encoded, "error", headers)
        return Reply(problem.status, JSON, json_body(body), "error", headers)

    def render_callback(self, callback: Callback) -> tuple[str, bytes]:
        """The operation and body of a POST to a client's notifyUrl, in its notifyContentType."""
        wire = "xml" if "xml" in callback.content_type.lower() else "json"
        if callback.kind == "dlr":
            message: Message = callback.payload
            report = family.report_object(message, ok_spelling=self.ok_spelling)
            if message.callback_data is not None:
                report["callbackData"] = message.callback_data
            answer, operation = {"results": [report]}, "dlr_callback"
        else:
            answer = {"ncResults": [self.number_object(item) for item in callback.payload]}
            operation = "number_callback"
        if wire == "json":
            return operation, json_body(answer)
        root, wrapped = self.xml_layout(operation)
        return operation, xml_body(root, answer, wrapped)


def _destinations(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def _single(params: Any, name: str) -> str | None:
    value = params.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _date(params: Any, name: str) -> datetime | None:
    value = _single(params, name)
    return None if value in (None, "") else family.parse_timestamp(value, name)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _whole(value: Any, name: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise BadRequest(f"General error: {name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise BadRequest(f"General error: {name} must be positive")
    return number


def _network(network: Network) -> dict[str, str]:
    return {"networkPrefix": network.network_prefix, "countryPrefix": network.country_prefix}
