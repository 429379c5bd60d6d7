"""The pytest plugin's speed: a client's calls per second through each fixture, beside a bare stub.

    python benchmarks/plugin.py [--rounds 5] [--calls 2000] [--suite-runs 3] [--json FILE]

One call, shortlink's send_text_single (POST /restapi/sms/1/text/single with Basic auth), made with a
`requests.Session` exactly as a user's client makes it, through:

- a bare `responses` stub returning the documented reply, canned: the least a mock can cost;
- the `smsmock_inprocess` fixture's transport: the same `responses` hook, answered by the full mock
  (validation, segmentation, storage, journal) with no socket;
- the `smsmock` fixture's server: the same mock over a loopback socket, in a thread.

The three are measured in interleaved rounds (each once per round, each time in a fresh process, after
a warm-up) and each figure is the median of the rounds. Then the whole contract suite runs on the
reference shortlink client at hypothesis' default example count, in a fresh pytest process, once per
transport: its wall time, median of --suite-runs.
The goal: the in-process fixture within 2x of the bare stub's time per call.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests
import responses

from smsmock.contracts import examples
from smsmock.plugin.inprocess import ROOT, InProcessTransport
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig
from smsmock.server.thread import MockServer

HERE = Path(__file__).resolve().parent
CLIENTS = HERE.parent / "examples" / "clients"
PATH = "/restapi/sms/1/text/single"
BODY = {"from": "InfoSMS", "to": "41793026727", "text": "My first SMS"}
AUTH = ("Aladdin", "open sesame")
CANNED = json.loads(next(e for e in examples("shortlink") if e["id"] == "gs-send-response-json")["body"])
"""The document's reply to this request, which the bare stub returns every time."""


def calls_per_second(root: str, calls: int) -> float:
    """Send `calls` messages with one session, the way a client built on requests does."""
    session = requests.Session()
    session.auth = AUTH
    url = root + PATH
    started = time.perf_counter()
    for _ in range(calls):
        reply = session.post(url, json=BODY, timeout=5)
        if reply.status_code != 200:
            raise SystemExit(f"{url} answered {reply.status_code}: {reply.text[:200]}")
    return calls / (time.perf_counter() - started)


def bare_stub(calls: int) -> float:
    with responses.RequestsMock() as stub:
        stub.add(responses.POST, ROOT + PATH, json=CANNED)
        return calls_per_second(ROOT, calls)


def inprocess_fixture(transport: InProcessTransport) -> Callable[[int], float]:
    def measure(calls: int) -> float:
        transport.app.control.reset()  # what the fixture does before each test
        transport.start()
        try:
            return calls_per_second(ROOT, calls)
        finally:
            transport.stop()

    return measure


def socket_fixture(server: MockServer) -> Callable[[int], float]:
    def measure(calls: int) -> float:
        server.app.control.reset()
        return calls_per_second(server.url, calls)

    return measure


def suite_wall_time(transport: str, scratch: Path) -> float:
    """Seconds for `pytest` to run the reference shortlink client's contract suite in a new process."""
    source = (CLIENTS / "test_shortlink_contract.py").read_text(encoding="utf-8")
    source = re.sub(r'transport = "\w+"', f'transport = "{transport}"', source)
    project = scratch / transport
    project.mkdir(exist_ok=True)
    (project / "test_contract.py").write_text(source, encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project)]
    started = time.perf_counter()
    finished = subprocess.run(
        command, cwd=project, env={**os.environ, "PYTHONPATH": str(CLIENTS)}, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if finished.returncode != 0:
        raise SystemExit(f"the contract suite failed over {transport}:\n{finished.stdout[-2000:]}")
    return elapsed


CONTENDERS = ("bare responses stub", "smsmock_inprocess", "smsmock (socket)")


def measure_alone(contender: str, calls: int) -> float:
    """Calls per second of one contender, warmed up, in this process with nothing else in it."""
    if contender == "smsmock (socket)":
        with MockServer(MockConfig()) as server:
            return warmed(socket_fixture(server), calls)
    if contender == "smsmock_inprocess":
        return warmed(inprocess_fixture(InProcessTransport(MockApp(MockConfig()))), calls)
    return warmed(bare_stub, calls)


def warmed(measure: Callable[[int], float], calls: int) -> float:
    measure(max(calls // 10, 50))  # warm-up: imports, caches, the first connection
    gc.collect()
    return measure(calls)


def measure_in_child(contender: str, calls: int) -> float:
    # A process per measurement: a server thread, a grown heap or a patched adapter left by one
    # contender must not slow the next.
    command = [sys.executable, __file__, "--child", contender, "--calls", str(calls)]
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(finished.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of calls (default 5)")
    parser.add_argument("--calls", type=int, default=2000, help="calls per fixture per round (default 2000)")
    parser.add_argument("--suite-runs", type=int, default=3, help="contract suite runs per transport")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every round's figures and medians")
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.rounds, args.calls) < 1 or args.suite_runs < 0:
        parser.error("--rounds and --calls must be at least 1, --suite-runs at least 0")
    if args.child:
        print(measure_alone(args.child, args.calls))
        return 0

    rounds: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for _ in range(args.rounds):
        for name in CONTENDERS:
            rounds[name].append(measure_in_child(name, args.calls))
    rates = {name: statistics.median(figures) for name, figures in rounds.items()}

    suites: dict[str, list[float]] = {"inprocess": [], "socket": []}
    scratch = Path(tempfile.mkdtemp(prefix="smsmock-bench-"))
    try:
        for _ in range(args.suite_runs):
            for name in suites:
                suites[name].append(suite_wall_time(name, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    bare = rates["bare responses stub"]
    print(f"{args.rounds} interleaved rounds of {args.calls} calls; medians")
    print(f"{'':24} {'calls/s':>9} {'µs/call':>9} {'time vs bare stub':>18}")
    for name, rate in rates.items():
        print(f"{name:24} {rate:9.0f} {1e6 / rate:9.0f} {bare / rate:17.2f}x")
    overhead = bare / rates["smsmock_inprocess"]
    print(f"in-process overhead: {overhead:.2f}x the bare stub's time per call (goal: at most 2x)")
    for name, times in suites.items():
        if times:
            print(f"contract suite, reference shortlink client, {name}: {statistics.median(times):.1f} s")

    if args.json:
        medians = {name: statistics.median(times) for name, times in suites.items() if times}
        figures = {"rounds": rounds, "calls_per_second": rates, "suite_seconds": suites}
        figures |= {"suite_medians": medians, "inprocess_overhead": overhead}
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
