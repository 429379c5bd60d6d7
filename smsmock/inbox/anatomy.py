"""A text taken apart for a page: how it is encoded and split, what each character costs and why.

The split is the segmentation engine's (`smsmock.encoding`, as `smsmock segments` uses it). A page
draws at most DRAWN_PARTS parts and says how many it left out: a text of thousands of parts, or a
binary message of megabytes, renders as fast as a short one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from smsmock.encoding import (
    STANDARD,
    Encoding,
    Profile,
    Segmentation,
    decode_ucs2,
    dialect_profiles,
    encode_ucs2,
    from_septets,
    measure,
    national_languages,
    segment,
    to_septets,
)
from smsmock.encoding.segmentation import NATIONAL_POLICIES, NationalPolicy

if TYPE_CHECKING:
    from smsmock.core.messages import Message

DRAWN_PARTS = 12
"""The most parts a page draws, character by character."""
SHOWN_CHARACTERS = 4_000
"""The most characters of a text a page shows whole."""
SHOWN_HEX_OCTETS = 2_048
"""The most octets of a binary message a page shows."""
LISTED_CHARACTERS = 40
"""The most distinct costly characters the legend lists."""
_UNLIMITED_PARTS = 10**9
"""Parts a text may split into here: a page shows a text refused as too long, split all the same."""

POLICY_MEANINGS: dict[NationalPolicy, str] = {
    "fewest": "the national tables a send asks for count only where they give fewer parts",
    "requested": "every national table a send asks for counts, its 3-octet IE in every part",
}

EXTENSION = "extension"
UCS2 = "ucs2"
SURROGATE_PAIR = "pair"


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of characters of one part that cost the same: plain ones, or one costly character."""

    text: str
    kinds: tuple[str, ...] = ()
    why: str = ""


@dataclass(slots=True)
class DrawnPart:
    number: int
    units: int
    capacity: int
    pieces: list[Piece]
    wire: str
    """What the part carries, in hex: unpacked septets (GSM 7-bit) or UTF-16BE octets (UCS-2)."""
    decoded: str
    """The part read back from `wire`, as a handset shows it."""

    @property
    def left(self) -> int:
        return self.capacity - self.units


@dataclass(frozen=True, slots=True)
class CostlyCharacter:
    char: str
    kinds: tuple[str, ...]
    why: str
    count: int

    @property
    def code_point(self) -> str:
        return f"U+{ord(self.char):04X}"


@dataclass(slots=True)
class Anatomy:
    """A text's encoding and parts, ready to draw."""

    text: str
    segmentation: Segmentation
    profile: Profile
    tables: str
    """The GSM 7-bit tables used, or why the text is UCS-2."""
    parts: list[DrawnPart]
    costly: list[CostlyCharacter]
    costly_left_out: int = 0
    note: str | None = None
    """What a person should know of how this split was found."""
    policy_source: str | None = None
    """Where the national-table policy of a stored message's split comes from; None: not shown."""

    @property
    def policy_meaning(self) -> str:
        """What the split's national-table policy counts."""
        return POLICY_MEANINGS[self.segmentation.national_policy]

    @property
    def unit(self) -> str:
        """What the text is counted in, singular (`|plural` adds the s)."""
        return "septet" if self.segmentation.encoding is Encoding.GSM7 else "UTF-16 unit"

    @property
    def parts_left_out(self) -> int:
        return self.segmentation.segments - len(self.parts)

    @property
    def shown_text(self) -> str:
        return self.text[:SHOWN_CHARACTERS]

    @property
    def text_left_out(self) -> int:
        return max(0, len(self.text) - SHOWN_CHARACTERS)

    @property
    def decoded(self) -> str:
        """The drawn parts read back from their wire form, joined."""
        return "".join(part.decoded for part in self.parts)[:SHOWN_CHARACTERS]


@dataclass(slots=True)
class BinaryContent:
    """A binary message's octets, as much of them as a page shows."""

    hex_octets: str
    octets: int
    left_out: int
    data_coding: int | str | None = None


@dataclass(slots=True)
class MessageAnatomy:
    """A stored message taken apart: its text's anatomy, or its binary content."""

    anatomy: Anatomy | None
    binary: BinaryContent | None
    problems: list[str] = field(default_factory=list)
    """Where this split differs from the count the mock charged."""


def take_apart(
    text: str,
    *,
    language: str | None = None,
    single_shift: bool = False,
    locking_shift: bool = False,
    profile: Profile = STANDARD,
    keep_graphemes: bool = False,
    national_policy: NationalPolicy = "fewest",
) -> Anatomy:
    """Split a text as a handset would, with the options `smsmock segments` takes (ValueError: bad ones)."""
    split = segment(
        text,
        language=language,
        single_shift=single_shift,
        locking_shift=locking_shift,
        profile=_without_part_limit(profile),
        encoding=_forced_encoding(profile),
        keep_graphemes=keep_graphemes,
        national_policy=national_policy,
    )
    return _anatomy(text, split, profile)


def message_anatomy(message: Message, account_policy: NationalPolicy | None = None) -> MessageAnatomy:
    """A stored message taken apart as the mock counted it when it was sent.

    `account_policy` is the national-table policy of the message's account, None when the account is
    gone: the policy the count is looked for under first (the other one after it, for an account whose
    setting changed since).
    """
    if message.binary_hex is not None:
        octets = message.binary_hex.replace(" ", "")
        shown = octets[: SHOWN_HEX_OCTETS * 2]
        binary = BinaryContent(
            " ".join(shown[index : index + 2] for index in range(0, len(shown), 2)),
            len(octets) // 2,
            max(0, len(octets) // 2 - SHOWN_HEX_OCTETS),
            message.options.get("dataCoding"),
        )
        return MessageAnatomy(None, binary)
    text = message.text or ""
    profile = _profile_of(message)
    asked = message.options
    if asked.get("national_language") and asked.get("national_policy") in NATIONAL_POLICIES:
        # Kept with the message since the request named them: the parts as they were counted.
        anatomy = take_apart(
            text,
            language=asked["national_language"],
            single_shift=bool(asked.get("single_shift")),
            locking_shift=bool(asked.get("locking_shift")),
            profile=profile,
            national_policy=asked["national_policy"],
        )
        anatomy.note = "the national tables the client asked for, kept with the message"
        anatomy.policy_source = f"the setting of account {message.account} when the message was sent"
        return MessageAnatomy(anatomy, None, _differences(anatomy, message))
    policies = _policies_from(account_policy)
    # Without national tables both policies count alike: the account's, when known, is the one shown.
    anatomy = take_apart(text, profile=profile, national_policy=policies[0])
    if account_policy is not None and anatomy.segmentation.encoding is Encoding.GSM7:
        anatomy.policy_source = f"the setting of account {message.account}"
    if _counted_as_stored(anatomy, message) or message.encoding != Encoding.GSM7.value:
        return MessageAnatomy(anatomy, None, _differences(anatomy, message))
    # A message stored before the tables a client asked for were kept with it: the tables (and the
    # policy) that give the count the mock charged are the ones it used. Counting is cheaper than
    # taking apart: only the split found is drawn.
    unlimited = _without_part_limit(profile)
    for policy in policies:
        for language in national_languages():
            for single_shift, locking_shift in ((True, False), (False, True), (True, True)):
                counted = measure(
                    text,
                    language=language,
                    single_shift=single_shift,
                    locking_shift=locking_shift,
                    profile=unlimited,
                    encoding=_forced_encoding(profile),
                    national_policy=policy,
                )
                if (counted.encoding.value, counted.units, counted.segments) != _stored_count(message):
                    continue
                tried = take_apart(
                    text,
                    language=language,
                    single_shift=single_shift,
                    locking_shift=locking_shift,
                    profile=profile,
                    national_policy=policy,
                )
                tried.note = "the national tables that give the count the mock charged"
                tried.policy_source = _policy_source(message, policy, account_policy)
                return MessageAnatomy(tried, None)
    return MessageAnatomy(anatomy, None, _differences(anatomy, message))


def _policies_from(account_policy: NationalPolicy | None) -> tuple[NationalPolicy, ...]:
    """The national-table policies to look for a stored count under, the account's first."""
    if account_policy is None:
        return NATIONAL_POLICIES
    return (account_policy, *(policy for policy in NATIONAL_POLICIES if policy != account_policy))


def _policy_source(message: Message, policy: NationalPolicy, account_policy: NationalPolicy | None) -> str:
    if account_policy is None:
        return f"the policy that gives the count the mock charged: account {message.account} is gone"
    if policy == account_policy:
        return f"the setting of account {message.account}"
    return (
        f"the policy that gives the count the mock charged: account {message.account} counts by"
        f" {account_policy} now"
    )


def _differences(anatomy: Anatomy, message: Message) -> list[str]:
    """What differs between this split and the count the mock charged (a text refused as too long)."""
    if _counted_as_stored(anatomy, message):
        return []
    split = anatomy.segmentation
    return [
        f"when it was sent the mock counted {message.units} {message.encoding} units in {message.parts}"
        f" part(s); split here: {split.units} {split.encoding.value} units in {split.segments}"
    ]


def _counted_as_stored(anatomy: Anatomy, message: Message) -> bool:
    split = anatomy.segmentation
    return (split.encoding.value, split.units, split.segments) == _stored_count(message)


def _stored_count(message: Message) -> tuple[str, int, int]:
    return (message.encoding, message.units, message.parts)


def _forced_encoding(profile: Profile) -> Encoding | None:
    """UCS-2 for a profile that travels so (unified's Unicode types), whatever the text; else None."""
    return Encoding.UCS2 if profile.encoding is Encoding.UCS2 else None


def _profile_of(message: Message) -> Profile:
    """The dialect's capacities the message was counted with (unified: its message `type`)."""
    profiles = dialect_profiles(message.dialect)
    wanted = str(message.options.get("type")) if message.dialect == "unified" else "text"
    return profiles.get(wanted) or next(iter(profiles.values()))


def _without_part_limit(profile: Profile) -> Profile:
    return replace(
        profile,
        gsm7=replace(profile.gsm7, max_parts=_UNLIMITED_PARTS),
        ucs2=replace(profile.ucs2, max_parts=_UNLIMITED_PARTS),
    )


def _anatomy(text: str, split: Segmentation, profile: Profile) -> Anatomy:
    whys = _reasons(split, profile)
    forcing = frozenset(split.ucs2_chars)  # worked out once: it reads the whole text
    drawn = [
        _drawn(number, part, units, split, forcing, whys)
        for number, (part, units) in enumerate(
            zip(split.parts[:DRAWN_PARTS], split.part_units[:DRAWN_PARTS], strict=True), start=1
        )
    ]
    costly = _costly(text, split, forcing, whys)
    return Anatomy(
        text=text,
        segmentation=split,
        profile=profile,
        tables=_tables(split, profile),
        parts=drawn,
        costly=costly[:LISTED_CHARACTERS],
        costly_left_out=max(0, len(costly) - LISTED_CHARACTERS),
    )


def _reasons(split: Segmentation, profile: Profile) -> dict[str, str]:
    ucs2 = profile.limits(Encoding.UCS2)
    return {
        EXTENSION: "GSM 7-bit extension table: sent as ESC (0x1B) and its code, two septets",
        UCS2: (
            "in no GSM 7-bit table the message may use: the whole message goes as UCS-2,"
            f" {ucs2.single} units in one SMS, {ucs2.concatenated} per part"
        ),
        SURROGATE_PAIR: "outside the Basic Multilingual Plane: a surrogate pair, two UTF-16 units,"
        " never split between parts",
    }


def _kinds(char: str, split: Segmentation, forcing: frozenset[str]) -> tuple[str, ...]:
    if split.charset is not None:
        return (EXTENSION,) if char in split.charset.doubles else ()
    kinds = (UCS2,) if char in forcing else ()
    return (*kinds, SURROGATE_PAIR) if ord(char) > 0xFFFF else kinds


def _costly(
    text: str, split: Segmentation, forcing: frozenset[str], whys: dict[str, str]
) -> list[CostlyCharacter]:
    """Each distinct costly character of the text, in order of first use, with its count and why."""
    if split.charset is not None:
        found = Counter(split.charset.escaped.findall(text))
    else:
        listed = "".join(re.escape(char) for char in sorted(forcing))
        found = Counter(re.findall(f"[{listed}\U00010000-\U0010ffff]", text))
    costly = []
    for char, count in found.items():  # a Counter keeps the order of first use
        kinds = _kinds(char, split, forcing)
        costly.append(CostlyCharacter(char, kinds, "; ".join(whys[kind] for kind in kinds), count))
    return costly


def _drawn(
    number: int, part: str, units: int, split: Segmentation, forcing: frozenset[str], whys: dict[str, str]
) -> DrawnPart:
    pieces: list[Piece] = []
    plain_from = 0
    for index, char in enumerate(part):
        kinds = _kinds(char, split, forcing)
        if not kinds:
            continue
        if plain_from < index:
            pieces.append(Piece(part[plain_from:index]))
        pieces.append(Piece(char, kinds, "; ".join(whys[kind] for kind in kinds)))
        plain_from = index + 1
    if plain_from < len(part):
        pieces.append(Piece(part[plain_from:]))
    if split.charset is not None:
        septets = to_septets(part, split.charset)
        wire, decoded = " ".join(f"{septet:02x}" for septet in septets), from_septets(septets, split.charset)
    else:
        octets = encode_ucs2(part)
        wire, decoded = octets.hex(" "), decode_ucs2(octets)
    return DrawnPart(number, units, split.capacity, pieces, wire, decoded)


def _tables(split: Segmentation, profile: Profile) -> str:
    if split.charset is None:
        if split.ucs2_chars:
            return "UCS-2: characters no GSM 7-bit table holds"
        if profile.encoding is Encoding.UCS2:
            return f"UCS-2: the message type says so ({profile.note or profile.name})"
        return "UCS-2"
    if split.language is None:
        return "GSM 7-bit default alphabet and extension table"
    used = [
        name
        for name, on in (("locking shift", split.locking_shift), ("single shift", split.single_shift))
        if on
    ]
    language = national_languages()[split.language].name.title()
    tables = "tables" if len(used) > 1 else "table"
    return f"GSM 7-bit with the {language} ({split.language}) {' and '.join(used)} {tables}"
