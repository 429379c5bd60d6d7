"""The webhook sender: POSTs callbacks to clients' notifyUrls on its own thread, never on a request's."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from functools import cache
from typing import Any

from smsmock.core.backend import Backend, Callback

TIMEOUT = 5.0
REPLY_KEPT = 2048
"""Bytes of a client's reply kept with its attempt: enough to see what the callback server said."""


@cache
def _opener() -> Any:
    """No proxies: a notifyUrl is the client's own address, usually on loopback."""
    # Made at the first callback: urllib.request (with http.client and email) costs a start that sends
    # none about 10 ms.
    import urllib.request

    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


Renderer = Callable[[Callback], tuple[str, bytes]]


class WebhookSender:
    """A queue and a worker; each attempt is reported back to the backend, which schedules retries."""

    def __init__(self, backend: Backend, render: Renderer) -> None:
        self._backend = backend
        self._render = render
        self._queue: queue.Queue[Callback | None] = queue.Queue()
        self._idle = threading.Condition()
        self._busy = 0
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, callback: Callback) -> None:
        self._ensure_started()
        with self._idle:
            self._busy += 1
        self._queue.put(callback)

    def _ensure_started(self) -> None:
        # Started on first use, so a server that forks its worker starts the thread in the worker.
        if self._thread is None or not self._thread.is_alive():
            with self._start_lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._work, name="smsmock-webhooks", daemon=True)
                    self._thread.start()

    def _work(self) -> None:
        while True:
            callback = self._queue.get()
            if callback is None:
                return
            try:
                self._deliver(callback)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _deliver(self, callback: Callback) -> None:
        import http.client
        import urllib.error
        import urllib.request

        status, error, reply = None, None, None
        try:
            _, body = self._render(callback)
            request = urllib.request.Request(
                callback.url, data=body, method="POST", headers={"Content-Type": callback.content_type}
            )
            with _opener().open(request, timeout=TIMEOUT) as response:
                status, reply = response.status, _kept(response)
        except urllib.error.HTTPError as failure:
            status, reply = failure.code, _kept(failure)
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as failure:
            # The URL the client gave cannot be opened (a host with control characters is http.client's
            # InvalidURL), or its server answered no HTTP: a failed attempt, retried and then queued.
            error = str(getattr(failure, "reason", failure)) or type(failure).__name__
        self._backend.callback_attempted(callback, status, error, reply)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every submitted callback has been attempted; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def stop(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=TIMEOUT)


def _kept(response: Any) -> str | None:
    """The start of a reply's body, as text, for the inbox and the control API; None if unreadable."""
    try:
        return response.read(REPLY_KEPT).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None
