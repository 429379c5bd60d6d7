"""Segmentation: exact counts at every boundary, and the rules behind them as properties."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from smsmock.encoding import (
    Encoding,
    Limits,
    NotRepresentable,
    Profile,
    TooManyParts,
    charset_for,
    encode_ucs2,
    measure,
    segment,
    standard_limits,
    to_septets,
)
from smsmock.strategies import gsm_texts, national_texts, sms_texts, ucs2_texts

EURO = "€"
EMOJI = "😀"
CYRILLIC = "ж"


def counts(text: str, **options) -> tuple[str, int, int]:
    result = segment(text, **options)
    return result.encoding.value, result.units, result.segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("GSM7", 0, 1)),
        ("a" * 160, ("GSM7", 160, 1)),
        ("a" * 161, ("GSM7", 161, 2)),
        *[("a" * (153 * k), ("GSM7", 153 * k, k)) for k in (2, 3, 7)],
        *[("a" * (153 * k + 1), ("GSM7", 153 * k + 1, k + 1)) for k in (2, 3, 7)],
        ("a" * 159 + EURO, ("GSM7", 161, 2)),
        ("a" * 158 + EURO, ("GSM7", 160, 1)),
        (EURO * 80, ("GSM7", 160, 1)),
        (EURO * 81, ("GSM7", 162, 2)),
        (EURO * 153, ("GSM7", 306, 3)),  # 76 euros (152 septets) a part, never 153
        ("a" * 152 + EURO + "a" * 152, ("GSM7", 306, 3)),  # ceil(306 / 153) would say 2
        (CYRILLIC * 70, ("UCS2", 70, 1)),
        (CYRILLIC * 71, ("UCS2", 71, 2)),
        *[(CYRILLIC * (67 * k), ("UCS2", 67 * k, k)) for k in (2, 3, 5)],
        *[(CYRILLIC * (67 * k + 1), ("UCS2", 67 * k + 1, k + 1)) for k in (2, 3, 5)],
        (EMOJI * 35, ("UCS2", 70, 1)),
        (EMOJI * 36, ("UCS2", 72, 2)),
        (CYRILLIC * 66 + EMOJI + CYRILLIC * 66, ("UCS2", 134, 3)),  # the emoji cannot straddle
        ("a" * 159 + "ç", ("UCS2", 160, 3)),
        ("Hello\x1bworld", ("UCS2", 11, 1)),  # a raw escape is not text GSM 7-bit can carry
    ],
)
def test_boundaries(text, expected):
    assert counts(text) == expected
    assert (measure(text).encoding.value, measure(text).units, measure(text).segments) == expected


def test_extension_character_on_a_boundary_moves_to_the_next_part():
    result = segment("a" * 152 + EURO + "b" * 152)
    assert result.part_units == (152, 153, 1)
    assert result.parts[1].startswith(EURO)
    assert result.double_septet_chars == (EURO,)
    assert result.remaining == 152


def test_surrogate_pair_on_a_boundary_moves_to_the_next_part():
    result = segment(CYRILLIC * 66 + EMOJI + CYRILLIC * 10)
    assert result.part_units == (66, 12)
    assert result.parts[1].startswith(EMOJI)
    assert result.ucs2_chars == (CYRILLIC, EMOJI)


def test_empty_text_is_one_empty_part():
    result = segment("")
    assert result.parts == ("",)
    assert result.remaining == 160


def test_at_most_255_parts():
    assert segment("a" * (153 * 255)).segments == 255
    with pytest.raises(TooManyParts):
        segment("a" * (153 * 255 + 1))
    with pytest.raises(TooManyParts):
        measure(CYRILLIC * (67 * 255 + 1))


TURKISH = "Artık Ulusal Dil Tanımlayıcısı ile Türkçe karakterli smslerinizi rahatlıkla iletebilirsiniz."


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, ("UCS2", 92, 2)),  # ı and ç are not in the default tables
        ({"language": "TR", "single_shift": True}, ("GSM7", 99, 1)),  # 7 of them, 2 septets each
        ({"language": "TR", "locking_shift": True}, ("GSM7", 92, 1)),
        # Both allowed: the locking table alone is as short and leaves more room.
        ({"language": "tr", "single_shift": True, "locking_shift": True}, ("GSM7", 92, 1)),
        ({"language": "ES", "single_shift": True}, ("UCS2", 92, 2)),  # Spanish tables lack ı
    ],
)
def test_turkish_example_of_the_shortlink_document(options, expected):
    assert counts(TURKISH, **options) == expected


@pytest.mark.parametrize(
    ("options", "needs", "single", "concatenated"),
    [
        # ş is two septets in the Turkish single shift table, one in its locking table.
        ({"language": "TR", "single_shift": True}, "ş", 155, 149),
        ({"language": "TR", "locking_shift": True}, "ş", 155, 149),
        # ` is only in the Portuguese locking table, Φ then only in its single shift table.
        ({"language": "PT", "single_shift": True, "locking_shift": True}, "`Φ", 152, 146),
    ],
)
def test_national_language_ies_reduce_capacity(options, needs, single, concatenated):
    head = segment(needs, **options)
    fill = "a" * (single - head.units)
    full = segment(needs + fill, **options)
    assert (full.units, full.segments, full.capacity) == (single, 1, single)
    assert full.national_ies == (2 if len(needs) == 2 else 1)
    over = segment(needs + fill + "a", **options)
    assert (over.segments, over.capacity) == (2, concatenated)


def test_locking_table_alone_when_it_suffices():
    options = {"language": "PT", "single_shift": True, "locking_shift": True}
    assert standard_limits(Encoding.GSM7, 2) == Limits(152, 146)
    result = segment("`" * 155, **options)
    assert (result.locking_shift, result.single_shift, result.segments, result.capacity) == (
        True,
        False,
        1,
        155,
    )


def test_requested_language_without_need_adds_no_ie():
    result = segment("a" * 160, language="TR", single_shift=True, locking_shift=True)
    assert (result.language, result.national_ies, result.segments, result.capacity) == (None, 0, 1, 160)


def test_national_tables_are_used_when_cheaper_even_if_default_fits():
    # 100 euros cost 200 septets in the default tables but 100 in the Turkish locking table.
    result = segment(EURO * 100, language="TR", locking_shift=True)
    assert (result.locking_shift, result.units, result.segments) == (True, 100, 1)


def test_spanish_locking_shift_is_void():
    result = segment("Años después, ¡qué", language="ES", locking_shift=True)
    assert (result.encoding.value, result.locking_shift) == ("GSM7", False)
    assert segment("ú", language="ES", locking_shift=True).encoding is Encoding.UCS2
    assert segment("ú", language="ES", single_shift=True).units == 2


def test_forced_encodings():
    assert segment("abc", encoding=Encoding.UCS2).units == 3
    with pytest.raises(NotRepresentable) as raised:
        segment("ça 😀", encoding=Encoding.GSM7)
    assert raised.value.characters == ("ç", EMOJI)


def test_grapheme_policy_keeps_clusters_whole():
    family = "👨\u200d👩\u200d👧"  # one cluster, 8 UTF-16 units
    text = CYRILLIC * 63 + family
    assert segment(text).parts[0].endswith("👨\u200d")  # code point split by default
    kept = segment(text, keep_graphemes=True)
    assert kept.parts == (CYRILLIC * 63, family)


# --- properties ----------------------------------------------------------------------------------

SMALL = Profile(
    name="small",
    encoding=Encoding.GSM7,
    gsm7=Limits(8, 5, max_parts=100_000),
    ucs2=Limits(6, 4, max_parts=100_000),
    binary=Limits(6, 4, max_parts=100_000),
)
"""Tiny parts, so that generated texts cross many boundaries."""


def encoded_units(text: str, result) -> int:
    if result.encoding is Encoding.UCS2:
        return len(encode_ucs2(text)) // 2
    charset = charset_for(
        result.language, single_shift=result.single_shift, locking_shift=result.locking_shift
    )
    return len(to_septets(text, charset))


def minimum_parts(costs: list[int], limits: Limits) -> int:
    """Fewest contiguous parts, by dynamic programming: independent of the greedy splitter."""
    if sum(costs) <= limits.single:
        return 1
    capacity = limits.concatenated
    best = [0] + [len(costs) + 1] * len(costs)
    for end in range(1, len(costs) + 1):
        total = 0
        for start in range(end - 1, -1, -1):
            total += costs[start]
            if total > capacity:
                break
            best[end] = min(best[end], best[start] + 1)
    return best[-1]


@given(sms_texts())
def test_parts_join_back_and_fit(text):
    for profile in (None, SMALL):
        result = segment(text) if profile is None else segment(text, profile=profile)
        assert "".join(result.parts) == text
        for part, units in zip(result.parts, result.part_units, strict=True):
            assert units == encoded_units(part, result) <= result.capacity


@given(sms_texts())
def test_units_agree_with_the_encoded_length(text):
    result = segment(text)
    assert result.units == encoded_units(text, result) == sum(result.part_units)


@given(sms_texts())
def test_measure_agrees_with_segment(text):
    for profile in (None, SMALL):
        options = {} if profile is None else {"profile": profile}
        full, quick = segment(text, **options), measure(text, **options)
        assert (full.encoding, full.units, full.segments) == (quick.encoding, quick.units, quick.segments)


@given(st.one_of(sms_texts(max_size=120), national_texts("PT", locking_shift=True, max_size=120)))
def test_number_of_parts_is_minimal(text):
    result = segment(text, profile=SMALL)
    costs = [encoded_units(char, result) for char in text]
    limits = SMALL.limits(result.encoding, result.national_ies)
    assert result.segments == minimum_parts(costs, limits)


@given(gsm_texts())
def test_gsm_texts_stay_gsm(text):
    result = segment(text)
    assert result.encoding is Encoding.GSM7
    assert result.ucs2_chars == ()


@given(ucs2_texts(astral=True))
def test_ucs2_texts_name_what_forced_them(text):
    result = segment(text)
    assert result.encoding is Encoding.UCS2
    assert result.ucs2_chars
    assert all(char in text and segment(char).encoding is Encoding.UCS2 for char in result.ucs2_chars)


@given(
    st.sampled_from(["TR", "ES", "PT"]).flatmap(
        lambda code: st.tuples(st.just(code), st.booleans(), st.booleans()).flatmap(
            lambda opts: st.tuples(
                st.just(opts),
                national_texts(code, single_shift=opts[1] or not opts[2], locking_shift=opts[2]),
            )
        )
    )
)
def test_national_texts_are_gsm_with_their_tables(case):
    (code, single, locking), text = case
    single = single or not locking
    result = segment(text, language=code, single_shift=single, locking_shift=locking)
    assert result.encoding is Encoding.GSM7
    assert result.units == encoded_units(text, result)


@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=200))
def test_grapheme_policy_never_splits_a_cluster(text):
    result = segment(text, profile=SMALL, keep_graphemes=True)
    assert "".join(result.parts) == text
    assert all(units <= result.capacity for units in result.part_units)
    clusters = [match.span() for match in regex.finditer(r"\X", text)]
    position = 0
    for part in result.parts[:-1]:
        position += len(part)
        for start, end in clusters:
            if start < position < end:
                # Only a cluster bigger than a whole part may be cut.
                assert encoded_units(text[start:end], result) > result.capacity
