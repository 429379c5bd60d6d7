"""One HTTP exchange with the mock, in process (werkzeug's test client) or over a real socket,
and the documented requests there are to send.

The dialect test modules wrap these in transports of their own, each with the dialect's helpers;
the exchange itself is the same for all of them.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.test import Client

from smsmock.contracts.catalog import examples, operations

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Exchanged:
    """A reply as the client saw it; header names in lower case."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def over_wsgi(
    client: Client,
    method: str,
    path: str,
    *,
    query: str = "",
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    content_type: str | None = None,
    address: str = LOOPBACK,
    environ: Mapping[str, str] | None = None,
) -> Exchanged:
    """`environ` overrides what the test client puts in the WSGI environ: a raw QUERY_STRING (octets a
    client may send, read as Latin-1), a CONTENT_LENGTH that lies."""
    response = client.open(
        path,
        method=method,
        query_string=query or None,
        data=body,
        headers=list(_with_type(headers, content_type).items()),
        # What a real server puts there; werkzeug's test client leaves it out.
        environ_base={"REMOTE_ADDR": address},
        environ_overrides=dict(environ or {}),
    )
    return Exchanged(
        response.status_code, {name.lower(): value for name, value in response.headers}, response.data
    )


def over_http(
    port: int,
    method: str,
    path: str,
    *,
    query: str = "",
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    content_type: str | None = None,
) -> Exchanged:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        target = path + (f"?{query}" if query else "")
        connection.request(method, target, body=body or None, headers=_with_type(headers, content_type))
        response = connection.getresponse()
        return Exchanged(
            response.status, {name.lower(): value for name, value in response.getheaders()}, response.read()
        )
    finally:
        connection.close()


def _with_type(headers: Mapping[str, str] | None, content_type: str | None) -> dict[str, str]:
    return {**(headers or {}), **({"Content-Type": content_type} if content_type else {})}


def documented_requests(dialects: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(dialect, example) for every documented request the mock serves, as the documents print it."""
    for dialect in dialects:
        served = {name for name, op in operations(dialect).items() if op.paths and name != "error"}
        for example in examples(dialect):
            if example["direction"] != "request" or not example.get("method"):
                continue
            if example["operation"] not in served or example.get("snippet") in ("curl", "python"):
                continue  # a callback the mock sends itself, or a code snippet
            yield dialect, example
