"""Recorded traffic read into `Exchange` records: HAR 1.2 (browsers, proxies, mitmproxy, the mock's own
export) and the mock's journal (JSON Lines, one `Exchange.as_dict()` a line, or the JSON list).

Every exchange is routed again by its method and path (`routing.route`), whatever a journal recorded,
so a HAR and a journal of the same traffic are read alike; its request is validated with `validate()`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode, urlsplit

from smsmock.checks.har import EXTENSION
from smsmock.checks.routing import Route, is_control, reply_operation, route
from smsmock.contracts.catalog import operation as contract_of
from smsmock.contracts.forms import posted_fields
from smsmock.contracts.journal import Exchange
from smsmock.contracts.params import decode_params, overlay_form
from smsmock.contracts.validation import Violation, validate
from smsmock.core.clock import parse_moment

_FORM = "application/x-www-form-urlencoded"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
PHP_STYLE_FORMS = frozenset({"sendsms"})
"""Dialects that read a POST's form fields only, as PHP's $_POST does, and a GET's query only."""
MAX_FILE_OCTETS = 512 << 20
"""A recording larger than this is refused rather than read into memory."""


class UnusableInput(ValueError):
    """A file that cannot be read as recorded traffic; the message says which and why."""


@dataclass(slots=True)
class Recorded:
    """One exchange read from a file, with where it came from and how it routes."""

    exchange: Exchange
    route: Route
    source: str
    """`run.har entry 3`, `journal.jsonl line 7`: where a person finds it."""
    session: str
    """Exchanges of one session share state (read-once reports, bulk ids): one file, or one test of a
    journal that names its tests."""
    url: str = ""


def read_traffic(path: str | Path) -> list[Recorded]:
    """Every exchange of a HAR or journal file, in file order. Raises UnusableInput."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_OCTETS:
            raise UnusableInput(f"{path} is larger than {MAX_FILE_OCTETS >> 20} MiB")
        raw = path.read_bytes()
    except OSError as error:
        raise UnusableInput(f"cannot read {path}: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnusableInput(f"{path} is not UTF-8 text, so neither HAR nor JSON Lines") from None
    return read_text(text, str(path))


def read_text(text: str, name: str) -> list[Recorded]:
    """Every exchange of a HAR document or a journal given as text; `name` labels the sources."""
    stripped = text.strip()
    if not stripped:
        raise UnusableInput(f"{name} is empty")
    document: Any = None
    if stripped[0] in "{[":
        try:
            document = json.loads(stripped)
        except ValueError:
            document = None  # several lines of JSON: JSON Lines
    if isinstance(document, Mapping) and "log" in document:
        recorded = _from_har(document, name)
    elif isinstance(document, list):
        recorded = [
            _from_journal(item, f"{name} item {number}", name) for number, item in enumerate(document)
        ]
    elif stripped[0] == "{":
        recorded = _from_jsonl(stripped, name)
    else:
        raise UnusableInput(f"{name} is neither HAR (a JSON object with a 'log') nor JSON Lines")
    recorded = [item for item in recorded if item is not None]
    if not recorded:
        raise UnusableInput(f"{name} holds no exchanges")
    return recorded


# --- HAR ---------------------------------------------------------------------------------------------


def _from_har(document: Mapping[str, Any], name: str) -> list[Recorded | None]:
    log = document.get("log")
    entries = log.get("entries") if isinstance(log, Mapping) else None
    if not isinstance(entries, list):
        raise UnusableInput(f"{name}: a HAR document needs log.entries, a list")
    return [_har_entry(entry, number, name) for number, entry in enumerate(entries, start=1)]


def _har_entry(entry: Any, number: int, name: str) -> Recorded | None:
    source = f"{name} entry {number}"
    if not isinstance(entry, Mapping):
        raise UnusableInput(f"{source} is not an object")
    request, response = entry.get("request"), entry.get("response")
    if not isinstance(request, Mapping) or not isinstance(response, Mapping):
        raise UnusableInput(f"{source} needs a request and a response object")
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or not isinstance(url, str):
        raise UnusableInput(f"{source}: request.method and request.url must be strings")
    where = urlsplit(url)
    path = where.path or "/"
    if is_control(path):
        return None  # the mock's control API, not traffic of a dialect
    headers = _header_list(request.get("headers"), source)
    query = where.query or _query_of(request.get("queryString"))
    body, posted_type = _posted(request.get("postData"), source)
    if posted_type and not _has(headers, "Content-Type"):
        headers["Content-Type"] = posted_type
    reply_headers = _header_list(response.get("headers"), source)
    content = response.get("content") if isinstance(response.get("content"), Mapping) else {}
    content_type = str(content.get("mimeType") or _get(reply_headers, "Content-Type") or "")
    status = response.get("status")
    if isinstance(status, bool) or not isinstance(status, int):
        raise UnusableInput(f"{source}: response.status must be a number")
    own = entry.get(EXTENSION) if isinstance(entry.get(EXTENSION), Mapping) else {}
    seq = own.get("seq") if isinstance(own.get("seq"), int) else number
    exchange, found = build_exchange(
        seq=seq,
        at=_moment(entry.get("startedDateTime")),
        method=method.upper(),
        path=path,
        query=query,
        headers=headers,
        body=body,
        status=status,
        content_type=content_type,
        reply=_decoded(content, "text", "encoding", source + " response.content"),
        # A browser that did not keep a body gives its size but no text: the reply cannot be checked.
        reply_recorded="text" in content or not content.get("size"),
    )
    return Recorded(exchange, found, source, name, url)


def _header_list(value: Any, source: str) -> dict[str, str]:
    """HAR headers ([{name, value}]) as a dict; HTTP/2 pseudo-headers (`:authority`) are left out."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise UnusableInput(f"{source}: headers must be a list of {{name, value}}")
    headers: dict[str, str] = {}
    for item in value:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise UnusableInput(f"{source}: each header needs a name")
        name = item["name"]
        if name.startswith(":"):
            continue
        headers[_get_key(headers, name) or name] = str(item.get("value", ""))
    return headers


def _query_of(value: Any) -> str:
    if not isinstance(value, list):
        return ""
    pairs = [
        (str(item.get("name", "")), str(item.get("value", ""))) for item in value if isinstance(item, Mapping)
    ]
    return urlencode(pairs)


def _posted(value: Any, source: str) -> tuple[bytes, str]:
    """A HAR postData as bytes and its media type: `text` (maybe base64) or form `params`."""
    if not isinstance(value, Mapping):
        return b"", ""
    media = str(value.get("mimeType") or "")
    params = value.get("params")
    # HAR 1.2 gives `text` or `params`; some recorders write both, with an empty text.
    if isinstance(value.get("text"), str) and (value["text"] or not isinstance(params, list)):
        return _decoded(value, "text", "encoding", source + " request.postData"), media
    if isinstance(params, list):
        fields = "&".join(f"{_form_part(name)}={_form_part(part)}" for name, part in _pairs(params))
        return fields.encode("utf-8"), media or _FORM
    return b"", media


_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_AS_SENT = re.compile(r"[A-Za-z0-9_.~*+%-]*")


def _form_part(text: str) -> str:
    """A HAR param name or value as it went on the wire.

    Recorders differ: some keep the body's escapes (`Hi%20%E2%82%AC`), some decode them (`Hi €`). A part
    with an escape and nothing a form must escape is taken as sent; any other is encoded, a `+` in it
    being the character (a decoded `+41...` number).
    """
    if _ESCAPE.search(text) and _AS_SENT.fullmatch(text):
        return text
    return quote_plus(text, safe="")


def _pairs(items: list[Any]) -> list[tuple[str, str]]:
    """HAR's [{name, value}] as (name, value) pairs."""
    return [
        (str(item.get("name", "")), str(item.get("value", ""))) for item in items if isinstance(item, Mapping)
    ]


def _decoded(container: Mapping[str, Any], field: str, encoding_field: str, source: str) -> bytes:
    text = container.get(field)
    if not isinstance(text, str):
        return b""
    encoding = container.get(encoding_field) or container.get("_" + encoding_field)
    if encoding == "base64":
        try:
            return base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            raise UnusableInput(f"{source}: the text is not valid base64") from None
    return text.encode("utf-8", "surrogatepass")


# --- the journal ---------------------------------------------------------------------------------------


def _from_jsonl(text: str, name: str) -> list[Recorded | None]:
    recorded: list[Recorded | None] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        source = f"{name} line {number}"
        try:
            item = json.loads(line)
        except ValueError as error:
            raise UnusableInput(f"{source} is not JSON: {error}") from None
        recorded.append(_from_journal(item, source, name))
    return recorded


def _from_journal(item: Any, source: str, name: str) -> Recorded:
    if not isinstance(item, Mapping):
        raise UnusableInput(f"{source} is not a journal entry (an object with request and response)")
    request, response = item.get("request"), item.get("response")
    if not isinstance(request, Mapping) or not isinstance(response, Mapping):
        raise UnusableInput(f"{source} is not a journal entry (an object with request and response)")
    method, path = request.get("method"), request.get("path")
    status = response.get("status")
    if not isinstance(method, str) or not isinstance(path, str) or not isinstance(status, int):
        raise UnusableInput(
            f"{source}: a journal entry needs request.method, request.path and response.status"
        )
    headers = request.get("headers") if isinstance(request.get("headers"), Mapping) else {}
    test = item.get("test")
    seq = item.get("seq")
    exchange, found = build_exchange(
        seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else 0,
        at=_moment(item.get("at")),
        method=method.upper(),
        path=path,
        query=str(request.get("query") or ""),
        headers={str(key): str(value) for key, value in headers.items()},
        body=str(request.get("body") or "").encode("utf-8", "surrogatepass"),
        status=status,
        content_type=str(response.get("contentType") or ""),
        reply=str(response.get("body") or "").encode("utf-8", "surrogatepass"),
    )
    if isinstance(test, str) and test:
        # The pytest plugin's journal names the test of each exchange: one session per test.
        return Recorded(exchange, found, f"{source} [{test}]", f"{name} {test}")
    return Recorded(exchange, found, source, name)


# --- building an exchange --------------------------------------------------------------------------------


def build_exchange(
    *,
    seq: int,
    at: datetime,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    content_type: str,
    reply: bytes,
    reply_recorded: bool = True,
) -> tuple[Exchange, Route]:
    """An Exchange routed by method and path, its request validated, its reply's contract named.

    A status of 0 (no reply: the request failed or was aborted) or `reply_recorded=False` leaves the
    reply's contract unnamed, so it is not validated.
    """
    media = _get(headers, "Content-Type")
    found = route(method, path, query, body, media)
    violations: list[Violation] = []
    answered_by = None
    if found.dialect is not None and found.operation is not None:
        violations = request_violations(found.dialect, found.operation, method, query, body, media)
        if status and reply_recorded:
            answered_by = reply_operation(found.dialect, found.operation, status, content_type, reply)
    exchange = Exchange(
        seq=seq,
        at=at,
        dialect=found.dialect,
        operation=found.operation,
        method=method,
        path=path,
        query=query,
        request_headers=headers,
        request_body=body,
        status=status,
        response_content_type=content_type,
        response_body=reply,
        request_violations=violations,
        reply_operation=answered_by,
    )
    return exchange, found


def request_violations(
    dialect: str, operation: str, method: str, query: str, body: bytes, content_type: str | None
) -> list[Violation]:
    """What a request breaks of its contract, read as the dialect reads it (query, form or body)."""
    try:
        formats = contract_of(dialect, operation).request_formats
    except LookupError:
        return []
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if "params" in formats:
        raw_query = query.encode("utf-8", "surrogatepass")
        if dialect in PHP_STYLE_FORMS:
            if method != "POST":
                return validate(dialect, operation, "request", raw_query)
            fields, notes = posted_fields(dialect, operation, body, content_type)
            params = {**decode_params(raw_query), **fields}
            return notes + validate(dialect, operation, "request", params)
        if media == _FORM:
            # Kept as sent, so a message in a charset the client percent-encoded reads as the mock reads it.
            return validate(dialect, operation, "request", overlay_form(raw_query, body))
        return validate(dialect, operation, "request", raw_query)
    if body.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"<":
        content_type = None  # raw XML is read as XML whatever the header says (quicktel's transport)
    return validate(dialect, operation, "request", body, content_type)


def _moment(value: Any) -> datetime:
    """An ISO-8601 time (HAR's startedDateTime, the journal's at); an absent or bad one is the epoch."""
    if not isinstance(value, str):
        return _EPOCH
    try:
        moment = parse_moment(value)
    except ValueError:
        return _EPOCH
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _get_key(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((key for key in headers if key.lower() == wanted), None)


def _get(headers: Mapping[str, str], name: str) -> str | None:
    key = _get_key(headers, name)
    return None if key is None else headers[key]


def _has(headers: Mapping[str, str], name: str) -> bool:
    return _get_key(headers, name) is not None
