"""Repo-level pytest setup for smsmock's own tests."""

import atexit
import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# CI machines are small and shared: no per-example deadline, and a fixed seed
# so a red run can be replayed exactly.
settings.register_profile("ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile("ci")

# The parsed-table cache of this run (smsmock.resources.cache_dir): a temporary folder, never the
# user's own cache. Set once by the process that starts the run; xdist workers, `smsmock serve`
# subprocesses and pytester's inner runs inherit it.
if "PYTEST_XDIST_WORKER" not in os.environ and "SMSMOCK_TEST_RUN_CACHE" not in os.environ:
    _run_cache = tempfile.mkdtemp(prefix="smsmock-test-cache-")
    os.environ["SMSMOCK_CACHE_DIR"] = os.environ["SMSMOCK_TEST_RUN_CACHE"] = _run_cache
    atexit.register(shutil.rmtree, _run_cache, ignore_errors=True)

# `pytester` runs the pytest plugin's own tests in throwaway projects.
pytest_plugins = ["pytester"]


STORES = ("memory", "sqlite", "redis")


@pytest.fixture(scope="session")
def redis_for_tests() -> Iterator[Any]:
    """One real redis-server for the tests that run on every store (each test gets its own prefix)."""
    from redis_server import RedisServer

    with RedisServer() as server:
        yield server


@pytest.fixture(params=STORES)
def every_store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test once per store: each mock or backend it makes without naming a store gets a fresh
    store of that kind, so the same behaviour tests cover memory, SQLite and Redis."""
    import smsmock.core.backend
    import smsmock.server.app

    kind = request.param
    if kind == "memory":
        return kind
    server = request.getfixturevalue("redis_for_tests") if kind == "redis" else None
    opened = itertools.count()

    def fresh() -> str:
        if server is None:
            return f"sqlite:{tmp_path / f'store-{next(opened)}.db'}"
        return f"{server.url}?prefix=test-{uuid.uuid4().hex}:"

    real = smsmock.server.app.open_store
    monkeypatch.setattr(
        smsmock.server.app, "open_store", lambda url: real(fresh() if url in (None, "", "memory") else url)
    )
    monkeypatch.setattr(smsmock.core.backend, "MemoryStore", lambda: real(fresh()))
    return kind
