"""The probes of each dialect: its documented examples, generated valid and invalid requests, auth
failures, content negotiation and read-once reports, each with the reply the documents give."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from smsmock.contracts.catalog import code_tables, examples, operation
from smsmock.contracts.validation import Violation
from smsmock.encoding import default_charset
from smsmock.verify import generated
from smsmock.verify.bodies import (
    JSON,
    XML,
    family_xml,
    json_bytes,
    notify_url_in_text,
    query_of,
    quicktel_xml,
    with_notify_url,
    with_params,
    with_quicktel_login,
    xml_safe,
)
from smsmock.verify.plan import (
    ACCEPTED,
    AUTH,
    EXAMPLES,
    INVALID,
    NEGOTIATION,
    READ_ONCE,
    REFUSED,
    VALID,
    Call,
    Expect,
    Probe,
)
from smsmock.verify.readonce import inbound_read_once, reports_read_once
from smsmock.verify.runner import Settings

SWISS = "41793026727"
"""The documents' own destination."""
NEGOTIATED_BODIES = 2
"""Generated bodies of each operation also sent as XML, besides the fixed one."""

_GENERAL_ERROR = "the General error: a request the API cannot read"
_UNAUTHORIZED = "without authorization: 401 Unauthorized"
_BROKEN = "input that breaks the contract is refused (a broken message: a REJECTED status)"


def probes_for(dialect: str, settings: Settings) -> list[Probe]:
    """Every probe of `dialect`, in the order they are sent."""
    build = {
        "shortlink": _family,
        "qikli": _family,
        "unified": _unified,
        "quicktel": _quicktel,
        "sendsms": _sendsms,
    }[dialect]
    return [*_examples(dialect, settings), *build(dialect, settings)]


def _call(dialect: str, name: str, **fields: Any) -> Call:
    """A call of an operation at its documented path, with its first documented method."""
    contract = operation(dialect, name)
    return Call(name, fields.pop("method", contract.methods[0]), contract.paths[0], **fields)


def _named(probes: Iterable[tuple[str, Call, Expect]], group: str, dialect: str) -> list[Probe]:
    return [Probe(group, name, dialect, call, expect) for name, call, expect in probes]


def _without(values: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in values.items() if name not in names}


# --- documented examples ---------------------------------------------------------------------------


def _examples(dialect: str, settings: Settings) -> list[Probe]:
    """Each documented request, sent as printed with the verifier's credentials in it.

    An example the document got wrong (errata: placeholder values, broken JSON) must be refused; every
    other one accepted.
    """
    probes = []
    for example in examples(dialect):
        if example["direction"] != "request" or not example.get("method"):
            continue
        if not operation(dialect, example["operation"]).paths:
            continue  # a callback: the server sends it, the verifier has no endpoint for it
        call = _example_call(dialect, example, settings)
        if example.get("expected_violation"):
            wrong = example["expected_violation"]
            rule = f"the example breaks its contract at {wrong['location']} ({example.get('erratum')})"
            expect = Expect(REFUSED, media=_example_media(dialect, example), rule=rule)
        else:
            expect = Expect(ACCEPTED, media=_example_media(dialect, example))
        probes.append(Probe(EXAMPLES, example["id"], dialect, call, expect))
    return probes


def _example_call(dialect: str, example: Mapping[str, Any], settings: Settings) -> Call:
    credentials = settings.credentials
    headers = {
        name: value for name, value in (example.get("headers") or {}).items() if name.lower() != "host"
    }
    body = notify_url_in_text(example.get("body") or "", settings.notify_url)
    query = example.get("query") or ""
    if body and not any(name.lower() == "content-type" for name in headers):
        # A snippet's headers are in its code, not transcribed: it sends the format it shows.
        headers["Content-Type"] = {"json": JSON, "xml": XML}.get(example.get("format", ""), JSON)
    if dialect in ("shortlink", "qikli"):
        headers["Authorization"] = credentials.basic()
    elif dialect == "unified":
        query = with_params(query, {"username": credentials.username, "password": credentials.password})
    elif dialect == "quicktel":
        body = with_quicktel_login(body, (credentials.username, credentials.password))
    elif dialect == "sendsms":
        # The document's ref can be used once per number: this run's own keeps the example repeatable.
        values = {"key": credentials.api_key}
        ref = re.search(r"(?:^|&)ref=([^&]*)", query)
        if ref:
            values["ref"] = f"{ref.group(1)}-{settings.run_id}"
        query = with_params(query, values)
    return Call(
        example["operation"], example["method"], example["path"], query, headers, body.encode("utf-8")
    )


def _example_media(dialect: str, example: Mapping[str, Any]) -> str | None:
    headers = {name.lower(): value for name, value in (example.get("headers") or {}).items()}
    if dialect in ("shortlink", "qikli"):
        for header in (headers.get("accept"), headers.get("content-type")):
            if header and "json" in header:
                return "json"
            if header and "xml" in header:
                return "xml"
        return None
    return _plain_media(dialect, example["operation"], example.get("query") or "")


def _plain_media(dialect: str, name: str, query: str) -> str:
    if dialect == "unified":
        return "text"
    if dialect == "quicktel":
        return "xml"
    wants_json = name == "dlr" or re.search(r"(?:^|&)response=json(?:&|$)", query) is not None
    return "json" if wants_json else "text"


# --- the shortlink family ----------------------------------------------------------------------------

_FAMILY_JSON = {
    "shortlink": (
        "send_text_single",
        "send_text_multi",
        "send_text_advanced",
        "send_binary_single",
        "send_binary_multi",
        "number_query",
        "number_notify",
    ),
    "qikli": ("send_text_advanced",),
}
_FAMILY_PARAMS = {"shortlink": ("get_reports", "get_logs", "get_inbox_logs"), "qikli": ("get_reports",)}
_FAMILY_SEND = {"shortlink": "send_text_single", "qikli": "send_text_advanced"}
_FAMILY_MESSAGE = {
    "shortlink": {"from": "InfoSMS", "to": SWISS, "text": "My first SMS"},
    "qikli": {"messages": [{"from": "InfoSMS", "destinations": [{"to": SWISS}], "text": "My first SMS"}]},
}
"""One plain message in each dialect's send request: the shortlink document's first example."""


def _family_headers(
    settings: Settings, accept: str = JSON, content_type: str | None = JSON
) -> dict[str, str]:
    headers = {"Authorization": settings.credentials.basic(), "Accept": accept}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def _family(dialect: str, settings: Settings) -> list[Probe]:
    valid: dict[str, list[Any]] = {}
    for name in _FAMILY_JSON[dialect]:
        # What a request gives, later replies echo (reports, logs), in JSON and in XML: only text XML
        # carries as written is sent.
        bodies = generated.valid_bodies(
            dialect, name, "json", settings.max_examples, settings.seed, clean=xml_safe, keep=_family_sendable
        )
        valid[name] = [with_notify_url(body, settings.notify_url) for body in bodies]
    params = {
        name: generated.valid_bodies(
            dialect, name, "params", settings.max_examples, settings.seed, keep=_family_sendable
        )
        for name in _FAMILY_PARAMS[dialect]
    }
    return [
        *_family_valid(dialect, settings, valid, params),
        *_family_invalid(dialect, settings, valid, params),
        *_family_auth(dialect, settings),
        *_family_negotiation(dialect, settings, valid),
        *_family_read_once(dialect, settings),
    ]


def _family_valid(
    dialect: str, settings: Settings, valid: dict[str, list[Any]], params: dict[str, list[Any]]
) -> list[Probe]:
    probes = []
    for name, bodies in valid.items():
        for number, body in enumerate(bodies, start=1):
            call = _call(dialect, name, headers=_family_headers(settings), body=json_bytes(body))
            probes.append(Probe(VALID, f"{name} #{number}", dialect, call, Expect(ACCEPTED, media="json")))
    for name, drawn in params.items():
        for number, values in enumerate(drawn, start=1):
            call = _call(
                dialect, name, headers=_family_headers(settings, content_type=None), query=query_of(values)
            )
            probes.append(Probe(VALID, f"{name} #{number}", dialect, call, Expect(ACCEPTED, media="json")))
    return probes


_ADDRESS = re.compile(r"(^|/)to(/\d+)?$")
_SENDER = re.compile(r"(^|/)from$")
_DATE_FIELDS = ("sendAt", "sentSince", "sentUntil", "receivedSince", "receivedUntil")
_LIMIT_CAP = 1000
"""The largest `limit` a generated valid request asks for: a server may cap the results it lists."""


def _family_refuses(operation_name: str) -> Callable[[list[Violation]], bool]:
    """Whether a server must refuse a request breaking these rules in its reply, as the family
    documents it."""

    def refuses(violations: list[Violation]) -> bool:
        addresses = [violation for violation in violations if _ADDRESS.search(violation.location)]
        if any(violation.found == '""' for violation in addresses):
            # An empty destination is left out: smsmock rejects it with a message whose `to` is "",
            # which its own reply contract does not allow; how a server should answer is not documented.
            return False
        if any(_SENDER.search(violation.location) for violation in violations):
            # An invalid sender is left out: the message is rejected but kept, and smsmock's logs then
            # list it with that sender, which the logs' reply contract does not allow (unlike `to`,
            # which replies echo as given); every later verification would fail on it.
            return False
        if operation_name == "number_notify" and len(addresses) == len(violations):
            return False  # asynchronous: a number's result comes in the callback, not in the reply
        # A validity period over 48 h is shortened to 48 h, not refused (errata
        # shortlink-validity-period-over-48h).
        return any(not violation.location.endswith("/validityPeriod") for violation in violations)

    return refuses


def _family_sendable(value: Any) -> bool:
    """A request a server must take: a limit it lists, dates that are days of the calendar."""
    if isinstance(value, list):
        return all(_family_sendable(item) for item in value)
    if not isinstance(value, Mapping):
        return True
    limit = value.get("limit")
    if isinstance(limit, str) and not (limit.isdigit() and 1 <= int(limit) <= _LIMIT_CAP):
        return False  # the contracts allow limit=0 and any length; a server may refuse both
    for name, item in value.items():
        if name in _DATE_FIELDS and isinstance(item, str):
            if not _calendar_day(item):
                return False
        elif not _family_sendable(item):
            return False
    return True


def _calendar_day(moment: str) -> bool:
    """Whether a date-time the contract's pattern allows names a day of the calendar (no 31 September)."""
    found = re.match(r"(\d{4})-(\d{2})-(\d{2})", moment)
    if found is None:
        return False
    try:
        datetime(*(int(part) for part in found.groups()))
    except ValueError:
        return False
    return True


def _family_invalid(
    dialect: str, settings: Settings, valid: dict[str, list[Any]], params: dict[str, list[Any]]
) -> list[Probe]:
    probes = []
    expect = Expect(REFUSED, media="json", rule=_BROKEN)
    for name, bodies in valid.items():
        variants = generated.invalid_variants(
            dialect, name, "json", bodies, settings.max_examples, settings.seed, refused=_family_refuses(name)
        )
        for number, variant in enumerate(variants, start=1):
            call = _call(dialect, name, headers=_family_headers(settings), body=json_bytes(variant.body))
            probes.append(Probe(INVALID, f"{name} #{number}", dialect, call, expect, change=variant.change))
    for name, drawn in params.items():
        variants = generated.invalid_variants(
            dialect, name, "params", drawn, settings.max_examples, settings.seed
        )
        for number, variant in enumerate(variants, start=1):
            headers = _family_headers(settings, content_type=None)
            call = _call(dialect, name, headers=headers, query=query_of(variant.body))
            probes.append(Probe(INVALID, f"{name} #{number}", dialect, call, expect, change=variant.change))
    send = _FAMILY_SEND[dialect]
    message = _FAMILY_MESSAGE[dialect]
    whole = Expect(REFUSED, whole=True, statuses=frozenset({400}), media="json", rule=_GENERAL_ERROR)
    if dialect == "qikli":
        no_destination = {"messages": [{"from": "InfoSMS", "text": "My first SMS"}]}
        bad_number = {"messages": [{"from": "InfoSMS", "destinations": [{"to": "12ab34"}], "text": "Hi"}]}
    else:
        no_destination = {"from": "InfoSMS", "text": "My first SMS"}
        bad_number = {**message, "to": "12ab34"}
    fixed = [
        (
            "malformed JSON",
            _call(dialect, send, headers=_family_headers(settings), body=b'{"from": "InfoSMS", "to": '),
            whole,
        ),
        (
            "no Content-Type",
            _call(
                dialect, send, headers=_family_headers(settings, content_type=None), body=json_bytes(message)
            ),
            Expect(
                REFUSED,
                whole=True,
                statuses=frozenset({400}),
                media="json",
                rule="If the Content-Type is not specified you will receive a General error",
            ),
        ),
        (
            "no destination",
            _call(dialect, send, headers=_family_headers(settings), body=json_bytes(no_destination)),
            whole,
        ),
        (
            "a number that is no number",
            _call(dialect, send, headers=_family_headers(settings), body=json_bytes(bad_number)),
            Expect(REFUSED, media="json", rule="an invalid destination is REJECTED"),
        ),
        (
            "a limit that is no number",
            _call(
                dialect,
                "get_reports",
                headers=_family_headers(settings, content_type=None),
                query="limit=abc",
            ),
            whole,
        ),
    ]
    return probes + _named(fixed, INVALID, dialect)


def _family_auth(dialect: str, settings: Settings) -> list[Probe]:
    send = _FAMILY_SEND[dialect]
    body = json_bytes(_FAMILY_MESSAGE[dialect])
    expect = Expect(REFUSED, whole=True, statuses=frozenset({401}), media="json", rule=_UNAUTHORIZED)
    wrong = settings.credentials.basic(settings.credentials.wrong_password)
    anonymous = {"Accept": JSON, "Content-Type": JSON}
    probes = [
        (f"{send} without credentials", _call(dialect, send, headers=anonymous, body=body), expect),
        (
            f"{send} with a wrong password",
            _call(dialect, send, headers={**anonymous, "Authorization": wrong}, body=body),
            expect,
        ),
        ("get_reports without credentials", _call(dialect, "get_reports", headers={"Accept": JSON}), expect),
        (
            "get_reports with a wrong password",
            _call(dialect, "get_reports", headers={"Accept": JSON, "Authorization": wrong}),
            expect,
        ),
    ]
    return _named(probes, AUTH, dialect)


def _family_negotiation(dialect: str, settings: Settings, valid: dict[str, list[Any]]) -> list[Probe]:
    """JSON or XML by Content-Type and Accept: "the same one will be applied in the response"."""
    bodies = [(_FAMILY_SEND[dialect], _FAMILY_MESSAGE[dialect])]
    for name in ("send_text_single", "send_text_advanced", "number_query"):
        bodies += [(name, body) for body in valid.get(name, [])[:NEGOTIATED_BODIES]]
    probes: list[tuple[str, Call, Expect]] = []
    for number, (name, body) in enumerate(bodies, start=1):
        xml = family_xml(dialect, name, body)
        if xml is None:
            continue  # a text XML cannot carry: the JSON probes have it
        for request_format, accept, sent in (
            ("xml", "xml", xml),
            ("json", "xml", json_bytes(body)),
            ("xml", "json", xml),
        ):
            headers = _family_headers(settings, accept=_media(accept), content_type=_media(request_format))
            probes.append(
                (
                    f"{name} #{number}: {request_format.upper()} body, Accept {accept.upper()}",
                    _call(dialect, name, headers=headers, body=sent),
                    Expect(ACCEPTED, media=accept, rule=f"Accept: {_media(accept)}"),
                )
            )
    xml_only = _family_headers(settings, accept=XML, content_type=None)
    wrong = settings.credentials.basic(settings.credentials.wrong_password)
    probes += [
        (
            "get_reports, Accept XML",
            _call(dialect, "get_reports", headers=xml_only),
            Expect(ACCEPTED, media="xml"),
        ),
        (
            "a wrong password, Accept XML",
            _call(dialect, "get_reports", headers={**xml_only, "Authorization": wrong}),
            Expect(REFUSED, whole=True, statuses=frozenset({401}), media="xml", rule=_UNAUTHORIZED),
        ),
        (
            "malformed XML, Accept XML",
            _call(
                dialect,
                _FAMILY_SEND[dialect],
                headers=_family_headers(settings, accept=XML, content_type=XML),
                body=b"<request><from>InfoSMS</from><to>",
            ),
            Expect(REFUSED, whole=True, statuses=frozenset({400}), media="xml", rule=_GENERAL_ERROR),
        ),
    ]
    if dialect == "shortlink":
        probes.append(
            (
                "get_balance, Accept XML",
                _call(dialect, "get_balance", headers=xml_only),
                Expect(ACCEPTED, media="xml"),
            )
        )
    return _named(probes, NEGOTIATION, dialect)


def _media(wire: str) -> str:
    return JSON if wire == "json" else XML


def _family_read_once(dialect: str, settings: Settings) -> list[Probe]:
    send_name = _FAMILY_SEND[dialect]
    message = _FAMILY_MESSAGE[dialect]
    text = f"smsmock verify {settings.run_id}"
    if dialect == "qikli":
        body = {"messages": [{**message["messages"][0], "text": text}]}
    else:
        body = {**message, "text": text}
    send = _call(dialect, send_name, headers=_family_headers(settings), body=json_bytes(body))

    def pull(message_id: str) -> Call:
        return _call(
            dialect,
            "get_reports",
            headers=_family_headers(settings, content_type=None),
            query=query_of({"messageId": message_id}),
        )

    probes = [Probe(READ_ONCE, "delivery report", dialect, scenario=reports_read_once(send, pull))]
    if dialect == "shortlink" and settings.control:
        inbound = {"from": SWISS, "to": "13372", "text": f"VERIFY {settings.run_id}", "dialect": dialect}
        pull_inbox = _call(dialect, "get_inbox", headers=_family_headers(settings, content_type=None))
        scenario = inbound_read_once(inbound, settings.credentials.username, pull_inbox)
        probes.append(Probe(READ_ONCE, "inbound message", dialect, scenario=scenario))
    return probes


# --- unified ---------------------------------------------------------------------------------------

_UNIFIED_BASE = {
    "type": "0",
    "dlr": "0",
    "destination": SWISS,
    "source": "Shop",
    "message": "Hello from smsmock",
}


def _unified_codes(*codes: int) -> frozenset[str]:
    """Codes of the document's error table (a typo here fails loudly, not silently)."""
    known = {row["code"] for row in code_tables("unified")["error_codes"].rows}
    missing = set(codes) - known
    if missing:
        raise LookupError(f"unified has no error code {sorted(missing)}")
    return frozenset(str(code) for code in codes)


def _unified_sendable(values: Mapping[str, Any]) -> bool:
    """A request a server must take: a message its type can carry, a schedule on a real calendar day."""
    kinds = {str(row["type"]): row for row in code_tables("unified")["message_types"].rows}
    kind = kinds.get(str(values.get("type")))
    message = values.get("message")
    if kind is None or kind["reserved"] or not isinstance(message, str):
        return False
    encoding = kind["encoding"]
    if encoding == "gsm7" and not all(default_charset().septets(char) for char in message):
        return False
    if encoding == "latin1" and any(ord(char) > 0xFF for char in message):
        return False
    if encoding == "ucs2" and not _ucs2_hex(message):
        return False
    if "date" in values:
        try:
            day = datetime.strptime(str(values["date"]), "%m/%d/%Y")
        except ValueError:
            return False
        return day.year < 9000  # the message must still have its validity period before the calendar ends
    return True


def _ucs2_hex(message: str) -> bool:
    if not re.fullmatch(r"(?:[0-9A-Fa-f]{4})+", message):
        return False
    try:
        bytes.fromhex(message).decode("utf-16-be")
    except UnicodeDecodeError:
        return False
    return True


def _unified(dialect: str, settings: Settings) -> list[Probe]:
    credentials = settings.credentials
    login = {"username": credentials.username, "password": credentials.password}
    text = Expect(ACCEPTED, media="text")
    probes = []
    for name in ("submit", "schedule"):
        drawn = generated.valid_bodies(
            dialect, name, "params", settings.max_examples, settings.seed, keep=_unified_sendable
        )
        bodies = [{**values, **login} for values in drawn]
        for number, values in enumerate(bodies, start=1):
            call = _call(dialect, name, query=query_of(values))
            probes.append(Probe(VALID, f"{name} #{number}", dialect, call, text))
        variants = generated.invalid_variants(
            dialect, name, "params", bodies, settings.max_examples, settings.seed, frozen=frozenset(login)
        )
        for number, variant in enumerate(variants, start=1):
            call = _call(dialect, name, query=query_of(variant.body))
            expect = Expect(REFUSED, media="text", rule="input that breaks the contract gets its error code")
            probes.append(Probe(INVALID, f"{name} #{number}", dialect, call, expect, change=variant.change))
    base = {**login, **_UNIFIED_BASE}

    def submit(values: Mapping[str, str]) -> Call:
        return _call(dialect, "submit", query=query_of(values))

    def refused(*codes: int, whole: bool = True) -> Expect:
        rows = code_tables("unified")["error_codes"].rows
        rule = "; ".join(f"{row['code']} {row['description']}" for row in rows if row["code"] in codes)
        return Expect(REFUSED, errors=_unified_codes(*codes), whole=whole, media="text", rule=rule)

    invalid = [
        ("no message", submit(_without(base, "message")), refused(1702)),
        ("a type that is none", submit({**base, "type": "9"}), refused(1704)),
        ("a dlr that is none", submit({**base, "dlr": "7"}), refused(1708)),
        (
            "a destination that is no number",
            submit({**base, "destination": "12ab34"}),
            refused(1706, whole=False),
        ),
        ("a source too long", submit({**base, "source": "ABCDEFGHIJKLMNOPQRSTU"}), refused(1707)),
    ]
    auth = [
        ("a wrong password", submit({**base, "password": credentials.wrong_password}), refused(1703, 1709)),
        ("no username or password", submit(_without(base, *login)), refused(1702)),
    ]
    probes += _named(invalid, INVALID, dialect) + _named(auth, AUTH, dialect)
    return probes


# --- quicktel ----------------------------------------------------------------------------------------


def _quicktel(dialect: str, settings: Settings) -> list[Probe]:
    credentials = settings.credentials
    login = (credentials.username, credentials.password)

    def post(body: bytes, name: str = "sms_send") -> Call:
        return _call(dialect, name, headers={"Content-Type": XML}, body=body)

    def sms(tag: str, item: int, **fields: str | None) -> dict[str, str | None]:
        return {
            "sms_id": f"{settings.run_id}-{tag}-{item}",
            "number": SWISS,
            "source_number": "Shop",
            "text": "Hi",
            **fields,
        }

    accepted = Expect(ACCEPTED, media="xml")
    whole = Expect(
        REFUSED, whole=True, media="xml", rule='an error of the whole request: <xml_result res="-xxxxx">'
    )
    per_sms = Expect(REFUSED, media="xml", rule='an error of one SMS: <push res="-xxxx">')
    valid = []
    for number, batch in enumerate(generated.quicktel_batches(settings.max_examples, settings.seed), start=1):
        items = [
            {"sms_id": f"{settings.run_id}-g{number}-{item}", **entry} for item, entry in enumerate(batch)
        ]
        valid.append((f"sms_send #{number}", post(quicktel_xml("sms_send", login, items)), accepted))
    invalid = [
        (
            "the status of an unknown push_id",
            post(quicktel_xml("sms_status2", login, [{"push_id": "1"}]), "sms_status2"),
            Expect(REFUSED, errors=frozenset({"-1"}), media="xml", rule="status -1: Bad submit_id"),
        ),
        ("malformed XML", post(b'<?xml version="1.0"?><xml_request name="sms_send"><xml_user lgn='), whole),
        (
            "an unknown request name",
            post(quicktel_xml("sms_send", login, [sms("n", 1)], root_name="sms_nope")),
            whole,
        ),
        ("no sms element", post(quicktel_xml("sms_send", login, [])), whole),
        (
            "a number that is no number",
            post(quicktel_xml("sms_send", login, [sms("i", 1, number="12ab34")])),
            per_sms,
        ),
        ("an empty text", post(quicktel_xml("sms_send", login, [sms("i", 2, text=None)])), per_sms),
        (
            "a ttl that is no number of minutes",
            post(quicktel_xml("sms_send", login, [sms("i", 3, ttl="soon")])),
            per_sms,
        ),
    ]
    auth = [
        ("no xml_user", post(quicktel_xml("sms_send", None, [sms("a", 1)])), whole),
        (
            "a wrong pwd",
            post(quicktel_xml("sms_send", (login[0], credentials.wrong_password), [sms("a", 2)])),
            whole,
        ),
    ]
    return _named(valid, VALID, dialect) + _named(invalid, INVALID, dialect) + _named(auth, AUTH, dialect)


# --- sendsms -----------------------------------------------------------------------------------------


def _sendsms(dialect: str, settings: Settings) -> list[Probe]:
    key = settings.credentials.api_key
    probes = []
    drawn = generated.valid_bodies(dialect, "send_sms", "params", settings.max_examples, settings.seed)
    bodies = []
    for number, values in enumerate(drawn, start=1):
        bodies.append({**_without(values, "Key"), "key": key, "ref": f"{settings.run_id}-{number}"})
    for number, values in enumerate(bodies, start=1):
        call = _call(dialect, "send_sms", query=query_of(values))
        expect = Expect(ACCEPTED, media=_sendsms_media(values))
        probes.append(Probe(VALID, f"send_sms #{number}", dialect, call, expect))
    variants = generated.invalid_variants(
        dialect,
        "send_sms",
        "params",
        bodies,
        settings.max_examples,
        settings.seed,
        frozen=frozenset({"key", "Key"}),
    )
    for number, variant in enumerate(variants, start=1):
        call = _call(dialect, "send_sms", query=query_of(variant.body))
        expect = Expect(REFUSED, media=_sendsms_media(variant.body), rule="Message not accepted (400)")
        probes.append(Probe(INVALID, f"send_sms #{number}", dialect, call, expect, change=variant.change))

    def send(values: Mapping[str, str]) -> Call:
        return _call(dialect, "send_sms", query=query_of(values))

    base = {"key": key, "mobile": "447483938220", "sender": "InfoSMS", "msgtext": "Hello", "response": "json"}
    numeric = _without(base, "response")
    invalid = [
        (
            "no mobile",
            send({**_without(base, "mobile"), "ref": f"{settings.run_id}-m"}),
            _sendsms_refused(frozenset({"Missing Mobile Parameter"}), "json"),
        ),
        (
            "no mobile, numeric reply",
            send({**_without(numeric, "mobile"), "ref": f"{settings.run_id}-n"}),
            _sendsms_refused(frozenset({"400"}), "text"),
        ),
        (
            "a mobile that is no number",
            send({**base, "mobile": "12ab34", "ref": f"{settings.run_id}-b"}),
            _sendsms_refused(frozenset({"Message not accepted"}), "json"),
        ),
        (
            "the report of an unknown reference",
            _call(
                dialect,
                "dlr",
                query=query_of({"key": key, "full_number": "447483938220", "ref": f"none-{settings.run_id}"}),
            ),
            _sendsms_refused(frozenset({"notfound"}), "json"),
        ),
    ]
    auth = [
        (
            "a wrong key, numeric reply",
            send({**numeric, "key": settings.credentials.wrong_api_key, "ref": f"{settings.run_id}-k"}),
            _sendsms_refused(frozenset({"407"}), "text"),
        ),
        (
            "a wrong key",
            send({**base, "key": settings.credentials.wrong_api_key, "ref": f"{settings.run_id}-j"}),
            _sendsms_refused(frozenset(), "json"),
        ),
        (
            "no key, numeric reply",
            send({**_without(numeric, "key"), "ref": f"{settings.run_id}-x"}),
            _sendsms_refused(frozenset({"400"}), "text"),
        ),
        (
            "the report with a wrong key",
            _call(
                dialect,
                "dlr",
                query=query_of(
                    {"key": settings.credentials.wrong_api_key, "full_number": "447483938220", "ref": "1"}
                ),
            ),
            _sendsms_refused(frozenset(), "json"),
        ),
    ]
    return probes + _named(invalid, INVALID, dialect) + _named(auth, AUTH, dialect)


def _sendsms_media(values: Mapping[str, Any]) -> str:
    return "json" if values.get("response") == "json" else "text"


def _sendsms_refused(codes: frozenset[str], media: str) -> Expect:
    rule = "the codes for a non-JSON response, or status false with its error"
    return Expect(REFUSED, errors=codes, whole=True, media=media, rule=rule)
