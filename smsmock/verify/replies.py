"""Reading a live server's reply the way each dialect's document writes it: refused, accepted, which ids.

A `Reading` says whether the request as a whole was refused (and with which code), which items of it
(messages, destinations, pushes) were refused, and the message ids the reply hands out. It never
raises: a body that cannot be read is reported by the schema check, and reads as refused here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from smsmock.contracts.validation import parse_xml

FAMILY = ("shortlink", "qikli")
REJECTED_GROUP = "REJECTED"
UNIFIED_SUCCESS = "1701"
QUICKTEL_SENT = ("0", "1")
"""A push that carries a push_id: sent now, or the first attempt of a reused sms_id."""
QUICKTEL_UNKNOWN_PUSH = "-1"
SENDSMS_ACCEPTED = "200"


@dataclass(slots=True)
class Item:
    """One message, destination or push of a reply; refused when rejected, or (a Number Context
    result) answered with an error."""

    code: str
    refused: bool
    message_id: str | None = None


@dataclass(slots=True)
class Reading:
    """What a reply says about its request."""

    reply_operation: str
    """The contract the reply follows: the request's operation, or the dialect's `error` reply."""
    error: str | None = None
    """The code of a refusal of the whole request (an HTTP status where the body names none)."""
    items: list[Item] = field(default_factory=list)

    @property
    def refused_items(self) -> list[Item]:
        return [item for item in self.items if item.refused]

    @property
    def message_ids(self) -> list[str]:
        return [item.message_id for item in self.items if item.message_id]

    def codes(self) -> set[str]:
        """Every error code the reply gives, for the whole request or for one of its items."""
        found = {item.code for item in self.refused_items}
        return found | ({self.error} if self.error is not None else set())


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def reply_format(content_type: str | None) -> str | None:
    """`json`, `xml` or `text` for a reply's Content-Type; None for anything else."""
    media = media_type(content_type)
    if media.endswith("json"):
        return "json"
    if media.endswith("xml"):
        return "xml"
    if media == "text/plain":
        return "text"
    return None


def read_reply(dialect: str, operation: str, status: int, content_type: str, body: bytes) -> Reading:
    """What the reply to one `operation` request of `dialect` says."""
    reader = {
        "shortlink": _family,
        "qikli": _family,
        "unified": _unified,
        "quicktel": _quicktel,
        "sendsms": _sendsms,
    }[dialect]
    return reader(operation, status, content_type, body)


# --- decoding ------------------------------------------------------------------------------------


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _xml(body: bytes) -> Element | None:
    try:
        return parse_xml(body).root
    except (ValueError, UnicodeDecodeError):
        return None


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace").strip()


# --- the shortlink family: HTTP status for the whole request, a status object per message -------


def _family(operation: str, status: int, content_type: str, body: bytes) -> Reading:
    wire = reply_format(content_type)
    if not 200 <= status < 300:
        return Reading("error", error=_service_exception(wire, body) or str(status))
    if wire == "xml":
        root = _xml(body)
        items = [] if root is None else list(_xml_items(root))
    else:
        data = _json(body)
        items = list(_json_items(data))
        if data is None:
            return Reading(operation, error=f"an unreadable {wire or 'unknown'} body")
    return Reading(operation, items=items)


def _service_exception(wire: str | None, body: bytes) -> str | None:
    """The messageId of an error body (`UNAUTHORIZED`, `BAD_REQUEST`), JSON or XML."""
    if wire == "xml":
        root = _xml(body)
        found = None if root is None else root.find(".//serviceException/messageId")
        return None if found is None else (found.text or "").strip() or None
    data = _json(body)
    try:
        return str(data["requestError"]["serviceException"]["messageId"])
    except (KeyError, TypeError):
        return None


def _json_items(value: Any) -> Iterator[Item]:
    """Every object with a status object or a messageId: a sent message, a report, an inbound
    message, a Number Context result."""
    if isinstance(value, list):
        for entry in value:
            yield from _json_items(entry)
    elif isinstance(value, Mapping):
        status = value.get("status")
        message_id = value.get("messageId")
        if isinstance(status, Mapping) and "groupName" in status:
            group = str(status.get("groupName"))
            error = value.get("error")
            failed = isinstance(error, Mapping) and str(error.get("groupId", 0)) != "0"
            code, refused = str(status.get("name", group)), group.upper() == REJECTED_GROUP or failed
        elif message_id not in (None, "") and not isinstance(message_id, (Mapping, list)):
            code, refused = "", False
        else:
            for entry in value.values():
                yield from _json_items(entry)
            return
        yield Item(code, refused, None if message_id in (None, "") else str(message_id))


def _xml_items(element: Element) -> Iterator[Item]:
    status = element.find("status")
    message_id = (element.findtext("messageId") or "").strip() or None
    if status is not None and status.find("groupName") is not None:
        group = (status.findtext("groupName") or "").strip()
        failed = (element.findtext("error/groupId") or "0").strip() != "0"
        refused = group.upper() == REJECTED_GROUP or failed
        yield Item((status.findtext("name") or group).strip(), refused, message_id)
    elif message_id is not None:
        yield Item("", False, message_id)
    else:
        for child in element:
            yield from _xml_items(child)


# --- unified: a bare code, or one code|destination|id line per destination -----------------------


def _unified(operation: str, status: int, content_type: str, body: bytes) -> Reading:
    text = _text(body)
    if not 200 <= status < 300:
        return Reading(operation, error=str(status))
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) == 1 and "|" not in lines[0]:
        return Reading(operation, error=lines[0].strip())
    items = []
    for line in lines:
        code, _, rest = line.strip().partition("|")
        _, _, message_id = rest.partition("|")
        items.append(Item(code, code != UNIFIED_SUCCESS, message_id or None))
    if not items:
        return Reading(operation, error="an empty reply")
    return Reading(operation, items=items)


# --- quicktel: <xml_result res=..> for the whole request, <push res> / <sms status> per item -----


def _quicktel(operation: str, status: int, content_type: str, body: bytes) -> Reading:
    if not 200 <= status < 300:
        return Reading(operation, error=str(status))
    root = _xml(body)
    if root is None:
        return Reading(operation, error="an unreadable XML body")
    res = root.get("res", "")
    if len(root) == 0 and res != "0" and root.get("xml_name") is None and root.get("name") is None:
        return Reading("error", error=res or "no res")
    items = []
    for child in root:
        if child.tag == "push":
            code = child.get("res", "")
            items.append(Item(code, code not in QUICKTEL_SENT, child.get("push_id")))
        elif child.tag == "sms":
            code = child.get("status", "")
            items.append(Item(code, code == QUICKTEL_UNKNOWN_PUSH, child.get("push_id")))
    return Reading(operation, error=None if res == "0" else res or "no res", items=items)


# --- sendsms: a bare numeric code, or {"status": .., "error": ..} ---------------------------------


def _sendsms(operation: str, status: int, content_type: str, body: bytes) -> Reading:
    if not 200 <= status < 300:
        return Reading(operation, error=str(status))
    if reply_format(content_type) != "json" and not body.lstrip().startswith(b"{"):
        code = _text(body)
        return Reading(operation, error=None if code == SENDSMS_ACCEPTED else code or "an empty reply")
    data = _json(body)
    if not isinstance(data, Mapping):
        return Reading(operation, error="an unreadable JSON body")
    if data.get("status") is True:
        return Reading(operation)
    error = data.get("error")
    if error in (None, "", 0) and operation == "dlr":
        error = data.get("queue_status")
    return Reading(operation, error=str(error) if error not in (None, "") else "status false")
