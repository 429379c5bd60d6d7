"""Hypothesis strategies for SMS texts, composable and shrinking towards short, plain examples."""

from __future__ import annotations

from hypothesis import strategies as st

from smsmock.encoding import Charset, charset_for, default_charset


def _alphabet(chars: set[str]) -> st.SearchStrategy[str]:
    # Sorted so that shrinking moves towards the same simple characters every run.
    return st.sampled_from(sorted(chars))


def gsm_basic_chars(charset: Charset | None = None) -> st.SearchStrategy[str]:
    """Characters that cost one septet in `charset` (default alphabet by default)."""
    charset = charset or default_charset()
    return _alphabet({char for char, septets in charset.encode.items() if len(septets) == 1})


def gsm_extension_chars(charset: Charset | None = None) -> st.SearchStrategy[str]:
    """Characters that cost two septets (escape + code) in `charset`."""
    charset = charset or default_charset()
    return _alphabet({char for char, septets in charset.encode.items() if len(septets) == 2})


def gsm_texts(
    charset: Charset | None = None, *, extension: bool = True, min_size: int = 0, max_size: int = 400
) -> st.SearchStrategy[str]:
    """Texts the charset represents; with `extension`, two-septet characters mixed in."""
    chars = gsm_basic_chars(charset)
    if extension:
        chars = st.one_of(chars, gsm_extension_chars(charset))
    return st.text(chars, min_size=min_size, max_size=max_size)


def national_texts(
    language: str, *, single_shift: bool = True, locking_shift: bool = False, max_size: int = 400
) -> st.SearchStrategy[str]:
    """Texts written with a national language's tables (TR, ES, PT)."""
    return gsm_texts(
        charset_for(language, single_shift=single_shift, locking_shift=locking_shift), max_size=max_size
    )


def non_gsm_chars() -> st.SearchStrategy[str]:
    """BMP characters outside the default GSM tables, look-alikes first (ç, Greek Α, Cyrillic А, `, TAB)."""
    gsm = set(default_charset().encode)
    look_alikes = st.sampled_from(["ç", "Α", "Β", "Ε", "Ο", "А", "е", "о", "`", "\t", "\x1b", "’", "“", "–"])
    bmp = st.characters(min_codepoint=0x20, max_codepoint=0xFFFF, exclude_categories=("Cs",)).filter(
        lambda char: char not in gsm
    )
    return st.one_of(look_alikes, bmp)


def astral_chars() -> st.SearchStrategy[str]:
    """Characters outside the BMP (two UTF-16 units each), emoji first."""
    emoji = st.sampled_from(["😀", "👍", "🎉", "💩", "🇸", "𝄞"])
    return st.one_of(
        emoji, st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, exclude_categories=("Cs", "Cn"))
    )


def ucs2_texts(*, astral: bool = False, min_size: int = 1, max_size: int = 200) -> st.SearchStrategy[str]:
    """Texts that need UCS-2: GSM characters with at least one that forces UCS-2."""
    forcing = astral_chars() if astral else non_gsm_chars()
    filler = st.one_of(gsm_basic_chars(), gsm_extension_chars(), non_gsm_chars())
    if astral:
        filler = st.one_of(filler, astral_chars())

    @st.composite
    def build(draw: st.DrawFn) -> str:
        body = draw(st.lists(filler, min_size=max(0, min_size - 1), max_size=max_size - 1))
        position = draw(st.integers(0, len(body)))
        body.insert(position, draw(forcing))
        return "".join(body)

    return build()


def sms_texts(max_size: int = 400) -> st.SearchStrategy[str]:
    """Any text: GSM with or without extension characters, UCS-2 BMP, or with astral characters."""
    return st.one_of(
        gsm_texts(extension=False, max_size=max_size),
        gsm_texts(max_size=max_size),
        ucs2_texts(max_size=max_size // 2),
        ucs2_texts(astral=True, max_size=max_size // 2),
    )
