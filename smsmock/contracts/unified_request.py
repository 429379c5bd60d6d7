"""A unified request read as the document means it, beyond what its parameter schema can say.

The message is read by its `type` (GSM 03.38, ISO-8859-1, or hex of UCS-2), credentials must be
printable, a schedule must name a moment the calendar holds. `validate()` and the unified dialect
both read a request here, so the contract a client is checked against offline is the one the mock
journals.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

from smsmock.contracts.catalog import cite, code_tables, inlined_schema
from smsmock.contracts.params import Params, decode_params
from smsmock.contracts.validation import Severity, Violation, errors
from smsmock.encoding import Encoding, Profile, TooManyParts, default_charset, dialect_profiles, measure
from smsmock.resources import schemas_dir

DIALECT = "unified"
SENDS = ("submit", "schedule")
"""The operations whose parameters are read here."""
UNUSABLE = frozenset({"required", "minLength", "type"})
"""Contract breaches that mean a parameter was not provided, left blank (minLength) or given twice (a
list, not a string): the request check `parameters`, 1702."""


@dataclass(slots=True)
class UnifiedRequest:
    """What one request asks for, decoded: one text from one source to a list of destinations."""

    operation: str
    values: dict[str, str]
    """The parameters given once, under the contract's names."""
    violations: list[Violation]
    """What the request breaks of its contract: the schema's findings, then this reading's."""
    unusable: bool = False
    broken: set[str] = field(default_factory=set)
    """Parameters that break the contract or the document's reading of them."""
    kind: dict[str, Any] | None = None
    """The request's row of the message type table."""
    text: str | None = None
    send_at: datetime | None = None

    @property
    def destinations(self) -> list[str]:
        return self.values["destination"].split(",")


def read_request(
    operation: str, raw: str | bytes | Mapping[str, Any], schema_violations: list[Violation]
) -> UnifiedRequest:
    """Read a submit or schedule request: `raw` is the query string (or form body) as sent, or its
    decoded parameters; `schema_violations` are what `validate()` found against the parameter schema."""
    params = decode_params(raw)
    named = by_contract_name(operation, params)
    values = {name: value for name, value in named.items() if isinstance(value, str)}
    request = UnifiedRequest(operation, values, list(schema_violations))
    # Blank is 1702 whatever the contract says of the empty string (a pattern, an enum).
    request.unusable = any(values.get(name) == "" for name in _required(operation))
    for violation in errors(schema_violations):
        request.unusable = request.unusable or violation.keyword in UNUSABLE
        request.broken.add(violation.location.split("[", 1)[0])
    for name in ("username", "password"):
        if name in values and not _printable(values[name]):
            _break(request, name, "printable characters", values[name])
    for name in ("source", "date", "time", "gmt"):
        # The contract's patterns end in `$`, which lets one trailing line break through.
        if values.get(name, "").endswith("\n"):
            _break(request, name, "no line break", values[name])
    _read_type(request)
    if request.kind is not None and "message" in values:
        _read_message(request, _message_octets(operation, raw))
    if operation == "schedule":
        _read_schedule(request)
    return request


def by_contract_name(operation: str, params: Params) -> Params:
    """Parameters under the contract's names; one given under two spellings becomes a list, as if
    given twice."""
    named: dict[str, list[str]] = {}
    for name, value in params.items():
        values = value if isinstance(value, list) else [value]
        named.setdefault(contract_name(operation, name), []).extend(values)
    return {name: values[0] if len(values) == 1 else values for name, values in named.items()}


def contract_name(operation: str, name: str) -> str:
    """The name `validate()` reads a parameter as: `Message` and `message[]` are `message`."""
    known = _names(operation)
    if name.endswith("[]") and name[:-2] in known:
        return name[:-2]
    if name in known or name.lower() not in known:
        return name
    return name.lower()


def scheduled_moment(date: str, time: str, gmt: str) -> datetime:
    """The UTC moment of a local MM/DD/YYYY, hh:mm am/pm and offset whose forms the contract checked."""
    month, day, year = (int(part) for part in date.split("/"))
    clock, meridiem = time.split(" ")
    hour, minute = (int(part) for part in clock.split(":"))
    # 00 and 12 both start their half of the day (errata unified-schedule-time-hours).
    hour = hour % 12 + (12 if meridiem == "pm" else 0)
    offset = gmt.removeprefix("GMT ")
    offset_hours, offset_minutes = (int(part) for part in offset[1:].split(":"))
    east = timedelta(hours=offset_hours, minutes=offset_minutes)
    local = datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
    moment = local - east if offset.startswith("+") else local + east
    if moment > _latest_send():
        raise ValueError(f"{moment} leaves no room for the message's validity")
    return moment


# reading the parameters


def _read_type(request: UnifiedRequest) -> None:
    given = request.values.get("type")
    kind = _types().get(given or "")
    if kind is not None and kind["reserved"]:
        # The schema lets 3 pass: the document lists it (errata unified-type-3-reserved).
        expected = "a message type the document does not reserve"
        request.violations.append(_violation("type", "enum", expected, given or ""))
        request.broken.add("type")
    elif kind is None:
        request.broken.add("type")  # the schema names what is wrong with it
    else:
        request.kind = kind


def _read_message(request: UnifiedRequest, octets: bytes) -> None:
    """The text the client meant, by the message type (errata unified-message-invalid)."""
    assert request.kind is not None
    encoding = request.kind["encoding"]
    try:
        text = octets.decode("utf-8")
    except UnicodeDecodeError:
        if encoding != "latin1":
            _break(request, "message", "URL-UTF-8 encoded text", octets.decode("latin-1"))
            return
        # Types 5 and 7 name ISO-8859-1: a client may have percent-encoded that charset's octets.
        text = octets.decode("latin-1")
        request.violations.append(
            _violation("message", "encoding", "URL-UTF-8 encoded text", text, Severity.WARNING)
        )
    if encoding == "ucs2":
        decoded = _read_ucs2(request, text)
        if decoded is None:
            return
        text = decoded
    else:
        _check_alphabet(request, text)
    profile = dialect_profiles(DIALECT)[str(request.kind["type"])]
    try:
        # Counted as the core will count it; too long for one destination is too long for all.
        measure(text, profile=profile, encoding=_forced_encoding(profile))
    except TooManyParts as problem:
        _break(request, "message", "at most 255 parts", str(problem))
        return
    request.text = text


def _message_octets(operation: str, raw: str | bytes | Mapping[str, Any]) -> bytes:
    """The percent-decoded octets of the last `message` given, before any charset is applied."""
    if isinstance(raw, Mapping):
        value = by_contract_name(operation, decode_params(raw)).get("message")
        return value.encode("utf-8") if isinstance(value, str) else b""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    found = b""
    for name, value in parse_qsl(text.lstrip("?"), keep_blank_values=True, encoding="latin-1"):
        if contract_name(operation, name) == "message":
            found = value.encode("latin-1")
    return found


def _read_ucs2(request: UnifiedRequest, text: str) -> str | None:
    """Types 2 and 6: hex UCS-2 big-endian, else plain text with a warning (errata
    unified-unicode-hex-message)."""
    if not _ucs2_hex().fullmatch(text):
        request.violations.append(
            _violation("message", "pattern", "hex of UCS-2 big-endian", text, Severity.WARNING)
        )
        return text
    try:
        return bytes.fromhex(text).decode("utf-16-be")
    except UnicodeDecodeError:
        _break(request, "message", "hex of well-formed UTF-16 (no lone surrogate)", text)
        return None


def _check_alphabet(request: UnifiedRequest, text: str) -> None:
    """A character the type's alphabet lacks is the client's bug: recorded, and the text still sent."""
    assert request.kind is not None
    outside = _outside(request.kind["encoding"], text)
    if outside:
        expected = f"only characters of type {request.kind['type']}, {request.kind['description']}"
        request.violations.append(
            _violation("message", "alphabet", expected, ", ".join(outside), section="type")
        )


def _read_schedule(request: UnifiedRequest) -> None:
    fields = ("date", "time", "gmt")
    if request.broken & set(fields) or not all(name in request.values for name in fields):
        return
    date, time, gmt = (request.values[name] for name in fields)
    try:
        request.send_at = scheduled_moment(date, time, gmt)
    except (ValueError, OverflowError):
        _break(request, "date", "a calendar day the mock can schedule", f"{date} {time} {gmt}")


def _break(request: UnifiedRequest, parameter: str, expected: str, found: str) -> None:
    request.broken.add(parameter)
    request.violations.append(_violation(parameter, "format", expected, found))


def _violation(
    parameter: str,
    keyword: str,
    expected: str,
    found: str,
    severity: Severity = Severity.ERROR,
    *,
    section: str | None = None,
) -> Violation:
    shown = json.dumps(found, ensure_ascii=False)
    shown = shown if len(shown) <= 60 else shown[:59] + "…"
    return Violation(severity, parameter, keyword, expected, shown, _sections()[section or parameter])


# the tables


@cache
def definitions() -> dict[str, dict[str, Any]]:
    """The `$defs` of the unified common schema: the parameters' patterns and document sections."""
    path = schemas_dir() / DIALECT / "common.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))["$defs"]


@cache
def _sections() -> dict[str, str]:
    return {item["title"]: cite(item["x-section"]) for item in definitions().values()}


@cache
def _latest_send() -> datetime:
    """A later scheduled time leaves no room for the message's validity before the calendar ends."""
    # The core's limit, imported here: reading a request offline must not load the mock's core first.
    from smsmock.core.backend import MAX_VALIDITY_MINUTES

    return datetime.max.replace(tzinfo=timezone.utc) - timedelta(minutes=MAX_VALIDITY_MINUTES)


@cache
def _ucs2_hex() -> re.Pattern[str]:
    return re.compile(definitions()["Ucs2HexMessage"]["pattern"])


@cache
def _types() -> dict[str, dict[str, Any]]:
    return {str(row["type"]): row for row in code_tables(DIALECT)["message_types"].rows}


@cache
def _names(operation: str) -> frozenset[str]:
    return frozenset(inlined_schema(DIALECT, operation, "request", "params")["properties"])


@cache
def _required(operation: str) -> tuple[str, ...]:
    return tuple(inlined_schema(DIALECT, operation, "request", "params")["required"])


def _printable(value: str) -> bool:
    """No control character, and no U+FFFD standing in for octets that were not UTF-8."""
    return not any(char == "\ufffd" or unicodedata.category(char) == "Cc" for char in value)


def _outside(encoding: str, text: str) -> list[str]:
    """The distinct characters of `text` the alphabet of a message type cannot carry."""
    if encoding == "gsm7":
        charset = default_charset()
        chars = [char for char in text if not charset.septets(char)]
    elif encoding == "latin1":
        chars = [char for char in text if ord(char) > 0xFF]
    else:
        chars = []
    return list(dict.fromkeys(chars))


def _forced_encoding(profile: Profile) -> Encoding | None:
    """UCS-2 for the Unicode types, whatever the text: the type decides how it travels."""
    return Encoding.UCS2 if profile.encoding is Encoding.UCS2 else None
