"""`MockServer`: the mock on a real socket in a background thread, with the control API in Python."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig


class _RequestHandler(WSGIRequestHandler):
    # TCP_NODELAY: with Nagle's algorithm a reply written in two pieces (headers, then body) waits for
    # the client's delayed ACK, some 40 ms per request on a kept-alive connection.
    disable_nagle_algorithm = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Not logged: the journal keeps every exchange, and a test's captured output stays readable
        (werkzeug wrote a line to standard error per request)."""


class MockServer:
    """A running mock for tests: `with MockServer() as mock: ... mock.url ... mock.control.advance(5)`.

    Port 0 (the default) picks a free port. `control` offers every control API operation as a method.
    """

    def __init__(self, config: MockConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = MockApp(config)
        self.control = self.app.control
        self._host, self._port = host, port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the mock server is not running; call start() first")
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the mock server is not running; call start() first")
        return self._server.server_port

    def start(self) -> MockServer:
        if self._server is not None:
            return self
        self._server = make_server(
            self._host, self._port, self.app, threaded=True, request_handler=_RequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="smsmock-server",
            daemon=True,
        )
        self._thread.start()
        self.app.start_background()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.app.stop_background()
        self._server = None
        self._thread = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def urls(self) -> dict[str, str]:
        return self.app.base_urls(self.url)
