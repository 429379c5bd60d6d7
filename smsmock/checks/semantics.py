"""The checks no schema can express: counts, ids and read-once rules across a request, its reply and
the traffic around it.

`check_exchanges` runs every check over exchanges in the order they happened. Each check is a small
function of one exchange (and, for the rules that span exchanges, a `Session` that remembers what was
seen); it returns findings, never raises on a malformed body (the schema checks report those).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote

from smsmock.checks.findings import Finding
from smsmock.checks.routing import quicktel_xml
from smsmock.contracts.catalog import code_tables, document_section, errata, source_section
from smsmock.contracts.journal import Exchange
from smsmock.contracts.validation import Severity, parse_xml
from smsmock.dialects.wire import element_value
from smsmock.encoding import Encoding, NotRepresentable, TooManyParts, dialect_profiles, measure, segment
from smsmock.encoding.segmentation import NATIONAL_POLICIES, NationalPolicy
from smsmock.encoding.transliteration import names as transliteration_names
from smsmock.encoding.transliteration import transliterate
from smsmock.resources import load_fixture

SMS_COUNT = "sms-count"
BULK_ID = "bulk-id"
REPLY_MESSAGES = "reply-messages"
UNIFIED_REPLY = "unified-reply"
UNIFIED_TYPE = "unified-type"
READ_ONCE = "read-once"

CHECKS: dict[str, str] = {
    SMS_COUNT: "a send reply's smsCount (quicktel: sms_count) is the number of parts its text takes",
    BULK_ID: "a bulkId only for more than one destination, or the client's own, and the same in reports",
    REPLY_MESSAGES: "a send reply answers each destination (quicktel: each <sms>) of its request once",
    UNIFIED_REPLY: "a unified reply has one code|destination|id line per destination, in request order",
    UNIFIED_TYPE: "a unified Unicode message that type 0 could not carry in fewer parts",
    READ_ONCE: "a delivery report or inbound message is handed out by one pull only",
}
"""Every semantic check by id, with what it holds a recording to."""

_FAMILY = ("shortlink", "qikli")
_SEND_TEXT = ("send_text_single", "send_text_multi", "send_text_advanced")
_SEND_BINARY = ("send_binary_single", "send_binary_multi")
_NUMBER_CONTEXT = ("number_query", "number_notify")
_READ_ONCE = ("get_reports", "get_inbox")
_LISTS = ("to", "messages", "destinations", "results", "ncResults")
"""Fields that are lists whatever form an XML body gives them."""


@dataclass(slots=True)
class Session:
    """What earlier exchanges showed, for the rules that span exchanges."""

    bulk_of_message: dict[tuple[str, str], tuple[str | None, int]] = field(default_factory=dict)
    """(dialect, messageId) -> the bulkId its send reply gave (None: none) and that exchange's index."""
    handed_out: dict[tuple[str, str, str], tuple[int, int | None]] = field(default_factory=dict)
    """(dialect, operation, messageId) -> index and seq of the pull that handed it out."""


@dataclass(slots=True)
class View:
    """One exchange with its bodies decoded once, for every check to read."""

    exchange: Exchange
    index: int
    _request: Any = field(default=None, repr=False)
    _reply: Any = field(default=None, repr=False)
    _decoded: set[str] = field(default_factory=set, repr=False)

    @property
    def request(self) -> Any:
        """The request body as JSON-like data (XML too), or None when it is neither."""
        if "request" not in self._decoded:
            self._decoded.add("request")
            self._request = _structured(self.exchange.request_body, header(self.exchange, "Content-Type"))
        return self._request

    @property
    def reply(self) -> Any:
        """The reply body as JSON-like data (XML too), or None when it is neither."""
        if "reply" not in self._decoded:
            self._decoded.add("reply")
            self._reply = _structured(self.exchange.response_body, self.exchange.response_content_type)
        return self._reply

    def finding(self, severity: Severity, check: str, location: str, message: str, section: str) -> Finding:
        return Finding(
            severity=severity,
            check=check,
            location=location,
            message=message,
            section=section,
            index=self.index,
            seq=self.exchange.seq,
            dialect=self.exchange.dialect,
            operation=self.exchange.operation,
        )


Check = Callable[[View, Session], list[Finding]]


def check_exchanges(exchanges: Iterable[Exchange]) -> list[Finding]:
    """Every semantic check over `exchanges`, taken as one session in the order given.

    A finding's `index` is the exchange's position in `exchanges`. Exchanges without a dialect and
    operation, and replies that are not 2xx, are passed over by the checks that need them.
    """
    session = Session()
    findings: list[Finding] = []
    for index, exchange in enumerate(exchanges):
        if exchange.dialect is None or exchange.operation is None:
            continue
        view = View(exchange, index)
        for check in ALL_CHECKS:
            findings.extend(check(view, session))
    return findings


# --- the shortlink family's send replies -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planned:
    """One message a send request asks for, to one destination."""

    text: str | None = None
    hex: str | None = None
    language: str | None = None
    single_shift: bool = False
    locking_shift: bool = False
    transliteration: str | None = None


def planned_messages(operation: str, payload: Any) -> list[Planned] | None:
    """The messages a shortlink-family send request asks for, one per destination, in reply order.

    None when the body is not a request the operation could read (the schema check says why).
    """
    if not isinstance(payload, Mapping):
        return None
    if operation == "send_text_advanced" or operation.endswith("_multi"):
        entries = payload.get("messages")
    else:
        entries = [payload]
    if not isinstance(entries, list):
        return None
    planned: list[Planned] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            return None
        content = _content(operation, entry)
        if operation == "send_text_advanced" and entry.get("destinations"):
            count = sum(
                max(1, len(_listed(item.get("to"))))
                for item in _listed(entry.get("destinations"))
                if isinstance(item, Mapping)
            )
        else:
            count = len(_listed(entry.get("to")))
        planned.extend([content] * count)
    return planned


def _content(operation: str, entry: Mapping[str, Any]) -> Planned:
    if operation in _SEND_BINARY:
        binary = entry.get("binary")
        return Planned(hex=str(binary.get("hex", "")) if isinstance(binary, Mapping) else "")
    text = entry.get("text")
    if operation != "send_text_advanced":
        return Planned(text=str(text or ""))
    language = entry.get("language") if isinstance(entry.get("language"), Mapping) else entry
    code = language.get("languageCode")
    return Planned(
        text=str(text or ""),
        language=str(code).upper() if code else None,
        single_shift=bool(code) and _flag(language.get("singleShift")),
        locking_shift=bool(code) and _flag(language.get("lockingShift")),
        transliteration=str(entry["transliteration"]) if entry.get("transliteration") else None,
    )


@dataclass(frozen=True, slots=True)
class Counted:
    """How many parts a planned message takes, and how that was counted, for the message."""

    parts: int
    how: str


def count_parts(dialect: str, planned: Planned, national_policy: NationalPolicy = "fewest") -> Counted | None:
    """The parts the message takes under the dialect's documented capacities; None when unknowable.

    `national_policy` says how the national tables the message asks for count (see NATIONAL_POLICIES).
    """
    profiles = dialect_profiles(dialect)
    if planned.hex is not None:
        profile = profiles.get("binary")
        if profile is None:
            return None
        octets = len(re.sub(r"\s", "", planned.hex)) // 2
        limits = profile.limits(Encoding.BINARY)
        parts = 1 if octets <= limits.single else -(-octets // limits.concatenated)
        return Counted(parts, f"{octets} octets, {limits.single} in one part, {limits.concatenated} per part")
    text = planned.text or ""
    if planned.transliteration:
        if planned.transliteration not in transliteration_names():
            return None  # a table smsmock does not know: the count cannot be reproduced
        text = transliterate(text, planned.transliteration)
    profile = profiles.get("text") or next(iter(profiles.values()))
    try:
        if _asks_for_national_tables(planned):
            # Split, not measured: the tables picked, and so the IEs in each part, are the split's.
            split = segment(
                text,
                language=planned.language,
                single_shift=planned.single_shift,
                locking_shift=planned.locking_shift,
                profile=profile,
                national_policy=national_policy,
            )
            encoding, units, parts = split.encoding, split.units, split.segments
            ies = 0 if split.charset is None else split.charset.national_ies
        else:
            counted = measure(
                text,
                language=planned.language,
                single_shift=planned.single_shift,
                locking_shift=planned.locking_shift,
                profile=profile,
            )
            encoding, units, parts, ies = counted.encoding, counted.units, counted.segments, 0
    except (TooManyParts, ValueError, LookupError):
        return None
    limits = profile.limits(encoding, ies)
    unit = "septets" if encoding is Encoding.GSM7 else "UTF-16 units"
    tables = f" with {ies} national-language IE(s) in each part" if ies else ""
    return Counted(
        parts,
        f"{encoding}, {units} {unit}, {limits.single} in one part, {limits.concatenated} per part{tables}",
    )


def possible_counts(dialect: str, planned: Planned) -> dict[NationalPolicy, Counted]:
    """The counts a provider may give the message, by national-table policy; empty when unknowable.

    A provider counts the national tables a message asks for by the fewest parts, or counts every
    requested table's IE: either count is right. Without national tables the policies agree, and
    the one count is under "fewest".
    """
    policies = NATIONAL_POLICIES if _asks_for_national_tables(planned) else ("fewest",)
    counts = {policy: count_parts(dialect, planned, policy) for policy in policies}
    return {policy: counted for policy, counted in counts.items() if counted is not None}


def _asks_for_national_tables(planned: Planned) -> bool:
    return (
        planned.hex is None
        and planned.language is not None
        and (planned.single_shift or planned.locking_shift)
    )


@dataclass(frozen=True, slots=True)
class Answered:
    """One message of a send reply: where it is, the count it gives, and whether it was sent."""

    location: str
    """Of the count: `response /messages/0/smsCount`, `response /xml_result/push[1]/@sms_count`."""
    count: Any
    sent: bool
    """False for a message the reply refuses (a REJECTED status, a failed quicktel push)."""


@dataclass(frozen=True, slots=True)
class SendReply:
    planned: list[Planned]
    answered: list[Answered]
    list_location: str
    """Where the reply's list of messages is."""


def _send_reply(view: View) -> SendReply | None:
    """What a successful send asked for and what its reply answered, in order."""
    exchange = view.exchange
    if not 200 <= exchange.status < 300:
        return None
    if exchange.dialect == "quicktel" and exchange.operation == "sms_send":
        return _quicktel_send_reply(view)
    if exchange.dialect not in _FAMILY or exchange.operation not in (*_SEND_TEXT, *_SEND_BINARY):
        return None
    if not isinstance(view.reply, Mapping):
        return None
    planned = planned_messages(exchange.operation, view.request)
    messages = view.reply.get("messages")
    if planned is None or not isinstance(messages, list):
        return None
    answered = [
        Answered(
            f"response /messages/{position}/smsCount",
            entry.get("smsCount") if isinstance(entry, Mapping) else None,
            not (isinstance(entry, Mapping) and _group(entry).startswith("REJECTED")),
        )
        for position, entry in enumerate(messages)
    ]
    return SendReply(planned, answered, "response /messages")


def _quicktel_send_reply(view: View) -> SendReply | None:
    """One <push> per <sms>, in request order; a push with res="0" counts its own text's parts (res="1"
    answers a reused sms_id with the first message's figures)."""
    exchange = view.exchange
    xml = quicktel_xml(exchange.request_body)
    try:
        request = parse_xml(xml).root if xml is not None else None
        reply = parse_xml(exchange.response_body).root
    except (ValueError, UnicodeDecodeError):
        return None
    if request is None or reply.tag != "xml_result" or "xml_name" not in reply.attrib:
        return None  # a whole-request error answers no <push>
    planned = [Planned(text=item.text or "") for item in request.findall("sms")]
    answered = [
        Answered(
            f"response /xml_result/push[{position}]/@sms_count", push.get("sms_count"), push.get("res") == "0"
        )
        for position, push in enumerate(reply.findall("push"), start=1)
    ]
    return SendReply(planned, answered, "response /xml_result")


def check_reply_messages(view: View, session: Session) -> list[Finding]:
    """A send reply answers each destination (each quicktel <sms>) of its request once."""
    found = _send_reply(view)
    if found is None or len(found.planned) == len(found.answered):
        return []
    exchange = view.exchange
    return [
        view.finding(
            Severity.ERROR,
            REPLY_MESSAGES,
            found.list_location,
            f"the reply answers {len(found.answered)} message(s) for the {len(found.planned)} "
            "destination(s) of its request",
            _response_section(exchange.dialect, exchange.operation),
        )
    ]


def check_sms_count(view: View, session: Session) -> list[Finding]:
    """Each sent message's count of parts is the number its text (or binary payload) takes."""
    found = _send_reply(view)
    if found is None or len(found.planned) != len(found.answered):
        return []  # which message answers which destination is unknown: reply-messages says so
    exchange = view.exchange
    assert exchange.dialect is not None
    findings = []
    for wanted, answer in zip(found.planned, found.answered, strict=True):
        given = _whole(answer.count)
        if given is None or not answer.sent:
            continue  # absent or not a number (the schema's to report), or a refused message
        counts = possible_counts(exchange.dialect, wanted)
        if not counts or given in {counted.parts for counted in counts.values()}:
            continue
        what = "the binary payload" if wanted.hex is not None else f"the text {_quoted(wanted)}"
        findings.append(
            view.finding(
                Severity.ERROR,
                SMS_COUNT,
                answer.location,
                f"the count is {given}, but {what} takes {_takes(counts)}",
                _limits_section(exchange.dialect),
            )
        )
    return findings


def _takes(counts: dict[NationalPolicy, Counted]) -> str:
    """The parts a message takes, and how, under each national-table policy where that differs."""
    if len(set(counts.values())) == 1:
        (counted,) = set(counts.values())
        return f"{counted.parts} part(s) ({counted.how})"
    if len({counted.parts for counted in counts.values()}) == 1:
        hows = "; ".join(f"{policy}: {counted.how}" for policy, counted in counts.items())
        return f"{next(iter(counts.values())).parts} part(s) by either national policy ({hows})"
    return " or ".join(
        f"{counted.parts} part(s) counting the national tables by the policy {policy} ({counted.how})"
        for policy, counted in counts.items()
    )


def check_bulk_id(view: View, session: Session) -> list[Finding]:
    """A bulkId only for more than one destination (or the client's own, echoed), and the same bulkId
    in the reports and logs of the messages it was given for.

    The document says a bulkId "will be received only when" a request has more than one destination:
    a reply to one destination must not carry one, but one to many need not either.
    """
    exchange = view.exchange
    if exchange.dialect not in _FAMILY or not 200 <= exchange.status < 300:
        return []
    if not isinstance(view.reply, Mapping):
        return []
    if exchange.operation in (*_SEND_TEXT, *_SEND_BINARY, *_NUMBER_CONTEXT):
        return _bulk_of_reply(view, session)
    if exchange.operation in ("get_reports", "get_logs"):
        return _bulk_of_reports(view, session)
    return []


def _bulk_of_reply(view: View, session: Session) -> list[Finding]:
    exchange = view.exchange
    assert exchange.dialect is not None and exchange.operation is not None
    payload = view.request if isinstance(view.request, Mapping) else {}
    if exchange.operation in _NUMBER_CONTEXT:
        destinations: int | None = len(_listed(payload.get("to")))
        client_bulk = None
    else:
        planned = planned_messages(exchange.operation, view.request)
        destinations = None if planned is None else len(planned)
        client_bulk = payload.get("bulkId") or None
    given = view.reply.get("bulkId") or None
    section = _response_section(exchange.dialect, exchange.operation)
    findings = []
    if client_bulk is not None and given is not None and str(given) != str(client_bulk):
        findings.append(
            view.finding(
                Severity.ERROR,
                BULK_ID,
                "response /bulkId",
                f"the reply's bulkId {given!r} is not the {client_bulk!r} the request gave",
                section,
            )
        )
    elif client_bulk is None and given is not None and destinations == 1:
        findings.append(
            view.finding(
                Severity.ERROR,
                BULK_ID,
                "response /bulkId",
                f"a bulkId ({given!r}) for a request to one destination: the document gives one only "
                "when a message goes to more than one destination",
                section,
            )
        )
    messages = view.reply.get("messages")
    for entry in messages if isinstance(messages, list) else []:
        if isinstance(entry, Mapping) and entry.get("messageId"):
            key = (exchange.dialect, str(entry["messageId"]))
            session.bulk_of_message[key] = (None if given is None else str(given), view.index)
    return findings


def _bulk_of_reports(view: View, session: Session) -> list[Finding]:
    exchange = view.exchange
    assert exchange.dialect is not None and exchange.operation is not None
    findings = []
    for position, entry in _results(view.reply):
        key = (exchange.dialect, str(entry.get("messageId")))
        if key not in session.bulk_of_message:
            continue
        sent, sent_index = session.bulk_of_message[key]
        given = None if entry.get("bulkId") in (None, "") else str(entry["bulkId"])
        if given == sent:
            continue
        if sent is None:
            told = f"bulkId {given!r}, but its send reply (exchange {sent_index}) gave none"
        elif given is None:
            told = f"no bulkId, but its send reply (exchange {sent_index}) gave {sent!r}"
        else:
            told = f"bulkId {given!r}, but its send reply (exchange {sent_index}) gave {sent!r}"
        findings.append(
            view.finding(
                Severity.ERROR,
                BULK_ID,
                f"response /results/{position}/bulkId",
                f"message {key[1]} has {told}",
                _response_section(exchange.dialect, exchange.operation),
            )
        )
    return findings


def check_read_once(view: View, session: Session) -> list[Finding]:
    """A delivery report (or inbound message) is in one pull's reply only: the document reads them once."""
    exchange = view.exchange
    if exchange.dialect not in _FAMILY or exchange.operation not in _READ_ONCE:
        return []
    if not 200 <= exchange.status < 300:
        return []
    what = "report" if exchange.operation == "get_reports" else "inbound message"
    findings = []
    for position, entry in _results(view.reply):
        message_id = entry.get("messageId")
        if message_id in (None, ""):
            continue
        key = (exchange.dialect, exchange.operation, str(message_id))
        earlier = session.handed_out.get(key)
        if earlier is None:
            session.handed_out[key] = (view.index, exchange.seq)
            continue
        where = "earlier in this reply" if earlier[0] == view.index else f"by exchange {earlier[0]}"
        if earlier[1] is not None and earlier[0] != view.index:
            where += f" (seq {earlier[1]})"
        findings.append(
            view.finding(
                Severity.ERROR,
                READ_ONCE,
                f"response /results/{position}/messageId",
                f"the {what} of message {message_id} was already handed out {where}; "
                f"each {what} can be retrieved one time only",
                document_section(exchange.dialect, exchange.operation),
            )
        )
    return findings


def _results(reply: Any) -> list[tuple[int, Mapping[str, Any]]]:
    results = reply.get("results") if isinstance(reply, Mapping) else None
    if isinstance(results, Mapping):
        results = [results]
    if not isinstance(results, list):
        return []
    return [(position, entry) for position, entry in enumerate(results) if isinstance(entry, Mapping)]


# --- unified ---------------------------------------------------------------------------------------

_UNIFIED_SENDS = ("submit", "schedule")


def _unified_values(view: View, charset: str = "utf-8") -> dict[str, str]:
    """The unified parameters under their lower-case names (`Message`, `message[]`), the first of
    each; the form body's over the query's, octets read in `charset`."""
    sources = [view.exchange.query]
    if _media(header(view.exchange, "Content-Type")) == "application/x-www-form-urlencoded":
        sources.append(view.exchange.request_body.decode("latin-1"))
    values: dict[str, str] = {}
    for source in sources:
        given: dict[str, str] = {}
        for name, value in parse_qsl(source, keep_blank_values=True, encoding=charset, errors="replace"):
            given.setdefault(name.lower().removesuffix("[]"), value)
        values.update(given)
    return values


def check_unified_reply(view: View, session: Session) -> list[Finding]:
    """One `code|destination|message_id` line per destination, in request order; an id exactly on
    success; a bare code only for an error of the whole request."""
    exchange = view.exchange
    if exchange.dialect != "unified" or exchange.operation not in _UNIFIED_SENDS:
        return []
    if not 200 <= exchange.status < 300:
        return []
    destination = _unified_values(view).get("destination")
    body = exchange.response_body.decode("utf-8", "replace").strip()
    if not body or destination is None:
        return []
    section = _erratum_section("unified-reply-error-shape")
    lines = body.split("\n")
    tables = _unified_tables()
    if len(lines) == 1 and "|" not in lines[0]:
        code = _whole(lines[0])
        if code is not None and tables.scope.get(code) == "destination":
            return [
                view.finding(
                    Severity.ERROR,
                    UNIFIED_REPLY,
                    "response line 1",
                    f"a bare code {code}, but {code} is an error of one destination: expected "
                    f"one '{code}|destination|' line per destination",
                    section,
                )
            ]
        return []
    wanted = destination.split(",")
    findings = []
    if len(lines) != len(wanted):
        findings.append(
            view.finding(
                Severity.ERROR,
                UNIFIED_REPLY,
                "response",
                f"the reply has {len(lines)} line(s) for the {len(wanted)} destination(s) of its request",
                section,
            )
        )
    for number, (line, asked) in enumerate(zip(lines, wanted, strict=False), start=1):
        findings.extend(_unified_line(view, number, line, asked, tables, section))
    return findings


def _unified_line(
    view: View, number: int, line: str, asked: str, tables: UnifiedTables, section: str
) -> list[Finding]:
    location = f"response line {number}"
    fields = line.rstrip("\r").split("|")
    if len(fields) != 3:
        return [
            view.finding(
                Severity.ERROR, UNIFIED_REPLY, location, f"not code|destination|id: {line!r}", section
            )
        ]
    code_text, echoed, message_id = fields
    findings = []
    if not _same_destination(echoed, asked):
        findings.append(
            view.finding(
                Severity.ERROR,
                UNIFIED_REPLY,
                location,
                f"the line is for {echoed!r}, but destination {number} of the request is {asked!r}",
                section,
            )
        )
    code = _whole(code_text)
    if code == tables.success and not message_id:
        findings.append(
            view.finding(
                Severity.ERROR, UNIFIED_REPLY, location, f"success {code} without a message id", section
            )
        )
    elif code is not None and code != tables.success and message_id:
        findings.append(
            view.finding(
                Severity.ERROR,
                UNIFIED_REPLY,
                location,
                f"error {code} with a message id {message_id!r}: only a sent message has one",
                section,
            )
        )
    return findings


def _same_destination(echoed: str, asked: str) -> bool:
    if unquote(echoed) == asked or echoed == asked:
        return True
    digits = re.sub(r"\D", "", asked)
    return bool(digits) and re.sub(r"\D", "", unquote(echoed)) == digits


def check_unified_type(view: View, session: Session) -> list[Finding]:
    """Unicode is not sent where it costs parts for nothing.

    A character the type cannot carry is a contract error `validate()` reports (the reading the mock
    journals too); this check only weighs a well-formed Unicode message against type 0.
    """
    exchange = view.exchange
    if exchange.dialect != "unified" or exchange.operation not in _UNIFIED_SENDS:
        return []
    values = _unified_values(view)
    kind = _unified_tables().types.get(values.get("type", "").strip())
    message = values.get("message")
    if kind is None or message is None or kind["encoding"] != "ucs2" or not _UCS2_HEX.fullmatch(message):
        return []
    label = f"type {kind['type']} ({kind['description']})"
    return _unified_unicode(view, message, label, _unified_tables().type_section)


_UCS2_HEX = re.compile(r"(?:[0-9A-Fa-f]{4})+")


def _unified_unicode(view: View, message: str, label: str, section: str) -> list[Finding]:
    try:
        text = bytes.fromhex(message).decode("utf-16-be")
    except UnicodeDecodeError:
        return []  # a lone surrogate: validate() names it
    try:
        plain = measure(text, encoding=Encoding.GSM7, profile=dialect_profiles("unified")["0"]).segments
        unicode = measure(text, encoding=Encoding.UCS2, profile=dialect_profiles("unified")["2"]).segments
    except (NotRepresentable, TooManyParts, KeyError):
        return []
    if plain >= unicode:
        return []
    return [
        view.finding(
            Severity.WARNING,
            UNIFIED_TYPE,
            "request message",
            f"{label} for a text GSM 03.38 can carry: {unicode} part(s) where type 0 takes {plain}",
            section,
        )
    ]


@dataclass(frozen=True, slots=True)
class UnifiedTables:
    success: int
    scope: dict[int, str]
    types: dict[str, dict[str, Any]]
    type_section: str


@cache
def _unified_tables() -> UnifiedTables:
    tables = code_tables("unified")
    source = tables["message_types"].source
    return UnifiedTables(
        success=next(row["code"] for row in tables["error_codes"].rows if row["success"]),
        scope={row["code"]: row["scope"] for row in tables["error_scopes_own"].rows},
        types={str(row["type"]): row for row in tables["message_types"].rows},
        type_section=source_section(source["file"], source["section"]),
    )


ALL_CHECKS: tuple[Check, ...] = (
    check_reply_messages,
    check_sms_count,
    check_bulk_id,
    check_read_once,
    check_unified_reply,
    check_unified_type,
)


# --- reading bodies and sections -------------------------------------------------------------------


def header(exchange: Exchange, name: str) -> str | None:
    """A request header by name, whatever case the recording wrote it in."""
    wanted = name.lower()
    return next((value for key, value in exchange.request_headers.items() if key.lower() == wanted), None)


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _structured(body: bytes, content_type: str | None) -> Any:
    media = _media(content_type)
    head = body.lstrip()[:1]
    try:
        if media.endswith("json") or (not media.endswith("xml") and head in (b"{", b"[")):
            return json.loads(body)
        if media.endswith("xml") or head == b"<":
            return element_value(parse_xml(body).root, _LISTS)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return None


def _listed(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,9}", value.strip()):
        return int(value.strip())
    return None


def _group(entry: Mapping[str, Any]) -> str:
    status = entry.get("status")
    return str(status.get("groupName", "")) if isinstance(status, Mapping) else ""


def _quoted(planned: Planned) -> str:
    text = planned.text or ""
    return json.dumps(text if len(text) <= 40 else text[:39] + "…", ensure_ascii=False)


def _chars(chars: Iterable[str]) -> str:
    return ", ".join(f"{char!r} (U+{ord(char):04X})" for char in chars)


def _response_section(dialect: str | None, operation: str | None) -> str:
    assert dialect is not None and operation is not None
    return f"{document_section(dialect, operation)} > Response format"


@cache
def _limits_section(dialect: str) -> str:
    source = load_fixture(f"{dialect}/limits.yaml").get("source", {})
    where = source.get("section") or source.get("says") or "message length"
    return source_section(source.get("file", ""), where)


def _erratum_section(erratum: str) -> str:
    entry = errata().get(erratum, {})
    return f"{source_section(entry.get('file', ''), entry.get('section', ''))} (errata {erratum})"
