"""A reference shortlink client, written the way a careful user writes one with requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass(frozen=True)
class DestinationResult:
    ok: bool
    message_id: str | None
    status: str
    sms_count: int


@dataclass
class SendResult:
    ok: bool
    results: dict[str, DestinationResult] = field(default_factory=dict)
    bulk_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Language:
    """The national language whose shift tables the text may use (TR, ES, PT)."""

    code: str
    single_shift: bool = True
    locking_shift: bool = False


@dataclass(frozen=True)
class Report:
    message_id: str
    status_group: str
    error_name: str


class ShortlinkClient:
    """Sends text messages through /restapi/sms/1/text/multi (text/advanced for a national language or
    the client's own message ids) and reads delivery reports once."""

    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (username, password)
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
        """Send `text` to every destination; `message_ids` are the client's own ids by destination,
        unique per account: a reused one is refused (REJECTED_DUPLICATE_MESSAGE_ID)."""
        if language is None and not message_ids:
            path, body = "multi", self._body(sender, destinations, text)
        else:
            path, body = (
                "advanced",
                self._advanced_body(sender, destinations, text, language, message_ids or {}),
            )
        reply = self.session.post(f"{self.base_url}/sms/1/text/{path}", json=body, timeout=self.timeout)
        if reply.status_code != 200:
            return SendResult(ok=False, error=_error_text(reply))
        return self._read(reply.json())

    def _body(self, sender: str, destinations: list[str], text: str) -> dict[str, Any]:
        return {"messages": [{"from": sender, "to": destinations, "text": text}]}

    def _advanced_body(
        self,
        sender: str,
        destinations: list[str],
        text: str,
        language: Language | None,
        message_ids: dict[str, str],
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "from": sender,
            "destinations": [
                {"to": to, **({"messageId": message_ids[to]} if to in message_ids else {})}
                for to in destinations
            ],
            "text": text,
        }
        if language is not None:
            message["language"] = {
                "languageCode": language.code,
                "singleShift": language.single_shift,
                "lockingShift": language.locking_shift,
            }
        return {"messages": [message]}

    def _read(self, answer: dict[str, Any]) -> SendResult:
        """One result per destination from its status group; the send is ok if any destination was taken."""
        results = {}
        for entry in answer.get("messages", []):
            results[entry["to"]] = DestinationResult(
                ok=self._taken(entry["status"]["groupName"]),
                message_id=entry.get("messageId"),
                status=entry["status"]["name"],
                sms_count=entry.get("smsCount", 0),
            )
        # bulkId comes only with several destinations (or a client-given one): never assume it.
        return SendResult(
            ok=any(result.ok for result in results.values()), results=results, bulk_id=answer.get("bulkId")
        )

    def _taken(self, group: str) -> bool:
        return group in ("ACCEPTED", "PENDING")

    def fetch_reports(self, limit: int = 50) -> list[Report]:
        reply = self.session.get(
            f"{self.base_url}/sms/1/reports", params={"limit": limit}, timeout=self.timeout
        )
        reply.raise_for_status()
        return [
            Report(entry["messageId"], entry["status"]["groupName"], entry["error"]["name"])
            for entry in reply.json().get("results", [])
        ]


def _error_text(reply: requests.Response) -> str:
    try:
        return reply.json()["requestError"]["serviceException"]["text"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {reply.status_code}"
