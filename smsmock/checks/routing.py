"""Which dialect and operation a recorded exchange is, by its method and path, as the mock routes it.

The table is the dialects' own `routes()` (the documented paths and every erroneous spelling the mock
accepts), so a recording is read exactly as `smsmock serve` would have answered it. Where the path
alone does not tell, the request does, as in the dialects: a unified request on /bulksms/bulksms with
date, time or gmt is `schedule`; quicktel's one path serves the request its `<xml_request name>` names.

A path under a prefix (a provider's base path, a gateway mount point such as /sms-gateway/restapi/...)
is matched by its longest suffix that is a documented path: the prefix is stripped and kept in
`Route.prefix`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from smsmock.contracts.catalog import operations
from smsmock.contracts.params import decode_params
from smsmock.contracts.validation import parse_xml

CONTROL_PREFIX = "/_smsmock"
_FORM = "application/x-www-form-urlencoded"
_BOM = b"\xef\xbb\xbf"
_FAMILY_ERROR = re.compile(rb'\s*(\{\s*"requestError"|(<\?xml[^>]*>\s*)?<requestError)')


@dataclass(frozen=True, slots=True)
class Route:
    """Where an exchange belongs; `dialect` None when no dialect documents its path."""

    dialect: str | None
    operation: str | None
    prefix: str = ""
    problem: str | None = None
    """Why the exchange is not an operation although its path is a dialect's (a method it does not take)."""
    documented: str | None = None
    """With a problem: an operation the path does belong to, whose document section tells the methods."""

    @property
    def routed(self) -> bool:
        return self.dialect is not None and self.operation is not None


@dataclass(frozen=True, slots=True)
class _Table:
    by_path_and_method: dict[tuple[str, str], tuple[str, str]]
    methods_of_path: dict[str, tuple[str, set[str]]]
    operation_of_path: dict[str, str]


@cache
def _table() -> _Table:
    from smsmock.server.app import DIALECTS  # the mock's own dialect list: one source of routes

    by_path_and_method: dict[tuple[str, str], tuple[str, str]] = {}
    methods_of_path: dict[str, tuple[str, set[str]]] = {}
    operation_of_path: dict[str, str] = {}
    for kind in DIALECTS:
        dialect = kind()
        for path, methods, operation in dialect.routes():
            path = path.rstrip("/")
            for method in methods:
                by_path_and_method.setdefault((path, method.upper()), (dialect.name, operation))
            if operation in operations(dialect.name):
                operation_of_path.setdefault(path, operation)
            methods_of_path.setdefault(path, (dialect.name, set()))[1].update(
                method.upper()
                for method in methods
                if operation in operations(dialect.name)  # not a pseudo-operation (qikli's wrong method)
            )
    return _Table(by_path_and_method, methods_of_path, operation_of_path)


def is_control(path: str) -> bool:
    """A control API call (/_smsmock/...): not traffic of any dialect."""
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def route(
    method: str, path: str, query: str = "", body: bytes = b"", content_type: str | None = None
) -> Route:
    """The dialect and operation of one request."""
    table = _table()
    method = method.upper()
    segments = [segment for segment in path.split("/") if segment]
    for start in range(len(segments)):
        candidate = "/" + "/".join(segments[start:])
        if candidate not in table.methods_of_path:
            continue
        prefix = "/" + "/".join(segments[:start]) if start else ""
        found = table.by_path_and_method.get((candidate, method))
        if found is None or found[1] not in operations(found[0]):
            dialect, methods = table.methods_of_path[candidate]
            problem = f"{method} is not a method of {candidate}; it takes {' or '.join(sorted(methods))}"
            return Route(dialect, None, prefix, problem, table.operation_of_path.get(candidate))
        dialect, operation = found
        return Route(dialect, _refined(dialect, operation, candidate, query, body, content_type), prefix)
    return Route(None, None)


def _refined(
    dialect: str, operation: str, path: str, query: str, body: bytes, content_type: str | None
) -> str:
    """The operation a request on a shared path turns out to be, as its dialect decides it."""
    if dialect == "unified":
        return _unified_operation(operation, path, query, body, content_type)
    if dialect == "quicktel":
        return _quicktel_operation(operation, body, content_type) or operation
    return operation


def _unified_operation(operation: str, path: str, query: str, body: bytes, content_type: str | None) -> str:
    for name, contract in operations("unified").items():
        rule = contract.extra.get("dispatch_on_shared_path")
        if not rule or path != rule["path"].rstrip("/"):
            continue
        params = dict(decode_params(query))
        if _media(content_type) == _FORM:
            params.update(decode_params(body))
        given = {key.lower().removesuffix("[]") for key in params}
        if given & set(rule["when_any_param"]):
            return name
    return operation


def quicktel_xml(body: bytes) -> bytes | None:
    """The XML of a quicktel request: the raw body, or the form field `xml` (errata quicktel-transport)."""
    xml = body.removeprefix(_BOM)
    if xml.lstrip()[:1] == b"<":
        return xml
    field = decode_params(body).get("xml")
    return field.encode("utf-8") if isinstance(field, str) else None


def _quicktel_operation(operation: str, body: bytes, content_type: str | None) -> str | None:
    xml = quicktel_xml(body)
    if xml is None:
        return None
    try:
        root = parse_xml(xml).root
    except (ValueError, UnicodeDecodeError):
        return None
    name = root.get("name")
    known = {contract.extra.get("xml_request_name"): op for op, contract in operations("quicktel").items()}
    return known.get(name) if root.tag == "xml_request" else None


def reply_operation(dialect: str, operation: str, status: int, content_type: str, body: bytes) -> str | None:
    """The contract a reply follows: the operation's own, or the dialect's error reply."""
    known = operations(dialect)
    family = "error" in known and dialect in ("shortlink", "qikli")
    if family and (status >= 400 or operation not in known or _is_family_error(body)):
        return "error"
    if dialect == "quicktel" and _is_quicktel_error(body):
        return "error"
    return operation if operation in known else None


def _is_family_error(body: bytes) -> bool:
    return _FAMILY_ERROR.match(body[:400]) is not None


def _is_quicktel_error(body: bytes) -> bool:
    """`<xml_result res="-2001" description=".."/>`: the whole-request error names no `xml_name`."""
    try:
        root = parse_xml(body.removeprefix(_BOM)).root
    except (ValueError, UnicodeDecodeError):
        return False
    return root.tag == "xml_result" and "xml_name" not in root.attrib


def _media(content_type: Any) -> str:
    return str(content_type or "").split(";", 1)[0].strip().lower()
