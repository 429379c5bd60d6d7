"""The `smsmock check` and `smsmock journal` commands.

`check` exits 0 when nothing reaches the `--fail-on` threshold, 1 when something does, and 2 when an
input is unusable (missing, not HAR or JSON Lines, empty, or holding no exchange of any dialect).
`journal` exits 0 when the file is written and 2 when the server cannot be read or the file written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import urlencode

# Only the standard library at the top: every `smsmock` command, `serve` included, loads this module.
CONTROL_PREFIX = "/_smsmock"
FETCH_TIMEOUT = 30.0
"""Seconds to wait for a server's journal before giving up."""


def register(commands: argparse._SubParsersAction) -> None:
    """Add `check` and `journal` to the `smsmock` command line."""
    _check_parser(commands)
    _journal_parser(commands)


def _check_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "check",
        help="check recorded traffic (HAR, smsmock journal) against the contracts",
        description=(
            "Check each exchange of FILE (HAR 1.2 as browsers, proxies and mitmproxy write it, or the "
            "smsmock journal as JSON Lines) against its dialect's contract: the schemas of request and "
            "reply, and the rules no schema expresses (smsCount, bulkId, unified replies and types, "
            "read-once reports). Exit status: 0 passed, 1 findings at or above --fail-on, 2 unusable input."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="a HAR or JSON Lines journal file")
    parser.add_argument(
        "--fail-on",
        choices=["error", "warning"],
        default="error",
        help="the least severity that fails the check (default: error)",
    )
    parser.add_argument("--junit-xml", metavar="PATH", help="also write a JUnit XML report to PATH")
    parser.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    from smsmock.checks.findings import at_or_above
    from smsmock.checks.recorded import check_files
    from smsmock.checks.report import text_report, write_junit_xml
    from smsmock.checks.traffic import UnusableInput
    from smsmock.contracts.validation import Severity

    threshold = Severity(args.fail_on)
    try:
        checked = check_files(args.files)
    except UnusableInput as problem:
        print(f"smsmock: {problem}", file=sys.stderr)
        return 2
    if not checked.checked:
        print(
            f"smsmock: no exchange in {', '.join(args.files)} is a call of any dialect's API",
            file=sys.stderr,
        )
        return 2
    print(text_report(checked, threshold, files=len(args.files)))
    if args.junit_xml:
        try:
            write_junit_xml(checked, threshold, args.junit_xml)
        except OSError as error:
            print(f"smsmock: cannot write {args.junit_xml}: {error.strerror or error}", file=sys.stderr)
            return 2
    return 1 if at_or_above(checked.findings, threshold) else 0


def _journal_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "journal",
        help="save a running mock's journal as JSON Lines or HAR",
        description=(
            "Fetch GET URL/_smsmock/journal?format=... from a running smsmock and write it to FILE. "
            "Exit status: 0 written, 2 the server could not be read or the file written."
        ),
    )
    parser.add_argument("--url", required=True, help="the server's root URL, e.g. http://127.0.0.1:8080")
    parser.add_argument(
        "--out", required=True, metavar="FILE", help="where to write it ('-': standard output)"
    )
    parser.add_argument(
        "--format",
        choices=["jsonl", "har"],
        help="JSON Lines or HAR 1.2 (default: har when FILE ends in .har, else jsonl)",
    )
    parser.add_argument("--dialect", help="only this dialect's exchanges")
    parser.add_argument("--operation", help="only this operation's exchanges")
    parser.set_defaults(handler=run_journal)


def journal_url(base: str, form: str, dialect: str | None = None, operation: str | None = None) -> str:
    """The control API URL of the journal in `form`, from a server's root URL (or its /_smsmock URL)."""
    root = base.rstrip("/").removesuffix(CONTROL_PREFIX)
    query = {
        "format": form,
        **{key: value for key, value in (("dialect", dialect), ("operation", operation)) if value},
    }
    return f"{root}{CONTROL_PREFIX}/journal?{urlencode(query)}"


def run_journal(args: argparse.Namespace) -> int:
    import urllib.error
    import urllib.request

    form = args.format or ("har" if str(args.out).lower().endswith(".har") else "jsonl")
    url = journal_url(args.url, form, args.dialect, args.operation)
    if not url.startswith(("http://", "https://")):
        print(f"smsmock: --url must be an http:// or https:// URL, not {args.url!r}", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as reply:
            body = reply.read()
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")[:200]
        print(f"smsmock: {url} answered {error.code}: {detail}", file=sys.stderr)
        return 2
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        print(f"smsmock: cannot read {url}: {reason}", file=sys.stderr)
        return 2
    count = _count(body, form)
    if count is None:
        print(
            f"smsmock: {url} did not answer with a {form} journal; is it a smsmock server?", file=sys.stderr
        )
        return 2
    if args.out == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return 0
    try:
        Path(args.out).write_bytes(body)
    except OSError as error:
        print(f"smsmock: cannot write {args.out}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(f"wrote {count} exchange(s) to {args.out} ({form})")
    return 0


def _count(body: bytes, form: str) -> int | None:
    """How many exchanges a journal body holds; None when it is not the format asked for."""
    try:
        if form == "har":
            entries = json.loads(body)["log"]["entries"]
            return len(entries) if isinstance(entries, list) else None
        lines = [line for line in body.decode("utf-8").splitlines() if line.strip()]
        return sum(isinstance(json.loads(line), dict) for line in lines)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
