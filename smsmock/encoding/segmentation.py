"""Counting and splitting a text into SMS parts, exactly as a handset would reassemble them.

Splitting never cuts an escape sequence (an extension character is one Python
character costing two septets) or a surrogate pair (an astral character is one
Python character costing two UTF-16 units), so a part may end one unit short of
its capacity. Parts are filled greedily, which gives the fewest parts possible
for a contiguous split of items costing one or two units.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache

from smsmock.encoding.alphabets import Charset, candidate_charsets
from smsmock.encoding.capacity import STANDARD, Encoding, Limits, Profile

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
"""Characters outside the BMP: two UTF-16 units (a surrogate pair) each."""


class TooManyParts(ValueError):
    """The text needs more parts than a concatenated message can have."""


class NotRepresentable(ValueError):
    """The text has characters the forced GSM 7-bit encoding cannot carry."""

    def __init__(self, characters: tuple[str, ...]) -> None:
        shown = ", ".join(f"{char!r} (U+{ord(char):04X})" for char in characters)
        super().__init__(f"not in the GSM 7-bit tables: {shown}")
        self.characters = characters


@dataclass(frozen=True, slots=True)
class Measure:
    """What a message costs: its encoding, its length in units and its number of parts."""

    encoding: Encoding
    units: int
    segments: int


@dataclass(frozen=True, slots=True)
class Segmentation:
    """A text split into parts, with what each part holds and why it costs what it costs."""

    text: str
    encoding: Encoding
    units: int
    parts: tuple[str, ...]
    part_units: tuple[int, ...]
    capacity: int
    """Units one part can hold in this message (single-part or concatenated capacity)."""
    language: str | None
    locking_shift: bool
    single_shift: bool
    double_septet_chars: tuple[str, ...]
    """Distinct characters that cost two septets (escape + code), in order of first use."""
    ucs2_chars: tuple[str, ...]
    """Distinct characters no allowed GSM table has: they forced UCS-2."""

    @property
    def segments(self) -> int:
        return len(self.parts)

    @property
    def remaining(self) -> int:
        """Units still free in the last part."""
        return self.capacity - self.part_units[-1]

    @property
    def national_ies(self) -> int:
        return self.locking_shift + self.single_shift

    def as_dict(self) -> dict:
        """The JSON shape of `smsmock segments --json`.

        The keys `encoding`, `units`, `segments` and `parts` are fixed: other tools read them.
        """
        return {
            "encoding": self.encoding.value,
            "units": self.units,
            "segments": self.segments,
            "parts": list(self.parts),
            "part_units": list(self.part_units),
            "capacity": self.capacity,
            "remaining": self.remaining,
            "language": self.language,
            "locking_shift": self.locking_shift,
            "single_shift": self.single_shift,
            "double_septet_chars": list(self.double_septet_chars),
            "ucs2_chars": list(self.ucs2_chars),
        }


def _ends(length: int, heavy: list[int], capacity: int) -> list[int]:
    """End indices of greedy parts over `length` characters where those at `heavy` cost two units."""
    ends = []
    start = 0
    while start < length:
        end = min(length, start + capacity)
        cost = end - start + bisect_left(heavy, end) - bisect_left(heavy, start)
        # Dropping d characters lowers the cost by d to 2d, so stepping back by
        # ceil(excess / 2) can never pass the largest end that fits.
        while cost > capacity:
            end -= (cost - capacity + 1) // 2
            cost = end - start + bisect_left(heavy, end) - bisect_left(heavy, start)
        ends.append(end)
        start = end
    return ends


def _part_count(length: int, units: int, heavy_pattern: re.Pattern[str], text: str, limits: Limits) -> int:
    if units <= limits.single:
        return 1
    if units == length:  # no two-unit characters: plain division
        return -(-units // limits.concatenated)
    heavy = [match.start() for match in heavy_pattern.finditer(text)]
    return len(_ends(length, heavy, limits.concatenated))


@cache
def _options(language: str | None, single_shift: bool, locking_shift: bool) -> tuple[Charset, ...]:
    return candidate_charsets(language.upper() if language else None, single_shift, locking_shift)


def _gsm_choice(
    text: str, charsets: tuple[Charset, ...], profile: Profile
) -> tuple[Charset, int, int, Limits] | None:
    """The cheapest charset that represents the text, or None when none does.

    Cheapest means fewest parts, then fewest national-language IEs (a smaller
    header), then fewest septets (more room left).
    """
    best = None
    best_key = None
    length = len(text)
    for charset in charsets:
        if charset.outside.search(text) is not None:
            continue
        units = length + len(charset.escaped.findall(text))
        limits = profile.limits(Encoding.GSM7, charset.national_ies)
        parts = _part_count(length, units, charset.escaped, text, limits)
        key = (parts, charset.national_ies, units)
        if best_key is None or key < best_key:
            best, best_key = (charset, units, parts, limits), key
    return best


def measure(
    text: str,
    *,
    language: str | None = None,
    single_shift: bool = False,
    locking_shift: bool = False,
    encoding: Encoding | None = None,
    profile: Profile = STANDARD,
) -> Measure:
    """Encoding, units and number of parts of `text`, without building the parts.

    `encoding` forces UCS-2 (or GSM 7-bit, raising NotRepresentable when the
    text does not fit); by default GSM 7-bit is used whenever it can carry the text.
    """
    if encoding is not Encoding.UCS2:
        choice = _gsm_choice(text, _options(language, single_shift, locking_shift), profile)
        if choice is not None:
            return Measure(Encoding.GSM7, choice[1], _checked(choice[2], choice[3]))
        if encoding is Encoding.GSM7:
            raise NotRepresentable(_outside_chars(text, _options(language, single_shift, locking_shift)))
    length = len(text)
    units = length + len(_ASTRAL.findall(text))
    limits = profile.limits(Encoding.UCS2)
    return Measure(Encoding.UCS2, units, _checked(_part_count(length, units, _ASTRAL, text, limits), limits))


def _checked(parts: int, limits: Limits) -> int:
    if parts > limits.max_parts:
        raise TooManyParts(f"the text needs {parts} parts; at most {limits.max_parts} are allowed")
    return parts


def _distinct(chars: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(chars))


def _outside_chars(text: str, charsets: tuple[Charset, ...]) -> tuple[str, ...]:
    # Characters that no allowed charset can carry; with national tables, a
    # character missing from the chosen pairing only may not be one of them.
    outside = set(charsets[0].outside.findall(text))
    for charset in charsets[1:]:
        outside &= set(charset.outside.findall(text))
    if not outside:  # each charset lacks a different character
        outside = set(charsets[0].outside.findall(text))
    return _distinct([char for char in text if char in outside])


def segment(
    text: str,
    *,
    language: str | None = None,
    single_shift: bool = False,
    locking_shift: bool = False,
    encoding: Encoding | None = None,
    profile: Profile = STANDARD,
    keep_graphemes: bool = False,
) -> Segmentation:
    """Split `text` into SMS parts.

    `language` (TR, ES, PT) with `single_shift`/`locking_shift` allows the
    national tables; the cheapest allowed pairing is used (the default alphabet,
    and so no national-language IE, whenever it gives as few parts). A character
    that no allowed table holds makes the whole text UCS-2, as it does on a
    handset; U+001B is such a character (in GSM 7-bit it is the escape code, not
    text). With `keep_graphemes`, parts end only between grapheme clusters
    (a cluster longer than a part is cut between code points).
    """
    charsets = _options(language, single_shift, locking_shift)
    length = len(text)
    if encoding is not Encoding.UCS2:
        choice = _gsm_choice(text, charsets, profile)
        if choice is not None:
            charset, units, _, limits = choice
            heavy_chars = charset.escaped.findall(text)
            return _split(
                text,
                Encoding.GSM7,
                units,
                charset.escaped,
                limits,
                keep_graphemes,
                language=charset.locking_language or charset.shift_language,
                locking_shift=charset.locking_language is not None,
                single_shift=charset.shift_language is not None,
                double_septet_chars=_distinct(heavy_chars),
                ucs2_chars=(),
            )
        if encoding is Encoding.GSM7:
            raise NotRepresentable(_outside_chars(text, charsets))
    units = length + len(_ASTRAL.findall(text))
    return _split(
        text,
        Encoding.UCS2,
        units,
        _ASTRAL,
        profile.limits(Encoding.UCS2),
        keep_graphemes,
        language=None,
        locking_shift=False,
        single_shift=False,
        double_septet_chars=(),
        ucs2_chars=_outside_chars(text, charsets) if encoding is None else (),
    )


def _split(
    text: str,
    encoding: Encoding,
    units: int,
    heavy_pattern: re.Pattern[str],
    limits: Limits,
    keep_graphemes: bool,
    **details,
) -> Segmentation:
    length = len(text)
    if units <= limits.single:
        parts, part_units, capacity = (text,), (units,), limits.single
    else:
        capacity = limits.concatenated
        if keep_graphemes:
            ends = _grapheme_ends(text, heavy_pattern, capacity)
        elif units == length:
            ends = [*range(capacity, length, capacity), length]
        else:
            ends = _ends(length, [m.start() for m in heavy_pattern.finditer(text)], capacity)
        _checked(len(ends), limits)
        starts = [0, *ends[:-1]]
        parts = tuple(text[start:end] for start, end in zip(starts, ends, strict=True))
        part_units = tuple(len(part) + len(heavy_pattern.findall(part)) for part in parts)
    return Segmentation(
        text=text,
        encoding=encoding,
        units=units,
        parts=parts,
        part_units=part_units,
        capacity=capacity,
        **details,
    )


def _grapheme_ends(text: str, heavy_pattern: re.Pattern[str], capacity: int) -> list[int]:
    """Greedy part ends that fall between grapheme clusters (UAX #29, via the `regex` module)."""
    import regex  # only this optional policy needs it

    boundaries = [0]  # character offsets where a piece may end
    costs = [0]  # cumulative units up to each boundary
    for match in regex.finditer(r"\X", text):
        cluster = match.group()
        cost = len(cluster) + len(heavy_pattern.findall(cluster))
        # A cluster bigger than a whole part cannot stay whole: cut it between code points.
        pieces = [cluster] if cost <= capacity else list(cluster)
        offset = match.start()
        for piece in pieces:
            offset += len(piece)
            boundaries.append(offset)
            costs.append(costs[-1] + len(piece) + len(heavy_pattern.findall(piece)))
    ends = []
    start = 0
    while start < len(boundaries) - 1:
        # The furthest boundary whose cumulative cost still fits in this part.
        limit = costs[start] + capacity
        end = bisect_left(costs, limit + 1) - 1
        ends.append(boundaries[end])
        start = end
    return ends
