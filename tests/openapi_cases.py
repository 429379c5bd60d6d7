"""Schemathesis over smsmock's OpenAPI documents: each dialect's document loaded against a running mock
(or a mock in process), signed in as the default account, with notifyUrls kept on this machine.

tests/test_openapi.py and the fuzzing campaign (tests/fuzz_campaign.py) draw their cases from here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import schemathesis
from schemathesis.specs.openapi.schemas import OpenApiSchema

from smsmock.contracts import operations
from smsmock.contracts.openapi import ERROR_OPERATION, openapi_document, supported_dialects
from smsmock.core.accounts import DEFAULT_ACCOUNTS

DIALECTS = supported_dialects()
ACCOUNT = DEFAULT_ACCOUNTS[0]
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_UNSENDABLE_HOST = frozenset(chr(code) for code in [*range(0x21), 0x7F])
"""Characters http.client refuses in a host before it connects anywhere."""


@schemathesis.deserializer("text/plain")
def _plain_text(_context, response):
    """unified and sendsms reply in plain text, which their schemas describe as one string."""
    return response.content.decode("utf-8")


def served_operations() -> list[tuple[str, str, str]]:
    """(dialect, path, method) of every operation the mock serves, in each dialect's document."""
    return [
        (dialect, contract.paths[0], method)
        for dialect in DIALECTS
        for contract in operations(dialect).values()
        if contract.paths and contract.name != ERROR_OPERATION
        for method in contract.methods
    ]


def signed_in(base_url: str | None = None, account: dict[str, Any] = ACCOUNT) -> schemathesis.Config:
    """A Schemathesis configuration whose requests carry the account's credentials, every scheme of them."""
    settings: dict[str, Any] = {
        "auth": {
            "openapi": {
                "basicAuth": {"username": account["username"], "password": account["password"]},
                "username": {"api_key": account["username"]},
                "password": {"api_key": account["password"]},
                "key": {"api_key": account["api_key"]},
            }
        }
    }
    if base_url is not None:
        settings["base-url"] = base_url
    return schemathesis.Config.from_dict(settings)


def load_documents(base_url: str, app: Any = None) -> dict[str, OpenApiSchema]:
    """Each dialect's document as Schemathesis loads it, its requests going to `base_url` (over a socket)
    or, given a WSGI `app`, to that app in process."""
    config = signed_in(None if app is not None else base_url)
    schemas = {}
    for dialect in DIALECTS:
        schema = schemathesis.openapi.from_dict(openapi_document(dialect, base_url), config=config)
        if app is not None:
            schema.app = app
        schemas[dialect] = schema
    return schemas


def walk(node: Any):
    """Every mapping in a JSON value."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def on_loopback(body: Any, sink: str, *, keep_unsendable: bool = False) -> None:
    """Point every notifyUrl of a generated body at `sink`: the mock POSTs to each one it is given.

    With `keep_unsendable`, a URL that reaches no machine at all is left as generated (a host http.client
    refuses, a scheme without a network), so the mock's webhook sender still meets it; only those that
    would reach another machine are moved.
    """
    for node in walk(body):
        if "notifyUrl" not in node:
            continue
        if not keep_unsendable:
            node["notifyUrl"] = sink
        elif reaches_another_machine(node["notifyUrl"]):
            node["notifyUrl"] = _moved(node["notifyUrl"], sink)


def reaches_another_machine(url: Any) -> bool:
    """Whether the mock's webhook sender would open a connection to a host other than this machine."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https", "ftp") or not host:
        return False
    return host not in LOOPBACK_HOSTS and not (set(host) & _UNSENDABLE_HOST)


def _moved(url: str, sink: str) -> str:
    """`url` with the sink's scheme and address, its path and query kept."""
    try:
        parts = urlsplit(url.strip())
        target = urlsplit(sink)
        return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))
    except ValueError:
        return sink
