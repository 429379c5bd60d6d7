"""`smsmock.strategies`: every strategy produces what its name promises, checked against the engine."""

from __future__ import annotations

import math
import re
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from smsmock import strategies
from smsmock.contracts.catalog import code_tables
from smsmock.contracts.validation import errors, validate
from smsmock.core.rules import OutcomeRules
from smsmock.encoding import Encoding, measure

E164 = re.compile(r"\+?[1-9][0-9]{7,14}")
ENCODINGS = st.sampled_from([Encoding.GSM7, Encoding.UCS2])


@given(data=st.data(), encoding=ENCODINGS, units=st.integers(0, 700), wide=st.booleans())
def test_texts_of_length_have_exactly_that_many_units(data, encoding, units, wide) -> None:
    text = data.draw(strategies.texts_of_length(units, encoding, wide=wide))
    if units == 0:
        assert text == ""
        return
    measured = measure(text)
    assert (measured.encoding, measured.units) == (encoding, units)


@given(data=st.data(), encoding=ENCODINGS, parts=st.integers(1, 6))
def test_texts_with_parts_travel_in_that_many_parts(data, encoding, parts) -> None:
    text = data.draw(strategies.texts_with_parts(parts, encoding))
    measured = measure(text)
    assert (measured.encoding, measured.segments) == (encoding, parts)


@given(data=st.data(), encoding=ENCODINGS)
def test_boundary_lengths_sit_where_part_counts_change(data, encoding) -> None:
    length = data.draw(strategies.boundary_lengths(encoding))
    single, per_part = strategies.SINGLE_UNITS[encoding], strategies.PART_UNITS[encoding]
    assert (
        length in (single - 1, single, single + 1)
        or min(length % per_part, per_part - length % per_part) <= 1
    )


@given(data=st.data(), encoding=ENCODINGS)
def test_boundary_texts_never_have_fewer_parts_than_their_length_needs(data, encoding) -> None:
    text = data.draw(strategies.boundary_texts(encoding))
    measured = measure(text)
    assert measured.encoding == encoding
    single, per_part = strategies.SINGLE_UNITS[encoding], strategies.PART_UNITS[encoding]
    naive = 1 if measured.units <= single else math.ceil(measured.units / per_part)
    # A two-unit character across a boundary is never split: it can only add a part.
    assert measured.segments in (naive, naive + 1)


def test_a_straddling_character_moves_to_the_next_part() -> None:
    exact = "a" * 152 + "€" + "a" * 152  # 306 septets: two full parts by length alone
    assert measure(exact).units == 2 * strategies.PART_UNITS[Encoding.GSM7]
    assert measure(exact).segments == 3, "the escape and its code may not be split across parts 1 and 2"


@given(strategies.phone_numbers())
def test_phone_numbers_are_international(number: str) -> None:
    assert E164.fullmatch(number)


@given(strategies.invalid_phone_numbers())
def test_invalid_phone_numbers_are_not(number: str) -> None:
    assert not E164.fullmatch(number)


@given(strategies.sender_ids())
def test_sender_ids_are_valid_alphanumeric_or_numeric(sender: str) -> None:
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,10}|[1-9][0-9]{2,13}", sender)


@given(strategies.invalid_sender_ids())
def test_invalid_sender_ids_are_not(sender: str) -> None:
    assert not re.fullmatch(r"[A-Za-z0-9]{1,11}|[0-9]{1,18}", sender)


@given(strategies.binary_payloads(max_parts=2))
def test_binary_payloads_fit_their_parts(payload: bytes) -> None:
    assert 1 <= len(payload) <= 268


@settings(max_examples=10)
@given(data=st.data())
@pytest.mark.parametrize(
    ("dialect", "operation", "wire"),
    [
        ("shortlink", "send_text_single", "json"),
        ("shortlink", "send_text_multi", "json"),
        ("qikli", "send_text_advanced", "json"),
        ("sendsms", "send_sms", "params"),
    ],
)
def test_request_bodies_meet_their_contract(data, dialect, operation, wire) -> None:
    body = data.draw(strategies.request_bodies(dialect, operation, wire))
    assert errors(validate(dialect, operation, "request", body, "params" if wire == "params" else None)) == []


@given(data=st.data(), number=strategies.phone_numbers(plus=False))
def test_outcome_rules_give_the_number_the_chosen_outcome(data, number: str) -> None:
    rules = data.draw(strategies.outcome_rules(number))
    chosen = rules["rules"][0]
    outcome = OutcomeRules.from_mapping(rules).decide(number, "shortlink", "default").outcome
    assert (outcome.status.name, outcome.error.name, outcome.after) == (
        chosen["status"],
        chosen["error"],
        chosen["after"],
    )


def test_error_codes_are_the_dialects_own() -> None:
    unified = {row["code"] for row in code_tables("unified")["error_codes"].rows if not row["success"]}

    @given(strategies.error_codes("unified"))
    def check(code: int) -> None:
        assert code in unified

    check()
    with pytest.raises(ValueError, match="unknown dialect"):
        strategies.error_codes("klingon")


@given(strategies.http_faults())
def test_http_faults_are_faults_the_mock_takes(spec) -> None:
    from smsmock.server.faults import Faults

    assert Faults().add(spec).remaining is None


def send_request(dialect: str, sender: str) -> tuple[str, Any, str | None]:
    """The operation, a minimal send request carrying `sender`, and its wire format."""
    if dialect == "shortlink":
        return "send_text_multi", {"messages": [{"from": sender, "to": ["41793026727"], "text": "Hi"}]}, None
    if dialect == "qikli":
        message = {"from": sender, "destinations": [{"to": "41793026727"}], "text": "Hi"}
        return "send_text_advanced", {"messages": [message]}, None
    if dialect == "unified":
        params = {"username": "u", "password": "p", "type": "0", "dlr": "0", "destination": "41793026727"}
        return "submit", {**params, "source": sender, "message": "Hi"}, "params"
    if dialect == "sendsms":
        params = {"key": "k", "mobile": "41793026727", "sender": sender, "msgtext": "Hi", "ref": "r1"}
        return "send_sms", params, "params"
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><xml_request name="sms_send"><xml_user lgn="u" pwd="p"/>'
        f'<sms sms_id="1" number="41793026727" source_number={quoteattr(sender)}>Hi</sms></xml_request>'
    )
    return "sms_send", xml, None


@settings(max_examples=60)
@given(data=st.data(), dialect=st.sampled_from(sorted(strategies.SENDER_FIELDS)))
def test_contract_sender_ids_meet_their_dialects_contract(data, dialect: str) -> None:
    sender = data.draw(strategies.contract_sender_ids(dialect))
    operation, body, wire = send_request(dialect, sender)
    assert errors(validate(dialect, operation, "request", body, wire)) == []


@pytest.mark.parametrize(
    ("dialect", "awkward"),
    [
        ("quicktel", "&"),
        ("quicktel", "<"),
        ("quicktel", "'"),
        ("quicktel", '"'),
        ("quicktel", " "),
        ("quicktel", "é"),
        ("quicktel", "😀"),
        ("unified", "+"),
    ],
)
def test_contract_sender_ids_hold_what_needs_escaping_where_the_contract_allows_it(
    dialect: str, awkward: str
) -> None:
    found = find(
        strategies.contract_sender_ids(dialect),
        lambda sender: awkward in sender,
        # Found is enough: shrinking it only costs time. Derandomized, the search is the same every run.
        settings=settings(max_examples=1000, database=None, phases=[Phase.generate], derandomize=True),
    )
    assert strategies.sender_rule(dialect).admits(found)


@pytest.mark.parametrize("dialect", ["shortlink", "qikli", "sendsms"])
def test_contract_sender_ids_keep_to_letters_and_digits_where_the_contract_does(dialect: str) -> None:
    @settings(max_examples=50)
    @given(strategies.contract_sender_ids(dialect))
    def check(sender: str) -> None:
        assert sender.isascii() and sender.isalnum()

    check()


def test_the_sender_rule_is_read_from_the_contract() -> None:
    quicktel = strategies.sender_rule("quicktel")
    assert quicktel.admits("AT&T") and quicktel.admits("<Shop>") and quicktel.admits("+41793026727")
    assert not quicktel.admits(" Shop") and not quicktel.admits("A" * 12)
    unified = strategies.sender_rule("unified")
    assert unified.admits("+" + "1" * 18) and not unified.admits("+" + "1" * 19) and not unified.admits("M&S")
    with pytest.raises(ValueError, match="unknown dialect"):
        strategies.sender_rule("klingon")
