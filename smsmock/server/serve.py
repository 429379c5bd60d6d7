"""`smsmock serve`: the mock on granian, one worker process holding the one state.

werkzeug's own threaded server spends most of its time in Python parsing HTTP and switching threads;
granian parses HTTP and handles sockets in Rust and calls the WSGI app only for the work that is the
mock's. It runs a single worker, so every request meets the same state: a message sent through one
connection is visible through every other. The app is built before the worker is forked, so the
worker starts with everything loaded.
"""

from __future__ import annotations

import gc
import socket
import sys
import time
from collections.abc import Callable
from typing import TextIO

from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig

GC_YOUNG_THRESHOLD = 20_000
"""Allocations between collections of the youngest generation in the serving worker."""
FREEZE_INTERVAL = 1.0
"""Seconds between moves of the mock's state out of the collector's view (see `StateFreezer`)."""


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def banner(app: MockApp, root: str) -> str:
    lines = [f"smsmock serving on {root}", ""]
    for name, url in app.base_urls(root).items():
        lines.append(f"  {name:<10} {url}")
    lines.append("")
    lines.append("  accounts:")
    for account in app.backend.accounts.all():
        key = f", API key {account.api_key}" if account.api_key else ""
        lines.append(f"    {account.name}: {account.username} / {account.password}{key}")
    lines.append("")
    lines.append("Ctrl-C stops the server.")
    return "\n".join(lines)


class StateFreezer:
    """Between two requests, every `interval` seconds: free the reference cycles, then freeze the rest.

    Messages, events and journal entries stay until a reset, and every full collection walked them all:
    under load its pauses grew with the store (p99 over a second after a million sends). Frozen, they
    are out of the collector's view, and still freed by reference counting once a reset drops them
    (the state holds no cycles: tests/test_collector.py). What does make cycles (XML parsing) is
    garbage by the end of its request, so the collection before each freeze frees it; one collection
    a second walks a second's worth of objects, not the store.
    """

    def __init__(
        self, interval: float = FREEZE_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._next = clock() + interval

    def __call__(self) -> None:
        now = self._clock()
        if now < self._next:
            return
        self._next = now + self.interval
        gc.collect()
        gc.freeze()


def serve(config: MockConfig, host: str = "127.0.0.1", port: int = 8080, out: TextIO = sys.stdout) -> None:
    from granian.constants import HTTPModes, Interfaces
    from granian.server.mp import MPServer

    app = MockApp(config)
    if port == 0:
        port = free_port(host)
    shown_host = f"[{host}]" if ":" in host else host
    print(banner(app, f"http://{shown_host}:{port}"), file=out, flush=True)

    def load() -> MockApp:
        # Runs in the worker, after the fork: threads must start here, not in the parent.
        app.start_background()
        # The tables and schemas loaded so far live as long as the server: frozen, the collector stops
        # walking them. A request makes a few hundred objects, most freed at once by reference
        # counting; collecting every 700 allocations (the default) spent a tenth of a request's time.
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        app.after_request = StateFreezer()
        return app

    server = MPServer(
        target="smsmock",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=1,
        http=HTTPModes.http1,
        websockets=False,
        log_enabled=False,
    )
    server.serve(target_loader=load, wrap_loader=False)
