"""`smsmock serve`: the mock on granian, one worker process holding the one state.

werkzeug's own threaded server spends most of its time in Python parsing HTTP and switching threads;
granian parses HTTP and handles sockets in Rust and calls the WSGI app only for the work that is the
mock's. It runs a single worker, so every request meets the same state: a message sent through one
connection is visible through every other. The app is built before the worker is forked, so the
worker starts with everything loaded.
"""

from __future__ import annotations

import ctypes
import errno
import gc
import ipaddress
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from granian._granian import SocketHolder
from granian.server.mp import MPServer

from smsmock.hosts import lookup_name
from smsmock.server.accesslog import AccessLog
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig

GC_YOUNG_THRESHOLD = 20_000
"""Allocations between collections of the youngest generation in the serving worker."""
BACKLOG = 1024
"""Connections the kernel queues before the server accepts them."""
FREEZE_INTERVAL = 1.0
"""Seconds between moves of the mock's state out of the collector's view (see `StateFreezer`)."""


class BindError(OSError):
    """The address cannot be listened on; the message says which and why, in one line."""


def listen(host: str, port: int) -> socket.socket:
    """A listening socket at host:port that is this server's alone.

    granian would bind with SO_REUSEPORT, so a second `smsmock serve` on a busy port would start without
    a word and take half of its traffic. The socket is bound here, without it, and handed to granian.
    """
    try:
        infos = socket.getaddrinfo(lookup_name(host), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        raise BindError(f"cannot listen on {host}:{port}: the host does not resolve ({error})") from None
    family, kind, protocol, _, address = infos[0]
    listener = socket.socket(family, kind, protocol)
    try:
        # SO_REUSEADDR lets a restart bind while the last run's connections sit in TIME_WAIT; unlike
        # SO_REUSEPORT it never lets two live listeners share a port.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(BACKLOG)
    except OSError as error:
        listener.close()
        shown = f"[{host}]" if ":" in host else host
        reason = "the address is already in use" if error.errno == errno.EADDRINUSE else error.strerror
        raise BindError(f"cannot listen on {shown}:{port}: {reason}") from None
    listener.set_inheritable(True)
    return listener


def is_loopback(host: str) -> bool:
    """Whether every address `host` names is on this machine only."""
    try:
        infos = socket.getaddrinfo(lookup_name(host), None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return False
    return all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos)


def banner(app: MockApp, root: str, host: str) -> str:
    lines = [f"smsmock serving on {root}", ""]
    for name, url in app.base_urls(root).items():
        lines.append(f"  {name:<10} {url}")
    if app.inbox is not None:
        lines.append(f"  {'inbox':<10} {root}/")
    lines.append("")
    lines.append(f"  store      {app.config.store}")
    if app.config.retain is not None:
        lines.append(f"  keeps      {app.config.retain.describe()}")
    lines.append("")
    lines.append("  accounts:")
    for account in app.backend.accounts.all():
        key = f", API key {account.api_key}" if account.api_key else ""
        lines.append(f"    {account.name}: {account.username} / {account.password}{key}")
    lines.append("")
    if not is_loopback(host):
        lines.append(
            f"  listening beyond loopback ({host}): other machines can reach this mock and its control API"
            + (" and inbox" if app.inbox is not None else "")
        )
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


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
"""What stops the server (Ctrl-C, a `kill`), and its worker with it."""
STOP_AGAIN_AFTER = 1.0
"""Seconds a stopping server waits for its worker before it asks it to stop again."""


class _OwnSocketServer(MPServer):
    """granian's server on a socket bound beforehand, shared with its worker as on other platforms."""

    def __init__(self, listener: socket.socket, **options: Any) -> None:
        super().__init__(**options)
        self._listener = listener

    def _init_shared_socket(self) -> None:
        self._ssp = None
        self._sfd = self._listener.fileno()
        self._shd = SocketHolder(self._sfd, False, BACKLOG)
        self._sso = self._listener

    def _spawn_workers(self, spawn_target: Any, target_loader: Any) -> None:
        # The worker is forked with the stop signals held back, and takes them once it can act on them
        # (_stop_when_asked): one sent in between would meet the handler it inherits from this process,
        # which only flags this process's copy, and the worker would serve on while this one waits for
        # it to stop. Here, one that comes meanwhile is taken once the worker is forked.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            super()._spawn_workers(spawn_target, target_loader)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)

    def _stop_workers(self) -> None:
        # granian's worker loses a stop signal that comes between setting its handlers and serving (a
        # server stopped just after its banner waited for it forever): while it is still there, it is
        # asked again, once it surely listens. One that stops at the first asking is not asked twice.
        for worker in self.wrks:
            worker.terminate()
            worker.join(STOP_AGAIN_AFTER)
            while worker.inner.is_alive():
                worker.terminate()
                worker.join(STOP_AGAIN_AFTER)
        super()._stop_workers()

    def _write_pidfile(self) -> None:
        # granian makes its workers' memory collector here, which reads every process of the machine
        # (6 ms at start-up, more on a busy machine), for a memory limit (workers_max_rss) this server
        # never sets: only the PID file part is kept, and that is a no-op without a PID file.
        if self.workers_rss is not None:
            super()._write_pidfile()
            return
        super(MPServer, self)._write_pidfile()


PR_SET_PDEATHSIG = 1
"""prctl(2): the signal a process gets when its parent ends (Linux)."""


def _end_with_parent() -> None:
    """The worker ends with the server process, even when that is killed outright (SIGKILL): a worker
    left behind would keep the port and the store, answering as a mock nobody runs."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return  # not Linux: the worker ends when the server stops it, as granian arranges
    if os.getppid() == 1:  # the server ended before the worker could ask
        os._exit(1)


def _stop_when_asked() -> None:
    """In the worker, before it serves, until granian sets its own handlers (after the loader): the
    server's SIGTERM ends it at once, and a Ctrl-C, which reaches the server too, is left to the server,
    which answers it with that SIGTERM. A signal held back since the fork is taken now."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def serve(
    config: MockConfig,
    host: str = "127.0.0.1",
    port: int = 8080,
    out: TextIO = sys.stdout,
    access_log: AccessLog | None = None,
) -> None:
    """Serve until interrupted; BindError (before anything is printed) when the address is not free."""
    from granian.constants import HTTPModes, Interfaces

    listener = listen(host, port)
    port = listener.getsockname()[1]
    app = MockApp(config)
    app.access_log = access_log
    shown_host = f"[{host}]" if ":" in host else host
    print(banner(app, f"http://{shown_host}:{port}", host), file=out, flush=True)

    def load() -> MockApp:
        # Runs in the worker, after the fork: threads must start here, not in the parent.
        _end_with_parent()
        _stop_when_asked()
        app.start_background()
        # The tables and schemas loaded so far live as long as the server: frozen, the collector stops
        # walking them. A request makes a few hundred objects, most freed at once by reference
        # counting; collecting every 700 allocations (the default) spent a tenth of a request's time.
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        app.after_request = StateFreezer()
        return app

    # What start-up made lives as long as the server: frozen, no collection walks it, in this process
    # or in the worker. The collector runs from here on (the command line turns it off to start).
    gc.freeze()
    gc.enable()
    server = _OwnSocketServer(
        listener,
        target="smsmock",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=1,
        backlog=BACKLOG,
        http=HTTPModes.http1,
        websockets=False,
        log_enabled=False,
    )
    server.serve(target_loader=load, wrap_loader=False)
