"""The control API's listings with a big store: GET /_smsmock/messages and /_smsmock/journal pages.

    python benchmarks/control_listing.py [--messages 100000] [--exchanges 10000] [--runs 15] [--json FILE]

A store is filled through the backend, as the dialects fill it: `--messages` messages in sends of up to
100 destinations, over three dialects and two accounts, to a pool of 1,000 numbers, one of which takes
a fifth of the traffic, and to the outcome rules' special numbers, so that after the clock moves most
messages are delivered, some undeliverable, a few rejected and some still pending. The journal gets
`--exchanges` real requests through a second app (`smsmock serve` keeps 10,000 by default).

The filled state is then frozen out of the cyclic collector's view, as `smsmock serve` does once a
second (`StateFreezer`). Each listing is requested through the WSGI app, as `smsmock serve` serves it
(no socket), `--runs` times after one unmeasured call; the figures are the median and the slowest, in
milliseconds, with the page size and the total the reply gave, and beside them the median of the
store's own query for the same page (the rest is rendering: `as_dict()` and JSON, linear in the page
size, not in the store). A deep page starts at a cursor 1,000 messages from the oldest.
The goal: a page of the default size under 50 ms with 100,000 messages. For scale, the last row reads
every message the way the control API answered before it was paged (one list of every message).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

from smsmock.core.commands import Submission
from smsmock.core.paging import DEFAULT_LIMIT
from smsmock.core.stores import MessageQuery
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig

START = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
GOAL_MS = 50.0
DEEP_CURSOR = "1000"
"""Cursors are sequence numbers, from 0 in a fresh mock: this one starts 1,000 messages from the oldest."""
HOT_NUMBER = "41790000000"
"""The one number a fifth of the messages go to."""
SPECIAL = {
    "15550001003": 0.05,  # undeliverable after 5 s
    "15550001005": 0.005,  # rejected at once (REJECTED_DND)
    "15550001006": 0.05,  # pending for ever
    "15550001011": 0.05,  # delivered after 600 s: still pending when the clock has moved 60 s
}
"""Special numbers of the default outcome rules, and the share of messages each gets."""
DIALECTS = (("shortlink", 0.6), ("qikli", 0.2), ("sendsms", 0.2))
ACCOUNTS = (("default", 0.9), ("second", 0.1))


def fill(app: MockApp, count: int, seed: int = 1) -> float:
    """Store `count` messages through the backend; returns the seconds it took."""
    chooser = random.Random(seed)
    pool = [f"4179{number:07d}" for number in range(1, 1000)]
    accounts = {name: app.control.account(name) for name, _ in ACCOUNTS}
    started = time.perf_counter()
    sent = 0
    while sent < count:
        batch = min(100, count - sent)
        dialect = _pick(chooser, DIALECTS)
        account = accounts[_pick(chooser, ACCOUNTS)]
        app.backend.submit(
            account, dialect, [Submission(to=_number(chooser, pool), text="Hi") for _ in range(batch)]
        )
        sent += batch
    app.control.advance(60)
    return time.perf_counter() - started


def _pick(chooser: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return chooser.choices([name for name, _ in weighted], [weight for _, weight in weighted])[0]


def _number(chooser: random.Random, pool: list[str]) -> str:
    draw = chooser.random()
    for number, share in SPECIAL.items():
        if draw < share:
            return number
        draw -= share
    return HOT_NUMBER if draw < 0.2 else chooser.choice(pool)


def journal_fill(app: MockApp, count: int) -> None:
    """`count` shortlink sends through the app, each journaled."""
    body = json.dumps({"from": "InfoSMS", "to": "41793026727", "text": "My first SMS"}).encode()
    headers = {"Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Content-Type": "application/json"}
    for _ in range(count):
        environ = EnvironBuilder(
            path="/restapi/sms/1/text/single", method="POST", data=body, headers=headers
        ).get_environ()
        b"".join(app(environ, _start_response))


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    _start_response.status = status  # type: ignore[attr-defined]


def get(app: MockApp, path: str, query: dict[str, str]) -> dict[str, Any]:
    """One GET through the WSGI app; its JSON body."""
    environ = EnvironBuilder(path=path, method="GET", query_string=query).get_environ()
    body = b"".join(app(environ, _start_response))
    status = _start_response.status  # type: ignore[attr-defined]
    if not status.startswith("200"):
        raise SystemExit(f"GET {path} {query} answered {status}: {body[:200]!r}")
    return json.loads(body)


def timed(call: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Milliseconds of each of `runs` calls (after one unmeasured), and the last call's result."""
    result = call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, result


def store_page(app: MockApp, path: str, query: dict[str, str]) -> Any:
    """The same page asked of the store (or the journal) directly, without rendering it."""
    limit = int(query.get("limit", DEFAULT_LIMIT))
    cursor = int(query["cursor"]) if "cursor" in query else None
    filters = {name: value for name, value in query.items() if name not in ("limit", "cursor")}
    if path.endswith("journal"):
        return app.journal.page(**filters, limit=limit, before=cursor)
    return app.backend.store.query(MessageQuery(**filters, limit=limit, before=cursor))


def cases(deep: str) -> list[tuple[str, str, dict[str, str]]]:
    """(what, path, query) of every listing measured."""
    messages, journal = "/_smsmock/messages", "/_smsmock/journal"
    return [
        ("first page (100)", messages, {}),
        ("first page, limit=500 (the most)", messages, {"limit": "500"}),
        ("dialect=qikli", messages, {"dialect": "qikli"}),
        ("account=second", messages, {"account": "second"}),
        ("to=one of the pool", messages, {"to": "41790000007"}),
        ("to=the hot number", messages, {"to": HOT_NUMBER}),
        ("status=DELIVERED", messages, {"status": "DELIVERED"}),
        ("status=REJECTED (0.5%)", messages, {"status": "REJECTED"}),
        ("status=PENDING", messages, {"status": "PENDING"}),
        (
            "dialect, account, status",
            messages,
            {"dialect": "sendsms", "account": "second", "status": "PENDING"},
        ),
        ("to=hot number, status=PENDING", messages, {"to": HOT_NUMBER, "status": "PENDING"}),
        ("deep page", messages, {"cursor": deep}),
        ("deep page, status=REJECTED", messages, {"cursor": deep, "status": "REJECTED"}),
        ("deep page, dialect=qikli", messages, {"cursor": deep, "dialect": "qikli"}),
        ("journal: first page", journal, {}),
        ("journal: operation filter", journal, {"operation": "send_text_single", "limit": "500"}),
        ("journal: deep page", journal, {"cursor": "1000"}),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="messages stored (default 100000)")
    parser.add_argument("--exchanges", type=int, default=10_000, help="journaled requests (default 10000)")
    parser.add_argument("--runs", type=int, default=15, help="timed requests per listing (default 15)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every sample and the medians")
    args = parser.parse_args()

    app = MockApp(MockConfig(clock_start=START, clock_frozen=True))
    app.control.put_account({"name": "second", "username": "bob", "password": "pw", "balance": "1000000"})
    app.control.set_balance("default", "1000000")
    seconds = fill(app, args.messages)
    print(f"stored {args.messages} messages in {seconds:.1f} s ({args.messages / seconds:.0f} a second)")
    journal_app = MockApp(MockConfig(clock_start=START, clock_frozen=True))
    journal_fill(journal_app, args.exchanges)

    gc.collect()
    gc.freeze()

    print(f"{'listing':34} {'median ms':>10} {'max ms':>8} {'items':>6} {'total':>8} {'store ms':>9}")
    results: dict[str, Any] = {}
    slowest_median = 0.0
    for name, path, query in cases(DEEP_CURSOR):
        target = journal_app if path.endswith("journal") else app
        samples, body = timed(partial(get, target, path, query), args.runs)
        store_samples, _ = timed(partial(store_page, target, path, query), args.runs)
        median, store_median = statistics.median(samples), statistics.median(store_samples)
        if int(query.get("limit", DEFAULT_LIMIT)) == DEFAULT_LIMIT:
            slowest_median = max(slowest_median, median)
        results[name] = {
            "query": query,
            "samples_ms": samples,
            "median_ms": median,
            "store_samples_ms": store_samples,
            "store_median_ms": store_median,
            "items": len(body["items"]),
            "total": body["total"],
        }
        shown = (
            f"{median:10.2f} {max(samples):8.2f} {len(body['items']):6} {body['total']:8} {store_median:9.2f}"
        )
        print(f"{name:34} {shown}")
    samples, everything = timed(lambda: app.control.messages(), 1)
    results["every message as one list (the old reply)"] = {"samples_ms": samples}
    print(f"{'every message as one Python list':34} {samples[0]:10.0f} {'':>8} {'':>6} {len(everything):8}")
    verdict = "met" if slowest_median < GOAL_MS else "missed"
    slowest = f"slowest page of {DEFAULT_LIMIT}: {slowest_median:.2f} ms median"
    print(f"{slowest}; goal under {GOAL_MS:.0f} ms: {verdict}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0 if slowest_median < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
