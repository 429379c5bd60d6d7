"""`smsmock.strategies`: every strategy produces what its name promises, checked against the engine."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
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
