"""One HTTP exchange with the mock, in process (werkzeug's test client) or over a real socket.

The dialect test modules wrap these in transports of their own, each with the dialect's helpers;
the exchange itself is the same for all of them.
"""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from dataclasses import dataclass

from werkzeug.test import Client

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
) -> Exchanged:
    response = client.open(
        path,
        method=method,
        query_string=query or None,
        data=body,
        headers=list(_with_type(headers, content_type).items()),
        # What a real server puts there; werkzeug's test client leaves it out.
        environ_base={"REMOTE_ADDR": address},
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
