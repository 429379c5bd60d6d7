"""A real redis-server for the tests: on a free loopback port, in a directory of its own, stopped by PID.

The Redis store's tests are never skipped: without a `redis-server` they fail and say how to get one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import redis

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 10.0
"""Seconds a server has to answer PING before the test fails."""
STOP_TIMEOUT = 10.0


def redis_server_binary() -> str:
    """The redis-server to start: `$REDIS_SERVER`, or the one on PATH; a clear failure without one."""
    found = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    if not found:
        raise RuntimeError(
            "redis-server not found: the Redis store's tests start a real server. Install it "
            "(`apt-get install redis-server`, `brew install redis`) or point REDIS_SERVER at one."
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A redis-server process of the test's own; `durable` keeps every write on disk (appendfsync always).

    `stop()` and `start()` again bring the same server back on the same port and directory, as an
    operator restarting Redis would.
    """

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="smsmock-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self) -> None:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else ["--appendonly", "no"]
        )
        command = [
            redis_server_binary(),
            "--port", str(self.port),
            "--bind", LOOPBACK,
            "--save", "",
            *persistence,
            "--dir", str(self.directory),
            "--logfile", str(self.directory / "redis.log"),
            "--daemonize", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_until_it_answers()

    def stop(self) -> None:
        """Stops the server by its PID (SIGTERM, then SIGKILL if it lingers)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)
        self.process = None

    def _wait_until_it_answers(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        client = redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=0.5)
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"redis-server exited with {self.process.returncode}: {self._log_tail()}"
                    )
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    # Loading an append-only file answers BUSY/LOADING; a fresh start refuses at first.
                    pass
                except redis.BusyLoadingError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"redis-server did not answer PING in {START_TIMEOUT} s: {self._log_tail()}"
                    )
                time.sleep(0.02)
        finally:
            client.close()

    def _log_tail(self) -> str:
        log = self.directory / "redis.log"
        return log.read_text(errors="replace")[-500:] if log.exists() else "(no log)"

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
