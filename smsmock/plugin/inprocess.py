"""The in-process transport: `requests` and `httpx` calls answered by the mock's WSGI app, no socket.

The request goes from the client straight into `MockApp` (through `responses` for requests, through
httpx's transport API for httpx), so the same state, journal and assertions apply as over HTTP, at a
fraction of the cost. Faults stay honest: a stall is answered as the client's timeout would answer it,
and a dropped connection fails the client as a reset socket does.
"""

from __future__ import annotations

import io
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes, urlsplit

import pytest
import requests
import responses

from smsmock.server.app import MockApp

if TYPE_CHECKING:
    import httpx

ROOT = "http://smsmock.test"
"""Where the in-process mock answers (`.test` is reserved: no real host has it)."""
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
NO_TIMEOUT_STALL = 5.0
"""A delay fault at least this long, met by a request without a timeout, fails the test at once:
over a socket the client would hang for as long as the server stalls."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The app's reply to one in-process request, as a socket would carry it."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


class ServerStalled(BaseException):
    """A delay fault longer than the client's read timeout: the client times out, at once.

    A BaseException, so that it passes through the app (which answers any Exception with a 500)."""

    def __init__(self, seconds: float, timeout: float) -> None:
        super().__init__(seconds, timeout)
        self.seconds = seconds
        self.timeout = timeout

    def __str__(self) -> str:
        return (
            f"smsmock (in-process): the server stalled {self.seconds:g} s, "
            f"longer than the client's read timeout of {self.timeout:g} s"
        )


class ConnectionDropped(Exception):
    """A drop fault: the app shut the connection down instead of answering."""

    def __str__(self) -> str:
        return "smsmock (in-process): the connection was dropped (an injected fault)"


class InProcessTransport:
    """Routes every `requests` and `httpx` call under ROOT into the app while started; others pass
    through. `httpx_transport()` and `httpx_async_transport()` give httpx transports bound to the app."""

    def __init__(self, app: MockApp, root: str = ROOT) -> None:
        self.app = app
        self.root = root
        self._local = threading.local()
        self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        ours = re.compile(re.escape(root) + r"(/.*)?$")
        answer = self._answer
        self._routes = [self._mock.add_callback(m, ours, callback=answer, content_type=None) for m in METHODS]
        self._mock.add_passthru(re.compile(r"^(?!" + re.escape(root) + r"(/|$))"))
        self._httpx_routing: AbstractContextManager[None] | None = None
        self._patience: float | None = None
        self._waited = 0.0
        self._waiting = threading.Lock()

    def start(self) -> None:
        self.app.pause = self._pause
        self._mock.start()
        self._httpx_routing = _httpx_routing(self)
        if self._httpx_routing is not None:
            self._httpx_routing.__enter__()

    def stop(self) -> None:
        if self._httpx_routing is not None:
            self._httpx_routing.__exit__(None, None, None)
            self._httpx_routing = None
        self._mock.stop(allow_assert=False)
        self.app.pause = time.sleep

    def exchange(
        self,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]],
        body: bytes | None,
        *,
        read_timeout: float | None,
    ) -> Answer:
        """One request into the app, as a server would hand it over; the client's read timeout decides
        what a delay fault does. Raises ServerStalled and ConnectionDropped where a socket would fail."""
        self._local.timeout = read_timeout
        try:
            return _call(self.app, method, url, headers, body or b"")
        finally:
            self._local.timeout = None

    def httpx_transport(self) -> httpx.BaseTransport:
        """An httpx transport that hands every request it gets to the app (whatever its host)."""
        from smsmock.plugin.httpx_transport import InProcessHttpxTransport

        return InProcessHttpxTransport(self)

    def httpx_async_transport(self) -> httpx.AsyncBaseTransport:
        """The same for `httpx.AsyncClient`: the app runs in a worker thread, the event loop runs on."""
        from smsmock.plugin.httpx_transport import InProcessAsyncHttpxTransport

        return InProcessAsyncHttpxTransport(self)

    def _answer(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        self._forget_calls()
        body = request.body.encode() if isinstance(request.body, str) else request.body
        if body is not None and not isinstance(body, bytes):
            body = b"".join(chunk if isinstance(chunk, bytes) else str(chunk).encode() for chunk in body)
        timeout = _read_timeout(getattr(request, "req_kwargs", {}).get("timeout"))
        try:
            answer = self.exchange(
                request.method or "GET",
                request.url or "",
                request.headers.items(),
                body,
                read_timeout=timeout,
            )
        except ServerStalled as stall:
            raise requests.exceptions.ReadTimeout(str(stall), request=request) from None
        except ConnectionDropped as drop:
            raise requests.exceptions.ConnectionError(str(drop), request=request) from None
        return answer.status, dict(answer.headers), answer.body

    def _forget_calls(self) -> None:
        """Drop the log `responses` keeps of every call it answered, request and reply, for as long as
        the mock is on: nothing reads it (the journal keeps the exchanges), and every full collection
        of the test process walked its thousands of objects, a quarter of the mock's time per call."""
        self._mock.calls.reset()
        for route in self._routes:
            route.calls.reset()

    @contextmanager
    def patience(self, seconds: float) -> Iterator[None]:
        """Hold clients to `seconds` of waiting for stalled replies, in all, within the block.

        A stalled reply is answered at once (a ReadTimeout where the client's read timeout is within
        the stall), but the time the client would have waited over a socket is counted; a client whose
        waits add up to more than `seconds` fails the test there, as over a socket it would still be
        waiting when that time is up.
        """
        with self._waiting:
            self._patience, self._waited = seconds, 0.0
        try:
            yield
        finally:
            with self._waiting:
                self._patience = None

    def _pause(self, seconds: float) -> None:
        timeout = getattr(self._local, "timeout", None)
        if timeout is None and seconds >= NO_TIMEOUT_STALL:
            # pytest.fail raises an outcome exception, which a client's `except Exception` cannot swallow.
            pytest.fail(
                f"the client sent a request without a timeout, and the server stalled {seconds:g} s: "
                "against a real server that stalls, this client hangs. Give the client a timeout."
            )
        if timeout is not None and seconds >= timeout:
            self._count_wait(timeout, seconds, timeout)
            raise ServerStalled(seconds, timeout)
        self._count_wait(seconds, seconds, timeout)
        time.sleep(seconds)

    def _count_wait(self, waited: float, stall: float, timeout: float | None) -> None:
        """Add a client's wait to its total, failing the test once the total is beyond patience."""
        with self._waiting:
            if self._patience is None:
                return
            self._waited += waited
            total, patience = self._waited, self._patience
        if total > patience:
            read = "no read timeout" if timeout is None else f"a read timeout of {timeout:g} s"
            pytest.fail(
                f"the server stalled {stall:g} s and the client, with {read}, waits {total:g} s in all "
                f"before it gives up: longer than the {patience:g} s its declared timeout allows"
            )


def _httpx_routing(transport: InProcessTransport) -> AbstractContextManager[None] | None:
    """httpx's own transports routed to the app for ROOT's host, or None where httpx is not installed.

    Imported here, not at the top: httpx costs a noticeable share of a test run's start-up, and only
    a session that starts an in-process mock needs it."""
    try:
        from smsmock.plugin.httpx_transport import routed_to
    except ImportError:
        return None
    return routed_to(transport)


def _call(app: MockApp, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes) -> Answer:
    """One request straight into the WSGI app, handed over as werkzeug's server hands it over.

    The environ is built by hand because werkzeug's test client, which builds it in general, costs
    about as much per request as the mock's own work.
    """
    parts = urlsplit(url)
    connection = _Connection()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        # WSGI carries the decoded path as latin-1 code points of its bytes.
        "PATH_INFO": unquote_to_bytes(parts.path or "/").decode("latin-1"),
        "QUERY_STRING": parts.query,
        "SERVER_NAME": parts.hostname or "localhost",
        "SERVER_PORT": str(parts.port or 80),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parts.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        # The whole body is here, whatever its framing: the app may read to its end, as it does behind
        # a server that took a chunked body apart. CONTENT_LENGTH is the client's header, if it sent one.
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        # Where a drop fault shuts the connection down: the stand-in tells the transport it did.
        "werkzeug.socket": connection,
        "HTTP_HOST": parts.netloc,
    }
    for name, value in headers:
        if "_" in name:
            continue  # as werkzeug's server: such a header could pass for another once in the environ
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
            continue
        key = f"HTTP_{key}"
        # A repeated header arrives joined, as werkzeug's server joins it (Host is the request's own).
        joined = key in environ and key != "HTTP_HOST"
        environ[key] = f"{environ[key]},{value}" if joined else value
    started: list[Any] = []

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, response_headers]
        return lambda data: None

    chunks = app(environ, start_response)
    try:
        data = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    if connection.shut_down:
        raise ConnectionDropped()
    status, response_headers = started
    code, _, reason = status.partition(" ")
    # A server sends no body after HEAD, whatever the app gives (its Content-Length is the GET's).
    return Answer(int(code), reason, list(response_headers), b"" if method == "HEAD" else data)


class _Connection:
    """What the app sees as the client's socket: all it does with one is shut it down (a drop fault)."""

    def __init__(self) -> None:
        self.shut_down = False

    def shutdown(self, how: int) -> None:
        self.shut_down = True


def _read_timeout(timeout: Any) -> float | None:
    """The read part of a requests timeout: a number, or the second of a (connect, read) pair."""
    if isinstance(timeout, tuple):
        timeout = timeout[1] if len(timeout) > 1 else timeout[0]
    return None if timeout is None else float(timeout)
