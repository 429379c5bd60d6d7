"""The `smsmock verify` command: exit 0 when every probe passes, 1 when one fails, 2 for unusable input
(an unknown dialect, a malformed or unreachable target, a report file that cannot be written)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from smsmock.verify.plan import NOTIFY_URL, Credentials

DEFAULT_MAX_EXAMPLES = 10
DEFAULT_TIMEOUT = 10.0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `verify` to the `smsmock` command line."""
    defaults = Credentials()
    parser = commands.add_parser(
        "verify",
        help="verify a live server (a provider sandbox, another mock, smsmock) against a dialect's contracts",
        description=(
            "Send the documented example requests and hypothesis-generated valid and invalid requests to "
            "the server at --target, and check each reply: documented status codes, the schemas, JSON and "
            "XML by Accept, auth failures and invalid input answered with the documented errors, "
            "read-once reports, and the semantic checks (smsCount, bulkId, unified replies and types). "
            "Real messages are sent: point it at a sandbox. "
            "Exit status: 0 passed, 1 failures, 2 unusable input (unknown dialect, unreachable target)."
        ),
    )
    parser.add_argument(
        "--target", required=True, metavar="URL", help="the server's root, e.g. http://127.0.0.1:8080"
    )
    parser.add_argument(
        "--dialect", required=True, help="the API to verify: shortlink, qikli, unified, quicktel or sendsms"
    )
    parser.add_argument(
        "--username",
        default=defaults.username,
        help=f"Basic auth, unified username, quicktel lgn (default {defaults.username})",
    )
    parser.add_argument(
        "--password",
        default=defaults.password,
        help=f"its password, quicktel pwd (default {defaults.password!r})",
    )
    parser.add_argument(
        "--api-key", default=defaults.api_key, help=f"the sendsms API key (default {defaults.api_key})"
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        default=DEFAULT_MAX_EXAMPLES,
        metavar="N",
        help=f"generated valid (and as many invalid) requests per operation (default {DEFAULT_MAX_EXAMPLES})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="for each reply, and for a report to arrive from a server whose clock cannot be moved "
        f"(default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument("--seed", type=int, help="the hypothesis seed (default: a fixed one, so runs repeat)")
    parser.add_argument(
        "--notify-url",
        default=NOTIFY_URL,
        metavar="URL",
        help=f"the notifyUrl of requests that must name one (default {NOTIFY_URL}, nowhere)",
    )
    parser.add_argument("--junit-xml", metavar="PATH", help="also write a JUnit XML report to PATH")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every probe, not only failures")
    parser.set_defaults(handler=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    from smsmock.verify.report import text_report, write_junit_xml
    from smsmock.verify.runner import UnusableInput, verify

    if args.junit_xml and not Path(args.junit_xml).parent.is_dir():
        print(f"smsmock: cannot write {args.junit_xml}: no such directory", file=sys.stderr)
        return 2
    credentials = Credentials(username=args.username, password=args.password, api_key=args.api_key)
    try:
        verification = verify(
            args.target,
            args.dialect,
            credentials=credentials,
            max_examples=args.max_examples,
            timeout=args.timeout,
            seed=args.seed,
            notify_url=args.notify_url,
        )
    except UnusableInput as error:
        print(f"smsmock: {error}", file=sys.stderr)
        return 2
    print(text_report(verification, verbose=args.verbose))
    if args.junit_xml:
        try:
            write_junit_xml(verification, args.junit_xml)
        except OSError as error:
            print(f"smsmock: cannot write {args.junit_xml}: {error.strerror}", file=sys.stderr)
            return 2
    return 1 if verification.failed else 0
