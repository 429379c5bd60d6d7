"""`smsmock openapi`: a dialect's OpenAPI 3.1 document, as JSON or YAML, on standard output or in a file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FORMATS = ("json", "yaml")
_YAML_SUFFIXES = (".yaml", ".yml")


def register(commands: argparse._SubParsersAction) -> None:
    """Register `smsmock openapi` with the CLI's sub-commands."""
    from smsmock.contracts.openapi import DEFAULT_SERVER_URL

    parser = commands.add_parser(
        "openapi",
        help="write a dialect's OpenAPI 3.1 document, generated from its contracts",
        description=(
            "Write the OpenAPI 3.1 document of a dialect (shortlink, qikli, unified or sendsms), generated"
            " from the same contracts the mock server uses, for Prism, Schemathesis, Postman or a code"
            " generator. quicktel has none: its two XML requests share one path."
        ),
    )
    parser.add_argument("--dialect", required=True, help="shortlink, qikli, unified or sendsms")
    parser.add_argument(
        "--server",
        metavar="URL",
        default=DEFAULT_SERVER_URL,
        help=f"the server the document names (default {DEFAULT_SERVER_URL})",
    )
    parser.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="json or yaml; default: yaml for a FILE ending in .yaml or .yml, json otherwise",
    )
    parser.set_defaults(handler=run_openapi)


def run_openapi(args: argparse.Namespace) -> int:
    from smsmock.contracts.catalog import UnknownOperation
    from smsmock.contracts.openapi import UnsupportedDialect, openapi_document

    server = urlsplit(args.server)
    if server.scheme not in ("http", "https") or not server.netloc:
        print(
            f"smsmock: --server must be an http(s) URL such as http://127.0.0.1:8080, not {args.server!r}",
            file=sys.stderr,
        )
        return 2
    try:
        document = openapi_document(args.dialect, args.server)
    except (UnknownOperation, UnsupportedDialect) as error:
        print(f"smsmock: {error}", file=sys.stderr)
        return 2
    chosen = args.format or ("yaml" if args.out and args.out.lower().endswith(_YAML_SUFFIXES) else "json")
    text = render(document, chosen)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.out).write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"smsmock: cannot write {args.out}: {error.strerror}", file=sys.stderr)
        return 2
    return 0


def render(document: dict[str, Any], output_format: str) -> str:
    """The document as JSON or YAML text, ending in a newline; keys keep the generator's order."""
    if output_format == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    # Imported here: the CLI registers this command on every start, `smsmock serve` included.
    import yaml

    class BlockDumper(yaml.SafeDumper):
        """Multi-line strings (descriptions with tables, XML examples) as literal blocks, no aliases."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    def represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
        # The emitter falls back to a quoted style where a block cannot hold the text (trailing spaces).
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)

    BlockDumper.add_representer(str, represent_str)
    return yaml.dump(document, Dumper=BlockDumper, sort_keys=False, allow_unicode=True, width=100)
