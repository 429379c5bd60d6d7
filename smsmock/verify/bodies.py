"""Request bodies on the wire: JSON, the family's XML, quicktel's XML, query strings, and the changes the
verifier makes to what it sends (its own credentials, a harmless notifyUrl, references unused so far)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape, quoteattr

from smsmock.contracts.validation import errors, validate
from smsmock.dialects.wire import xml_body

JSON = "application/json"
XML = "application/xml"
FORM = "application/x-www-form-urlencoded"

FAMILY_XML_WRAPPED: dict[str, tuple[str, ...]] = {
    "send_text_single": ("to",),
    "send_text_multi": ("messages", "to"),
    "send_binary_single": ("to",),
    "send_binary_multi": ("messages", "to"),
    "send_text_advanced": (),
    "number_query": ("to",),
    "number_notify": ("to",),
}
"""The lists each request's XML wraps (<to><to>1</to></to>) rather than repeats, as the examples show."""

_XML_UNSAFE = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""What XML 1.0 cannot carry (most C0 controls, U+FFFE, U+FFFF), and CR, which a parser reads as LF
unless the server wrote it as &#13;."""


def xml_safe(value: Any) -> Any:
    """`value` with every character XML cannot carry as written taken out of its strings."""
    if isinstance(value, str):
        return _XML_UNSAFE.sub("", value)
    if isinstance(value, dict):
        return {xml_safe(key): xml_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [xml_safe(item) for item in value]
    return value


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def query_of(params: Mapping[str, Any]) -> str:
    """A query string with every reserved character percent-encoded (a `+` as %2B, a space as %20)."""
    return urlencode(params, doseq=True, quote_via=quote)


def with_notify_url(value: Any, url: str) -> Any:
    """`value` with every notifyUrl pointing at `url`: the verifier has no endpoint for callbacks."""
    if isinstance(value, dict):
        return {key: url if key == "notifyUrl" else with_notify_url(item, url) for key, item in value.items()}
    if isinstance(value, list):
        return [with_notify_url(item, url) for item in value]
    return value


def notify_url_in_text(body: str, url: str) -> str:
    """The same for a document's example body, JSON or XML, as text."""
    body = re.sub(r'("notifyUrl"\s*:\s*)"[^"]*"', lambda found: f'{found.group(1)}"{url}"', body)
    return re.sub(r"<notifyUrl>[^<]*</notifyUrl>", f"<notifyUrl>{escape(url)}</notifyUrl>", body)


def with_params(query: str, values: Mapping[str, str]) -> str:
    """`query` with the named parameters' values replaced, everything else left exactly as it was."""
    for name, value in values.items():
        query = re.sub(
            rf"(^|&)({re.escape(name)})=[^&]*",
            lambda found, value=value: f"{found.group(1)}{found.group(2)}={quote(value, safe='')}",
            query,
        )
    return query


def family_xml(dialect: str, operation: str, body: Mapping[str, Any]) -> bytes | None:
    """The XML form of a shortlink or qikli request, or None when it has no valid one (text XML
    cannot carry, a shape the XSD does not take)."""
    wrapped = FAMILY_XML_WRAPPED.get(operation)
    if wrapped is None:
        return None
    text = xml_body("request", body, wrapped).decode("utf-8")
    if _XML_UNSAFE.search(text):
        return None
    encoded = text.encode("utf-8")
    if errors(validate(dialect, operation, "request", encoded, XML)):
        return None
    return encoded


def quicktel_xml(
    name: str,
    login: tuple[str, str] | None,
    items: Sequence[Mapping[str, str | None]],
    *,
    root_name: str | None = None,
) -> bytes:
    """An <xml_request name=..>: the <xml_user> (None leaves it out) and one <sms> per item; an item's
    `text` is the element's text, its other keys attributes."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', f"<xml_request name={quoteattr(root_name or name)}>"]
    if login is not None:
        parts.append(f"<xml_user lgn={quoteattr(login[0])} pwd={quoteattr(login[1])}/>")
    for item in items:
        attributes = "".join(
            f" {key}={quoteattr(value)}" for key, value in item.items() if key != "text" and value is not None
        )
        text = item.get("text")
        parts.append(f"<sms{attributes}/>" if text is None else f"<sms{attributes}>{escape(text)}</sms>")
    parts.append("</xml_request>")
    return "".join(parts).encode("utf-8")


def with_quicktel_login(body: str, login: tuple[str, str]) -> str:
    """A document's quicktel example with the verifier's lgn and pwd in its <xml_user>."""
    body = re.sub(r'lgn="[^"]*"', lambda _: f"lgn={quoteattr(login[0])}", body, count=1)
    return re.sub(r'pwd="[^"]*"', lambda _: f"pwd={quoteattr(login[1])}", body, count=1)
