"""The quicktel dialect: one XML endpoint, sms_send and sms_status2 told apart by <xml_request name>."""

from __future__ import annotations

import contextlib
import re
import secrets
import threading
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qsl
from xml.etree.ElementTree import Element, tostring
from xml.parsers import expat

from werkzeug.wrappers import Request

from smsmock.contracts.catalog import code_tables, operations
from smsmock.contracts.validation import (
    MAX_XML_ATTRIBUTES,
    MAX_XML_DEPTH,
    UTF8_BOM,
    Violation,
    looks_like_xml,
    validate,
)
from smsmock.core.accounts import Account
from smsmock.core.backend import Backend, Callback
from smsmock.core.commands import Submission
from smsmock.core.messages import Message
from smsmock.dialects.wire import FORM, XML, BadRequest, Reply, media_type, parse_xml_tree, well_formed

CONTENT_TYPE = "application/xml; charset=UTF-8"
FORM_FIELD = "xml"
"""The form field that carries the XML in a form body (errata quicktel-transport)."""
MAX_SMS_PER_REQUEST = 250
""""В одном XML-запросе может быть отправлено до 250 SMS сообщений" (§ 2; errata quicktel-250-limit)."""

# The facets of sms_send.request.xsd, which decide the per-SMS errors (-3xxx) of an <sms>.
_SMS_ID_LENGTH = range(1, 51)
_NUMBER = re.compile(r"\+?[0-9]+")
_NUMBER_LENGTH = 25
# XSD's \S is "not space, tab, CR or LF" and its . "not CR or LF", narrower than Python's.
_SOURCE_NUMBER = re.compile(r"\+?[0-9]{1,15}|[0-9]{16}|[^ \t\r\n]([^\r\n]{0,9}[^ \t\r\n])?")
_TTL = re.compile(r"[1-9][0-9]*")

_ATTRIBUTES = {
    "sms_send": {"xml_user": {"lgn", "pwd"}, "sms": {"sms_id", "number", "source_number", "ttl"}},
    "sms_status2": {"xml_user": {"lgn", "pwd"}, "sms": {"push_id"}},
}
"""The children an <xml_request> may have in each request, with the attributes each may carry."""


class RequestRefused(Exception):
    """An error of the request as a whole: answered <xml_result res description/>, nothing is sent."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error
        """The name of a request_errors_own row."""


class Quicktel:
    """Routes, request decoding and reply rendering of quicktel's XML protocol."""

    name = "quicktel"
    server_error_code: int | None = None

    def __init__(self) -> None:
        # "error" is the whole-request error reply, not a request of its own.
        self.operations = {name: op for name, op in operations(self.name).items() if name != "error"}
        self.fault_codes: frozenset[int] = frozenset(
            row["res"] for row in _errors().values() if row["scope"] == "request"
        )
        # Looking a sms_id up and sending under it is one step, or two concurrent requests could both
        # find a sms_id unused and send twice.
        self._sending = threading.Lock()

    def routes(self) -> list[tuple[str, tuple[str, ...], str]]:
        """Each path once: the request's <xml_request name>, not its path, tells the operation."""
        routes: dict[str, tuple[str, tuple[str, ...], str]] = {}
        for name, op in self.operations.items():
            for path in op.paths:
                routes.setdefault(path, (path, op.methods, name))
        return list(routes.values())

    # one request

    def handle(self, operation: str, request: Request, backend: Backend) -> tuple[Reply, list[Violation]]:
        """Answer one request; the second item is what the request breaks of its contract."""
        xml: bytes | None = None
        requested: str | None = None
        try:
            xml = _xml_of(request)
            root = _parse(xml)
            requested = _requested_operation(root)
            _check_structure(root, requested)
            account = _authenticate(root, backend)
            items = _items(root)
            if requested == "sms_send":
                reply = self._send(items, account, backend)
            else:
                reply = self._status(items, account, backend)
        except RequestRefused as refusal:
            reply = _error_reply(refusal.error)
        reply.request_operation = requested
        return reply, _violations(requested or operation, request, xml)

    def requested_operation(self, operation: str, request: Request) -> str:
        """The operation its <xml_request name> names (sms_send or sms_status2): both share one path.
        A request too broken to name one is taken as the route's."""
        try:
            return _requested_operation(_parse(_xml_of(request)))
        except (RequestRefused, BadRequest):
            return operation

    def fault_reply(self, operation: str, request: Request, code: int) -> Reply:
        """<xml_result res=code description/> for one of the request-scope codes; nothing is sent."""
        found = [row for row in _errors().values() if row["res"] == code and row["scope"] == "request"]
        if not found:
            raise LookupError(f"{self.name} has no request error {code}")
        reply = _error_reply(found[0]["name"])
        # A request that would have been refused anyway is journaled under its route's operation.
        with contextlib.suppress(RequestRefused):
            reply.request_operation = _requested_operation(_parse(_xml_of(request)))
        return reply

    def too_large_reply(self, operation: str, request: Request, problem: str) -> Reply:
        """<xml_result res="-2006"/>, the request rejected for its size; which request it was is unknown."""
        return _error_reply("body_rejected")

    def render_callback(self, callback: Callback) -> tuple[str, bytes]:
        raise LookupError(f"{self.name} sends no callbacks: its clients ask with sms_status2")

    # sms_send

    def _send(self, items: list[Element], account: Account, backend: Backend) -> Reply:
        result = Element("xml_result", {"xml_name": "sms_send", "res": "0"})
        with self._sending:
            for position, item in enumerate(items, start=1):
                result.append(self._push(position, item, account, backend))
        return _xml_reply(result, "sms_send")

    def _push(self, position: int, item: Element, account: Account, backend: Backend) -> Element:
        """Send one <sms> (or find its first attempt) and say how it went."""
        sms_id, ttl = item.get("sms_id", ""), item.get("ttl")
        problem = _sms_problem(item)
        if problem is not None:
            # A sms_id the reply cannot carry is replaced by the sms's position (errata
            # quicktel-unechoable-sms-id); the pushes follow the request's order either way.
            echoed = sms_id if len(sms_id) in _SMS_ID_LENGTH else str(position)
            return _failed_push(echoed, problem)
        first = self._first_attempt(account, backend, sms_id)
        if first is not None:
            return _sent_push(sms_id, first, res="1")
        submission = Submission(
            to=item.get("number", ""),
            sender=item.get("source_number"),
            text=item.text,
            validity_minutes=None if ttl is None else int(ttl),
            client_ref=sms_id,
        )
        [message] = backend.submit(account, self.name, [submission], new_id=_push_id)
        refusal = _push_refusal(message)
        if refusal is not None:
            return _failed_push(sms_id, refusal)
        return _sent_push(sms_id, message, res="0")

    def _first_attempt(self, account: Account, backend: Backend, sms_id: str) -> Message | None:
        """The first message sent under this sms_id; one refused with a failed push never used it up."""
        for message in backend.by_client_ref(account, self.name, sms_id):
            if _push_refusal(message) is None:
                return message
        return None

    # sms_status2

    def _status(self, items: list[Element], account: Account, backend: Backend) -> Reply:
        result = Element("xml_result", {"name": "sms_status2", "res": "0"})
        for item in items:
            push_id = item.get("push_id", "")
            message = backend.message(account, self.name, push_id) if push_id else None
            result.append(_status_element(push_id, message))
        return _xml_reply(result, "sms_status2")


# reading the request


def _xml_of(request: Request) -> bytes:
    """The XML of a request: the raw body, or the form field `xml` (errata quicktel-transport)."""
    body = request.get_data(cache=True)  # no longer than the server's max_body, which it checked first
    if not body.strip():
        raise RequestRefused("empty_request")
    if not looks_like_xml(body):
        body = _form_field(body, media_type(request.headers.get("Content-Type")) == FORM)
    return body.removeprefix(UTF8_BOM)


def _form_field(body: bytes, declared_form: bool) -> bytes:
    """The XML in the form field `xml`; a body that has none is empty (a form) or malformed (not one)."""
    try:
        fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise RequestRefused("malformed_xml") from None
    value = next((value for key, value in fields if key == FORM_FIELD), None)
    if value is None:
        raise RequestRefused("empty_request" if declared_form else "malformed_xml")
    if not value.strip():
        raise RequestRefused("empty_request")
    return value.encode()


def _parse(xml: bytes) -> Element:
    """The root element of the request's XML, refused with the error that fits what is wrong."""
    if not looks_like_xml(xml):
        raise RequestRefused("malformed_xml")
    try:
        # UTF-8 whatever the XML declaration says (errata quicktel-transport), as the safe parser reads it.
        _screen(xml.decode("utf-8"))
        return parse_xml_tree(xml)
    except (UnicodeDecodeError, BadRequest):
        raise RequestRefused("malformed_xml") from None


def _screen(xml: str) -> None:
    """Refuse a document type declaration (-2006), and nesting or attributes beyond the safe parser's
    bounds (-2007).

    The safe parser refuses these too, but with one error for everything; this pass tells them apart.
    It stops at the DOCTYPE, before any entity is declared, let alone expanded.
    """
    parser = expat.ParserCreate()
    depth = 0

    def doctype(*_: Any) -> None:
        raise RequestRefused("body_rejected")

    def start(_name: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH or len(attributes) > MAX_XML_ATTRIBUTES:
            raise RequestRefused("invalid_structure")

    def end(*_: Any) -> None:
        nonlocal depth
        depth -= 1

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    with contextlib.suppress(expat.ExpatError):  # what is malformed, the safe parser says next
        parser.Parse(xml, True)


def _requested_operation(root: Element) -> str:
    name = root.get("name")
    if root.tag != "xml_request" or name not in _ATTRIBUTES:
        raise RequestRefused("unknown_request_name")
    return name


def _check_structure(root: Element, requested: str) -> None:
    """Only xml_user (once) and sms elements, each with only its documented attributes."""
    allowed = _ATTRIBUTES[requested]
    if set(root.attrib) - {"name"}:
        raise RequestRefused("invalid_structure")
    for child in root:
        if child.tag not in allowed or len(child) or set(child.attrib) - allowed[child.tag]:
            raise RequestRefused("invalid_structure")
    if len(root.findall("xml_user")) > 1:
        raise RequestRefused("invalid_structure")


def _authenticate(root: Element, backend: Backend) -> Account:
    user = root.find("xml_user")
    login = "" if user is None else user.get("lgn", "")
    password = "" if user is None else user.get("pwd", "")
    account = backend.accounts.authenticate(login, password) if login and password else None
    if account is None:
        raise RequestRefused("bad_credentials")
    return account


def _items(root: Element) -> list[Element]:
    items = root.findall("sms")
    if not items:
        raise RequestRefused("empty_request")
    if len(items) > MAX_SMS_PER_REQUEST:
        raise RequestRefused("too_many_sms")
    return items


def _sms_problem(item: Element) -> str | None:
    """The first per-SMS error of one <sms> (a request_errors_own name), or None when it can be sent."""
    number = item.get("number", "")
    ttl = item.get("ttl")
    if len(item.get("sms_id", "")) not in _SMS_ID_LENGTH:
        return "invalid_sms_id"
    if not _NUMBER.fullmatch(number):
        return "invalid_number"
    if len(number) > _NUMBER_LENGTH:
        return "number_too_long"
    if not _SOURCE_NUMBER.fullmatch(item.get("source_number", "")):
        return "invalid_source_number"
    if not item.text:
        return "empty_text"
    if ttl is not None and not _TTL.fullmatch(ttl):
        return "invalid_ttl"
    return None


def _push_id() -> str:
    """A new push_id: 18 random decimal digits, clear of the ids other dialects' clients choose."""
    return str(10**17 + secrets.randbelow(9 * 10**17))


def _violations(operation: str, request: Request, xml: bytes | None) -> list[Violation]:
    """What the request breaks of its contract: its XML, or the whole body when no XML was found (no longer
    than the server's max_body: no other bound on its size)."""
    if xml is not None:
        return validate("quicktel", operation, "request", xml, XML, max_xml_octets=None)
    body = request.get_data(cache=True)
    content_type = request.headers.get("Content-Type")
    return validate("quicktel", operation, "request", body, content_type, max_xml_octets=None)


# the code tables


def _rows(table: str) -> tuple[dict[str, Any], ...]:
    return code_tables("quicktel")[table].rows


@cache
def _errors() -> dict[str, dict[str, Any]]:
    """request_errors_own rows by name."""
    return {row["name"]: row for row in _rows("request_errors_own")}


@cache
def _status_names() -> dict[int, str]:
    return {row["status"]: row["name"] for row in _rows("delivery_statuses")}


@cache
def _status_by_group() -> dict[str | None, int]:
    """Core status group -> sms_status2 status; None: the account has no message of that push_id."""
    return {row["group"]: row["status"] for row in _rows("delivery_status_by_group_own")}


@cache
def _refusal_by_status() -> dict[str, str]:
    """Core statuses answered with a failed push: status name -> request_errors_own name."""
    names = {row["res"]: name for name, row in _errors().items()}
    return {row["core_status"]: names[row["res"]] for row in _rows("push_refusals_own")}


def _push_refusal(message: Message) -> str | None:
    """The per-SMS error a refused message is answered with; None when its push carries a push_id.

    A rule may name its own code (a rule's `code`); other refusals are sent pushes whose status
    sms_status2 reports as -1004 (errata quicktel-core-rejections).
    """
    refusal = _refusal_by_status().get(message.status.name)
    if refusal is not None:
        return refusal
    outcome = message.outcome
    if outcome is None or outcome.code is None or message.status != outcome.status:
        return None
    return next(
        (name for name, row in _errors().items() if row["res"] == outcome.code and row["scope"] == "sms"),
        None,
    )


# replies


def _sent_push(sms_id: str, message: Message, res: str) -> Element:
    return _element(
        "push",
        sms_id=sms_id,
        push_id=message.id,
        res=res,
        number=message.to,
        sms_count=str(message.parts),
    )


def _failed_push(sms_id: str, error: str) -> Element:
    row = _errors()[error]
    return _element("push", sms_id=sms_id, res=str(row["res"]), description=row["description"])


def _status_element(push_id: str, message: Message | None) -> Element:
    """One <sms> of an sms_status2 reply (errata quicktel-status2-attributes)."""
    group = None if message is None else message.status.group_name
    status = _status_by_group()[group]
    delivered = message.done_at if message is not None and group == "DELIVERED" else None
    return _element(
        "sms",
        push_id=push_id,
        status=str(status),
        number=None if message is None else message.to,
        delivery_date="" if delivered is None else _date(delivered),
        delivery_time="" if delivered is None else _time(delivered),
        description=_status_names()[status],
    )


def _date(moment: datetime) -> str:
    return f"{moment.day:02d}.{moment.month:02d}.{moment.year:04d}"


def _time(moment: datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"


def _element(tag: str, **attributes: str | None) -> Element:
    """An element with its attributes in the given order; None leaves one out."""
    return Element(tag, {key: value for key, value in attributes.items() if value is not None})


def _error_reply(error: str) -> Reply:
    row = _errors()[error]
    return _xml_reply(_element("xml_result", res=str(row["res"]), description=row["description"]), "error")


def _xml_reply(root: Element, operation: str) -> Reply:
    """Every reply is HTTP 200: quicktel says what went wrong in res (errata quicktel-http-status)."""
    body = well_formed('<?xml version="1.0" encoding="UTF-8"?>' + tostring(root, encoding="unicode"))
    return Reply(200, CONTENT_TYPE, body.encode(), operation)
