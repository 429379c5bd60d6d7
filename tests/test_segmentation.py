"""Segmentation: exact counts at every boundary, and the rules behind them as properties."""

from __future__ import annotations

from dataclasses import replace

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


# --- the national-table policy: "fewest" (the default) and "requested" ---------------------------

REQUESTS = [
    (code, single, locking)
    for code in ("TR", "ES", "PT")
    for single, locking in ((True, False), (False, True), (True, True))
]
"""Every national language with its single shift, its locking shift, and both."""

NEEDS = {
    ("TR", True, False): "ğ",  # two septets in the Turkish single shift table
    ("TR", False, True): "ğ",  # one septet in the Turkish locking table
    ("ES", True, False): "á",
    ("ES", True, True): "á",  # the Spanish locking table is void: the single shift alone
    ("PT", True, False): "ê",
    ("PT", False, True): "`",
    ("PT", True, True): "`Φ",  # ` is only in the locking table, Φ then only in the single shift table
}
"""A text only the requested pairing holds (the Turkish pair of tables holds nothing either one alone
does not, and the void Spanish locking table is no table at all)."""


def requested_limits(code: str, single: bool, locking: bool) -> Limits:
    """The TS 23.040 capacities with the IEs of the requested tables."""
    tables = charset_for(code, single_shift=single, locking_shift=locking)
    return standard_limits(Encoding.GSM7, tables.national_ies)


def parts_for(units: int, limits: Limits) -> int:
    return 1 if units <= limits.single else -(-units // limits.concatenated)


def counted(text: str, policy: str, request: tuple[str, bool, bool], **options):
    code, single, locking = request
    found = segment(
        text, language=code, single_shift=single, locking_shift=locking, national_policy=policy, **options
    )
    quick = measure(
        text, language=code, single_shift=single, locking_shift=locking, national_policy=policy, **options
    )
    assert (quick.encoding, quick.units, quick.segments) == (found.encoding, found.units, found.segments)
    return found


@pytest.mark.parametrize(
    ("request_", "single", "concatenated"),
    [
        (("TR", True, False), 155, 149),
        (("TR", False, True), 155, 149),
        (("TR", True, True), 152, 146),
        (("ES", True, False), 155, 149),
        (("ES", True, True), 155, 149),
        (("PT", True, False), 155, 149),
        (("PT", False, True), 155, 149),
        (("PT", True, True), 152, 146),
    ],
)
def test_requested_tables_count_their_ies_at_every_boundary(request_, single, concatenated):
    assert requested_limits(*request_) == Limits(single, concatenated)
    for units, fewest_parts, requested_parts in [
        (single, 1, 1),
        (single + 1, 1, 2),
        (160, 1, 1 if single == 160 else 2),
        (161, 2, 2),
        (2 * concatenated, 2, 2),
        (2 * concatenated + 1, 2, 3),
        (306, 2, 2 if concatenated == 153 else 3),
        (307, 3, 3),
    ]:
        text = "a" * units
        fewest = counted(text, "fewest", request_)
        requested = counted(text, "requested", request_)
        assert (fewest.segments, fewest.national_ies) == (fewest_parts, 0), units
        assert requested.segments == requested_parts, units
        assert requested.capacity == (single if requested_parts == 1 else concatenated), units


def test_requesting_the_void_spanish_locking_table_alone_counts_no_ie():
    for units, parts in ((160, 1), (161, 2), (306, 2), (307, 3)):
        requested = counted("a" * units, "requested", ("ES", False, True))
        assert (requested.segments, requested.national_ies, requested.language) == (parts, 0, None)


def test_a_single_part_gsm_text_no_longer_fits_one_part_with_a_requested_single_shift():
    request_ = ("TR", True, False)
    fewest, requested = counted("a" * 160, "fewest", request_), counted("a" * 160, "requested", request_)
    assert (fewest.segments, fewest.capacity, fewest.single_shift) == (1, 160, False)
    assert (requested.segments, requested.part_units, requested.single_shift) == (2, (149, 11), True)
    assert (requested.language, requested.national_ies, requested.national_policy) == ("TR", 1, "requested")
    assert requested.as_dict()["national_policy"] == "requested"


def test_requested_falls_back_to_the_tables_that_hold_the_text():
    # æ is in no locking table: the pairing keeps the single shift table the client asked for.
    both = counted("æ" + "a" * 154, "requested", ("TR", True, True))
    assert (both.locking_shift, both.single_shift, both.segments, both.capacity) == (False, True, 1, 155)
    assert counted("æ" + "a" * 154, "fewest", ("TR", True, True)).national_ies == 0
    # Only the locking table was asked for: the default alphabet, as under "fewest".
    alone = counted("æ" + "a" * 159, "requested", ("TR", False, True))
    assert (alone.national_ies, alone.segments, alone.capacity) == (0, 1, 160)
    # No table holds ж: UCS-2 under either policy.
    for policy in ("fewest", "requested"):
        assert counted("ж" + "a" * 60, policy, ("PT", True, True)).encoding is Encoding.UCS2


def test_unknown_national_policy_is_a_clear_value_error():
    for count in (segment, measure):
        with pytest.raises(ValueError, match="unknown national policy 'most'; use 'fewest' or 'requested'"):
            count("abc", language="TR", single_shift=True, national_policy="most")
        with pytest.raises(ValueError, match="unknown national policy"):
            count("abc", encoding=Encoding.UCS2, national_policy="")


def test_requested_without_a_language_changes_nothing():
    for text in ("a" * 160, "a" * 161, EURO * 81, CYRILLIC * 71):
        assert segment(text, national_policy="requested") == replace(
            segment(text), national_policy="requested"
        )


@st.composite
def around_a_boundary(draw: st.DrawFn, needy: bool) -> tuple[tuple[str, bool, bool], str, int]:
    """(request, text, units): a text within two units of a single-part or multi-part boundary of
    either policy; with `needy`, one only the requested pairing holds."""
    request_ = draw(st.sampled_from(sorted(NEEDS) if needy else REQUESTS))
    boundaries = set()
    for limits in (standard_limits(Encoding.GSM7), requested_limits(*request_)):
        boundaries |= {limits.single, *(limits.concatenated * parts for parts in (2, 3, 4))}
    units = draw(st.sampled_from(sorted(boundaries))) + draw(st.integers(-2, 2))
    head = NEEDS[request_] if needy else ""
    # The head comes first, so no two-septet character can straddle a part boundary.
    head_units = segment(head, language=request_[0], single_shift=request_[1], locking_shift=request_[2])
    return request_, head + "a" * (units - head_units.units), units


@given(around_a_boundary(needy=False))
def test_parts_follow_each_policys_capacity_around_the_boundaries(case):
    request_, text, units = case
    fewest, requested = counted(text, "fewest", request_), counted(text, "requested", request_)
    assert fewest.units == requested.units == units
    assert fewest.segments == parts_for(units, standard_limits(Encoding.GSM7))
    assert requested.segments == parts_for(units, requested_limits(*request_))
    assert requested.segments >= fewest.segments


@given(around_a_boundary(needy=True))
def test_policies_agree_when_the_text_needs_the_requested_tables(case):
    request_, text, units = case
    fewest, requested = counted(text, "fewest", request_), counted(text, "requested", request_)
    expected = parts_for(units, requested_limits(*request_))
    assert (fewest.units, fewest.segments) == (requested.units, requested.segments) == (units, expected)
    assert fewest.charset.name == requested.charset.name


NATIONAL_SMALL = Profile(
    name="national-small",
    encoding=Encoding.GSM7,
    gsm7=Limits(24, 20, max_parts=100_000),
    ucs2=Limits(6, 4, max_parts=100_000),
    binary=Limits(6, 4, max_parts=100_000),
)
"""Small parts that still leave room for two national-language IEs (152/146 of 160/153)."""


def tables_that_hold(text: str, code: str, single: bool, locking: bool) -> list:
    """Every pairing of the requested tables that holds the text (an independent enumeration)."""
    pairings = {}
    for use_single in {False, single}:
        for use_locking in {False, locking}:
            pairing = charset_for(code, single_shift=use_single, locking_shift=use_locking)
            pairings[pairing.name] = pairing
    return [pairing for pairing in pairings.values() if pairing.represents(text)]


@given(
    st.sampled_from(REQUESTS).flatmap(
        lambda request_: st.tuples(
            st.just(request_),
            st.one_of(
                sms_texts(max_size=120),
                national_texts(
                    request_[0], single_shift=request_[1], locking_shift=request_[2], max_size=120
                ),
                national_texts(request_[0], single_shift=True, locking_shift=True, max_size=120),
            ),
        )
    )
)
def test_requested_uses_the_most_requested_tables_and_never_fewer_parts(case):
    request_, text = case
    fewest = counted(text, "fewest", request_, profile=NATIONAL_SMALL)
    requested = counted(text, "requested", request_, profile=NATIONAL_SMALL)
    assert requested.segments >= fewest.segments
    assert "".join(requested.parts) == text
    holding = tables_that_hold(text, *request_)
    if not holding:
        assert fewest.encoding is requested.encoding is Encoding.UCS2
        return
    assert requested.national_ies == max(pairing.national_ies for pairing in holding)
    costs = [encoded_units(char, requested) for char in text]
    limits = NATIONAL_SMALL.limits(Encoding.GSM7, requested.national_ies)
    assert requested.segments == minimum_parts(costs, limits)
    if fewest.charset is not None and fewest.charset.name == requested.charset.name:
        assert fewest.segments == requested.segments


def test_a_single_shift_table_lacks_no_default_character():
    # What the fallback rule of "requested" rests on: only a locking table can lack a character.
    default = "".join(charset_for(None).encode)
    for code in ("TR", "ES", "PT"):
        assert charset_for(code, single_shift=True).represents(default)
    for code in ("TR", "PT"):
        assert not charset_for(code, locking_shift=True).represents(default)
