"""Reference client for the Qikli SMS API: `POST /sms/2/text/advanced` and `GET /sms/1/reports`, JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

OK_GROUPS = frozenset({"ACCEPTED", "PENDING", "DELIVERED"})
"""Status groups of a message the platform took; UNDELIVERABLE, EXPIRED and REJECTED are failures."""
JSON_HEADERS = {"Accept": "application/json"}


@dataclass(frozen=True)
class DestinationResult:
    ok: bool
    message_id: str | None
    status_group: str | None
    """The status group name; None when the reply had no message for this destination."""
    sms_count: int | None


NOT_TAKEN = DestinationResult(False, None, None, None)
"""A destination of a refused request, or one the reply said nothing of."""


@dataclass(frozen=True)
class SendResult:
    ok: bool
    """True only when every destination was taken."""
    results: dict[str, DestinationResult]
    bulk_id: str | None
    """Present only when the reply carries one (for a single destination it usually does not)."""
    error: str | None = None
    """The error text of a refused request (HTTP 401, 400, ...)."""


@dataclass(frozen=True)
class Language:
    """The national language whose shift tables the text may use (TR, ES, PT)."""

    code: str
    single_shift: bool = True
    locking_shift: bool = False


@dataclass(frozen=True)
class Report:
    message_id: str
    status_group: str | None
    error_name: str | None


class QikliClient:
    """Sends SMS and pulls delivery reports with Basic auth; refusals come back as results, never raised."""

    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = (username, password)
        self.timeout = timeout

    def send(
        self,
        sender: str,
        destinations: list[str],
        text: str,
        *,
        language: Language | None = None,
        message_ids: dict[str, str] | None = None,
    ) -> SendResult:
        """Send `text` to each destination once (one message object, one destination entry per number).

        `message_ids` are the client's own ids by destination, unique per account: a reused one is
        refused (REJECTED_DUPLICATE_MESSAGE_ID), so a retry under the same id never sends twice.
        """
        destinations = list(dict.fromkeys(destinations))
        ids = message_ids or {}
        message: dict[str, Any] = {
            "destinations": [
                {"to": to, **({"messageId": ids[to]} if to in ids else {})} for to in destinations
            ],
            "text": text,
        }
        if sender:
            message["from"] = sender
        if language is not None:
            message["language"] = {
                "languageCode": language.code,
                "singleShift": language.single_shift,
                "lockingShift": language.locking_shift,
            }
        response = requests.post(
            f"{self.base_url}/sms/2/text/advanced",
            json={"messages": [message]},
            auth=self.auth,
            headers=JSON_HEADERS,
            timeout=self.timeout,
        )
        reply = _json(response)
        if response.status_code != 200 or not isinstance(reply.get("messages"), list):
            failed = dict.fromkeys(destinations, NOT_TAKEN)
            return SendResult(False, failed, None, _error_text(response, reply))
        return self._read(reply, destinations)

    def _read(self, reply: dict[str, Any], destinations: list[str]) -> SendResult:
        """One result per destination, matched by number; a destination the reply left out failed."""
        taken: dict[str, DestinationResult] = {}
        for item in reply["messages"]:
            status = _obj(_obj(item).get("status"))
            if status:
                group = status.get("groupName")
                count = item.get("smsCount")
                taken[_key(str(item.get("to", "")))] = DestinationResult(
                    ok=group in OK_GROUPS and bool(item.get("messageId")),
                    message_id=item.get("messageId"),
                    status_group=group,
                    sms_count=count if isinstance(count, int) else None,
                )
        results = {to: taken.get(_key(to), NOT_TAKEN) for to in destinations}
        ok = bool(results) and all(result.ok for result in results.values())
        bulk_id = reply.get("bulkId")
        return SendResult(ok, results, str(bulk_id) if bulk_id else None)

    def fetch_reports(self, limit: int = 50) -> list[Report]:
        """New delivery reports (each is handed out once); an empty list when the request is refused."""
        response = requests.get(
            f"{self.base_url}/sms/1/reports",
            params={"limit": str(limit)},
            auth=self.auth,
            headers=JSON_HEADERS,
            timeout=self.timeout,
        )
        results = _json(response).get("results") if response.status_code == 200 else None
        reports = []
        for item in results if isinstance(results, list) else []:
            if isinstance(item, dict) and item.get("messageId"):
                status, error = _obj(item.get("status")), _obj(item.get("error"))
                reports.append(Report(str(item["messageId"]), status.get("groupName"), error.get("name")))
        return reports


def _key(number: str) -> str:
    """Numbers compare without their leading +."""
    return number.strip().removeprefix("+")


def _obj(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        return _obj(response.json())
    except ValueError:
        return {}


def _error_text(response: requests.Response, reply: dict[str, Any]) -> str:
    """requestError.serviceException.text, else what went wrong on the wire."""
    text = _obj(_obj(reply.get("requestError")).get("serviceException")).get("text")
    if text:
        return str(text)
    return "unreadable reply" if response.status_code == 200 else f"HTTP {response.status_code}"
