"""The in-process transport: `requests` calls answered by the mock's WSGI app through `responses`.

No socket and no thread: the request goes from the client's `requests.Session` straight into
`MockApp`, so the same state, journal and assertions apply as over HTTP, at a fraction of the cost.
"""

from __future__ import annotations

import io
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import pytest
import requests
import responses

from smsmock.server.app import MockApp

ROOT = "http://smsmock.test"
"""Where the in-process mock answers (`.test` is reserved: no real host has it)."""
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
NO_TIMEOUT_STALL = 5.0
"""A delay fault at least this long, met by a request without a timeout, fails the test at once:
over a socket the client would hang for as long as the server stalls."""


class InProcessTransport:
    """Routes every `requests` call under ROOT into the app while started; others pass through."""

    def __init__(self, app: MockApp, root: str = ROOT) -> None:
        self.app = app
        self.root = root
        self._local = threading.local()
        self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        ours = re.compile(re.escape(root) + r"(/.*)?$")
        for method in METHODS:
            self._mock.add_callback(method, ours, callback=self._answer, content_type=None)
        self._mock.add_passthru(re.compile(r"^(?!" + re.escape(root) + r"(/|$))"))
        self._patience: float | None = None
        self._waited = 0.0
        self._waiting = threading.Lock()

    def start(self) -> None:
        self.app.pause = self._pause
        self._mock.start()

    def stop(self) -> None:
        self._mock.stop(allow_assert=False)
        self.app.pause = time.sleep

    def _answer(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        self._local.timeout = _read_timeout(getattr(request, "req_kwargs", {}).get("timeout"))
        body = request.body.encode() if isinstance(request.body, str) else request.body
        if body is not None and not isinstance(body, bytes):
            body = b"".join(chunk if isinstance(chunk, bytes) else str(chunk).encode() for chunk in body)
        try:
            status, headers, data = _call(
                self.app, request.method or "GET", request.url or "", request.headers, body
            )
        except _Stalled as stall:
            raise requests.exceptions.ReadTimeout(
                f"smsmock (in-process): the server stalled {stall.seconds:g} s, "
                f"longer than the client's read timeout of {stall.timeout:g} s",
                request=request,
            ) from None
        declared = headers.pop("Content-Length", None)
        if declared is not None and declared.isdigit() and int(declared) != len(data):
            # The app cut the reply short for a `drop` fault: over a socket the client sees a reset.
            raise requests.exceptions.ConnectionError(
                "smsmock (in-process): the connection was dropped (an injected fault)", request=request
            )
        return status, headers, data

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
                "against a real server that stalls, this client hangs. Pass a timeout to requests."
            )
        if timeout is not None and seconds >= timeout:
            self._count_wait(timeout, seconds, timeout)
            raise _Stalled(seconds, timeout)
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


def _call(
    app: MockApp, method: str, url: str, headers: Any, body: bytes | None
) -> tuple[int, dict[str, str], bytes]:
    """One request straight into the WSGI app: status, headers and body of its reply.

    The environ is built by hand because werkzeug's test client, which builds it in general, costs
    about as much per request as the mock's own work.
    """
    parts = urlsplit(url)
    body = body or b""
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
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parts.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "HTTP_HOST": parts.netloc,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ[key] = value
        elif key != "CONTENT_LENGTH":
            environ[f"HTTP_{key}"] = value
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
    status, response_headers = started
    return int(status.split(" ", 1)[0]), dict(response_headers), data


class _Stalled(BaseException):
    """Raised through the app (which turns any Exception into a 500) back to the transport."""

    def __init__(self, seconds: float, timeout: float) -> None:
        super().__init__(seconds, timeout)
        self.seconds = seconds
        self.timeout = timeout


def _read_timeout(timeout: Any) -> float | None:
    """The read part of a requests timeout: a number, or the second of a (connect, read) pair."""
    if isinstance(timeout, tuple):
        timeout = timeout[1] if len(timeout) > 1 else timeout[0]
    return None if timeout is None else float(timeout)
