"""The long fuzzing campaign: generated requests over all five dialects, in process and, with
--over-socket, against a `smsmock serve` process too.

    python benchmarks/fuzz.py [--requests 20000] [--seed 1] [--over-socket] [--no-huge] [--json FILE]

The requests and the checks are the test suite's (tests/fuzz_requests.py, tests/fuzz_campaign.py;
tests/test_fuzz.py runs a slice of 1,500 on every test run): Schemathesis' positive, negative and
stateful cases from each OpenAPI document, and raw quicktel XML, unified and sendsms parameters,
family JSON and XML bodies, odd headers and lookups of what was sent. Every reply must come without a
5xx, without a traceback in anything the mock prints or logs, and within its own contract; afterwards
every message must be listed and looked up, have a history, and have its report pulled exactly once.

Prints the requests per dialect and per category, the replies by status class, and every finding;
exits 1 when there is one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the campaign is the test suite's

from fuzz_campaign import Campaign, InProcess, OverSocket, Target, campaign_config, run  # noqa: E402

from smsmock.server.app import MockApp  # noqa: E402

SHOWN_PER_KIND = 10
"""Findings printed in full for each kind; --json keeps them all."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000, help="generated requests per target (20000)")
    parser.add_argument("--seed", type=int, default=1, help="the seed every draw starts from (1)")
    parser.add_argument(
        "--over-socket", action="store_true", help="also fuzz a `smsmock serve` process on a loopback port"
    )
    parser.add_argument("--no-huge", dest="huge", action="store_false", help="leave out the megabyte bodies")
    parser.add_argument("--json", metavar="FILE", help="write the counts and every finding as JSON")
    args = parser.parse_args(argv)

    results = []
    results.append(_campaign(InProcess(MockApp(campaign_config())), args))
    if args.over_socket:
        with tempfile.TemporaryDirectory(prefix="smsmock-fuzz-") as workdir:
            served = OverSocket(Path(workdir))
            try:
                results.append(_campaign(served, args))
            finally:
                served.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return 1 if any(result["findingList"] for result in results) else 0


def _campaign(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {target.label}: {args.requests} requests, seed {args.seed}", flush=True)
    campaign = Campaign(target)
    started = time.monotonic()
    run(campaign, args.requests, args.seed, huge=args.huge)
    seconds = time.monotonic() - started
    summary = campaign.summary()
    _print(summary, seconds)
    shown: Counter[str] = Counter()
    for finding in campaign.findings:
        shown[finding.kind] += 1
        if shown[finding.kind] <= SHOWN_PER_KIND:
            print(finding, end="\n\n")
    return {
        **summary,
        "seed": args.seed,
        "seconds": round(seconds, 1),
        "findingList": [
            {
                "kind": finding.kind,
                "dialect": finding.dialect,
                "category": finding.category,
                "detail": finding.detail,
                "request": finding.request,
                "reply": finding.reply,
            }
            for finding in campaign.findings
        ],
    }


def _print(summary: dict[str, Any], seconds: float) -> None:
    print(
        f"{summary['requests']} generated requests in {seconds:.0f} s"
        f" (and {summary['stateCheckRequests']} for the state check afterwards)"
    )
    print("\nper dialect:")
    for dialect, count in summary["byDialect"].items():
        statuses = {
            key.split("/", 1)[1]: value
            for key, value in summary["statuses"].items()
            if key.split("/", 1)[0] == dialect
        }
        shown = ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
        print(f"  {dialect:<10} {count:>6}   ({shown})")
    print("\nper category:")
    for category, count in summary["byCategory"].items():
        print(f"  {category:<17} {count:>6}")
    print("\nstate:")
    print(f"  messages listed:     {summary['messagesListed']} by the control API")
    print(f"  messages handed out: {summary['handedOut']} (ids in send replies)")
    print(f"  found by lookups:    {summary['lookedUp']}")
    print(f"  reports pulled:      {summary['reportsPulled']}")
    print(f"  inbound pulled:      {summary['inboundPulled']}")
    findings = summary["findings"]
    total = sum(findings.values())
    print(f"\nfindings: {total}" + (f" ({findings})" if total else ""), end="\n\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
