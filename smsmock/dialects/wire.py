"""Wire formats shared by the dialects: content negotiation, Basic credentials, JSON and XML bodies."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import Element

from smsmock.contracts import jsontext
from smsmock.contracts.validation import Violation, parse_xml

JSON = "application/json"
XML = "application/xml"
FORM = "application/x-www-form-urlencoded"
TEXT = "text/plain"


class BadRequest(Exception):
    """A request the dialect answers with its documented error; the message says what is wrong."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        code: str | None = None,
        violations: list[Violation] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.violations = violations or []
        """What the refused request breaks of its contract, for the journal."""


@dataclass(slots=True)
class Reply:
    """What a dialect answers: status, media type and body, plus which contract the body follows."""

    status: int
    content_type: str
    body: bytes
    operation: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    request_operation: str | None = None
    """What the request turned out to be, where its path alone does not tell: a unified request with
    date/time on /bulksms/bulksms is `schedule`, quicktel's one path serves two requests."""


def media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def body_format(content_type: str | None) -> str | None:
    """`json`, `xml` or `form` for a request's Content-Type; None when it names none of them."""
    media = media_type(content_type)
    if media in (JSON, "text/json") or media.endswith("+json"):
        return "json"
    if media in (XML, "text/xml") or media.endswith("+xml"):
        return "xml"
    if media == FORM:
        return "form"
    return None


# Clients send the same few headers on every request, so the header parsers below keep their answers.
_HEADER_CACHE = 512


@lru_cache(maxsize=_HEADER_CACHE)
def reply_format(accept: str | None, request_format: str | None) -> str:
    """JSON or XML by Accept; without a usable Accept, the request's own format, else JSON.

    Real clients send `*/*` or a list (`application/json, text/plain, */*`): the first media type
    the dialect speaks wins, in the client's order of preference.
    """
    for media in _ranked(accept):
        if media in (JSON, "text/json") or media.endswith("+json"):
            return "json"
        if media in (XML, "text/xml") or media.endswith("+xml"):
            return "xml"
        if media in ("*/*", "application/*"):
            break
    return request_format if request_format in ("json", "xml") else "json"


def accepts_json_or_xml(accept: str | None) -> bool:
    """False when an Accept header admits neither JSON nor XML (`text/html`, `application/json;q=0`)."""
    if not accept or not accept.strip():
        return True
    for media in _ranked(accept):
        if media in (JSON, XML, "text/json", "text/xml", "*/*", "application/*", "text/*"):
            return True
        if media.endswith(("+json", "+xml")):
            return True
    return False


def _ranked(accept: str | None) -> list[str]:
    """The media types of an Accept header, most preferred first; those with q=0 left out."""
    ranked = []
    for position, item in enumerate((accept or "").split(",")):
        media, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media.strip() and quality > 0:
            ranked.append((-quality, position, media.strip().lower()))
    return [media for _, _, media in sorted(ranked)]


@lru_cache(maxsize=_HEADER_CACHE)
def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(username, password) of a Basic Authorization header; base64 padding may be missing."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    token = token.strip()
    token += "=" * (-len(token) % 4)
    try:
        decoded = base64.b64decode(token, validate=False).decode("utf-8")
    except ValueError:  # not base64 (binascii.Error), a token not in ASCII, or not UTF-8 once decoded
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_BODY_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=_json_default, allow_nan=False
)
"""The encoder of every JSON reply, made once (json.dumps given options makes one per call); NaN or
Infinity is a bug, raised, never written, as `jsontext.dumps` does."""


def json_body(value: Any) -> bytes:
    return _BODY_ENCODER.encode(value).encode()


# The complement of XML 1.0's Char production, written as the few ranges it leaves out: the class
# negating the ranges XML allows took 9 ms to compile, at every start.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry at all, not even as a character reference."""


def well_formed(document: str) -> str:
    """An XML document whose data reads back as written: a CR as `&#13;` (a parser reads a raw one as
    a line feed), and each character XML 1.0 cannot carry (most C0 controls, a lone surrogate, U+FFFE)
    as U+FFFD, so client data never makes a reply ill-formed. Markup written here holds neither."""
    return _NOT_IN_XML.sub("\ufffd", document).replace("\r", "&#13;")


def xml_body(root: str, value: Mapping[str, Any], wrapped: Collection[str] = ()) -> bytes:
    """An XML document of `value` under `root`: a list repeats its element, or nests one level when
    its key is in `wrapped` (`<results><results>..</results></results>`), as each document shows."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', f"<{root}>"]
    _xml_fields(value, wrapped, parts)
    parts.append(f"</{root}>")
    return well_formed("".join(parts)).encode()


def _xml_fields(value: Mapping[str, Any], wrapped: Collection[str], parts: list[str]) -> None:
    for key, item in value.items():
        if item is None:
            continue
        if isinstance(item, list):
            if key in wrapped:
                parts.append(f"<{key}>")
            for entry in item:
                _xml_element(key, entry, wrapped, parts)
            if key in wrapped:
                parts.append(f"</{key}>")
        else:
            _xml_element(key, item, wrapped, parts)


def _xml_element(key: str, item: Any, wrapped: Collection[str], parts: list[str]) -> None:
    if isinstance(item, Mapping):
        parts.append(f"<{key}>")
        _xml_fields(item, wrapped, parts)
        parts.append(f"</{key}>")
    else:
        # Imported here: xml.sax.saxutils loads urllib.request (and http.client, email), which a mock that
        # never writes XML would load for nothing at every start.
        from xml.sax.saxutils import escape

        parts.append(f"<{key}>{escape(_xml_text(item))}</{key}>")


def _xml_text(item: Any) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item)


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise BadRequest("the request has no body")
    try:
        return jsontext.loads(body)
    except jsontext.JSONRefused as error:
        raise BadRequest(str(error)) from None


def parse_xml_tree(body: bytes) -> Element:
    """The root element of an untrusted XML body (no DTDs or entities; bounded depth). Its size is the
    server's to bound: a body longer than max_body never reaches a dialect."""
    if not body.strip():
        raise BadRequest("the request has no body")
    try:
        return parse_xml(body, max_octets=None).root
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(str(error)) from error


def element_value(element: Element, lists: Collection[str]) -> Any:
    """An element as JSON-like data: children become keys, repeated children lists, leaves text.

    A key in `lists` always becomes a list, whether the document wrapped it
    (`<to><to>1</to><to>2</to></to>`), repeated it (`<to>1</to><to>2</to>`) or gave it once as text.
    """
    children = list(element)
    if not children:
        return (element.text or "").strip()
    value: dict[str, Any] = {}
    for child in children:
        item = element_value(child, lists)
        if child.tag in value:
            previous = value[child.tag]
            value[child.tag] = [*previous, item] if isinstance(previous, list) else [previous, item]
        else:
            value[child.tag] = [item] if child.tag in lists else item
    for key in lists:
        if key in value:
            value[key] = _flatten_wrapped(key, value[key])
    return value


def _flatten_wrapped(key: str, items: Any) -> list[Any]:
    items = items if isinstance(items, list) else [items]
    flattened: list[Any] = []
    for item in items:
        if isinstance(item, dict) and set(item) == {key}:
            inner = item[key]
            flattened.extend(inner if isinstance(inner, list) else [inner])
        else:
            flattened.append(item)
    return flattened
