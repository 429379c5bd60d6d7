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
from dataclasses import dataclass, field
from typing import Literal

from smsmock.encoding.alphabets import Charset, candidate_charsets
from smsmock.encoding.capacity import STANDARD, Encoding, Limits, Profile

_BMP_RUN = re.compile("[^\U00010000-\U0010ffff]*")
"""A run of one-unit UTF-16 characters; what stops it is an astral (surrogate pair) character.
(Written as the astral range negated: the BMP range itself took milliseconds to compile at start-up.)"""


NationalPolicy = Literal["fewest", "requested"]
NATIONAL_POLICIES: tuple[NationalPolicy, ...] = ("fewest", "requested")
"""How the national tables a client asks for are counted.

`fewest`: they are a permission; the allowed pairing that gives the fewest parts is used (the
default alphabet, and so no national-language IE, whenever it gives as few). `requested`: they
are an order; the requested tables, and so their IEs, are used whenever they can carry the text.
"""


def checked_policy(national_policy: object) -> NationalPolicy:
    """The policy itself when it is one smsmock knows; ValueError naming the choices otherwise."""
    if national_policy not in NATIONAL_POLICIES:
        choices = " or ".join(repr(policy) for policy in NATIONAL_POLICIES)
        raise ValueError(f"unknown national policy {national_policy!r}; use {choices}")
    return national_policy  # type: ignore[return-value]


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
    charset: Charset | None
    """The GSM 7-bit tables used; None for UCS-2."""
    allowed: tuple[Charset, ...] = field(repr=False, compare=False)
    """Every pairing of tables the caller allowed (what UCS-2 was the fallback from)."""
    national_policy: NationalPolicy = "fewest"
    """How the requested national tables were counted (see NATIONAL_POLICIES)."""

    @property
    def segments(self) -> int:
        return len(self.parts)

    @property
    def remaining(self) -> int:
        """Units still free in the last part."""
        return self.capacity - self.part_units[-1]

    @property
    def language(self) -> str | None:
        """The national language whose tables were used, if any."""
        if self.charset is None:
            return None
        return self.charset.locking_language or self.charset.shift_language

    @property
    def locking_shift(self) -> bool:
        return self.charset is not None and self.charset.locking_language is not None

    @property
    def single_shift(self) -> bool:
        return self.charset is not None and self.charset.shift_language is not None

    @property
    def national_ies(self) -> int:
        return 0 if self.charset is None else self.charset.national_ies

    @property
    def double_septet_chars(self) -> tuple[str, ...]:
        """Distinct characters that cost two septets (escape + code), in order of first use."""
        if self.charset is None:
            return ()
        return _distinct(self.charset.escaped.findall(self.text))

    @property
    def ucs2_chars(self) -> tuple[str, ...]:
        """Distinct characters no allowed GSM table has: they forced UCS-2 (empty when UCS-2 was forced)."""
        if self.charset is not None or not self.allowed:
            return ()
        return _outside_chars(self.text, self.allowed)

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
            "national_policy": self.national_policy,
            "double_septet_chars": list(self.double_septet_chars),
            "ucs2_chars": list(self.ucs2_chars),
        }


def _units_between(heavy: list[int], start: int, end: int) -> int:
    """Units of the characters in [start, end) when those at the sorted `heavy` positions cost two."""
    return end - start + bisect_left(heavy, end) - bisect_left(heavy, start)


def _ends(length: int, heavy: list[int], capacity: int) -> tuple[list[int], list[int]]:
    """Greedy parts over `length` characters where those at `heavy` cost two units.

    Returns the end index of each part and the units each part holds.
    """
    ends = []
    costs = []
    start = 0
    while start < length:
        end = min(length, start + capacity)
        # _units_between, inlined: this loop is the splitter's hot path.
        cost = end - start + bisect_left(heavy, end) - bisect_left(heavy, start)
        # Dropping d characters lowers the cost by d to 2d, so stepping back by
        # ceil(excess / 2) can never pass the largest end that fits.
        while cost > capacity:
            end -= (cost - capacity + 1) // 2
            cost = end - start + bisect_left(heavy, end) - bisect_left(heavy, start)
        ends.append(end)
        costs.append(cost)
        start = end
    return ends, costs


def _bounded_part_count(length: int, units: int, limits: Limits) -> int | None:
    """Parts for `length` characters costing `units`, when that follows without finding the two-unit ones."""
    if units <= limits.single:
        return 1
    capacity = limits.concatenated
    fewest = -(-units // capacity)
    if units == length:  # every character one unit: plain division
        return fewest
    # Every part but the last holds at least capacity - 1 units (a two-unit
    # character that does not fit would), so when both bounds agree no walk is needed.
    if -(-units // (capacity - 1)) == fewest:
        return fewest
    return None


def _walked_part_count(length: int, heavy: list[int], limits: Limits) -> int:
    return len(_ends(length, heavy, limits.concatenated)[0])


def _astral_positions(text: str) -> list[int]:
    """Where `text` has characters outside the BMP (two UTF-16 units each)."""
    positions: list[int] = []
    length = len(text)
    position = _BMP_RUN.match(text).end()
    while position < length:
        positions.append(position)
        position = _BMP_RUN.match(text, position + 1).end()
    return positions


_DEFAULT_OPTIONS: tuple[Charset, ...] = ()


def _options(language: str | None, single_shift: bool, locking_shift: bool) -> tuple[Charset, ...]:
    global _DEFAULT_OPTIONS
    if language is None:
        # The common case skips even the cache lookup.
        if not _DEFAULT_OPTIONS:
            _DEFAULT_OPTIONS = candidate_charsets(None, False, False)
        return _DEFAULT_OPTIONS
    return candidate_charsets(language.upper(), single_shift, locking_shift)


def _gsm_choice(
    text: str,
    charsets: tuple[Charset, ...],
    profile: Profile,
    locate: bool,
    national_policy: NationalPolicy = "fewest",
) -> tuple[Charset, int, list[int] | None, int, Limits] | None:
    """The charset the policy picks among those that represent the text:
    (charset, units, two-septet positions, parts, limits); None when no charset fits.

    `fewest` picks the fewest parts, then the fewest national-language IEs (a
    smaller header), then the fewest septets (more room left). `requested` picks
    the most IEs (the requested tables; those of them that can carry the text
    when a character is missing from the full pairing), then as `fewest` does.
    Positions are found only with `locate` or when counting parts needs them.
    """
    requested = national_policy == "requested"
    best = None
    best_key = None
    length = len(text)
    for charset in charsets:
        if locate:
            heavy = charset.double_septet_positions(text)
            if heavy is None:
                continue
            units = length + len(heavy)
        else:
            count = charset.double_septet_count(text)
            if count is None:
                continue
            heavy, units = None, length + count
        limits = profile.limits(Encoding.GSM7, charset.national_ies)
        parts = _bounded_part_count(length, units, limits)
        if parts is None:
            if heavy is None:
                heavy = charset.double_septet_positions(text) or []
            parts = _walked_part_count(length, heavy, limits)
        key = (-charset.national_ies, parts, units) if requested else (parts, charset.national_ies, units)
        if best_key is None or key < best_key:
            best, best_key = (charset, units, heavy, parts, limits), key
    return best


def measure(
    text: str,
    *,
    language: str | None = None,
    single_shift: bool = False,
    locking_shift: bool = False,
    encoding: Encoding | None = None,
    profile: Profile = STANDARD,
    national_policy: NationalPolicy = "fewest",
) -> Measure:
    """Encoding, units and number of parts of `text`, without building the parts.

    `encoding` forces UCS-2 (or GSM 7-bit, raising NotRepresentable when the
    text does not fit); by default GSM 7-bit is used whenever it can carry the text.
    The national options and `national_policy` are `segment`'s.
    """
    charsets = _options(language, single_shift, locking_shift)
    national_policy = checked_policy(national_policy)
    if encoding is not Encoding.UCS2:
        choice = _gsm_choice(text, charsets, profile, locate=False, national_policy=national_policy)
        if choice is not None:
            _, units, _, parts, limits = choice
            return Measure(Encoding.GSM7, units, _checked(parts, limits))
        if encoding is Encoding.GSM7:
            raise NotRepresentable(_outside_chars(text, charsets))
    # Encoding is the fastest exact count of UTF-16 units.
    units = len(text.encode("utf-16-le", "surrogatepass")) >> 1
    limits = profile.limits(Encoding.UCS2)
    parts = _bounded_part_count(len(text), units, limits)
    if parts is None:
        parts = _walked_part_count(len(text), _astral_positions(text), limits)
    return Measure(Encoding.UCS2, units, _checked(parts, limits))


def _checked(parts: int, limits: Limits) -> int:
    if parts > limits.max_parts:
        raise TooManyParts(f"the text needs {parts} parts; at most {limits.max_parts} are allowed")
    return parts


def _distinct(chars: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(chars))


def _outside_chars(text: str, charsets: tuple[Charset, ...]) -> tuple[str, ...]:
    """Characters no allowed charset can carry, in order of first use.

    With national tables a character may be missing from one pairing only; when
    every pairing lacks a different one, those of the default pairing are named.
    """
    found = _distinct(charsets[0].outside.findall(text))
    if len(charsets) == 1:
        return found
    common = set(found)
    for charset in charsets[1:]:
        common &= set(charset.outside.findall(text))
    return tuple(char for char in found if char in common) or found


def segment(
    text: str,
    *,
    language: str | None = None,
    single_shift: bool = False,
    locking_shift: bool = False,
    encoding: Encoding | None = None,
    profile: Profile = STANDARD,
    keep_graphemes: bool = False,
    national_policy: NationalPolicy = "fewest",
) -> Segmentation:
    """Split `text` into SMS parts.

    `language` (TR, ES, PT) with `single_shift`/`locking_shift` names national
    tables, and `national_policy` says how they count. With `fewest` (the
    default) they are allowed, not imposed: the cheapest allowed pairing is used
    (the default alphabet, and so no national-language IE, whenever it gives as
    few parts). With `requested` the requested tables are used, and each one's
    3-octet IE counted in every part, even when the default alphabet would do.
    Under either policy a pairing that lacks a character of the text is not
    used: `requested` then takes the pairing with the most of the requested
    tables that holds every character. A single shift table lacks no default
    character, a locking table lacks some (Turkish æ, Portuguese ñ): such a
    character leaves the single shift table alone, when it was requested, or
    else the default alphabet. A locking shift TS 23.038 declares void
    (Spanish) is no table and no IE.
    A character that no allowed table holds makes the whole text UCS-2, as it
    does on a handset; U+001B is such a character (in GSM 7-bit it is the
    escape code, not text). With `keep_graphemes`, parts end only between
    grapheme clusters (a cluster longer than a part is cut between code points).
    """
    charsets = _options(language, single_shift, locking_shift)
    national_policy = checked_policy(national_policy)
    if encoding is not Encoding.UCS2:
        choice = _gsm_choice(text, charsets, profile, locate=True, national_policy=national_policy)
        if choice is not None:
            charset, _, heavy, _, limits = choice
            return _split(
                text, Encoding.GSM7, heavy, limits, keep_graphemes, charset, charsets, national_policy
            )
        if encoding is Encoding.GSM7:
            raise NotRepresentable(_outside_chars(text, charsets))
    allowed = charsets if encoding is None else ()
    limits = profile.limits(Encoding.UCS2)
    return _split(
        text, Encoding.UCS2, _astral_positions(text), limits, keep_graphemes, None, allowed, national_policy
    )


def _split(
    text: str,
    encoding: Encoding,
    heavy: list[int],
    limits: Limits,
    keep_graphemes: bool,
    charset: Charset | None,
    allowed: tuple[Charset, ...],
    national_policy: NationalPolicy,
) -> Segmentation:
    length = len(text)
    units = length + len(heavy)
    if units <= limits.single:
        return Segmentation(
            text, encoding, units, (text,), (units,), limits.single, charset, allowed, national_policy
        )
    capacity = limits.concatenated
    if not heavy and not keep_graphemes:
        # Every character costs one unit: fixed-size slices.
        parts = tuple(text[start : start + capacity] for start in range(0, length, capacity))
        part_units = (capacity,) * (len(parts) - 1) + (length - capacity * (len(parts) - 1),)
    else:
        if keep_graphemes:
            ends, costs = _grapheme_ends(text, heavy, capacity)
        else:
            ends, costs = _ends(length, heavy, capacity)
        parts = tuple(text[start:end] for start, end in zip([0, *ends], ends))  # noqa: B905 (one shorter)
        part_units = tuple(costs)
    _checked(len(parts), limits)
    return Segmentation(text, encoding, units, parts, part_units, capacity, charset, allowed, national_policy)


def _grapheme_ends(text: str, heavy: list[int], capacity: int) -> tuple[list[int], list[int]]:
    """Greedy part ends that fall between grapheme clusters (UAX #29, via the `regex` module)."""
    import regex  # only this optional policy needs it

    boundaries = [0]  # character offsets where a piece may end
    costs = [0]  # cumulative units up to each boundary
    for match in regex.finditer(r"\X", text):
        start, end = match.span()
        # A cluster bigger than a whole part cannot stay whole: cut it between code points.
        cuts = [end] if _units_between(heavy, start, end) <= capacity else range(start + 1, end + 1)
        for cut in cuts:
            costs.append(costs[-1] + _units_between(heavy, boundaries[-1], cut))
            boundaries.append(cut)
    ends, part_costs = [], []
    start = 0
    while start < len(boundaries) - 1:
        # The furthest boundary whose cumulative cost still fits in this part.
        end = bisect_left(costs, costs[start] + capacity + 1) - 1
        ends.append(boundaries[end])
        part_costs.append(costs[end] - costs[start])
        start = end
    return ends, part_costs
