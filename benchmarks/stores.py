"""Speed and size of smsmock's stores, side by side in one run: memory, SQLite and Redis.

    python benchmarks/stores.py [--only stores,scaling,size,growth,soak] [--rounds 3] [--duration 5]
                                [--warmup 2] [--connections 16] [--threads 2] [--messages 1000000]
                                [--quick] [--soak SECONDS] [--soak-store sqlite] [--json FILE]

Every server is `python -m smsmock serve --store URL --retain none --quiet --config C` (C: the account
with a balance that does not run out, deliveries after 1 s; see CONFIG), started on a free loopback
port and stopped again by its PID; load is shortlink's send_text_single from wrk, with the Lua script,
the wrk parsing and the server handling of benchmarks/server.py. Every figure is the median of
interleaved rounds, and before every run the script waits for the servers (and Redis) to go idle.

- stores:  req/s and p99 of each store with one serve process, against memory's
           (goals: sqlite at least 0.60x memory's req/s, redis at least 0.40x);
- scaling: 1, 2 and 3 serve processes sharing one Redis, wrk's connections split over them
           (one wrk per process, all at once: summed req/s, worst p99);
- size:    bytes per stored message at `--messages` messages: the memory store's RSS growth,
           built through the core in a subprocess (goal: under 1 KiB), SQLite's file with its WAL
           after a checkpoint, and Redis's used_memory;
- growth:  req/s and p99 with 0, a tenth of `--messages` and `--messages` messages stored before the
           load (goal: flat within 20%); SQLite and Redis are filled through the store's own
           add_messages, the memory store through HTTP (it lives in the serving process only),
           sends of 1,000 destinations each;
- soak:    with `--soak SECONDS`, one serve under full load with `--retain 48h,100000`, its RSS sampled
           every 10 s: first, last, largest and the drift after the warm-up.

Needs wrk (`apt-get install wrk`) and redis-server (`apt-get install redis-server`) on PATH, and
smsmock installed (`pip install -e .`).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import http.client
import importlib.util
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import server as bench  # benchmarks/server.py: wrk, its Lua script and parsing, starting and stopping

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

MEASUREMENTS = ("stores", "scaling", "size", "growth", "soak")
STORES = ("memory", "sqlite", "redis")
GOALS = {"sqlite": 0.60, "redis": 0.40}
"""Least req/s of each store as a share of the memory store's, one serve process each."""
SIZE_GOAL = 1024
"""Most bytes of memory one stored message may take in the memory store."""
FLAT = 0.20
"""How much req/s may fall, or p99 rise, against the empty store's before the cost counts as growing."""
SOAK_RETAIN = "48h,100000"
SCALING = (1, 2, 3)
BATCH = 1000
"""Messages per add_messages call when a store is filled in process."""
NUMBERS = [f"4179{number:07d}" for number in range(1000)]
"""Destinations of the messages a store is filled with."""
IDLE_SHARE = 0.05
"""A server counts as idle once it uses less than this share of one core (between two runs)."""
SETTLE_LIMIT = 20.0

ACCOUNT = bench.ACCOUNT
"""The documents' account with a balance that does not run out (see server.py)."""
CONFIG = {"accounts": [ACCOUNT], "rules": {"default": {"status": "DELIVERED_TO_HANDSET", "after": 1}}}
"""Every server's --config (JSON is YAML). Messages are delivered 1 s after sending instead of 3 s, so
the lifecycle work a round leaves behind (sending, delivering, queueing reports) is done within a second
of its end, and the wait for idle servers between two runs is short: the work per message is the same.
Not 0 s: with several processes on one Redis, another process can then run a message's finish before
its send is stored, and answer 500 (IllegalTransition)."""


class Failed(RuntimeError):
    pass


# --- processes ------------------------------------------------------------------------------------


def start_serve(label: str, store: str, retain: str, scratch: Path) -> bench.Running:
    """`python -m smsmock serve` on a free loopback port, in its own process group."""
    bench.LABELS.setdefault(label, label)
    port = bench.free_port()
    argv = [sys.executable, "-m", "smsmock", "serve", "--host", bench.HOST, "--port", str(port)]
    argv += ["--store", store, "--retain", retain, "--quiet", "--config", str(scratch / "config.yaml")]
    log = scratch / f"serve-{port}.log"
    log_file = log.open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=scratch, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, start_new_session=True
    )
    return bench.Running(label, port, process, started, log, log_file)


def check(running: bench.Running) -> None:
    """Two sends: both 200 with a messageId, two different ids, neither refused (credit, rules)."""
    ids = []
    for _ in range(2):
        status, body = bench.post(running.port, timeout=10)
        try:
            message = json.loads(body)["messages"][0]
            ids.append(str(message["messageId"]))
            group = message["status"]["groupName"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise bench.failure(running, f"answered HTTP {status} {body[:300]!r}") from None
        if status != 200 or group == "REJECTED":
            raise bench.failure(running, f"answered HTTP {status} {body[:300]!r}, not an accepted message")
    if ids[0] == ids[1]:
        raise bench.failure(running, f"gave the same messageId twice ({ids[0]})")


def serving(stack: contextlib.ExitStack, label: str, store: str, retain: str, scratch: Path) -> bench.Running:
    running = start_serve(label, store, retain, scratch)
    stack.callback(bench.stop, running)
    try:
        bench.wait_for_200(running)
    except bench.ServerFailed as failure:
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, body = bench.post(running.port, timeout=10)
            raise bench.ServerFailed(f"{failure}\n    last reply: HTTP {status} {body[:500]!r}") from None
        raise
    check(running)
    return running


def redis_server(stack: contextlib.ExitStack) -> Any:
    """A redis-server of this run's own on a free loopback port (tests/redis_server.py), stopped by PID."""
    spec = importlib.util.spec_from_file_location("redis_server", ROOT / "tests" / "redis_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return stack.enter_context(module.RedisServer())


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (granian's worker is a child of `smsmock serve`)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in (task / "children").read_text().split()]
    return found


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss(pid: int) -> int | None:
    """VmRSS of a process, in bytes."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def settle(pids: list[int]) -> float:
    """Wait until the servers (and Redis) are idle, so work left from one run does not land in the next;
    the seconds waited."""
    started = time.monotonic()
    every = [pid for root in pids for pid in process_tree(root)]
    last, then = cpu_seconds(every), started
    while True:
        time.sleep(0.25)
        used, now = cpu_seconds(every), time.monotonic()
        if (used - last) / (now - then) < IDLE_SHARE or now - started > SETTLE_LIMIT:
            return now - started
        last, then = used, now


def stored(running: bench.Running) -> int:
    """How many messages the server's store holds (GET /_smsmock/metrics)."""
    connection = http.client.HTTPConnection(bench.HOST, running.port, timeout=60)
    try:
        connection.request("GET", "/_smsmock/metrics")
        text = connection.getresponse().read().decode()
    finally:
        connection.close()
    found = re.search(r"^smsmock_messages_stored ([\d.e+]+)$", text, re.M)
    if not found:
        raise bench.failure(running, "gave no smsmock_messages_stored metric")
    return int(float(found.group(1)))


def fill_http(running: bench.Running, target: int) -> float:
    """Send until the store holds `target` messages: send_text_single with up to 1,000 destinations a
    request (`to` may be a list), the same path through the core as one destination but without the
    HTTP cost of each message, so a million take a minute, not ten; the seconds it took."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(bench.HOST, running.port, timeout=120)
    try:
        while (missing := target - stored(running)) > 0:
            numbers = [NUMBERS[number % len(NUMBERS)] for number in range(min(missing, BATCH))]
            body = json.dumps({"from": "InfoSMS", "to": numbers, "text": "My first SMS"})
            connection.request("POST", bench.PATH, body, bench.HEADERS)
            response = connection.getresponse()
            reply = response.read()
            if response.status != 200:
                raise bench.failure(running, f"answered a fill with HTTP {response.status} {reply[:300]!r}")
    finally:
        connection.close()
    return time.monotonic() - started


# --- filling stores in process (run as subprocesses: `stores.py _job SPEC`) -----------------------


def template_message() -> Any:
    """A message as `smsmock serve` keeps one: sent through the core, delivered, its report queued."""
    from smsmock.core.accounts import Accounts
    from smsmock.core.backend import Backend
    from smsmock.core.clock import Clock
    from smsmock.core.commands import Submission
    from smsmock.core.stores.memory import MemoryStore

    backend = Backend(clock=Clock(frozen=True), accounts=Accounts([ACCOUNT]), store=MemoryStore())
    account = backend.accounts.get("default")
    assert account is not None
    (sent,) = backend.submit(account, "shortlink", [Submission(to=NUMBERS[0], sender="InfoSMS", text="Hi")])
    backend.clock.advance(60)
    backend.tick()
    return backend.store.message(sent.id)


def copies(template: Any, count: int) -> Iterator[list[Any]]:
    """`count` messages like the template, each with its own id and one of 1,000 destinations."""
    for start in range(0, count, BATCH):
        yield [
            dataclasses.replace(
                template,
                id=str(uuid.uuid4()),
                to=NUMBERS[number % len(NUMBERS)],
                changes=template.changes,
                options=dict(template.options),
            )
            for number in range(start, min(count, start + BATCH))
        ]


def sqlite_sizes(path: Path) -> dict[str, int]:
    wal = path.with_name(path.name + "-wal")
    return {"db": path.stat().st_size, "wal": wal.stat().st_size if wal.exists() else 0}


def redis_used_memory(url: str) -> int:
    import redis

    client = redis.Redis.from_url(url.partition("?")[0])
    try:
        return int(client.info("memory")["used_memory"])
    finally:
        client.close()


def fill_job(url: str, count: int) -> dict[str, Any]:
    """Fill a store through its add_messages, in batches; what it then takes on disk or in Redis."""
    from smsmock.core.stores import open_store

    before = redis_used_memory(url) if url.startswith("redis") else None
    store = open_store(url)
    started = time.perf_counter()
    for batch in copies(template_message(), count):
        store.add_messages(batch)
    found: dict[str, Any] = {"url": url, "messages": count, "seconds": time.perf_counter() - started}
    if url.startswith("sqlite:"):
        path = Path(url.removeprefix("sqlite:"))
        found["before_checkpoint"] = sqlite_sizes(path)
        store.close()  # type: ignore[attr-defined]
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        found["after_checkpoint"] = sizes = sqlite_sizes(path)
        found["bytes"] = sizes["db"] + sizes["wal"]
    elif before is not None:
        found["bytes"] = redis_used_memory(url) - before
    return found


def memory_job(count: int) -> dict[str, Any]:
    """The memory store's RSS growth for `count` messages sent through the core one at a time, as
    send_text_single sends them, each sent and delivered as the clock moves on (default rules)."""
    import gc

    from smsmock.core.accounts import Accounts
    from smsmock.core.backend import Backend
    from smsmock.core.clock import Clock
    from smsmock.core.commands import Submission
    from smsmock.core.stores.memory import MemoryStore

    backend = Backend(clock=Clock(frozen=True), accounts=Accounts([ACCOUNT]), store=MemoryStore())
    account = backend.accounts.get("default")
    assert account is not None

    def send(first: int, last: int) -> None:
        for number in range(first, last):
            # Strings of their own, as each parsed request body has; one of 1,000 destinations.
            to = "".join((NUMBERS[number % len(NUMBERS)][:4], NUMBERS[number % len(NUMBERS)][4:]))
            text, sender = "".join(("My first", " SMS")), "".join(("Info", "SMS"))
            backend.submit(account, "shortlink", [Submission(to=to, sender=sender, text=text)])
            if number % 1000 == 999:  # the clock moves on: sent, delivered, the report queued
                backend.clock.advance(5)
                backend.tick()
            if number % 10_000 == 9999:  # as `smsmock serve` does once a second (serve.StateFreezer)
                gc.collect()
                gc.freeze()
        backend.clock.advance(60)
        backend.tick()

    send(0, 1000)  # warm: every table and cache loaded before the first measure
    gc.collect()
    before, started = rss(os.getpid()), time.perf_counter()
    send(1000, 1000 + count)
    gc.collect()
    after = rss(os.getpid())
    assert before is not None and after is not None
    stats = backend.store.stats()
    return {
        "messages": count,
        "seconds": time.perf_counter() - started,
        "rss_before": before,
        "rss_after": after,
        "bytes": after - before,
        "stored": stats.messages,
        "reports_queued": sum(stats.report_queues.values()),
    }


def run_job(spec: dict[str, Any]) -> Any:
    if spec["kind"] == "memory":
        return memory_job(spec["count"])
    return [fill_job(url, count) for url, count in spec["fills"]]


def start_jobs(specs: list[dict[str, Any]]) -> list[subprocess.Popen]:
    argv = [sys.executable, str(Path(__file__).resolve()), "_job"]
    return [
        subprocess.Popen([*argv, json.dumps(spec)], stdout=subprocess.PIPE, text=True, cwd=HERE)
        for spec in specs
    ]


def finish_jobs(jobs: list[subprocess.Popen]) -> list[Any]:
    """Each job's answer; a job that fails stops the others (by their PIDs)."""
    found = []
    try:
        for job in jobs:
            out, _ = job.communicate()
            if job.returncode != 0:
                raise Failed(f"filling a store failed: {job.args[-1]} exited with {job.returncode}")
            found.append(json.loads(out))
    finally:
        for job in jobs:
            if job.poll() is None:
                job.kill()
                job.wait()
    return found


# --- load -----------------------------------------------------------------------------------------


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def load(
    servers: list[bench.Running], script: Path, args: argparse.Namespace, seconds: int
) -> dict[str, Any]:
    """wrk against every server at once, the connections (and threads) split over them; summed req/s,
    worst latencies."""
    connections = split(args.connections, len(servers))
    threads = [max(1, min(args.threads // len(servers), count)) for count in connections]
    with concurrent.futures.ThreadPoolExecutor(len(servers)) as pool:
        runs = list(
            pool.map(
                lambda job: bench.run_wrk(job[0], script, job[1], job[2], seconds),
                zip(servers, threads, connections, strict=True),
            )
        )
    return {
        "rps": sum(run["rps"] for run in runs),
        "p50_ms": max(run["p50_ms"] for run in runs),
        "p99_ms": max(run["p99_ms"] for run in runs),
        "trouble": "; ".join(problem for run in runs if (problem := bench.trouble(run))),
        "each": runs,
    }


def interleaved(
    groups: dict[str, list[bench.Running]],
    script: Path,
    args: argparse.Namespace,
    watch: list[int],
    count: Callable[[str], int] | None = None,
) -> dict[str, dict[str, Any]]:
    """Warm every group up, then `--rounds` rounds with every group once per round; medians."""
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in groups}
    pids = watch + [server.process.pid for servers in groups.values() for server in servers]
    if args.warmup > 0:
        for servers in groups.values():
            settle(pids)
            load(servers, script, args, args.warmup)
    for number in range(1, args.rounds + 1):
        for name, servers in groups.items():
            settle(pids)
            before = count(name) if count else None
            figures = load(servers, script, args, args.duration)
            if count:
                figures["stored_before"], figures["stored_after"] = before, count(name)
            rounds[name].append(figures)
            note = f" ({figures['trouble']})" if figures["trouble"] else ""
            print(
                f"  round {number}/{args.rounds} {name:28} {figures['rps']:9,.0f} req/s "
                f"p99 {figures['p99_ms']:8.2f} ms{note}",
                flush=True,
            )
    return medians(rounds)


def medians(rounds: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Each contender's median req/s, p50 and p99 over its rounds, with the rounds themselves."""
    return {
        name: {
            "rps": statistics.median(run["rps"] for run in runs),
            "p50_ms": statistics.median(run["p50_ms"] for run in runs),
            "p99_ms": statistics.median(run["p99_ms"] for run in runs),
            "rounds": runs,
        }
        for name, runs in rounds.items()
    }


# --- the measurements -----------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "not met"


def measure_stores(args: argparse.Namespace, scratch: Path, script: Path) -> dict[str, Any]:
    print("\n== stores: one serve process each, --retain none", flush=True)
    with contextlib.ExitStack() as stack:
        redis = redis_server(stack)
        urls = {
            "memory": "memory",
            "sqlite": f"sqlite:{scratch / 'stores.db'}",
            "redis": f"{redis.url}?prefix=stores:",
        }
        groups = {name: [serving(stack, name, url, "none", scratch)] for name, url in urls.items()}
        medians = interleaved(groups, script, args, [redis.pid])
    memory = medians["memory"]
    print("\n| store | req/s | p50 ms | p99 ms | req/s vs memory | goal | p99 vs memory |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: |")
    for name, row in medians.items():
        row["rps_ratio"] = row["rps"] / memory["rps"]
        row["p99_ratio"] = row["p99_ms"] / memory["p99_ms"]
        goal = GOALS.get(name)
        row["goal"] = goal
        shown = f"≥ {goal:.2f}x: {verdict(row['rps_ratio'] >= goal)}" if goal else "(the reference)"
        print(
            f"| {name} | {row['rps']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} "
            f"| {row['rps_ratio']:.2f}x | {shown} | {row['p99_ratio']:.2f}x |"
        )
    return medians


def measure_scaling(args: argparse.Namespace, scratch: Path, script: Path) -> dict[str, Any]:
    print("\n== scaling: 1, 2 and 3 serve processes sharing one Redis", flush=True)
    with contextlib.ExitStack() as stack:
        redis = redis_server(stack)
        groups = {}
        for count in SCALING:
            url = f"{redis.url}?prefix=scale{count}:"
            groups[f"{count} process{'es' if count > 1 else ''}"] = [
                serving(stack, f"redis, {count} processes, #{index + 1}", url, "none", scratch)
                for index in range(count)
            ]
        medians = interleaved(groups, script, args, [redis.pid])
    one = next(iter(medians.values()))
    print(
        "\n| serve processes | connections each | req/s (sum) | p50 ms (worst) | p99 ms (worst) "
        "| req/s vs 1 process |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for row, count in zip(medians.values(), SCALING, strict=True):
        row["processes"] = count
        row["rps_ratio"] = row["rps"] / one["rps"]
        each = "/".join(map(str, split(args.connections, count)))
        print(
            f"| {count} | {each} | {row['rps']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} "
            f"| {row['rps_ratio']:.2f}x |"
        )
    return medians


def levels(args: argparse.Namespace) -> list[int]:
    return [0, args.messages // 10, args.messages]


def measure_growth(
    args: argparse.Namespace, scratch: Path, script: Path, redis: Any, urls: dict[tuple[str, int], str]
) -> dict[str, Any]:
    print(
        f"\n== growth: {', '.join(f'{level:,}' for level in levels(args))} messages stored before the load",
        flush=True,
    )
    with contextlib.ExitStack() as stack:
        groups: dict[str, list[bench.Running]] = {}
        keys: dict[str, tuple[str, int]] = {}
        fills: dict[str, float] = {}
        for store in STORES:
            for level in levels(args):
                name = f"{store}, {level:,} stored"
                url = "memory" if store == "memory" else urls[(store, level)]
                running = serving(stack, name, url, "none", scratch)
                if store == "memory" and level:
                    fills[name] = fill_http(running, level)
                    print(f"  {name}: filled through HTTP in {fills[name]:.0f} s", flush=True)
                groups[name], keys[name] = [running], (store, level)
        medians = interleaved(groups, script, args, [redis.pid], lambda name: stored(groups[name][0]))
    print(
        "\n| store | stored before the load | stored in the rounds, first to last | req/s | p99 ms "
        "| req/s vs empty | p99 vs empty | goal: ≥ 0.80x req/s, ≤ 1.20x p99 |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |")
    for name, row in medians.items():
        store, level = keys[name]
        row["store"], row["level"] = store, level
        empty = medians[f"{store}, 0 stored"]
        row["rps_ratio"] = row["rps"] / empty["rps"]
        row["p99_ratio"] = row["p99_ms"] / empty["p99_ms"]
        row["flat"] = row["rps_ratio"] >= 1 - FLAT and row["p99_ratio"] <= 1 + FLAT
        counts = [run["stored_before"] for run in row["rounds"]] + [row["rounds"][-1]["stored_after"]]
        flat = "(the reference)" if level == 0 else verdict(row["flat"])
        print(
            f"| {store} | {level:,} | {min(counts):,} to {max(counts):,} | {row['rps']:,.0f} "
            f"| {row['p99_ms']:.2f} | {row['rps_ratio']:.2f}x | {row['p99_ratio']:.2f}x | {flat} |"
        )
    return {"medians": medians, "http_fill_seconds": fills}


def report_size(
    args: argparse.Namespace, memory: dict[str, Any], fills: list[dict[str, Any]]
) -> dict[str, Any]:
    count = args.messages
    rows = [("memory store: RSS growth of the process", memory["bytes"] / memory["messages"], SIZE_GOAL)]
    for fill in fills:
        if fill["messages"] != count:
            continue
        if fill["url"].startswith("sqlite:"):
            rows.append(("sqlite: file and WAL after a checkpoint", fill["bytes"] / count, None))
        else:
            rows.append(("redis: used_memory of the server", fill["bytes"] / count, None))
    print(f"\n== size: bytes per stored message at {count:,} messages")
    print("\n| store | bytes per message | goal |")
    print("| --- | ---: | --- |")
    for label, value, goal in rows:
        shown = f"< {goal:,} B: {verdict(value < goal)}" if goal else "(for scale)"
        print(f"| {label} | {value:,.0f} | {shown} |")
    sqlite = next(
        (fill for fill in fills if fill["url"].startswith("sqlite:") and fill["messages"] == count), None
    )
    if sqlite:
        before = sqlite["before_checkpoint"]
        print(
            f"\nsqlite before the checkpoint: {before['db']:,} B file + {before['wal']:,} B WAL; "
            f"after: {sqlite['after_checkpoint']['db']:,} B + {sqlite['after_checkpoint']['wal']:,} B"
        )
    print(
        f"memory store: {memory['stored']:,} messages held (with the 1,000 of the warm-up), "
        f"{memory['reports_queued']:,} delivery reports queued, RSS {memory['rss_before']:,} B "
        f"→ {memory['rss_after']:,} B, built in {memory['seconds']:.0f} s"
    )
    for fill in fills:
        kind = fill["url"].partition(":")[0]
        print(f"{kind} filled with {fill['messages']:,} messages (add_messages) in {fill['seconds']:.0f} s")
    return {"bytes_per_message": {label: value for label, value, _ in rows}, "memory": memory}


def measure_soak(args: argparse.Namespace, scratch: Path, script: Path) -> dict[str, Any]:
    store = args.soak_store
    warm = min(60.0, args.soak / 3)
    print(
        f"\n== soak: {store}, --retain {SOAK_RETAIN}, {args.soak} s of full load, RSS every "
        f"{args.soak_interval:g} s",
        flush=True,
    )
    with contextlib.ExitStack() as stack:
        redis = None
        if store == "redis":
            redis = redis_server(stack)
            url = f"{redis.url}?prefix=soak:"
        else:
            url = "memory" if store == "memory" else f"sqlite:{scratch / 'soak.db'}"
        running = serving(stack, f"soak, {store}", url, SOAK_RETAIN, scratch)
        workers = process_tree(running.process.pid)[1:]
        if len(workers) != 1:
            raise bench.failure(running, f"has {len(workers)} worker processes, not one")
        worker = workers[0]
        argv = ["wrk", "--threads", str(args.threads), "--connections", str(args.connections)]
        argv += ["--duration", f"{args.soak}s", "--latency", "--script", str(script), running.url]
        samples: list[dict[str, Any]] = []

        def sample(at: float) -> None:
            found: dict[str, Any] = {
                "s": round(at, 1),
                "rss": rss(worker),
                "parent_rss": rss(running.process.pid),
            }
            if store == "sqlite":
                found["file"] = sum(sqlite_sizes(scratch / "soak.db").values())
            if redis is not None:
                found["redis_used_memory"] = redis_used_memory(redis.url)
            samples.append(found)

        started = time.monotonic()
        sample(0)
        wrk = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            next_at = args.soak_interval
            while wrk.poll() is None:
                time.sleep(max(0.0, min(1.0, started + next_at - time.monotonic())))
                if time.monotonic() - started >= next_at and wrk.poll() is None:
                    sample(time.monotonic() - started)
                    next_at += args.soak_interval
            out, err = wrk.communicate()
        finally:
            if wrk.poll() is None:
                wrk.kill()
                wrk.wait()
        if wrk.returncode != 0:
            raise Failed(f"wrk failed in the soak: {err or out}")
        if running.process.poll() is not None:
            raise bench.failure(running, "exited during the soak")
        sample(time.monotonic() - started)
        figures = bench.parse_wrk(out)
        count = stored(running)
    measured = [found for found in samples if found["rss"]]
    after_warm = next((found for found in measured if found["s"] >= warm), measured[-1])
    first, last = measured[0], measured[-1]
    peak = max(found["rss"] for found in measured)
    drift = last["rss"] / after_warm["rss"]
    mib = 1024 * 1024
    print(
        "\n| store | retain | seconds | req/s | p99 ms | RSS first (idle) | RSS after warm-up | RSS last "
        "| RSS max | drift last/after warm-up |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {store} | {SOAK_RETAIN} | {args.soak} | {figures['rps']:,.0f} | {figures['p99_ms']:.2f} "
        f"| {first['rss'] / mib:,.0f} MiB | {after_warm['rss'] / mib:,.0f} MiB "
        f"({after_warm['s']:.0f} s) | {last['rss'] / mib:,.0f} MiB | {peak / mib:,.0f} MiB | {drift:.2f}x |"
    )
    series = ", ".join(f"{found['s']:.0f} s {found['rss'] / mib:.0f}" for found in samples if found["rss"])
    print(f"\nworker RSS (MiB): {series}")
    print(
        f"serve's parent process: {samples[-1]['parent_rss'] / mib:.0f} MiB; {figures['requests'] or 0:,} "
        f"requests, {count:,} messages kept at the end"
    )
    if store == "sqlite":
        shown = ", ".join(f"{found['file'] / mib:.0f}" for found in samples)
        print(f"sqlite file and WAL (MiB): {shown}")
    if redis is not None:
        shown = ", ".join(f"{found['redis_used_memory'] / mib:.0f}" for found in samples)
        print(f"redis used_memory (MiB): {shown}")
    if problem := bench.trouble(figures):
        print(f"wrk reported: {problem}")
    return {
        "store": store,
        "retain": SOAK_RETAIN,
        "wrk": figures,
        "samples": samples,
        "warm_s": warm,
        "drift": drift,
        "rss_first": first["rss"],
        "rss_after_warmup": after_warm["rss"],
        "rss_last": last["rss"],
        "rss_max": peak,
        "stored_at_end": count,
    }


# --- the run --------------------------------------------------------------------------------------


def preflight() -> None:
    for program, package in (("wrk", "wrk"), ("redis-server", "redis-server")):
        if shutil.which(program) is None:
            raise SystemExit(f"{program} not found: apt-get install {package}")
    probe = [sys.executable, "-m", "smsmock", "serve", "--help"]
    if subprocess.run(probe, capture_output=True, cwd=tempfile.gettempdir()).returncode != 0:
        raise SystemExit("`python -m smsmock serve` is not available: pip install -e . from the project root")


def versions() -> dict[str, Any]:
    found = bench.versions(["smsmock"])
    redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
    found["redis-server"] = next((part[2:] for part in redis if part.startswith("v=")), None)
    found["sqlite"] = sqlite3.sqlite_version
    return found


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(MEASUREMENTS), help=f"from {','.join(MEASUREMENTS)}")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3; --quick 2)")
    parser.add_argument("--duration", type=int, help="seconds of load per round (default 5; --quick 2)")
    parser.add_argument("--warmup", type=int, help="seconds of load per server first (default 2; --quick 0)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--messages", type=int, help="size's count and growth's most (default 1000000; --quick 20000)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller counts, shorter rounds: ~2 minutes")
    parser.add_argument("--soak", type=int, default=0, metavar="SECONDS", help="run the soak this long")
    parser.add_argument("--soak-store", choices=STORES, default="sqlite")
    parser.add_argument("--soak-interval", type=float, default=10.0, metavar="SECONDS")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every round's figures too")
    args = parser.parse_args(argv)
    defaults = {"rounds": (3, 2), "duration": (5, 2), "warmup": (2, 0), "messages": (1_000_000, 20_000)}
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if min(args.rounds, args.duration, args.connections, args.threads) < 1 or args.warmup < 0:
        parser.error("--rounds, --duration, --connections and --threads must be at least 1")
    if args.messages < 10:
        parser.error("--messages must be at least 10")
    if args.connections < max(SCALING):
        parser.error(f"--connections must be at least {max(SCALING)}: they are split over the processes")
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(MEASUREMENTS))
    if unknown:
        parser.error(f"unknown measurement {', '.join(unknown)}; choose from {', '.join(MEASUREMENTS)}")
    if "soak" in chosen and not args.soak:
        chosen.remove("soak")
        if not chosen:
            parser.error("--only soak needs --soak SECONDS")
    if args.soak and "soak" not in chosen:
        chosen.append("soak")
    args.chosen = [name for name in MEASUREMENTS if name in chosen]
    return args


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "_job":
        print(json.dumps(run_job(json.loads(sys.argv[2]))))
        return 0
    args = parse()
    preflight()
    results: dict[str, Any] = {
        "settings": {key: value for key, value in vars(args).items() if key != "json"},
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "load": os.getloadavg()},
        "versions": versions(),
    }
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before the run, Python "
        f"{platform.python_version()}, redis-server {results['versions']['redis-server']}, "
        f"SQLite {sqlite3.sqlite_version}"
    )
    print(
        f"wrk: {args.threads} threads, {args.connections} connections, {args.warmup} s warm-up, then "
        f"{args.rounds} interleaved rounds of {args.duration} s; medians; measuring {', '.join(args.chosen)}",
        flush=True,
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="smsmock-stores-") as folder, contextlib.ExitStack() as stack:
        scratch = Path(folder)
        script = scratch / "send_text_single.lua"
        script.write_text(bench.lua_script(), encoding="utf-8")
        (scratch / "config.yaml").write_text(json.dumps(CONFIG), encoding="utf-8")

        # The in-process fills come first, all at once (they take the longest), before any timing.
        filled: dict[tuple[str, int], str] = {}
        size: tuple[dict[str, Any], list[dict[str, Any]]] | None = None
        redis = None
        if {"size", "growth"} & set(args.chosen):
            redis = redis_server(stack)
            counts = levels(args)[1:] if "growth" in args.chosen else [args.messages]
            for count in [0, *counts]:
                filled[("sqlite", count)] = f"sqlite:{scratch / f'filled-{count}.db'}"
                filled[("redis", count)] = f"{redis.url}?prefix=filled-{count}:"
            specs: list[dict[str, Any]] = [
                {"kind": "fill", "fills": [(filled[(store, count)], count) for count in counts]}
                for store in ("sqlite", "redis")
            ]
            if "size" in args.chosen:
                specs.append({"kind": "memory", "count": args.messages})
            also = f", {args.messages:,} in the memory store" if "size" in args.chosen else ""
            print(
                f"\nfilling in process, all at once: {' and '.join(f'{c:,}' for c in counts)} messages "
                f"in SQLite and in Redis{also}",
                flush=True,
            )
            done = finish_jobs(start_jobs(specs))
            fills = [*done[0], *done[1]]
            results["fills"] = fills
            print(f"filled in {time.monotonic() - started:.0f} s", flush=True)
            if "size" in args.chosen:
                size = (done[2], fills)
        if "stores" in args.chosen:
            results["stores"] = measure_stores(args, scratch, script)
        if "scaling" in args.chosen:
            results["scaling"] = measure_scaling(args, scratch, script)
        if size is not None:
            results["size"] = report_size(args, *size)
        if "growth" in args.chosen:
            results["growth"] = measure_growth(args, scratch, script, redis, filled)
        if "soak" in args.chosen:
            results["soak"] = measure_soak(args, scratch, script)
    results["seconds"] = time.monotonic() - started
    print(f"\nthe run took {results['seconds']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (bench.ServerFailed, Failed) as error:
        sys.exit(f"failed: {error}")
