"""The transliteration tables: smsmock's own, turning texts of other scripts into GSM 7-bit texts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsmock.contracts.catalog import code_tables
from smsmock.encoding import Encoding, default_charset, measure
from smsmock.encoding.transliteration import names, transliterate
from smsmock.resources import load_fixture
from smsmock.strategies import gsm_basic_chars, gsm_texts

TABLES = load_fixture("shortlink/transliteration.yaml")
ENCODE = default_charset().encode
DOCUMENT_EXAMPLE = (
    "Artık Ulusal Dil Tanımlayıcısı ile Türkçe karakterli smslerinizi rahatlıkla iletebilirsiniz."
)


def test_tables_are_the_documented_values():
    documented = [row["value"] for row in code_tables("shortlink")["transliterations"].rows]
    assert list(names()) == documented


@pytest.mark.parametrize("name", sorted(TABLES))
def test_keys_are_characters_the_default_alphabet_lacks(name):
    for source in TABLES[name]:
        assert isinstance(source, str)
        assert len(source) == 1, source
        assert source not in ENCODE, f"{source!r} is already a GSM character"


@pytest.mark.parametrize("name", sorted(TABLES))
def test_replacements_are_one_septet_default_characters(name):
    for source, replacement in TABLES[name].items():
        assert isinstance(replacement, str)
        assert replacement, source
        assert all(len(ENCODE.get(char, ())) == 1 for char in replacement), (source, replacement)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_key_is_replaced(name):
    for source, replacement in TABLES[name].items():
        assert transliterate(source, name) == replacement


@given(st.data())
def test_texts_of_the_script_become_gsm(data):
    name = data.draw(st.sampled_from(names()))
    chars = st.one_of(st.sampled_from(sorted(TABLES[name])), gsm_basic_chars())
    text = data.draw(st.text(alphabet=chars, max_size=200))
    assert measure(transliterate(text, name)).encoding is Encoding.GSM7


@given(st.sampled_from(sorted(TABLES)), gsm_texts())
def test_gsm_texts_are_left_alone(name, text):
    assert transliterate(text, name) == text


def test_unlisted_characters_are_left_alone():
    assert transliterate("日本 ж", "TURKISH") == "日本 ж"
    assert transliterate("日本 ж", "CYRILLIC") == "日本 zh"


def test_documented_turkish_example_becomes_gsm():
    assert measure(DOCUMENT_EXAMPLE).encoding is Encoding.UCS2
    converted = transliterate(DOCUMENT_EXAMPLE, "TURKISH")
    assert converted == (
        "Artik Ulusal Dil Tanimlayicisi ile Türkce karakterli smslerinizi rahatlikla iletebilirsiniz."
    )
    assert measure(converted).encoding is Encoding.GSM7


def test_examples_of_each_script():
    assert transliterate("Ελληνικά", "GREEK") == "EΛΛHNIKA"
    assert transliterate("Щука и Ёж", "CYRILLIC") == "Schuka i Yozh"
    assert transliterate("Łódź, Příliš žluťoučký kůň", "CENTRAL_EUROPEAN") == "Lodz, Prilis zlutoucky kun"


def test_unknown_name_names_the_valid_ones():
    with pytest.raises(ValueError, match="unknown transliteration 'LATIN'") as raised:
        transliterate("text", "LATIN")
    for name in ("TURKISH", "GREEK", "CYRILLIC", "CENTRAL_EUROPEAN"):
        assert name in str(raised.value)
