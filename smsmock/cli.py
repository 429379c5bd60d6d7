"""The `smsmock` command line."""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import json
import os
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smsmock.encoding import Encoding, NotRepresentable, Segmentation, TooManyParts, dialect_profiles, segment
from smsmock.encoding.capacity import STANDARD
from smsmock.encoding.segmentation import NATIONAL_POLICIES


def _segments_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "segments",
        help="show how a text is encoded and split into SMS parts",
        description="Show how TEXT is encoded (GSM 7-bit or UCS-2) and split into SMS parts.",
    )
    parser.add_argument("text", metavar="TEXT", help="the message text ('-' reads standard input)")
    parser.add_argument("--language", metavar="CODE", help="national language tables to allow: TR, ES or PT")
    parser.add_argument("--single-shift", action="store_true", help="allow the language's single shift table")
    parser.add_argument(
        "--locking-shift", action="store_true", help="allow the language's locking shift table"
    )
    parser.add_argument(
        "--national-policy",
        choices=NATIONAL_POLICIES,
        help="fewest (default): a requested table is used only when the text needs it or it saves parts;"
        " requested: they are used whenever they can carry the text, their IEs counted in every part",
    )
    parser.add_argument("--graphemes", action="store_true", help="never split inside a grapheme cluster")
    parser.add_argument(
        "--profile",
        metavar="DIALECT:NAME",
        help="a dialect's documented capacities, e.g. unified:1 (flash); default: TS 23.040",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of a report")
    parser.set_defaults(handler=_run_segments)


def _run_segments(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    profile = STANDARD
    if args.profile:
        dialect, _, name = args.profile.partition(":")
        profiles = dialect_profiles(dialect)
        if name not in profiles:
            raise SystemExit(f"smsmock: {dialect} has no profile {name!r}; it has {', '.join(profiles)}")
        profile = profiles[name]
        if profile.encoding is Encoding.BINARY:
            raise SystemExit(f"smsmock: {args.profile} counts binary octets, not text")
    try:
        result = segment(
            text,
            language=args.language,
            single_shift=args.single_shift,
            locking_shift=args.locking_shift,
            profile=profile,
            encoding=profile.encoding if args.profile else None,
            keep_graphemes=args.graphemes,
            national_policy=args.national_policy or "fewest",
        )
    except (NotRepresentable, TooManyParts, ValueError) as error:
        print(f"smsmock: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        # The policy only matters with national tables: a plain text's report stays as it was.
        print(render_segmentation(result, show_policy=bool(args.language or args.national_policy)))
    return 0


def _visible(char: str) -> str:
    return {"\n": "\\n", "\r": "\\r", "\f": "\\f", "\t": "\\t", "\x1b": "\\x1b"}.get(char, char)


def _mark(text: str, marked: set[str]) -> str:
    # Brackets show a person which characters cost extra without needing colour.
    return "".join(f"[{_visible(c)}]" if c in marked else _visible(c) for c in text)


_POLICY_MEANINGS = {
    "fewest": "a requested table is used only when the text needs it or it saves parts",
    "requested": "the requested tables are used when they hold the text, their IEs counted in every part",
}


def render_segmentation(result: Segmentation, *, show_policy: bool = False) -> str:
    """A report for a person: the encoding, why, and where the message splits."""
    unit = "septets" if result.encoding.value == "GSM7" else "UTF-16 units"
    header = f"encoding: {result.encoding.value}"
    if result.language:
        tables = [
            name
            for name, used in (("locking shift", result.locking_shift), ("single shift", result.single_shift))
            if used
        ]
        header += f" (national language {result.language}: {' + '.join(tables)})"
    lines = [
        header,
        f"length:   {result.units} {unit}",
        f"parts:    {result.segments} of up to {result.capacity} {unit} each,"
        f" {result.remaining} left in the last",
    ]
    if show_policy:
        policy = result.national_policy
        lines.append(f"national: {policy} ({_POLICY_MEANINGS[policy]})")
    if result.ucs2_chars:
        shown = ", ".join(f"{_visible(c)} U+{ord(c):04X}" for c in result.ucs2_chars)
        lines.append(f"UCS-2 because of: {shown}")
    if result.double_septet_chars:
        shown = ", ".join(_visible(c) for c in result.double_septet_chars)
        lines.append(f"two septets each: {shown}")
    marked = set(result.ucs2_chars) | set(result.double_septet_chars)
    for number, (part, units) in enumerate(zip(result.parts, result.part_units, strict=True), start=1):
        lines.append(f"--- part {number}/{result.segments} ({units} {unit})")
        lines.append(_mark(part, marked))
    return "\n".join(lines)


def _validate_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "validate",
        help="check a request or response body against a dialect's contract",
        description="Check FILE (a body, a query string or a plain-text reply) against a contract.",
    )
    parser.add_argument("--dialect", required=True, help="shortlink, qikli, unified, quicktel or sendsms")
    parser.add_argument("--operation", required=True, help="the operation id, e.g. send_text_single")
    direction = parser.add_mutually_exclusive_group(required=True)
    direction.add_argument("--request", dest="direction", action="store_const", const="request")
    direction.add_argument("--response", dest="direction", action="store_const", const="response")
    parser.add_argument("file", metavar="FILE", help="the body ('-' reads standard input)")
    parser.add_argument("--content-type", help="the body's media type; sniffed from the body when left out")
    parser.set_defaults(handler=_run_validate)


def _run_validate(args: argparse.Namespace) -> int:
    from smsmock.contracts import UnknownOperation, errors, operation, validate

    try:
        operation(args.dialect, args.operation)
    except UnknownOperation as error:
        print(f"smsmock: {error}", file=sys.stderr)
        return 2
    try:
        body = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as error:
        print(f"smsmock: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    violations = validate(args.dialect, args.operation, args.direction, body, args.content_type)
    for violation in violations:
        print(violation)
    failed = errors(violations)
    warnings = len(violations) - len(failed)
    print(f"{args.dialect} {args.operation} {args.direction}: {len(failed)} errors, {warnings} warnings")
    return 1 if failed else 0


def _serve_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "serve",
        help="run the stateful mock server for every dialect",
        description="Serve every dialect at its documented paths, with the control API under /_smsmock/.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", type=_host, help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=_port, default=8080, help="port to listen on; 0 picks a free one (default 8080)"
    )
    parser.add_argument(
        "--config", metavar="FILE", help="YAML with accounts, outcome rules, clock, store and limits"
    )
    parser.add_argument(
        "--check-config",
        metavar="FILE",
        help="check a configuration file (its schema, rules, dates, store URL), print FILE: OK or every"
        " problem, and exit (0 or 2) without serving",
    )
    parser.add_argument(
        "--store",
        metavar="URL",
        help="where the state lives: memory (default), sqlite:PATH or redis://HOST:PORT/DB",
    )
    parser.add_argument(
        "--retain",
        metavar="SPEC",
        type=_retention,
        help="what is kept: a window on the mock's clock (48h), a count of messages (100000),"
        " both (48h,100000) or none; default 48h",
    )
    parser.add_argument(
        "--max-body",
        metavar="SIZE",
        type=_size,
        help="the longest request body read, in bytes or KiB/MiB/GiB (512KiB); a longer one gets its"
        " dialect's error for a request it cannot take; default 1MiB",
    )
    parser.add_argument("--quiet", action="store_true", help="no access-log line per request")
    parser.add_argument(
        "--no-ui",
        dest="ui",
        action="store_false",
        help="no web inbox at / and /_smsmock/ui/ (then / answers as any path no dialect documents)",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="access-log lines as text for a person or JSON for a machine (default text)",
    )
    parser.set_defaults(handler=_run_serve)


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: ports run from 0 to 65535")
    return port


def _retention(value: str) -> Any:
    from smsmock.core.retention import parse_retention

    try:
        return parse_retention(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _size(value: str) -> int:
    from smsmock.server.limits import parse_size

    try:
        return parse_size(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _host(value: str) -> str:
    import socket

    from smsmock.hosts import lookup_name

    try:
        socket.getaddrinfo(lookup_name(value), None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        raise argparse.ArgumentTypeError(f"{value!r} does not resolve to an address ({error})") from None
    return value


def _run_serve(args: argparse.Namespace) -> int:
    _defer_package_init("werkzeug")
    if args.check_config is not None:
        return _check_config(args.check_config)
    # Start-up makes objects that live as long as the server and next to no garbage: the collector would
    # walk them over and over for nothing. serve() turns it on again before the worker starts.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _serve(args)
    finally:
        if collecting:
            gc.enable()


def _serve(args: argparse.Namespace) -> int:
    from smsmock.core.retention import SERVE_DEFAULT
    from smsmock.core.stores import StoreError
    from smsmock.server.accesslog import AccessLog
    from smsmock.server.config import ConfigError, load_config
    from smsmock.server.serve import BindError, serve

    try:
        config = load_config(args.config)
    except ConfigError as error:
        for line in str(error).splitlines():
            print(f"smsmock: {line}", file=sys.stderr)
        return 2
    if args.store:
        config.store = args.store
    if args.max_body is not None:
        config.max_body = args.max_body
    config.retain = args.retain or config.retain or SERVE_DEFAULT
    config.ui = config.ui and args.ui
    access_log = None if args.quiet else AccessLog(sys.stdout, args.log_format)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            serve(config, args.host, args.port, access_log=access_log)
    except (BindError, StoreError) as error:
        print(f"smsmock: {error}", file=sys.stderr)
        return 2
    return 0


class _DeferredInit(types.ModuleType):
    """A package whose submodules import as usual, while its own __init__ waits until a name only the
    __init__ defines is asked for; then it runs in full and the package is an ordinary module again."""

    def __getattr__(self, name: str) -> Any:
        qualified = f"{self.__name__}.{name}"
        if not name.startswith("__") and importlib.util.find_spec(qualified) is not None:
            return importlib.import_module(qualified)
        self.__class__ = types.ModuleType
        self.__spec__.loader.exec_module(self)
        return getattr(self, name)


def _defer_package_init(name: str) -> None:
    """Import the package `name` without running its __init__ until something needs it (_DeferredInit).

    werkzeug's __init__ imports its development server and test client (http.server, urllib.request,
    email), which `serve` never uses, for its `werkzeug.run_simple` and `werkzeug.Client` names; the
    request and response wrappers it does use are submodules.
    """
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)
    package.__class__ = _DeferredInit
    sys.modules[name] = package


def _check_config(path: str) -> int:
    """`serve --check-config FILE`: every problem of the file, one a line on standard error, or FILE: OK."""
    from smsmock.server.config import ConfigError, load_config

    try:
        load_config(path)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"{path}: OK")
    return 0


_OWN_COMMANDS = {"segments": _segments_parser, "validate": _validate_parser, "serve": _serve_parser}
"""The commands defined in this module, whose parsers need nothing else loaded."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `smsmock` command line. Given one of this module's own commands, only that command's parser:
    what it parses is the same, and `serve` starts without loading what the other commands need."""
    parser = argparse.ArgumentParser(
        prog="smsmock", description="Contract tests and a stateful mock server for SMS provider HTTP APIs."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if command in _OWN_COMMANDS:
        _OWN_COMMANDS[command](commands)
        return parser
    for add_parser in _OWN_COMMANDS.values():
        add_parser(commands)
    # These load what their commands run only when those run.
    from smsmock import openapi_command
    from smsmock.checks import commands as check_commands
    from smsmock.verify import commands as verify_commands

    check_commands.register(commands)
    verify_commands.register(commands)
    openapi_command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            arguments = sys.argv[1:] if argv is None else list(argv)
            args = build_parser(arguments[0] if arguments else None).parse_args(arguments)
            return args.handler(args)
        finally:
            sys.stdout.flush()  # here, where a reader that went away is caught, not at the interpreter's exit
    except BrokenPipeError:
        # The reader went away (`smsmock segments ... | head`): stop quietly, as a shell tool does.
        # What is still buffered would fail again at exit, so standard output goes nowhere from here.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
