"""GSM 7-bit character sets: the default alphabet and the national shift tables, read from fixtures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from smsmock.resources import load_fixture

ESCAPE = 0x1B
"""The septet that escapes to the extension (single shift) table; never a character itself."""

_TABLES_FILE = "encoding/gsm0338.yaml"


@dataclass(frozen=True, slots=True)
class NationalLanguage:
    """A national language of TS 23.038 Annex A, with the tables it defines."""

    code: str
    name: str
    identifier: int
    locking: tuple[str | None, ...] | None
    single_shift: dict[int, str]


@dataclass(frozen=True, slots=True)
class Charset:
    """One pairing of a basic table (default or locking shift) and an extension table.

    `encode` maps every representable character to its septets: one septet for
    a basic character, the escape and a code for an extension character.
    """

    name: str
    locking_language: str | None
    shift_language: str | None
    basic: tuple[str | None, ...]
    extension: dict[int, str]
    encode: dict[str, tuple[int, ...]]
    national_ies: int
    outside: re.Pattern[str]
    """Matches any character this charset cannot represent."""
    escaped: re.Pattern[str]
    """Matches any character that costs two septets (escape + code)."""
    basic_run: re.Pattern[str]
    """Matches a run of one-septet characters."""
    gsm_run: re.Pattern[str]
    """Matches a run of representable characters."""
    doubles: frozenset[str]
    """The characters that cost two septets."""

    def represents(self, text: str) -> bool:
        return self.double_septet_count(text) is not None

    def septets(self, char: str) -> int:
        """Septets one character costs: 1, 2, or 0 when it cannot be represented."""
        return len(self.encode.get(char, ()))

    def double_septet_count(self, text: str) -> int | None:
        """How many two-septet characters `text` has, or None when the charset cannot represent it."""
        end = self.basic_run.match(text).end()
        if end == len(text):
            return 0
        if self.gsm_run.match(text, end).end() != len(text):
            return None
        return len(self.escaped.findall(text, end))

    def double_septet_positions(self, text: str) -> list[int] | None:
        """Where `text` has two-septet characters, or None when the charset cannot represent it.

        Regular expressions match a run of a character class far faster than
        they search for one, so this hops from one non-basic character to the
        next: one step per extension character, which real texts have few of.
        """
        positions: list[int] = []
        length = len(text)
        position = self.basic_run.match(text).end()
        while position < length:
            if text[position] not in self.doubles:
                return None
            positions.append(position)
            position = self.basic_run.match(text, position + 1).end()
        return positions


def _character_class(chars: set[str], *, negate: bool = False, run: bool = False) -> re.Pattern[str]:
    body = "".join(re.escape(char) for char in sorted(chars))
    if not body:
        # An empty class never matches; a negated empty class matches everything.
        body, negate = "\\s\\S", not negate
    return re.compile(("[^" if negate else "[") + body + "]" + ("*" if run else ""))


@cache
def _raw_tables() -> dict[str, dict]:
    return load_fixture(_TABLES_FILE)


def _flatten(rows: list[list[str | None]]) -> tuple[str | None, ...]:
    table = tuple(char for row in rows for char in row)
    if len(table) != 128:
        raise ValueError(f"a locking table in {_TABLES_FILE} has {len(table)} codes, not 128")
    return table


@cache
def national_languages() -> dict[str, NationalLanguage]:
    """The national languages smsmock knows, by their code (TR, ES, PT)."""
    languages = {}
    for name, table in _raw_tables().items():
        code = table.get("code")
        if code is None:
            continue
        locking = table["locking"]
        languages[code] = NationalLanguage(
            code=code,
            name=name,
            identifier=table["national_language_id"],
            locking=_flatten(locking) if locking else None,
            single_shift=dict(table["single_shift"]),
        )
    return languages


def _build(
    basic: tuple[str | None, ...],
    extension: dict[int, str],
    locking_language: str | None,
    shift_language: str | None,
) -> Charset:
    encode: dict[str, tuple[int, ...]] = {}
    for code, char in enumerate(basic):
        if char is not None:
            encode[char] = (code,)
    for code, char in extension.items():
        # A character present in both tables is always sent as its cheaper basic code.
        encode.setdefault(char, (ESCAPE, code))
    doubles = {char for char, septets in encode.items() if len(septets) == 2}
    singles = set(encode) - doubles
    name = f"{locking_language or 'default'}/{shift_language or 'default'}"
    return Charset(
        name=name,
        locking_language=locking_language,
        shift_language=shift_language,
        basic=basic,
        extension=extension,
        encode=encode,
        national_ies=(locking_language is not None) + (shift_language is not None),
        outside=_character_class(set(encode), negate=True),
        escaped=_character_class(doubles),
        basic_run=_character_class(singles, run=True),
        gsm_run=_character_class(set(encode), run=True),
        doubles=frozenset(doubles),
    )


@cache
def default_charset() -> Charset:
    """The GSM 7-bit default alphabet with the default extension table (TS 23.038 §6.2.1)."""
    table = _raw_tables()["default"]
    return _build(_flatten(table["locking"]), dict(table["single_shift"]), None, None)


def resolve_language(language: str | None) -> NationalLanguage | None:
    """Look a language code up (case-insensitive); None stays None."""
    if language is None:
        return None
    languages = national_languages()
    found = languages.get(language.upper())
    if found is None:
        known = ", ".join(sorted(languages))
        raise ValueError(f"unknown national language {language!r}; smsmock knows {known}")
    return found


@cache
def charset_for(language: str | None, *, single_shift: bool = False, locking_shift: bool = False) -> Charset:
    """The charset that uses exactly the requested national tables.

    A locking shift for a language without a locking table (Spanish) falls back
    to the default alphabet: TS 23.038 declares that table void.
    """
    default = _raw_tables()["default"]
    national = resolve_language(language)
    basic, locking_language = _flatten(default["locking"]), None
    extension, shift_language = dict(default["single_shift"]), None
    if national is not None and locking_shift and national.locking is not None:
        basic, locking_language = national.locking, national.code
    if national is not None and single_shift:
        extension, shift_language = national.single_shift, national.code
    return _build(basic, extension, locking_language, shift_language)


@cache
def candidate_charsets(language: str | None, single_shift: bool, locking_shift: bool) -> tuple[Charset, ...]:
    """Every charset a message may be sent with under the requested options, cheapest header first.

    The national tables are a permission, not an obligation: the default
    alphabet (no national-language IE) is always a candidate.
    """
    options = [(False, False)]
    if language is not None:
        if single_shift:
            options.append((True, False))
        if locking_shift:
            options.append((False, True))
        if single_shift and locking_shift:
            options.append((True, True))
    charsets: dict[str, Charset] = {}
    for use_single, use_locking in options:
        charset = charset_for(language, single_shift=use_single, locking_shift=use_locking)
        charsets.setdefault(charset.name, charset)
    return tuple(sorted(charsets.values(), key=lambda charset: charset.national_ies))
