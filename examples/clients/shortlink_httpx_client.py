"""A reference shortlink client on httpx, sync and async, written the way a careful user writes one.

The two classes share the wire format (what to send, how to read the replies), and the results of
shortlink_client.py (the one on requests); they differ only in how they wait. Each builds its own
`httpx.Client` or `httpx.AsyncClient`; a caller that must route it somewhere (a test's in-process
mock, a proxy) passes `transport=`, as httpx clients usually allow.
"""

from __future__ import annotations

import functools
import ssl
from types import TracebackType
from typing import Any

import certifi
import httpx
from shortlink_client import DestinationResult, Language, Report, SendResult

REPORTS_PATH = "/sms/1/reports"


class ShortlinkHttpxClient:
    """Sends text messages through /restapi/sms/1/text/multi (text/advanced for a national language or
    the client's own message ids) and reads delivery reports once."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            auth=(username, password),
            timeout=timeout,
            transport=transport,
            verify=tls_context(),
        )

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
        path, body = send_request(sender, destinations, text, language, message_ids)
        return read_send(self.http.post(path, json=body))

    def fetch_reports(self, limit: int = 50) -> list[Report]:
        return read_reports(self.http.get(REPORTS_PATH, params={"limit": limit}))

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ShortlinkHttpxClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class AsyncShortlinkHttpxClient:
    """`ShortlinkHttpxClient` for asyncio and trio code: the same requests, awaited."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url,
            auth=(username, password),
            timeout=timeout,
            transport=transport,
            verify=tls_context(),
        )

    async def send(
        self,
        sender: str,
        destinations: list[str],
        text: str,
        *,
        language: Language | None = None,
        message_ids: dict[str, str] | None = None,
    ) -> SendResult:
        """As `ShortlinkHttpxClient.send`."""
        path, body = send_request(sender, destinations, text, language, message_ids)
        return read_send(await self.http.post(path, json=body))

    async def fetch_reports(self, limit: int = 50) -> list[Report]:
        return read_reports(await self.http.get(REPORTS_PATH, params={"limit": limit}))

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> AsyncShortlinkHttpxClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client: building one reads the whole CA bundle, which costs more than
    a request (httpx builds one per client unless it is given one)."""
    return ssl.create_default_context(cafile=certifi.where())


# the wire format, shared by both clients


def send_request(
    sender: str,
    destinations: list[str],
    text: str,
    language: Language | None,
    message_ids: dict[str, str] | None,
) -> tuple[str, dict[str, Any]]:
    """The path and JSON body of a send: text/multi when it can, text/advanced when it must."""
    if language is None and not message_ids:
        return "/sms/1/text/multi", {"messages": [{"from": sender, "to": destinations, "text": text}]}
    message: dict[str, Any] = {
        "from": sender,
        "destinations": [
            {"to": to, **({"messageId": message_ids[to]} if message_ids and to in message_ids else {})}
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
    return "/sms/1/text/advanced", {"messages": [message]}


def read_send(reply: httpx.Response) -> SendResult:
    """One result per destination from its status group; the send is ok if any destination was taken."""
    if reply.status_code != 200:
        return SendResult(ok=False, error=_error_text(reply))
    answer = reply.json()
    results = {}
    for entry in answer.get("messages", []):
        results[entry["to"]] = DestinationResult(
            ok=entry["status"]["groupName"] in ("ACCEPTED", "PENDING"),
            message_id=entry.get("messageId"),
            status=entry["status"]["name"],
            sms_count=entry.get("smsCount", 0),
        )
    # bulkId comes only with several destinations (or a client-given one): never assume it.
    return SendResult(
        ok=any(result.ok for result in results.values()),
        results=results,
        bulk_id=answer.get("bulkId"),
    )


def read_reports(reply: httpx.Response) -> list[Report]:
    reply.raise_for_status()
    return [
        Report(entry["messageId"], entry["status"]["groupName"], entry["error"]["name"])
        for entry in reply.json().get("results", [])
    ]


def _error_text(reply: httpx.Response) -> str:
    try:
        return reply.json()["requestError"]["serviceException"]["text"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {reply.status_code}"
