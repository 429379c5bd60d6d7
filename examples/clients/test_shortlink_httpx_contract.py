"""The contract suite run against the reference shortlink client on httpx, sync and async.

Neither adapter hands the client a transport: each client builds its own `httpx.Client` or
`httpx.AsyncClient`, and the in-process mock routes them, as it routes `requests`.
"""

from __future__ import annotations

from typing import Any

from shortlink_httpx_client import (
    AsyncShortlinkHttpxClient,
    Language,
    Report,
    SendResult,
    ShortlinkHttpxClient,
)

from smsmock.suite import Credentials, Outgoing, Sent, ShortlinkClientContract


class TestShortlinkHttpxClient(ShortlinkClientContract):
    transport = "inprocess"  # the client is built on httpx
    client_timeout = 5.0
    sends_language = True  # send() passes outgoing.language on
    sends_client_message_id = True  # send() passes outgoing.client_message_id on

    def make_client(self, base_url: str, credentials: Credentials) -> ShortlinkHttpxClient:
        return ShortlinkHttpxClient(
            base_url, credentials.username, credentials.password, timeout=self.client_timeout
        )

    def send(self, client: ShortlinkHttpxClient, outgoing: Outgoing) -> Sent:
        return sent(client.send(*arguments(outgoing), **options(outgoing)))

    def fetch_reports(self, client: ShortlinkHttpxClient) -> list[str]:
        return message_ids(client.fetch_reports())


class TestAsyncShortlinkHttpxClient(ShortlinkClientContract):
    """The async client, through an async adapter: the suite awaits it on one event loop per test."""

    transport = "inprocess"
    client_timeout = 5.0
    sends_language = True
    sends_client_message_id = True

    def make_client(self, base_url: str, credentials: Credentials) -> AsyncShortlinkHttpxClient:
        return AsyncShortlinkHttpxClient(
            base_url, credentials.username, credentials.password, timeout=self.client_timeout
        )

    async def send(self, client: AsyncShortlinkHttpxClient, outgoing: Outgoing) -> Sent:
        return sent(await client.send(*arguments(outgoing), **options(outgoing)))

    async def fetch_reports(self, client: AsyncShortlinkHttpxClient) -> list[str]:
        return message_ids(await client.fetch_reports())


def arguments(outgoing: Outgoing) -> tuple[str, list[str], str]:
    return outgoing.sender, list(outgoing.destinations), outgoing.text


def options(outgoing: Outgoing) -> dict[str, Any]:
    """The optional parts of `outgoing` as the client takes them."""
    language = outgoing.language
    return {
        "language": None
        if language is None
        else Language(language.code, language.single_shift, language.locking_shift),
        "message_ids": None
        if outgoing.client_message_id is None
        else dict.fromkeys(outgoing.destinations, outgoing.client_message_id),
    }


def sent(result: SendResult) -> Sent:
    """What the client reported, as the suite reads it."""
    counts = {entry.sms_count for entry in result.results.values()}
    return Sent(
        ok=result.ok,
        accepted={to: entry.ok for to, entry in result.results.items()},
        parts=counts.pop() if len(counts) == 1 else None,
        message_ids={to: entry.message_id for to, entry in result.results.items()},
    )


def message_ids(reports: list[Report]) -> list[str]:
    return [report.message_id for report in reports]
