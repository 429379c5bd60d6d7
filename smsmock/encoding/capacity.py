"""How much one SMS part holds, derived from the user data header (TS 23.040 §9.2.3.24)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cache

from smsmock.resources import load_fixture

USER_DATA_OCTETS = 140
MAX_PARTS = 255
"""A concatenation IE numbers parts in one octet."""

_UDH_LENGTH_OCTETS = 1
_CONCATENATION_IE_OCTETS = 5  # IEI, length, reference, total, sequence (8-bit reference)
_NATIONAL_LANGUAGE_IE_OCTETS = 3  # IEI, length, language identifier


class Encoding(str, Enum):
    """How the text of a message travels: packed septets, UTF-16 units or raw octets."""

    GSM7 = "GSM7"
    UCS2 = "UCS2"
    BINARY = "BINARY"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Limits:
    """Units a part holds when the message is one part, and per part when it is concatenated."""

    single: int
    concatenated: int
    max_parts: int = MAX_PARTS

    def __post_init__(self) -> None:
        # A part must hold at least one two-unit character, or splitting could not progress.
        if min(self.single, self.concatenated) < 2 or self.max_parts < 1:
            raise ValueError(f"unusable SMS part limits: {self}")


def _udh_octets(national_ies: int, concatenated: bool) -> int:
    elements = national_ies * _NATIONAL_LANGUAGE_IE_OCTETS
    if concatenated:
        elements += _CONCATENATION_IE_OCTETS
    return _UDH_LENGTH_OCTETS + elements if elements else 0


def _septets_left(udh_octets: int) -> int:
    # The header is padded to a septet boundary (fill bits) before the text starts.
    total_septets = USER_DATA_OCTETS * 8 // 7
    return total_septets - -(-udh_octets * 8 // 7)


@cache
def standard_limits(encoding: Encoding, national_ies: int = 0) -> Limits:
    """The TS 23.040 capacities: 160/153 septets, 70/67 UTF-16 units, 140/134 octets.

    Each national-language IE (locking or single shift) costs 3 header octets:
    155/149 septets with one, 152/146 with two.
    """
    single = _udh_octets(national_ies, concatenated=False)
    multi = _udh_octets(national_ies, concatenated=True)
    if encoding is Encoding.GSM7:
        return Limits(_septets_left(single), _septets_left(multi))
    if national_ies:
        raise ValueError("national language tables apply to GSM 7-bit text only")
    octets_single, octets_multi = USER_DATA_OCTETS - single, USER_DATA_OCTETS - multi
    if encoding is Encoding.UCS2:
        return Limits(octets_single // 2, octets_multi // 2)
    return Limits(octets_single, octets_multi)


@dataclass(frozen=True, slots=True)
class Profile:
    """One dialect's documented capacities for one kind of message, read from its `limits.yaml`.

    `gsm7` applies without national-language IEs; each IE a message carries
    takes its TS 23.040 cost off these figures.
    """

    name: str
    encoding: Encoding
    gsm7: Limits
    ucs2: Limits
    binary: Limits
    note: str = ""

    def limits(self, encoding: Encoding, national_ies: int = 0) -> Limits:
        if encoding is Encoding.GSM7:
            documented = self.gsm7
        elif encoding is Encoding.UCS2:
            documented = self.ucs2
        else:
            documented = self.binary
        if not national_ies:
            return documented
        base, reduced = standard_limits(encoding), standard_limits(encoding, national_ies)
        return Limits(
            documented.single - (base.single - reduced.single),
            documented.concatenated - (base.concatenated - reduced.concatenated),
            documented.max_parts,
        )


STANDARD = Profile(
    name="standard",
    encoding=Encoding.GSM7,
    gsm7=standard_limits(Encoding.GSM7),
    ucs2=standard_limits(Encoding.UCS2),
    binary=standard_limits(Encoding.BINARY),
    note="TS 23.040 capacities",
)


def _limits(entry: dict | None, fallback: Limits) -> Limits:
    if not entry:
        return fallback
    return Limits(
        single=entry["single"],
        concatenated=entry["concatenated"],
        max_parts=entry.get("max_parts", fallback.max_parts),
    )


@cache
def dialect_profiles(dialect: str) -> dict[str, Profile]:
    """A dialect's documented capacity profiles by name, from `fixtures/<dialect>/limits.yaml`."""
    data = load_fixture(f"{dialect}/limits.yaml")
    profiles = {}
    for name, entry in data["profiles"].items():
        profiles[str(name)] = Profile(
            name=str(name),
            encoding=Encoding(entry.get("encoding", "GSM7")),
            gsm7=_limits(entry.get("gsm7"), STANDARD.gsm7),
            ucs2=_limits(entry.get("ucs2"), STANDARD.ucs2),
            binary=_limits(entry.get("binary"), STANDARD.binary),
            note=entry.get("note", ""),
        )
    return profiles
