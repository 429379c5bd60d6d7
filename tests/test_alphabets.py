"""The GSM 7-bit tables, checked against independent implementations and the known traps."""

from __future__ import annotations

import gsm0338  # noqa: F401  (registers the 'gsm03.38' codec)
import pytest
from gsmcodecs.charmaps import GSMCHARMAPS

from smsmock.encoding import charset_for, default_charset, national_languages
from smsmock.encoding.alphabets import ESCAPE, candidate_charsets

DEFAULT = default_charset()


def test_default_alphabet_matches_gsm0338_codec():
    for code, char in enumerate(DEFAULT.basic):
        if code == ESCAPE:
            assert char is None
            continue
        assert bytes([code]).decode("gsm03.38") == char, f"code {code:#04x}"
        assert char.encode("gsm03.38") == bytes([code])


def test_default_extension_table_matches_gsm0338_codec():
    assert len(DEFAULT.extension) == 10
    for code, char in DEFAULT.extension.items():
        assert bytes([ESCAPE, code]).decode("gsm03.38") == char
        assert char.encode("gsm03.38") == bytes([ESCAPE, code])


@pytest.mark.parametrize("code", ["TR", "ES", "PT"])
def test_national_tables_match_gsmcodecs(code):
    language = national_languages()[code]
    reference = GSMCHARMAPS[language.identifier]
    if language.locking is None:
        assert "locking" not in reference, "Spanish has no locking shift table"
    else:
        theirs = dict(reference["locking"]["decode"])
        del theirs[ESCAPE]  # gsmcodecs shows the escape as a space; it is no character
        ours = {code: ord(char) for code, char in enumerate(language.locking) if char is not None}
        assert ours == theirs
    theirs = dict(reference["singleShift"]["decode"])
    del theirs[ESCAPE]
    assert {code: ord(char) for code, char in language.single_shift.items()} == theirs


@pytest.mark.parametrize(
    ("char", "septets"),
    [
        ("Ç", 1),  # 0x09 is capital C cedilla ...
        ("ç", 0),  # ... and small c cedilla is not in the default alphabet
        ("\t", 0),
        ("`", 0),
        ("\x1b", 0),  # the escape code is not a character
        ("\f", 2),
        *[(char, 2) for char in "^{}\\[~]|€"],
        *[(char, 1) for char in "ΔΦΓΛΩΠΨΣΘΞ"],  # the ten Greek capitals
        ("Α", 0),  # Greek capital alpha looks like A
        ("Β", 0),
        ("Ο", 0),  # Greek omicron
        ("А", 0),  # Cyrillic A
        ("µ", 0),
        ("\n", 1),
        ("\r", 1),
        ("¤", 1),
        ("$", 1),
        ("@", 1),
    ],
)
def test_default_alphabet_traps(char, septets):
    assert DEFAULT.septets(char) == septets


def test_spanish_locking_shift_falls_back_to_default_alphabet():
    charset = charset_for("ES", locking_shift=True)
    assert charset.locking_language is None
    assert charset.basic == DEFAULT.basic


def test_candidates_for_turkish_with_both_shifts():
    names = [charset.name for charset in candidate_charsets("TR", True, True)]
    assert names == ["default/default", "default/TR", "TR/default", "TR/TR"]


def test_unknown_language_is_rejected():
    with pytest.raises(ValueError, match="unknown national language"):
        charset_for("XX")
