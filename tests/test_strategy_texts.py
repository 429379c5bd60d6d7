"""The text and sender strategies drawn whole (one draw per text, not one per character): they still
produce what their names promise, and still reach the characters that make clients fail."""

from __future__ import annotations

import re

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from smsmock import strategies
from smsmock.encoding import Encoding, charset_for, default_charset, measure, national_languages

FIND = settings(max_examples=2000, phases=[Phase.generate], database=None)
"""For `find`: enough tries that a character one draw in twenty holds turns up for sure."""
DEFAULT = default_charset()
EXTENSION = frozenset(char for char, septets in DEFAULT.encode.items() if len(septets) == 2)
LANGUAGE_TABLES = st.sampled_from(
    [
        (code, single, locking)
        for code, language in sorted(national_languages().items())
        for single, locking in ((True, False), (False, True), (True, True))
        if language.locking is not None or not locking
    ]
)


@given(text=strategies.gsm_texts())
def test_gsm_texts_hold_only_what_the_default_tables_represent(text: str) -> None:
    assert DEFAULT.represents(text)


@given(text=strategies.gsm_texts(extension=False, min_size=3, max_size=9))
def test_gsm_texts_without_extension_cost_a_septet_a_character(text: str) -> None:
    assert 3 <= len(text) <= 9
    assert measure(text).units == len(text)


def test_gsm_texts_mix_extension_characters_in() -> None:
    found = find(
        strategies.gsm_texts(),
        lambda text: any(char in EXTENSION for char in text) and any(char not in EXTENSION for char in text),
        settings=FIND,
    )
    assert measure(found).units > len(found)


@given(data=st.data(), tables=LANGUAGE_TABLES)
def test_national_texts_hold_only_what_their_tables_represent(data: st.DataObject, tables: tuple) -> None:
    code, single, locking = tables
    text = data.draw(strategies.national_texts(code, single_shift=single, locking_shift=locking))
    assert charset_for(code, single_shift=single, locking_shift=locking).represents(text)


@pytest.mark.parametrize("astral", [False, True], ids=["bmp", "astral"])
def test_ucs2_texts_always_need_ucs2(astral: bool) -> None:
    @given(text=strategies.ucs2_texts(astral=astral, min_size=2, max_size=40))
    def check(text: str) -> None:
        assert measure(text).encoding is Encoding.UCS2
        assert 2 <= len(text) <= 40
        assert not any(0xD800 <= ord(char) <= 0xDFFF for char in text)  # no lone surrogate

    check()


@pytest.mark.parametrize(
    ("astral", "wanted"),
    [
        (False, lambda char: char in strategies.UCS2_LOOK_ALIKES),
        (False, lambda char: ord(char) > 0xFF and not DEFAULT.represents(char)),
        (False, lambda char: DEFAULT.represents(char)),
        (True, lambda char: ord(char) > 0xFFFF),
    ],
    ids=["look-alike", "far-in-the-bmp", "gsm", "astral"],
)
def test_ucs2_texts_reach_every_kind_of_character(astral: bool, wanted) -> None:
    find(strategies.ucs2_texts(astral=astral), lambda text: any(map(wanted, text)), settings=FIND)


@pytest.mark.parametrize("encoding", [Encoding.GSM7, Encoding.UCS2], ids=str)
def test_sms_texts_reach_each_encoding(encoding: Encoding) -> None:
    find(
        strategies.sms_texts(), lambda text: bool(text) and measure(text).encoding is encoding, settings=FIND
    )


# sender patterns drawn as texts


PLAIN_CLASSES = st.sampled_from(["0-9", "A-Z", "a-z", "A-Za-z0-9", "a-f0-9", "xyz", "A-Ca-c7"])


@st.composite
def plain_patterns(draw: st.DrawFn) -> str:
    """Patterns of the plain kind: anchored alternatives of an optional `+` and one repeated class."""
    branches = []
    for _ in range(draw(st.integers(1, 3))):
        low = draw(st.integers(0, 12))
        high = draw(st.one_of(st.none(), st.integers(low, 20)))
        plus = draw(st.sampled_from(["", "\\+?"]))
        repeat = f"{{{low}}}" if high is None else f"{{{low},{high}}}"
        branches.append(f"{plus}[{draw(PLAIN_CLASSES)}]{repeat}")
    body = "|".join(branches)
    wrapped = draw(st.sampled_from(["{}", "({})", "(?:{})"])) if len(branches) == 1 else "({})"
    return "^" + wrapped.format(body) + "$"


@given(data=st.data(), pattern=plain_patterns())
def test_a_plain_pattern_gives_texts_it_matches(data: st.DataObject, pattern: str) -> None:
    plain = strategies._plain_pattern(pattern)
    assert plain is not None, pattern
    assert re.fullmatch(pattern, data.draw(plain))


@pytest.mark.parametrize(
    "pattern",
    [
        r"^(?:\+?[0-9]{1,15}|[0-9]{16}|\S(?:[^\r\n]{0,9}\S)?)$(?!\n\Z)",  # quicktel's sender
        r"[0-9]{3}",  # not anchored
        r"^[0-9]+$",  # no bounds
        r"^[^0-9]{1,3}$",  # a negated class
        r"^([0-9]{1,3})|([a-z]{2})$",  # anchors bind to one alternative each
        r"^[9-0]{1,3}$",  # a reversed range
        r"^[0-9]{5,2}$",  # bounds the wrong way round
    ],
)
def test_any_other_pattern_is_left_to_from_regex(pattern: str) -> None:
    assert strategies._plain_pattern(pattern) is None


@pytest.mark.parametrize("dialect", sorted(strategies.SENDER_FIELDS))
def test_contract_senders_reach_each_kind_of_sender_the_contract_takes(dialect: str) -> None:
    rule = strategies.sender_rule(dialect)
    senders = strategies.contract_sender_ids(dialect)
    find(senders, lambda sender: sender.isdigit(), settings=FIND)
    find(senders, lambda sender: any(char.isalpha() for char in sender), settings=FIND)
    if rule.admits("+41793026727"):
        find(senders, lambda sender: sender.startswith("+"), settings=FIND)
