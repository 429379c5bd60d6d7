"""Reference client for the quicktel XML protocol: `sms_send` and `sms_status2` posted as raw XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import requests

MAX_SMS_PER_REQUEST = 250
CONTENT_TYPE = "application/xml; charset=UTF-8"
TEXT_ESCAPES = {'"': "&quot;", "'": "&apos;", "\r": "&#13;"}
"""Besides & < >: the document's quote escapes, and CR, which XML parsers would turn into LF."""


@dataclass(frozen=True)
class Sms:
    sms_id: str
    """Unique per account: a reused sms_id is not sent again (res 1, the first attempt's push_id)."""
    number: str
    source: str
    text: str
    ttl: int | None = None
    """Minutes within which the SMS must be delivered."""


@dataclass(frozen=True)
class PushResult:
    sms_id: str
    ok: bool
    """res 0 (sent) or 1 (sms_id already used: the first attempt stands)."""
    push_id: str | None
    res: int | None
    """The push's res, the whole request's negative res, or None when the reply said nothing of it."""
    sms_count: int | None
    description: str | None


class QuicktelClient:
    """Sends SMS and reads their statuses; error codes come back as results, never raised."""

    def __init__(self, url: str, login: str, password: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.login = login
        self.password = password
        self.timeout = timeout

    def send(self, messages: list[Sms]) -> list[PushResult]:
        """One result per message, in order; at most 250 SMS go in one request."""
        results: list[PushResult] = []
        for start in range(0, len(messages), MAX_SMS_PER_REQUEST):
            batch = messages[start : start + MAX_SMS_PER_REQUEST]
            items = [self._sms_element(sms) for sms in batch]
            root = self._post("sms_send", items)
            results.extend(self._push_results(root, batch))
        return results

    def status(self, push_ids: list[str]) -> dict[str, int]:
        """Delivery status per push_id (1 queued, 2 sent, 4 delivered, -1004 failed, -1 unknown).

        A push_id whose request failed as a whole is left out.
        """
        statuses: dict[str, int] = {}
        for start in range(0, len(push_ids), MAX_SMS_PER_REQUEST):
            items = [f"<sms push_id={quoteattr(p)}/>" for p in push_ids[start : start + MAX_SMS_PER_REQUEST]]
            root = self._post("sms_status2", items)
            if root is None:
                continue
            for item in root.iter("sms"):
                push_id, status = item.get("push_id"), _int(item.get("status"))
                if push_id is not None and status is not None:
                    statuses[push_id] = status
        return statuses

    def _post(self, name: str, items: list[str]) -> ET.Element | None:
        """POST one request; the reply's root element, or None for an HTTP error or unreadable XML."""
        user = f"<xml_user lgn={quoteattr(self.login)} pwd={quoteattr(self.password)}/>"
        head = ['<?xml version="1.0" encoding="UTF-8"?>', f"<xml_request name={quoteattr(name)}>", user]
        xml = "\n".join([*head, *items, "</xml_request>"])
        response = requests.post(
            self.url, data=xml.encode("utf-8"), headers={"Content-Type": CONTENT_TYPE}, timeout=self.timeout
        )
        if response.status_code != 200:
            return None
        try:
            return ET.fromstring(response.content)
        except ET.ParseError:
            return None

    def _sms_element(self, sms: Sms) -> str:
        ttl = "" if sms.ttl is None else f" ttl={quoteattr(str(sms.ttl))}"
        attributes = f"sms_id={quoteattr(sms.sms_id)} number={quoteattr(sms.number)}"
        attributes += f" source_number={quoteattr(sms.source)}{ttl}"
        return f"<sms {attributes}>{escape(sms.text, TEXT_ESCAPES)}</sms>"

    def _push_results(self, root: ET.Element | None, batch: list[Sms]) -> list[PushResult]:
        """One <push> per <sms>, in request order; a whole-request error fails every message with its res."""
        res = None if root is None else _int(root.get("res"))
        if root is None or res is None or res < 0:
            description = "unreadable reply" if root is None else root.get("description")
            return [PushResult(sms.sms_id, False, None, res, None, description) for sms in batch]
        pushes = root.findall("push")
        results = []
        for position, sms in enumerate(batch):
            push = pushes[position] if position < len(pushes) else None
            if push is None:
                results.append(PushResult(sms.sms_id, False, None, None, None, "no push in the reply"))
                continue
            code = _int(push.get("res"))
            results.append(
                PushResult(
                    sms_id=sms.sms_id,
                    ok=self._sent(code, push),
                    push_id=push.get("push_id"),
                    res=code,
                    sms_count=_int(push.get("sms_count")),
                    description=push.get("description"),
                )
            )
        return results

    def _sent(self, code: int | None, push: ET.Element) -> bool:
        """res 0 (sent) or 1 (sms_id reused: the first attempt stands), with the push_id to ask after."""
        return code in (0, 1) and bool(push.get("push_id"))


def _int(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None
