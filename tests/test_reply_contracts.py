"""Every reply the mock sends meets its own contract, and the mock takes exactly the requests their
contracts take.

Requests are drawn from the request contracts, plus near-misses with one field broken (a wrong type,
pattern or length, a field left out, a parameter repeated or unknown), and sent through the WSGI app
to every operation of every dialect, each example to a fresh mock: first a few sends with odd texts
in them, so that the reading operations render what odd sends left behind, then the request under
test. For each: the request contract's verdict and the mock's answer agree (a request
the contract takes is not refused; one it refuses gets the dialect's documented error), and the reply
(JSON, XML or text) and every callback the mock POSTs validate against their own contracts.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from werkzeug.test import Client

from smsmock.contracts import errors, validate
from smsmock.contracts.catalog import code_tables, inlined_schema, operations
from smsmock.contracts.generation import generation_schema
from smsmock.contracts.journal import Exchange
from smsmock.contracts.validation import Violation
from smsmock.core.backend import Callback
from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig

BASIC = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
JSON = "application/json"
XML = "application/xml"
CREDENTIALS = {
    "unified": {"username": "Aladdin", "password": "open sesame"},
    "sendsms": {"key": "test-api-key"},
}
FAMILY = ("shortlink", "qikli")


def _wire(dialect: str, name: str) -> str:
    formats = operations(dialect)[name].request_formats
    if dialect == "quicktel":
        return "xml"
    return "params" if "params" in formats else "json"


SERVED = [
    (dialect, name)
    for dialect in ("shortlink", "qikli", "unified", "quicktel", "sendsms")
    for name, op in operations(dialect).items()
    if op.paths and name != "error"
]

# --- what a near-miss puts in a field -------------------------------------------------------------

ODD_TEXTS = [
    "",
    " ",
    "0",
    "-1",
    "01",
    "1234567890",
    "9" * 20,
    "abc",
    "a!",
    "+",
    "é",
    "x" * 300,
    "<&>",
    "2021-02-30T00:00:00Z",
    "2021-02-29T10:00:00.000+0100",
    "2021-13-01T00:00:00Z",
    "2021-01-01T00:00:00+2500",
    "2021-01-01T00:00:00+01:60",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+0100",
    "9999-12-31T23:59:59-0100",
    "9999-12-31T23:59:59Z",
    "2021-01-01",
    "2021-02-30 10:00",
    "true",
]
"""Strings a field of these contracts may refuse: wrong patterns, lengths, numbers and calendar days."""
ODD_VALUES = [
    *ODD_TEXTS,
    {"unexpected": True},
    [],
    ["41793026727", 7],
    0,
    -1,
    1.5,
    10**20,
    True,
    None,
]
"""What a near-miss puts in a JSON field: the strings, and every JSON type a field may not have."""
LEFT_OUT = object()


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every field and item of a JSON value, containers too, outermost first."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _at(body: Any, path: tuple[Any, ...]) -> Any:
    for token in path:
        body = body[token]
    return body


def _with(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    changed = copy.deepcopy(body)
    node = changed
    for token in path[:-1]:
        node = node[token]
    if value is LEFT_OUT:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return changed


@st.composite
def near_json(draw: st.DrawFn, body: Any) -> Any:
    """`body` with one field broken, left out, or an unknown one beside the others."""
    paths = _paths(body)
    if not paths or draw(st.integers(0, 9)) == 0:
        return {**body, "unknownField": draw(st.sampled_from(ODD_VALUES))} if isinstance(body, dict) else body
    # Mostly a field's value (a sender, a destination, a date), now and then a whole object or list.
    leaves = [path for path in paths if not isinstance(_at(body, path), (dict, list))]
    pool = leaves if leaves and draw(st.integers(0, 3)) else paths
    path = draw(st.sampled_from(pool), label="broken field")
    choices = [*ODD_VALUES, LEFT_OUT] if isinstance(path[-1], str) else ODD_VALUES
    return _with(body, path, draw(st.sampled_from(choices), label="put there"))


@st.composite
def odd_texts(draw: st.DrawFn, body: Any) -> Any:
    """`body` with about half its texts replaced by odd ones: a near-miss the mock often still takes (a
    sender it refuses, an empty destination answered per message), so something odd is stored."""
    for path in [path for path in _paths(body) if isinstance(_at(body, path), str)]:
        if draw(st.booleans(), label="odd"):
            body = _with(body, path, draw(st.sampled_from(ODD_TEXTS), label="put there"))
    return body


@st.composite
def near_params(draw: st.DrawFn, params: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """`params` with one parameter broken, repeated, left out, or an unknown one beside them."""
    name = draw(st.sampled_from([*names, "unknownParam"]), label="broken parameter")
    changed = dict(params)
    how = draw(st.sampled_from(["odd", "odd", "odd", "repeated", "left out"]))
    if how == "left out":
        changed.pop(name, None)
    elif how == "repeated":
        given = changed.get(name, "1")
        first = given[0] if isinstance(given, list) else given
        changed[name] = [first, draw(st.sampled_from([first, *ODD_TEXTS]))]
    else:
        changed[name] = draw(st.sampled_from(ODD_TEXTS) | st.text(max_size=12), label="put there")
    return changed


# --- requests --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """One request to send: the operation, its body or parameters, and the reply format asked for."""

    dialect: str
    operation: str
    body: Any
    accept: str | None = None


def _contract_names(dialect: str, name: str) -> list[str]:
    return sorted(inlined_schema(dialect, name, "request", "params").get("properties", {}))


def _credentialed(dialect: str, params: dict[str, Any]) -> dict[str, Any]:
    """The dialect's out-of-the-box credentials in place of any the contract drew: a refusal of bad
    credentials is no verdict on the rest of the request."""
    if dialect == "sendsms":
        params = {name: value for name, value in params.items() if name not in ("key", "Key")}
    return {**params, **CREDENTIALS.get(dialect, {})}


QUICKTEL_SMS = st.fixed_dictionaries(
    {
        "sms_id": st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True),
        "number": st.from_regex(r"\+?[0-9]{1,15}", fullmatch=True),
        "source_number": st.sampled_from(["Shop", "InfoSMS", "79161234567", "+79161234567"]),
        "text": st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40),
    },
    optional={"ttl": st.from_regex(r"[1-9][0-9]{0,3}", fullmatch=True)},
)
QUICKTEL_STATUS = st.fixed_dictionaries({"push_id": st.from_regex(r"[0-9]{1,6}", fullmatch=True)})


@st.composite
def quicktel_bodies(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """One quicktel request as data: its sms elements, each a dict of attributes (and `text`)."""
    sms = draw(st.lists(QUICKTEL_SMS if name == "sms_send" else QUICKTEL_STATUS, min_size=1, max_size=3))
    if draw(st.booleans()):
        index = draw(st.integers(0, len(sms) - 1))
        attribute = draw(st.sampled_from([*sms[index], "sms_id", "unknown"]))
        value = draw(st.sampled_from([*ODD_TEXTS, LEFT_OUT]))
        if value is LEFT_OUT:
            sms[index].pop(attribute, None)
        else:
            sms[index][attribute] = value
    return {"sms": sms}


def quicktel_xml(name: str, body: dict[str, Any]) -> bytes:
    def element(sms: dict[str, Any]) -> str:
        attributes = "".join(f" {key}={quoteattr(value)}" for key, value in sms.items() if key != "text")
        return f"<sms{attributes}>{escape(sms.get('text', ''))}</sms>"

    user = '<xml_user lgn="Aladdin" pwd="open sesame"/>'
    sms = "".join(element(item) for item in body["sms"])
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><xml_request name="{name}">{user}{sms}</xml_request>'.encode()
    )


def _small(node: Any) -> Any:
    """A schema that takes a subset of what `node` takes: at most three items to a list and 24
    characters to a free text. A few destinations show what many would; drawing many is slow."""
    if isinstance(node, list):
        return [_small(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _small(value) for key, value in node.items()}
    if "items" in node:
        node["maxItems"] = max(node.get("minItems", 0), min(node.get("maxItems", 3), 3))
    if node.get("type") == "string" and "pattern" not in node and "enum" not in node:
        node["maxLength"] = max(node.get("minLength", 0), min(node.get("maxLength", 24), 24))
    return node


@cache
def drawn_from_contract(dialect: str, name: str, wire: str) -> st.SearchStrategy[Any]:
    """Bodies or parameters drawn from the request contract, small ones."""
    return from_schema(_small(generation_schema(dialect, name, "request", wire)))


HALF = st.booleans()
"""Half the time: a request under test with no sends before it is a near-miss as often as not."""
SELDOM = st.integers(0, 3).map(lambda drawn: drawn == 0)
"""One time in four: a request after sends, which is mostly one the mock takes, to render them."""
MOSTLY = st.integers(0, 3).map(bool)
"""Three times in four, odd texts put in: the sends before the request under test, as odd messages (a
sender refused, an empty destination) are what the reading operations must still render."""


@st.composite
def asks(
    draw: st.DrawFn,
    dialect: str,
    name: str,
    near_misses: st.SearchStrategy[bool] = HALF,
    *,
    odd_but_kept: bool = False,
) -> Ask:
    """A request to `name`: drawn from its contract, and a near-miss when `near_misses` says: one field
    broken, or with `odd_but_kept` odd texts in many fields (JSON bodies)."""
    wire = _wire(dialect, name)
    accept = draw(st.sampled_from([JSON, XML])) if dialect in FAMILY else None
    if wire == "xml":
        return Ask(dialect, name, draw(quicktel_bodies(name)))
    body = draw(drawn_from_contract(dialect, name, wire), label="drawn")
    near = draw(near_misses, label="near-miss")
    if wire == "params":
        if near:
            body = draw(near_params(body, _contract_names(dialect, name)))
        return Ask(dialect, name, _credentialed(dialect, body), accept)
    if near:
        body = draw(odd_texts(body) if odd_but_kept else near_json(body))
    return Ask(dialect, name, body, accept)


# --- one exchange ------------------------------------------------------------------------------------


@dataclass
class Mock:
    """A fresh mock, and the callbacks it would POST (rendered, never sent)."""

    app: MockApp = field(default_factory=lambda: MockApp(MockConfig(clock_frozen=True)))
    callbacks: list[tuple[Callback, str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        mock = self

        class Capture:
            def submit(self, callback: Callback) -> None:
                rendered = mock.app.dialects[callback.dialect].render_callback(callback)
                mock.callbacks.append((callback, *rendered))

        self.app.backend.notifier = Capture()

    def send(self, ask: Ask) -> tuple[Exchange, bytes, str | None]:
        """The journal entry of the exchange, and the request as validate() reads it."""
        op = operations(ask.dialect)[ask.operation]
        client = Client(self.app)
        headers = {"Authorization": BASIC}
        if ask.accept:
            headers["Accept"] = ask.accept
        wire = _wire(ask.dialect, ask.operation)
        if wire == "params":
            query = urlencode(ask.body, doseq=True)
            client.open(op.paths[0], method=op.methods[0], query_string=query, headers=headers)
            raw, content_type = query.encode(), None
        elif wire == "xml":
            raw, content_type = quicktel_xml(ask.operation, ask.body), XML
            client.post(op.paths[0], data=raw, headers={**headers, "Content-Type": XML})
        else:
            raw, content_type = json.dumps(ask.body).encode(), JSON
            client.post(op.paths[0], data=raw, headers={**headers, "Content-Type": JSON})
        entry = self.app.journal.entries()[-1]
        assert entry.error is None, f"the mock failed: {entry.error}"
        return entry, raw, content_type


# --- the dialects' refusals ------------------------------------------------------------------------


def _unified_contract_codes() -> frozenset[str]:
    """The bare codes unified answers a request with when it breaks its contract (not credentials,
    addresses or one destination)."""
    rows = code_tables("unified")["request_checks_own"].rows
    return frozenset(
        str(row["code"])
        for row in rows
        if row["check"] not in ("credentials", "destination") and not row["check"].startswith("address:")
    )


def _sendsms_refusals() -> frozenset[str]:
    """send_sms's replies to a request it cannot take: the numeric 400 and its JSON error strings."""
    rows = [*code_tables("sendsms")["json_errors"].rows, *code_tables("sendsms")["json_errors_own"].rows]
    texts = {row["error"] for row in rows if row["condition"] in ("missing_parameter", "not_accepted")}
    return frozenset({"400", *texts})


UNIFIED_REFUSALS = _unified_contract_codes()
SENDSMS_REFUSALS = _sendsms_refusals()


@dataclass(frozen=True)
class Refusals:
    """How a dialect answers a request that breaks its contract.

    `refused`: the reply that turns a request away for breaking its contract (a request the contract
    takes must never get it). `answered`: every documented answer to a broken request, the refusal
    and the answers given inside a normal reply (a REJECTED status, a failed push).
    """

    refused: Callable[[Exchange], bool]
    answered: Callable[[Exchange, list[Violation]], bool]


def _family_answered(entry: Exchange, found: list[Violation]) -> bool:
    if entry.status == 400:
        return True
    # An invalid sender is answered per message (REJECTED_SOURCE in a 200), as the send replies show.
    senders = all(violation.location.endswith("/from") for violation in found)
    return senders and entry.status == 200 and b"REJECTED_SOURCE" in entry.response_body


def _unified_refused(entry: Exchange) -> bool:
    return entry.response_body.decode().strip() in UNIFIED_REFUSALS


def _unified_answered(entry: Exchange, found: list[Violation]) -> bool:
    if all(violation.keyword == "alphabet" for violation in found):
        # A text its type cannot carry is journaled as the client's error and sent all the same, as a
        # gateway sends it mangled (errata unified-type-alphabet-mismatch): a line per destination.
        return b"|" in entry.response_body
    return _unified_refused(entry)


def _sendsms_reply(entry: Exchange) -> dict[str, Any]:
    text = entry.response_body.decode().strip()
    return json.loads(text) if text.startswith("{") else {"code": text}


def _sendsms_refused(entry: Exchange) -> bool:
    reply = _sendsms_reply(entry)
    refused = reply.get("code") == "400" or reply.get("error") in SENDSMS_REFUSALS
    # A message the core rejected is stored, and answered 400 too: that is no refusal of the request.
    return refused and not entry.message_ids


def _sendsms_answered(entry: Exchange, found: list[Violation]) -> bool:
    # A numeric error code, or JSON status false: for dlr also the lookup of a malformed number or
    # reference, which finds nothing (errata sendsms-dlr-invalid-values).
    reply = _sendsms_reply(entry)
    return reply["code"] != "200" if "code" in reply else reply.get("status") is False


def _quicktel_refused(entry: Exchange) -> bool:
    text = entry.response_body.decode()
    # A whole-request error, or a failed push for an sms that breaks its contract (-3002 ... -3006;
    # -3001 answers a number that breaks only its pattern, which the contract answers in the reply).
    return entry.reply_operation == "error" or any(f'res="-300{digit}"' in text for digit in "23456")


def _quicktel_answered(entry: Exchange, found: list[Violation]) -> bool:
    text = entry.response_body.decode()
    # Also a status query's sms whose push_id names nothing: status -1, Bad submit_id.
    return _quicktel_refused(entry) or (entry.operation == "sms_status2" and 'status="-1"' in text)


REFUSALS = {
    "shortlink": Refusals(lambda entry: entry.status == 400, _family_answered),
    "qikli": Refusals(lambda entry: entry.status == 400, _family_answered),
    "unified": Refusals(_unified_refused, _unified_answered),
    "sendsms": Refusals(_sendsms_refused, _sendsms_answered),
    "quicktel": Refusals(_quicktel_refused, _quicktel_answered),
}


def _valid_may_be_refused(dialect: str, entry: Exchange, history: list[Exchange]) -> bool:
    """A request its contract takes that the document still refuses: a sendsms reference already
    taken by an earlier send (errata sendsms-ref-uniqueness)."""
    return dialect == "sendsms" and any(
        earlier.operation == "send_sms" and earlier.message_ids for earlier in history
    )


def check_exchange(mock: Mock, ask: Ask, history: list[Exchange]) -> Exchange:
    """Send `ask`; its contract's verdict and the mock's answer agree, and the reply meets its contract."""
    entry, raw, content_type = mock.send(ask)
    operation = entry.operation or ask.operation
    found = errors(validate(ask.dialect, operation, "request", raw, content_type))
    refusals = REFUSALS[ask.dialect]
    shown = f"{ask}\n-> {entry.status} {entry.response_body[:400]!r}"
    if found:
        assert refusals.answered(entry, found), "the contract refuses the request, the mock took it:\n" + (
            "\n".join([shown, *map(str, found)])
        )
    elif refusals.refused(entry):
        assert _valid_may_be_refused(ask.dialect, entry, history), (
            f"the contract takes it, the mock refused:\n{shown}"
        )
    assert entry.reply_operation is not None, shown
    broken = errors(entry.response_violations)
    assert not broken, "the reply breaks its contract:\n" + "\n".join([shown, *map(str, broken)])
    return entry


def check_callbacks(mock: Mock) -> None:
    """Every callback the mock would POST meets the contract of its operation."""
    for callback, operation, body in mock.callbacks:
        if operation not in operations(callback.dialect):
            continue  # qikli's notifyUrl push is the family's, with no contract of qikli's own
        content_type = XML if "xml" in callback.content_type.lower() else JSON
        broken = errors(validate(callback.dialect, operation, "request", body, content_type))
        assert not broken, f"the {operation} callback breaks its contract:\n{body[:400]!r}\n" + "\n".join(
            map(str, broken)
        )


ADVANCES = st.sampled_from([0, 0, 1, 30, 600, 3 * 3600])
"""Seconds the clock moves between two requests: deliveries, reports and callbacks fall due."""
SENDS = {
    dialect: [name for known, name in SERVED if known == dialect and name.startswith(("send", "sms_send"))]
    or [name for known, name in SERVED if known == dialect and name in ("submit", "schedule")]
    for dialect, _ in SERVED
}
"""The operations that leave messages behind, per dialect."""
READERS = {
    ("shortlink", "get_reports"),
    ("shortlink", "get_logs"),
    ("qikli", "get_reports"),
    ("quicktel", "sms_status2"),
    ("sendsms", "dlr"),
}
"""The operations that read sent messages back: each is drawn after sends of every kind in turn."""
CASES = [
    (dialect, name, sender)
    for dialect, name in SERVED
    for sender in (SENDS[dialect] if (dialect, name) in READERS else [None])
]


def _push_ids(history: list[Exchange]) -> list[str]:
    return [
        found
        for entry in history
        for found in re.findall(r'push_id="([0-9]+)"', entry.response_body.decode())
    ]


@st.composite
def read_back(draw: st.DrawFn, ask: Ask, sent: list[Ask], history: list[Exchange]) -> Ask:
    """`ask`, now and then naming a message sent before (quicktel's push_id, sendsms's number and
    reference), so that the reply renders a stored message and not only "no such message"."""
    if not draw(st.booleans(), label="read a sent message"):
        return ask
    if ask.dialect == "quicktel" and _push_ids(history):
        sms = [{"push_id": draw(st.sampled_from(_push_ids(history)))}]
        return Ask(ask.dialect, ask.operation, {"sms": sms})
    senders = [earlier.body for earlier in sent if {"mobile", "ref"} <= set(earlier.body)]
    if ask.dialect == "sendsms" and senders:
        chosen = draw(st.sampled_from(senders))
        return Ask(
            ask.dialect, ask.operation, {**ask.body, "full_number": chosen["mobile"], "ref": chosen["ref"]}
        )
    return ask


def exercise(dialect: str, name: str, sender: str | None, data: st.DataObject) -> None:
    """Sends of `sender` (or of any kind), the clock moved after each, then a request to `name`:
    every exchange checked, then every callback the mock would POST."""
    mock = Mock()
    sent: list[Ask] = []
    history: list[Exchange] = []
    for _ in range(data.draw(st.integers(1 if sender else 0, 2), label="sends before")):
        operation = sender or data.draw(st.sampled_from(SENDS[dialect]))
        sent.append(data.draw(asks(dialect, operation, MOSTLY, odd_but_kept=True), label=operation))
        history.append(check_exchange(mock, sent[-1], history))
        mock.app.control.advance(data.draw(ADVANCES, label="seconds"))
    # After sends, the request under test is mostly one the mock takes, so its reply renders them.
    ask = data.draw(asks(dialect, name, SELDOM if sent else HALF), label=name)
    ask = data.draw(read_back(ask, sent, history), label="asked")
    check_exchange(mock, ask, history)
    check_callbacks(mock)


@pytest.mark.parametrize(("dialect", "name", "sender"), CASES, ids=lambda item: str(item))
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_mock_and_the_contracts_agree(
    dialect: str, name: str, sender: str | None, data: st.DataObject
) -> None:
    exercise(dialect, name, sender, data)


# --- what the property found, one case each ------------------------------------------------------------


def _client() -> Client:
    return Client(MockApp(MockConfig(clock_frozen=True)))


def _reply_errors(dialect: str, operation: str, reply: Any) -> list[str]:
    return [str(v) for v in errors(validate(dialect, operation, "response", reply.data, reply.content_type))]


def _request_errors(dialect: str, operation: str, query: str) -> list[tuple[str, str]]:
    return [(v.location, v.keyword) for v in errors(validate(dialect, operation, "request", query))]


LOGS = "/restapi/sms/1/logs"
AUTH = {"Authorization": BASIC}


@pytest.mark.parametrize("accept", [JSON, XML])
def test_a_log_leaves_out_a_sender_the_send_refused(accept: str) -> None:
    client = _client()
    sent = client.post(
        "/restapi/sms/1/text/single", json={"from": "a!", "to": "41793026727", "text": "Hi"}, headers=AUTH
    )
    assert sent.json["messages"][0]["status"]["name"] == "REJECTED_SOURCE"
    logs = client.get(LOGS, headers={**AUTH, "Accept": accept})
    assert logs.status_code == 200 and _reply_errors("shortlink", "get_logs", logs) == []
    assert b"a!" not in logs.data and b"REJECTED_SOURCE" in logs.data


def test_a_log_keeps_a_valid_sender() -> None:
    client = _client()
    client.post("/restapi/sms/1/text/single", json={"from": "InfoSMS", "to": "41793026727"}, headers=AUTH)
    (entry,) = client.get(LOGS, headers=AUTH).json["results"]
    assert entry["from"] == "InfoSMS"


@pytest.mark.parametrize("accept", [JSON, XML])
@pytest.mark.parametrize(
    ("path", "body", "operation"),
    [
        ("/restapi/sms/1/text/single", {"from": "InfoSMS", "to": "", "text": "Hi"}, "send_text_single"),
        ("/restapi/sms/1/binary/single", {"to": "", "binary": {"hex": "0f c2"}}, "send_binary_single"),
        ("/restapi/number/1/query", {"to": [""]}, "number_query"),
        (
            "/sms/2/text/advanced",
            {"messages": [{"destinations": [{"to": ""}], "text": "Hi"}]},
            "send_text_advanced",
        ),
    ],
)
def test_an_empty_destination_is_rejected_and_echoed_in_a_valid_reply(
    path: str, body: dict[str, Any], operation: str, accept: str
) -> None:
    client = _client()
    dialect = "qikli" if path.startswith("/sms/") else "shortlink"
    reply = client.post(path, json=body, headers={**AUTH, "Accept": accept})
    assert reply.status_code == 200 and b"REJECTED_DESTINATION" in reply.data
    assert _reply_errors(dialect, operation, reply) == []
    reading = [("shortlink", "get_logs", LOGS), ("shortlink", "get_reports", "/restapi/sms/1/reports")]
    if dialect == "qikli":
        reading = [("qikli", "get_reports", "/sms/1/reports")]
    for reader, name, where in reading:
        read = client.get(where, headers={**AUTH, "Accept": accept})
        assert read.status_code == 200 and _reply_errors(reader, name, read) == []


LIMITED = [
    ("shortlink", "get_logs", LOGS),
    ("shortlink", "get_reports", "/restapi/sms/1/reports"),
    ("shortlink", "get_inbox", "/restapi/sms/1/inbox/reports"),
    ("shortlink", "get_inbox_logs", "/restapi/sms/1/inbox/logs"),
    ("qikli", "get_reports", "/sms/1/reports"),
]


@pytest.mark.parametrize(("dialect", "operation", "path"), LIMITED)
@pytest.mark.parametrize("limit", ["0", "-1", "01", "0000000001", "1234567890", "abc", "", "1.5", "+1"])
def test_a_limit_the_contract_refuses_is_the_general_error(
    dialect: str, operation: str, path: str, limit: str
) -> None:
    query = urlencode({"limit": limit})
    assert _request_errors(dialect, operation, query) == [("limit", "pattern")]
    reply = _client().get(path, query_string=query, headers=AUTH)
    assert (
        reply.status_code == 400
        and reply.json["requestError"]["serviceException"]["messageId"] == "BAD_REQUEST"
    )


@pytest.mark.parametrize(("dialect", "operation", "path"), LIMITED)
@pytest.mark.parametrize("limit", ["1", "50", "999999999"])
def test_a_limit_the_contract_takes_is_answered(dialect: str, operation: str, path: str, limit: str) -> None:
    assert _request_errors(dialect, operation, f"limit={limit}") == []
    assert _client().get(path, query_string=f"limit={limit}", headers=AUTH).status_code == 200


@given(limit=st.from_regex(r"[+-]?[0-9]{0,11}", fullmatch=True) | st.text(max_size=4))
@settings(max_examples=60, deadline=None)
def test_the_contract_and_the_mock_agree_on_every_limit(limit: str) -> None:
    query = urlencode({"limit": limit})
    refused = bool(_request_errors("shortlink", "get_logs", query))
    assert (_client().get(LOGS, query_string=query, headers=AUTH).status_code == 400) == refused


@pytest.mark.parametrize(
    ("since", "keyword"),
    [
        ("2021-02-30T00:00:00Z", "format"),
        ("2021-02-29T10:00:00.000+0100", "format"),
        ("2021-04-31T10:00:00Z", "format"),
        ("0000-01-01T00:00:00Z", "format"),
        ("0001-01-01T00:00:00+0100", "format"),
        ("9999-12-31T23:59:59-0100", "format"),
        ("2021-02-30 10:00", "format"),
        ("2021-13-01T00:00:00Z", "pattern"),
        ("2021-01-01T00:00:00+2500", "pattern"),
        ("2021-01-01T00:00:00+01:60", "pattern"),
        ("2021-01-01T24:00:00Z", "pattern"),
    ],
)
def test_a_date_the_calendar_does_not_hold_is_the_general_error(since: str, keyword: str) -> None:
    query = urlencode({"sentSince": since})
    assert _request_errors("shortlink", "get_logs", query) == [("sentSince", keyword)]
    assert _client().get(LOGS, query_string=query, headers=AUTH).status_code == 400
    inbox = urlencode({"receivedUntil": since})
    assert _request_errors("shortlink", "get_inbox_logs", inbox) == [("receivedUntil", keyword)]
    assert _client().get("/restapi/sms/1/inbox/logs", query_string=inbox, headers=AUTH).status_code == 400


DATE_TIMES = st.from_regex(
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,3})?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])",
    fullmatch=True,
)
"""Every text the date-time pattern takes: real days and impossible ones, years 0000 to 9999."""


@given(since=DATE_TIMES | st.sampled_from(["2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z"]))
@settings(max_examples=80, deadline=None)
def test_the_contract_and_the_mock_agree_on_every_date_the_pattern_takes(since: str) -> None:
    query = urlencode({"sentSince": since})
    refused = bool(_request_errors("shortlink", "get_logs", query))
    assert (_client().get(LOGS, query_string=query, headers=AUTH).status_code == 400) == refused


def test_a_leap_day_is_a_day() -> None:
    query = urlencode({"sentSince": "2024-02-29T10:00:00.000+0100", "sentUntil": "2024-03-01T00:00:00Z"})
    assert _request_errors("shortlink", "get_logs", query) == []
    assert _client().get(LOGS, query_string=query, headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("dialect", "path"), [("shortlink", "/restapi/sms/1/text/advanced"), ("qikli", "/sms/2/text/advanced")]
)
@pytest.mark.parametrize(
    ("send_at", "keyword"), [("2021-02-30T10:00:00Z", "format"), ("9999-12-31T23:59:59Z", "format")]
)
def test_a_send_at_the_mock_cannot_schedule_is_refused_by_the_contract_too(
    dialect: str, path: str, send_at: str, keyword: str
) -> None:
    body = {
        "messages": [
            {"from": "InfoSMS", "destinations": [{"to": "41793026727"}], "text": "Hi", "sendAt": send_at}
        ]
    }
    found = errors(validate(dialect, "send_text_advanced", "request", json.dumps(body), JSON))
    assert [(v.location, v.keyword) for v in found] == [("/messages/0/sendAt", keyword)]
    assert _client().post(path, json=body, headers=AUTH).status_code == 400


@pytest.mark.parametrize("send_at", ["2021-02-30T10:00:00Z", "9999-12-31T23:59:59Z"])
def test_an_xml_send_at_is_read_for_its_calendar_too(send_at: str) -> None:
    body = (
        "<request><messages><from>InfoSMS</from><destinations><to>41793026727</to></destinations>"
        f"<text>Hi</text><sendAt>{send_at}</sendAt></messages></request>"
    )
    found = errors(validate("shortlink", "send_text_advanced", "request", body, XML))
    assert [(v.location, v.keyword) for v in found] == [("/request/messages/sendAt", "format")]
    reply = _client().post(
        "/restapi/sms/1/text/advanced", data=body, headers={**AUTH, "Content-Type": XML, "Accept": XML}
    )
    assert reply.status_code == 400


def test_a_reversed_range_is_taken_and_finds_nothing() -> None:
    client = _client()
    client.post("/restapi/sms/1/text/single", json={"from": "InfoSMS", "to": "41793026727"}, headers=AUTH)
    query = urlencode({"sentSince": "2030-01-02T00:00:00Z", "sentUntil": "2030-01-01T00:00:00Z"})
    assert _request_errors("shortlink", "get_logs", query) == []
    assert client.get(LOGS, query_string=query, headers=AUTH).json == {"results": []}


def test_an_unknown_logs_parameter_is_a_warning_and_ignored() -> None:
    found = validate("shortlink", "get_logs", "request", "limit=1&page=2")
    assert [(str(v.severity), v.location) for v in found] == [("warning", "page")]
    assert _client().get(LOGS, query_string="limit=1&page=2", headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    "query", ["from=InfoSMS&from=Other", "to=41793026727&to=41793026728", "limit=1&limit=2"]
)
def test_a_logs_filter_given_twice_is_the_general_error(query: str) -> None:
    assert [keyword for _, keyword in _request_errors("shortlink", "get_logs", query)] == ["type"]
    assert _client().get(LOGS, query_string=query, headers=AUTH).status_code == 400


@pytest.mark.parametrize(
    "query", ["from=a!", "from=", "to=", "to=0041793026727", "generalStatus=SENT", "mcc=22"]
)
def test_a_logs_filter_the_contract_refuses_is_the_general_error(query: str) -> None:
    assert _request_errors("shortlink", "get_logs", query)
    assert _client().get(LOGS, query_string=query, headers=AUTH).status_code == 400


def test_a_blank_unified_destination_is_the_blank_parameter_error_in_the_contract_too() -> None:
    query = urlencode(
        {
            **CREDENTIALS["unified"],
            "type": "0",
            "dlr": "0",
            "destination": "",
            "source": "Shop",
            "message": "Hi",
        }
    )
    assert ("destination", "minLength") in _request_errors("unified", "submit", query)
    assert _client().get("/bulksms/bulksms", query_string=query).data == b"1702"


def test_a_quicktel_attribute_the_contract_does_not_declare_is_an_error_as_the_mock_says() -> None:
    body = (
        '<xml_request name="sms_send"><xml_user lgn="Aladdin" pwd="open sesame"/>'
        '<sms sms_id="1" number="79161234567" source_number="Shop" colour="red">Hi</sms></xml_request>'
    )
    found = errors(validate("quicktel", "sms_send", "request", body, XML))
    assert [(v.location, v.keyword) for v in found] == [("/xml_request/sms", "unexpected")]
    reply = _client().post("/quicktel/xml", data=body, headers={"Content-Type": XML})
    assert b'res="-2007"' in reply.data
