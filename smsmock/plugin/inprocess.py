"""The in-process transport: `requests` calls answered by the mock's WSGI app through `responses`.

No socket and no thread: the request goes from the client's `requests.Session` straight into
`MockApp`, so the same state, journal and assertions apply as over HTTP, at a fraction of the cost.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest
import requests
import responses
from werkzeug.test import Client

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
        self._client = Client(app)
        self._local = threading.local()
        self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        ours = re.compile(re.escape(root) + r"(/.*)?$")
        for method in METHODS:
            self._mock.add_callback(method, ours, callback=self._answer, content_type=None)
        self._mock.add_passthru(re.compile(r"^(?!" + re.escape(root) + r"(/|$))"))

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
        headers = [
            (name, value) for name, value in request.headers.items() if name.lower() != "content-length"
        ]
        try:
            response = self._client.open(request.url, method=request.method, headers=headers, data=body)
        except _Stalled as stall:
            raise requests.exceptions.ReadTimeout(
                f"smsmock (in-process): the server stalled {stall.seconds:g} s, "
                f"longer than the client's read timeout of {stall.timeout:g} s",
                request=request,
            ) from None
        data = response.get_data()
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) != len(data):
            # The app cut the reply short for a `drop` fault: over a socket the client sees a reset.
            raise requests.exceptions.ConnectionError(
                "smsmock (in-process): the connection was dropped (an injected fault)", request=request
            )
        reply_headers = {
            name: value for name, value in response.headers.items() if name.lower() != "content-length"
        }
        return response.status_code, reply_headers, data

    def _pause(self, seconds: float) -> None:
        timeout = getattr(self._local, "timeout", None)
        if timeout is not None and seconds >= timeout:
            raise _Stalled(seconds, timeout)
        if timeout is None and seconds >= NO_TIMEOUT_STALL:
            # pytest.fail raises an outcome exception, which a client's `except Exception` cannot swallow.
            pytest.fail(
                f"the client sent a request without a timeout, and the server stalled {seconds:g} s: "
                "against a real server that stalls, this client hangs. Pass a timeout to requests."
            )
        time.sleep(seconds)


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
