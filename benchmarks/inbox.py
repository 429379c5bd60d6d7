"""The web inbox's speed: its pages with 100,000 stored messages, and what live updates cost the API.

    python benchmarks/inbox.py [--messages 100000] [--fetches 30] [--rounds 5] [--duration 5]
                               [--warmup 2] [--connections 16] [--threads 2] [--browser-loads 10]
                               [--no-browser] [--quick] [--json FILE]

Two servers, `python -m smsmock serve --store memory --retain none --quiet --config C` (C: stores.py's
account with a balance that does not run out, plus a rule that makes 1% of the destinations
undeliverable) and the same with `--no-ui`, each filled through HTTP to `--messages` messages as
stores.py fills one (sends of 1,000 destinations), then 2,000 single sends for the journal.

- pages: each inbox page fetched `--fetches` times on one keep-alive connection (http.client), after
  one unmeasured fetch: time to first byte (the status line and headers read) and to the whole page
  (the body read), median and p95; and, with Chromium, `page.goto(..., wait_until="load")` of the
  list and a message (goal: every list page, newest, filtered or deep, under 200 ms at p95);
- live cost: interleaved wrk rounds of send_text_single against `--no-ui`, the inbox with no page
  open, and the inbox with a list page subscribed (a thread polling the live region as inbox.js
  does); req/s and p99 against `--no-ui`'s (goal: a subscribed page costs under 5% of req/s).

Reuses benchmarks/server.py (wrk, its Lua script and parsing, starting and stopping by PID) and
benchmarks/stores.py (the configuration, the HTTP fill, waiting for idle servers). Needs wrk
(`apt-get install wrk`) and smsmock installed; the browser figures need Playwright (the test extra)
and Debian's chromium, and are skipped, saying why, without them.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import html
import http.client
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import server as bench  # benchmarks/server.py: wrk, its Lua script and parsing, starting and stopping
import stores  # benchmarks/stores.py: the configuration, fill_http, settle, stored

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

UI = "/_smsmock/ui"
LIST_GOAL_MS = 200.0
"""Most time to a whole list page (p95), newest, filtered or deep, with `--messages` stored."""
COST_GOAL = 0.05
"""Most share of `--no-ui`'s req/s that a subscribed list page may cost."""
POLL_EVERY = 0.7
"""inbox.js's POLL_EVERY_MS: how often an open page asks its live region for news."""
DEEP_PAGES = 5
"""How many times the deep page follows the list's "older" link."""
JOURNAL_SENDS = 2000
"""Single sends after the fill, so the journal's pages hold ordinary exchanges, not the fill's."""
RARE_TO = "4179000099[0-9]"
"""Ten of stores.NUMBERS' thousand destinations: 1% of the fill's messages, made undeliverable."""
CONFIG = {
    **stores.CONFIG,
    "rules": {
        **stores.CONFIG["rules"],
        "rules": [
            {"name": "benchmark-rare", "to": RARE_TO, "status": "UNDELIVERABLE_NOT_DELIVERED", "after": 1}
        ],
    },
}

DELIVERY_AFTER = stores.CONFIG["rules"]["default"]["after"]
"""Seconds from a send to its delivery: the servers' work comes back that long after a load ends."""
NAVIGATION = {
    "first_byte_ms": "responseStart",
    "html_ms": "responseEnd",
    "dom_ready_ms": "domContentLoadedEventEnd",
    "load_event_ms": "loadEventStart",
}
"""What the browser figures read from the navigation's PerformanceNavigationTiming, in ms from its start."""

NO_UI, INBOX, SUBSCRIBED = "--no-ui", "inbox, no page open", "inbox, a list page subscribed"


@dataclass
class Fetched:
    status: int
    first_byte: float
    whole: float
    body: bytes


# --- servers --------------------------------------------------------------------------------------


def start_serve(label: str, scratch: Path, ui: bool) -> bench.Running:
    """stores.start_serve's memory server, with or without the inbox."""
    bench.LABELS.setdefault(label, label)
    port = bench.free_port()
    argv = [sys.executable, "-m", "smsmock", "serve", "--host", bench.HOST, "--port", str(port)]
    argv += ["--store", "memory", "--retain", "none", "--quiet", "--config", str(scratch / "config.yaml")]
    argv += [] if ui else ["--no-ui"]
    log = scratch / f"serve-{port}.log"
    log_file = log.open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=scratch, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, start_new_session=True
    )
    return bench.Running(label, port, process, started, log, log_file)


def quiet(pids: list[int]) -> float:
    """Wait until the deliveries of what was sent are due, then until the servers are idle; seconds."""
    time.sleep(DELIVERY_AFTER + 0.25)
    return DELIVERY_AFTER + 0.25 + stores.settle(pids)


def serving(stack: contextlib.ExitStack, label: str, scratch: Path, ui: bool) -> bench.Running:
    running = start_serve(label, scratch, ui)
    stack.callback(bench.stop, running)
    bench.wait_for_200(running)
    stores.check(running)
    return running


def fill(running: bench.Running, messages: int) -> dict[str, Any]:
    """`messages` stored, then JOURNAL_SENDS single sends on top; the seconds each took."""
    started = time.monotonic()
    stores.fill_http(running, messages)
    filled = time.monotonic() - started
    connection = http.client.HTTPConnection(bench.HOST, running.port, timeout=60)
    try:
        for _ in range(JOURNAL_SENDS):
            connection.request("POST", bench.PATH, bench.BODY, bench.HEADERS)
            response = connection.getresponse()
            reply = response.read()
            if response.status != 200:
                raise bench.failure(running, f"answered a send with HTTP {response.status} {reply[:300]!r}")
    finally:
        connection.close()
    return {"fill_s": filled, "journal_sends_s": time.monotonic() - started - filled}


# --- pages ----------------------------------------------------------------------------------------


def fetch(connection: http.client.HTTPConnection, path: str) -> Fetched:
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()  # returns once the status line and the headers are read
    first_byte = time.perf_counter() - started
    body = response.read()
    return Fetched(response.status, first_byte, time.perf_counter() - started, body)


def attribute(page: bytes, pattern: str) -> str:
    found = re.search(pattern, page.decode())
    if not found:
        raise RuntimeError(f"the page has nothing like {pattern!r}")
    return html.unescape(found.group(1))


def live_url(page: bytes) -> str:
    """The live region's poll, as inbox.js builds it: the region's data-live with its etag set."""
    live = attribute(page, r'data-live="([^"]*)"')
    etag = attribute(page, r'data-etag="([^"]*)"')
    return with_etag(live, etag)


def with_etag(live: str, etag: str) -> str:
    """A live URL with the etag a page holds, as inbox.js sets it (`searchParams.set("etag", ...)`)."""
    return f"{live}{'' if live.endswith('?') else '&'}etag={quote(etag, safe='')}"


def pages_to_time(connection: http.client.HTTPConnection) -> list[tuple[str, str]]:
    """Every page to time, with its path; the deep page, a message and the live polls found by reading."""
    newest = fetch(connection, "/").body
    deep = "/"
    for _ in range(DEEP_PAGES):
        deep = attribute(fetch(connection, deep).body, r'<a rel="next" href="([^"]*)"')
    message = attribute(newest, r'data-message-id="([^"]*)"')
    journal = fetch(connection, f"{UI}/journal").body
    return [
        ("list: the newest 50", "/"),
        ("list: dialect=shortlink, status=DELIVERED (99%)", "/?dialect=shortlink&status=DELIVERED"),
        ("list: dialect=shortlink, status=UNDELIVERABLE (1%)", "/?dialect=shortlink&status=UNDELIVERABLE"),
        (f"list: {DEEP_PAGES} pages back by cursor", deep),
        ("a message", f"{UI}/messages/{quote(message, safe='')}"),
        ("journal", f"{UI}/journal"),
        ("live list, nothing changed", live_url(newest)),
        ("live journal, nothing changed", live_url(journal)),
    ]


def quantile95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18] if len(samples) > 1 else samples[0]


def time_pages(running: bench.Running, fetches: int) -> dict[str, dict[str, Any]]:
    """Each page `fetches` times after one unmeasured fetch, on one keep-alive connection; in ms."""
    connection = http.client.HTTPConnection(bench.HOST, running.port, timeout=60)
    timed: dict[str, dict[str, Any]] = {}
    try:
        for label, path in pages_to_time(connection):
            first = fetch(connection, path)
            if first.status != 200:
                raise bench.failure(running, f"answered {path} with HTTP {first.status} {first.body[:300]!r}")
            samples = [fetch(connection, path) for _ in range(fetches)]
            timed[label] = {
                "path": path,
                "bytes": len(first.body),
                "first_byte_ms": [sample.first_byte * 1000 for sample in samples],
                "whole_ms": [sample.whole * 1000 for sample in samples],
            }
            if path.startswith(f"{UI}/live/"):
                # The poll of an unchanged page must send no HTML: else this is not the cheap path.
                timed[label]["changed"] = sum(
                    json.loads(sample.body)["html"] is not None for sample in samples
                )
    finally:
        connection.close()
    for row in timed.values():
        for figure in ("first_byte_ms", "whole_ms"):
            row[figure.replace("_ms", "_median_ms")] = statistics.median(row[figure])
            row[figure.replace("_ms", "_p95_ms")] = quantile95(row[figure])
    return timed


def browser_test_module() -> Any:
    """tests/test_inbox_browser.py, whose Chromium and launch arguments the browser figures use."""
    spec = importlib.util.spec_from_file_location(
        "test_inbox_browser", ROOT / "tests" / "test_inbox_browser.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def time_in_browser(running: bench.Running, pages: dict[str, dict[str, Any]], loads: int) -> dict[str, Any]:
    """`page.goto(..., wait_until="load")` of the list and a message in headless Chromium, launched as
    the browser tests launch it: the wall time of each, and where it went (NAVIGATION), in ms."""
    if importlib.util.find_spec("playwright") is None:
        return {"skipped": "Playwright is not installed (pip install -e '.[test]')"}
    tested = browser_test_module()
    if not tested.CHROMIUM:
        return {"skipped": "no chromium on PATH (apt-get install chromium)"}
    from playwright.sync_api import sync_playwright

    root = f"http://{bench.HOST}:{running.port}"
    wanted = {label: pages[label]["path"] for label in ("list: the newest 50", "a message")}
    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="smsmock-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=tested.CHROMIUM,
            args=tested.CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 900},
        )
        try:
            page = context.new_page()
            for label, path in wanted.items():
                page.goto(root + path, wait_until="load")  # unmeasured: the static files into the cache
                samples: dict[str, list[float]] = {"goto_ms": [], **{name: [] for name in NAVIGATION}}
                for _ in range(loads):
                    started = time.perf_counter()
                    page.goto(root + path, wait_until="load")
                    samples["goto_ms"].append((time.perf_counter() - started) * 1000)
                    timing = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
                    for name, entry in NAVIGATION.items():
                        samples[name].append(timing[entry])
                found[label] = {
                    "samples": samples,
                    "goto_p95_ms": quantile95(samples["goto_ms"]),
                    **{name: statistics.median(values) for name, values in samples.items()},
                }
        finally:
            context.close()
    return found


# --- a subscribed page ----------------------------------------------------------------------------


@dataclass
class Subscriber:
    """A list page open in a browser tab: inbox.js's poll of its live region, in a thread.

    Every POLL_EVERY seconds (a tick that falls while a poll is under way is skipped, as the script's
    `polling` flag skips it), GET the region's live URL with the etag it holds, on a keep-alive
    connection, and keep the new etag when the reply brings new HTML.
    """

    port: int
    live: str
    etag: str
    polls_ms: list[float] = field(default_factory=list)
    changed: int = 0
    bytes_read: int = 0
    failures: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Subscriber:
        self._thread = threading.Thread(target=self._run, name="subscriber", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        connection = http.client.HTTPConnection(bench.HOST, self.port, timeout=30)
        tick = time.monotonic() + POLL_EVERY
        try:
            while not self._stop.wait(max(0.0, tick - time.monotonic())):
                self._poll(connection)
                now = time.monotonic()
                while tick <= now:
                    tick += POLL_EVERY
        finally:
            connection.close()

    def _poll(self, connection: http.client.HTTPConnection) -> None:
        try:
            found = fetch(connection, with_etag(self.live, self.etag))
        except (OSError, http.client.HTTPException):
            self.failures += 1
            connection.close()  # http.client opens a new one on the next request
            return
        self.polls_ms.append(found.whole * 1000)
        self.bytes_read += len(found.body)
        if found.status != 200:
            self.failures += 1
            return
        live = json.loads(found.body)
        if live["html"] is not None and live["etag"] != self.etag:
            self.changed += 1
            self.etag = live["etag"]

    def figures(self) -> dict[str, Any]:
        return {
            "polls": len(self.polls_ms),
            "changed": self.changed,
            "failures": self.failures,
            "bytes": self.bytes_read,
            "polls_ms": list(self.polls_ms),
            "polls_ms_sum": sum(self.polls_ms),
            "poll_median_ms": statistics.median(self.polls_ms) if self.polls_ms else None,
            "poll_max_ms": max(self.polls_ms) if self.polls_ms else None,
        }


def subscription(running: bench.Running) -> tuple[str, str]:
    """The list page's live URL and its etag now, as a page just opened holds them."""
    connection = http.client.HTTPConnection(bench.HOST, running.port, timeout=60)
    try:
        page = fetch(connection, "/").body
    finally:
        connection.close()
    return attribute(page, r'data-live="([^"]*)"'), attribute(page, r'data-etag="([^"]*)"')


# --- the live cost --------------------------------------------------------------------------------


def measure_cost(
    args: argparse.Namespace, script: Path, plain: bench.Running, inbox: bench.Running
) -> dict[str, dict[str, Any]]:
    """Interleaved wrk rounds: `--no-ui`, the inbox alone, the inbox with a subscribed page; medians."""
    targets = {NO_UI: plain, INBOX: inbox, SUBSCRIBED: inbox}
    pids = [plain.process.pid, inbox.process.pid]
    if args.warmup > 0:
        for running in (plain, inbox):
            quiet(pids)
            bench.run_wrk(running, script, args.threads, args.connections, args.warmup)
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    for number in range(1, args.rounds + 1):
        for name, running in targets.items():
            quiet(pids)
            before = stores.stored(running)
            subscriber = Subscriber(running.port, *subscription(running)) if name == SUBSCRIBED else None
            with subscriber or contextlib.nullcontext():
                figures = bench.run_wrk(running, script, args.threads, args.connections, args.duration)
            figures["stored_before"], figures["stored_after"] = before, stores.stored(running)
            figures["trouble"] = bench.trouble(figures)
            polled = ""
            if subscriber is not None:
                seen = figures["subscriber"] = subscriber.figures()
                polled = f", {seen['polls']} polls, median {seen['poll_median_ms']:.1f} ms"
            rounds[name].append(figures)
            note = f" ({figures['trouble']})" if figures["trouble"] else ""
            print(
                f"  round {number}/{args.rounds} {name:30} {figures['rps']:9,.0f} req/s "
                f"p99 {figures['p99_ms']:8.2f} ms{polled}{note}",
                flush=True,
            )
    return stores.medians(rounds)


# --- reports --------------------------------------------------------------------------------------


def report_pages(args: argparse.Namespace, pages: dict[str, dict[str, Any]], browser: dict[str, Any]) -> bool:
    """The pages' table; whether every list page met the goal."""
    print(f"\n== pages: {args.messages:,} messages stored, {args.fetches} fetches each, keep-alive")
    print("\n| page | first byte ms (median) | p95 | whole page ms (median) | p95 | bytes | goal |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    met = True
    for label, row in pages.items():
        goal = ""
        if label.startswith("list: "):  # the goal holds for list pages
            under = row["whole_p95_ms"] < LIST_GOAL_MS
            met = met and under
            goal = f"< {LIST_GOAL_MS:.0f} ms: {stores.verdict(under)}"
        print(
            f"| {label} | {row['first_byte_median_ms']:.2f} | {row['first_byte_p95_ms']:.2f} "
            f"| {row['whole_median_ms']:.2f} | {row['whole_p95_ms']:.2f} | {row['bytes']:,} | {goal} |"
        )
    for label, row in pages.items():
        if row.get("changed"):
            print(f"note: {row['changed']} of the {label!r} polls brought new HTML (the page changed)")
    if "skipped" in browser:
        print(f"\nChromium: skipped, {browser['skipped']}")
    elif browser:
        loads = f"in Chromium, {args.browser_loads} loads (medians, ms)"
        print(f"\n| {loads} | first byte | HTML read | DOMContentLoaded | load event | goto | goto p95 |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, row in browser.items():
            print(
                f"| {label} | {row['first_byte_ms']:.1f} | {row['html_ms']:.1f} | {row['dom_ready_ms']:.1f} "
                f"| {row['load_event_ms']:.1f} | {row['goto_ms']:.1f} | {row['goto_p95_ms']:.1f} |"
            )
    return met


def report_cost(args: argparse.Namespace, medians: dict[str, dict[str, Any]]) -> bool:
    """The live cost's table; whether a subscribed page met the goal."""
    plain = medians[NO_UI]
    print("\n| server | req/s | p50 ms | p99 ms | req/s vs --no-ui | p99 vs --no-ui | goal |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    met = True
    for name, row in medians.items():
        row["rps_ratio"] = row["rps"] / plain["rps"]
        row["p99_ratio"] = row["p99_ms"] / plain["p99_ms"]
        if name == NO_UI:
            goal = "(the reference)"
        elif name == INBOX:
            goal = "(the bare routing cost)"
        else:
            met = row["rps_ratio"] >= 1 - COST_GOAL
            goal = f"cost < {COST_GOAL:.0%}: {stores.verdict(met)}"
        print(
            f"| {name} | {row['rps']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} "
            f"| {row['rps_ratio']:.3f}x | {row['p99_ratio']:.2f}x | {goal} |"
        )
    seen = [run["subscriber"] for run in medians[SUBSCRIBED]["rounds"]]
    polls = sum(each["polls"] for each in seen)
    changed = sum(each["changed"] for each in seen)
    median = statistics.median(each["poll_median_ms"] for each in seen if each["poll_median_ms"] is not None)
    failed = sum(each["failures"] for each in seen)
    size = sum(each["bytes"] for each in seen) / max(polls, 1)
    # The server answers one request at a time, so the share of the rounds its polls took (queueing
    # behind wrk's requests included: an upper bound) is about the share of req/s they cost, with none
    # of the rounds' noise.
    share = sum(each["polls_ms_sum"] for each in seen) / (args.rounds * args.duration * 1000)
    print(
        f"\nthe subscribed page: {polls} polls in the rounds, {changed} with new HTML, {failed} failed; "
        f"a poll took {median:.1f} ms (the median of the rounds' medians) and read {size:,.0f} bytes; "
        f"the polls took {share:.1%} of the rounds' time"
    )
    medians[SUBSCRIBED]["polls_share"] = share
    for name, row in medians.items():
        counts = [run["stored_before"] for run in row["rounds"]] + [row["rounds"][-1]["stored_after"]]
        print(f"{name}: {min(counts):,} to {max(counts):,} messages stored during its rounds")
    return met


# --- the run --------------------------------------------------------------------------------------


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, help="messages stored (default 100000; --quick 10000)")
    parser.add_argument("--fetches", type=int, help="timed fetches of each page (default 30; --quick 10)")
    parser.add_argument("--browser-loads", type=int, help="timed loads in Chromium (default 10; --quick 3)")
    parser.add_argument("--no-browser", action="store_true", help="no Chromium figures")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 5; --quick 2)")
    parser.add_argument("--duration", type=int, help="seconds of load per round (default 5; --quick 2)")
    parser.add_argument("--warmup", type=int, help="seconds of load per server first (default 2; --quick 0)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="fewer messages, shorter rounds: ~1 minute")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every sample and round too")
    args = parser.parse_args(argv)
    defaults = {
        "messages": (100_000, 10_000),
        "fetches": (30, 10),
        "browser_loads": (10, 3),
        "rounds": (5, 2),
        "duration": (5, 2),
        "warmup": (2, 0),
    }
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if min(args.rounds, args.duration, args.connections, args.threads, args.fetches, args.browser_loads) < 1:
        parser.error("--rounds, --duration, --connections, --threads, --fetches, --browser-loads: at least 1")
    if args.warmup < 0 or args.messages < 1000:
        parser.error("--warmup must not be negative, --messages at least 1000 (the deep page reads back)")
    return args


def preflight() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    probe = [sys.executable, "-m", "smsmock", "serve", "--help"]
    if subprocess.run(probe, capture_output=True, cwd=tempfile.gettempdir()).returncode != 0:
        raise SystemExit("`python -m smsmock serve` is not available: pip install -e . from the project root")


def main() -> int:
    args = parse()
    preflight()
    results: dict[str, Any] = {
        "settings": {key: value for key, value in vars(args).items() if key != "json"},
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "load": os.getloadavg()},
        "versions": bench.versions(["smsmock"]),
    }
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before the run, "
        f"Python {platform.python_version()}"
    )
    print(
        f"{args.messages:,} messages; wrk: {args.threads} threads, {args.connections} connections, "
        f"{args.warmup} s warm-up, then {args.rounds} interleaved rounds of {args.duration} s; medians",
        flush=True,
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="smsmock-inbox-") as folder, contextlib.ExitStack() as stack:
        scratch = Path(folder)
        script = scratch / "send_text_single.lua"
        script.write_text(bench.lua_script(), encoding="utf-8")
        (scratch / "config.yaml").write_text(json.dumps(CONFIG), encoding="utf-8")
        plain = serving(stack, NO_UI, scratch, ui=False)
        inbox = serving(stack, "inbox", scratch, ui=True)

        print(f"\nfilling both through HTTP, at once: {args.messages:,} messages", flush=True)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            done = pool.map(lambda running: fill(running, args.messages), (plain, inbox))
            fills = dict(zip((NO_UI, "inbox"), done, strict=True))
        results["fills"] = fills
        waited = quiet([plain.process.pid, inbox.process.pid])
        print(
            f"filled in {max(each['fill_s'] + each['journal_sends_s'] for each in fills.values()):.0f} s "
            f"(delivered and idle {waited:.1f} s later); {stores.stored(inbox):,} messages stored",
            flush=True,
        )

        pages = time_pages(inbox, args.fetches)
        browser = {} if args.no_browser else time_in_browser(inbox, pages, args.browser_loads)
        results["pages"], results["browser"] = pages, browser
        results["pages_met"] = report_pages(args, pages, browser)

        print("\n== live cost: send_text_single from wrk, with and without the inbox", flush=True)
        results["cost"] = medians = measure_cost(args, script, plain, inbox)
        results["cost_met"] = report_cost(args, medians)
    results["seconds"] = time.monotonic() - started
    print(f"\nthe run took {results['seconds']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (bench.ServerFailed, stores.Failed) as error:
        sys.exit(f"failed: {error}")
