"""Wire forms: packed septets, UCS-2 and spaced hex, round-tripped for every representable text."""

from __future__ import annotations

import gsm0338  # noqa: F401  (registers the 'gsm03.38' codec)
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsmock.encoding import (
    NotRepresentable,
    binary_text,
    charset_for,
    decode_gsm7,
    decode_ucs2,
    encode_gsm7,
    encode_ucs2,
    from_hex_octets,
    from_septets,
    pack_septets,
    to_hex_octets,
    to_septets,
    unpack_septets,
)
from smsmock.strategies import gsm_texts, national_texts, sms_texts


def test_packing_matches_the_classic_example():
    # "hellohello" packs to E8 32 9B FD 46 97 D9 EC 37 (TS 23.038 §6.1.2.1.1 style example).
    assert encode_gsm7("hellohello").hex().upper() == "E8329BFD4697D9EC37"


def test_extension_characters_become_escape_sequences():
    assert to_septets("€[") == [0x1B, 0x65, 0x1B, 0x3C]
    assert to_septets("[", charset_for(None)) == list("[".encode("gsm03.38"))


def test_unrepresentable_text_names_the_characters():
    with pytest.raises(NotRepresentable) as raised:
        to_septets("ça`")
    assert raised.value.characters == ("ç", "`")


@given(gsm_texts())
def test_septets_match_the_gsm0338_codec(text):
    assert bytes(to_septets(text)) == text.encode("gsm03.38")


@given(gsm_texts(), st.integers(0, 6))
def test_packed_gsm7_round_trips(text, fill_bits):
    septets = to_septets(text)
    packed = encode_gsm7(text, fill_bits=fill_bits)
    assert len(packed) == -(-(len(septets) * 7 + fill_bits) // 8)
    assert unpack_septets(packed, len(septets), fill_bits) == septets
    assert decode_gsm7(packed, len(septets), fill_bits=fill_bits) == text


@given(
    st.sampled_from(["TR", "ES", "PT"]).flatmap(
        lambda code: st.tuples(st.just(code), national_texts(code, locking_shift=code != "ES"))
    )
)
def test_national_texts_round_trip(case):
    code, text = case
    charset = charset_for(code, single_shift=True, locking_shift=code != "ES")
    assert from_septets(to_septets(text, charset), charset) == text


@given(sms_texts())
def test_ucs2_round_trips(text):
    data = encode_ucs2(text)
    assert len(data) % 2 == 0
    assert decode_ucs2(data) == text


@given(st.binary())
def test_hex_octets_round_trip(data):
    text = to_hex_octets(data)
    if data:
        assert from_hex_octets(text) == data
        assert from_hex_octets(text.upper()) == data


@pytest.mark.parametrize("bad", ["", "5", "54 6", "54  65", "5465", "zz", " 54", "54 "])
def test_malformed_hex_is_rejected(bad):
    with pytest.raises(ValueError):
        from_hex_octets(bad)


def test_binary_text_of_the_shortlink_examples():
    assert binary_text("54 65 73 74 20 6d 65 73 73 61 67 65 2e", 0) == "Test message."
    assert binary_text("04 1f 04 40 04 38 04 32 04 35 04 42", 8) == "Привет"
    with pytest.raises(ValueError, match="dataCoding 4"):
        binary_text("00", 4)


def test_unpacked_septet_bytes_must_be_septets():
    with pytest.raises(ValueError):
        from_septets(bytes([0x80]))


def test_pack_empty():
    assert pack_septets([]) == b""
    assert unpack_septets(b"") == []
