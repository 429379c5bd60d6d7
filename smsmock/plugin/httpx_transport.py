"""httpx clients answered by the in-process mock: transports, sync and async, and httpx's own routed.

`httpx.WSGITransport` would almost do, but it reads a chunked body into an environ that tells the app
there is none, refuses non-ASCII header bytes, answers a dropped connection with an empty 200, and
sleeps a delay fault out whatever the client's timeout; and httpx has no async WSGI transport. These
go through the same exchange as the `requests` route, so both kinds of client meet the same mock.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import anyio.to_thread
import httpx

from smsmock.plugin.inprocess import Answer, ConnectionDropped, InProcessTransport, ServerStalled

DEFAULT_PORTS = {"http": 80, "https": 443}


class InProcessHttpxTransport(httpx.BaseTransport):
    """Hands every request of an `httpx.Client` to the mock's app, whatever its host: no socket."""

    def __init__(self, inprocess: InProcessTransport) -> None:
        self.inprocess = inprocess

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return _exchange(self.inprocess, request, request.read())


class InProcessAsyncHttpxTransport(httpx.AsyncBaseTransport):
    """Hands every request of an `httpx.AsyncClient` to the mock's app, whatever its host: no socket.

    The app runs in a worker thread, as behind a threaded server: a delay fault the client waits out
    holds that thread, not the event loop, and concurrent requests of one loop meet the app
    concurrently. A cancelled request still runs to its end in the app (at most its read timeout, as
    a longer stall is answered at once), so nothing it does lands in a later test.
    """

    def __init__(self, inprocess: InProcessTransport) -> None:
        self.inprocess = inprocess

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        return await anyio.to_thread.run_sync(_exchange, self.inprocess, request, body)


@contextmanager
def routed_to(inprocess: InProcessTransport) -> Iterator[None]:
    """While open, httpx's own transports hand the requests for the mock's host to the mock.

    Every `httpx.Client()` and `httpx.AsyncClient()` a client builds for itself uses them (and so does
    one given `httpx.HTTPTransport(retries=...)` or a proxy), so client code needs no change; requests
    to any other host go out as before. A client with a transport of its own takes
    `inprocess.httpx_transport()` instead.
    """
    sync, asynchronous = inprocess.httpx_transport(), inprocess.httpx_async_transport()
    ours = _origin(httpx.URL(inprocess.root))
    sent = httpx.HTTPTransport.handle_request
    sent_async = httpx.AsyncHTTPTransport.handle_async_request

    @functools.wraps(sent)
    def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        if _origin(request.url) == ours:
            return sync.handle_request(request)
        return sent(transport, request)

    @functools.wraps(sent_async)
    async def handle_async_request(
        transport: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        if _origin(request.url) == ours:
            return await asynchronous.handle_async_request(request)
        return await sent_async(transport, request)

    with (
        mock.patch.object(httpx.HTTPTransport, "handle_request", handle_request),
        mock.patch.object(httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request),
    ):
        yield


def _exchange(inprocess: InProcessTransport, request: httpx.Request, body: bytes) -> httpx.Response:
    """The app's reply to `request`, or the httpx error a socket would have given instead."""
    timeout = request.extensions.get("timeout", {}).get("read")
    # Header bytes are latin-1 in the environ, as a server hands them over; httpx may carry UTF-8 there.
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw]
    try:
        answer = inprocess.exchange(request.method, str(request.url), headers, body, read_timeout=timeout)
    except ServerStalled as stall:
        raise httpx.ReadTimeout(str(stall), request=request) from None
    except ConnectionDropped as drop:
        # What httpx says over a socket the server shut before it answered.
        raise httpx.RemoteProtocolError(str(drop), request=request) from None
    return _response(answer)


def _response(answer: Answer) -> httpx.Response:
    return httpx.Response(
        answer.status,
        headers=[(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers],
        # A stream, not `content=`: the app's own headers stand (a HEAD reply keeps its Content-Length).
        stream=httpx.ByteStream(answer.body),
        extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason.encode("latin-1")},
    )


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or DEFAULT_PORTS.get(url.scheme)
