"""Hypothesis strategies for SMS clients' inputs and their providers' answers.

Texts by encoding class and by exact length or part count (with the characters that cost two units
placed on a part boundary), numbers, sender ids, binary payloads, request bodies generated from the
contracts, and provider outcomes. Each one is composable and shrinks towards short, plain examples.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from hypothesis import strategies as st

from smsmock.encoding import Charset, Encoding, charset_for, default_charset

SINGLE_UNITS = {Encoding.GSM7: 160, Encoding.UCS2: 70}
PART_UNITS = {Encoding.GSM7: 153, Encoding.UCS2: 67}
"""What one message holds, and each part of a concatenated one, in septets or UTF-16 units."""


_TABLES: dict[str, tuple[str, str]] = {}
"""Each charset's characters, by its name: those of one septet, those of two (sorted, so that shrinking
moves towards the same simple characters every run)."""
UCS2_LOOK_ALIKES = "çΑΒΕΟАео`\t\x1b’“–"
"""Characters outside the GSM tables that look like some inside them, or that a client may map."""


def _tables(charset: Charset | None) -> tuple[str, str]:
    """The characters of `charset` (the default tables by default) that cost one septet, and two."""
    charset = charset or default_charset()
    found = _TABLES.get(charset.name)
    if found is None:
        singles = "".join(sorted(char for char, septets in charset.encode.items() if len(septets) == 1))
        doubles = "".join(sorted(char for char, septets in charset.encode.items() if len(septets) == 2))
        found = _TABLES[charset.name] = (singles, doubles)
    return found


def gsm_basic_chars(charset: Charset | None = None) -> st.SearchStrategy[str]:
    """Characters that cost one septet in `charset` (default alphabet by default)."""
    return st.sampled_from(_tables(charset)[0])


def gsm_extension_chars(charset: Charset | None = None) -> st.SearchStrategy[str]:
    """Characters that cost two septets (escape + code) in `charset`."""
    return st.sampled_from(_tables(charset)[1])


def gsm_texts(
    charset: Charset | None = None, *, extension: bool = True, min_size: int = 0, max_size: int = 400
) -> st.SearchStrategy[str]:
    """Texts the charset represents; with `extension`, two-septet characters mixed in."""
    singles, doubles = _tables(charset)
    # One alphabet, so that hypothesis draws the text whole rather than a character at a time.
    return st.text(singles + doubles if extension else singles, min_size=min_size, max_size=max_size)


def national_texts(
    language: str, *, single_shift: bool = True, locking_shift: bool = False, max_size: int = 400
) -> st.SearchStrategy[str]:
    """Texts written with a national language's tables (TR, ES, PT)."""
    return gsm_texts(
        charset_for(language, single_shift=single_shift, locking_shift=locking_shift), max_size=max_size
    )


@cache
def non_gsm_chars() -> st.SearchStrategy[str]:
    """BMP characters outside the default GSM tables, look-alikes first (ç, Greek Α, Cyrillic А, `, TAB)."""
    gsm = "".join(default_charset().encode)
    look_alikes = st.sampled_from(list(UCS2_LOOK_ALIKES))
    # Excluded rather than filtered: a filter fails on the ASCII hypothesis favours, and a long text
    # of such draws was given up as invalid, so long Unicode texts were seldom tried.
    bmp = st.characters(
        min_codepoint=0x20, max_codepoint=0xFFFF, exclude_categories=("Cs",), exclude_characters=gsm
    )
    return st.one_of(look_alikes, bmp)


@cache
def astral_chars() -> st.SearchStrategy[str]:
    """Characters outside the BMP (two UTF-16 units each), emoji first."""
    emoji = st.sampled_from(["😀", "👍", "🎉", "💩", "🇸", "𝄞"])
    return st.one_of(
        emoji, st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, exclude_categories=("Cs", "Cn"))
    )


@cache
def _unicode_chars(*, astral: bool) -> st.SearchStrategy[str]:
    """Any character a UCS-2 text may hold, as one alphabet: GSM's (both tables), the look-alikes, the
    rest of the BMP, and with `astral` the characters past it. hypothesis draws a text of it whole, four
    characters in five from ASCII and Latin-1 (where most of GSM's are), the fifth from anywhere."""
    singles, doubles = _tables(None)
    return st.characters(
        min_codepoint=0x20,
        max_codepoint=0x10FFFF if astral else 0xFFFF,
        exclude_categories=("Cs", "Cn") if astral else ("Cs",),
        include_characters=singles + doubles + UCS2_LOOK_ALIKES,
    )


def ucs2_texts(*, astral: bool = False, min_size: int = 1, max_size: int = 200) -> st.SearchStrategy[str]:
    """Texts that need UCS-2: GSM characters with at least one that forces UCS-2."""
    forcing = astral_chars() if astral else non_gsm_chars()
    filler = st.text(_unicode_chars(astral=astral), min_size=max(0, min_size - 1), max_size=max_size - 1)

    @st.composite
    def build(draw: st.DrawFn) -> str:
        body = draw(filler)
        position = draw(st.integers(0, len(body)))
        return body[:position] + draw(forcing) + body[position:]

    return build()


def sms_texts(max_size: int = 400) -> st.SearchStrategy[str]:
    """Any text: GSM with or without extension characters, UCS-2 BMP, or with astral characters."""
    return st.one_of(
        gsm_texts(extension=False, max_size=max_size),
        gsm_texts(max_size=max_size),
        ucs2_texts(max_size=max_size // 2),
        ucs2_texts(astral=True, max_size=max_size // 2),
    )


# exact lengths, part counts and boundaries


def texts_of_length(
    units: int, encoding: Encoding | str = Encoding.GSM7, *, wide: bool = True
) -> st.SearchStrategy[str]:
    """Texts of exactly `units` septets (GSM7) or UTF-16 units (UCS2).

    With `wide`, characters that cost two units (GSM extension characters, astral characters) are
    mixed in; a UCS-2 text always holds at least one character GSM cannot carry.
    """
    encoding = Encoding(encoding)
    if encoding not in (Encoding.GSM7, Encoding.UCS2):
        raise ValueError("texts are GSM7 or UCS2; binary payloads come from binary_payloads()")
    return _texts_of_length(units, encoding, wide)


@lru_cache(maxsize=4096)
def _texts_of_length(units: int, encoding: Encoding, wide: bool) -> st.SearchStrategy[str]:
    # Built once per length: the boundary strategies ask for one length after another, and hypothesis
    # validates every new strategy object it is given.
    if encoding is Encoding.GSM7:
        narrow, double = _tables(None)[0], gsm_extension_chars()
    else:
        narrow, double = _unicode_chars(astral=False), astral_chars()
    forced = encoding is Encoding.UCS2 and units > 0
    left = units - forced
    doubles = st.lists(double, max_size=left // 2) if wide else st.just([])

    @st.composite
    def build(draw: st.DrawFn) -> str:
        placed = draw(doubles)
        size = left - 2 * len(placed)
        # The one-unit characters in one draw: a character at a time cost hypothesis far more.
        chars = list(draw(st.text(narrow, min_size=size, max_size=size)))
        for char in placed:
            chars.insert(draw(st.integers(0, len(chars))), char)
        if forced:
            # One character GSM cannot carry makes the text UCS-2 whatever the others are.
            chars.insert(draw(st.integers(0, len(chars))), draw(non_gsm_chars()))
        return "".join(chars)

    return build()


def texts_with_parts(parts: int, encoding: Encoding | str = Encoding.GSM7) -> st.SearchStrategy[str]:
    """Texts that travel as exactly `parts` parts, of one-unit characters only."""
    encoding = Encoding(encoding)
    if parts < 1:
        raise ValueError("a message has at least one part")
    single, per_part = SINGLE_UNITS[encoding], PART_UNITS[encoding]
    low, high = (1, single) if parts == 1 else (per_part * (parts - 1) + 1, per_part * parts)
    if parts == 2:
        low = single + 1
    return st.integers(low, high).flatmap(lambda units: texts_of_length(units, encoding, wide=False))


def boundary_lengths(encoding: Encoding | str = Encoding.GSM7, max_parts: int = 6) -> st.SearchStrategy[int]:
    """Lengths where part counts change: 160/161 and 153·k±1 (GSM7), 70/71 and 67·k±1 (UCS2)."""
    encoding = Encoding(encoding)
    single, per_part = SINGLE_UNITS[encoding], PART_UNITS[encoding]
    around_parts = st.integers(2, max_parts).flatmap(
        lambda k: st.sampled_from([per_part * k - 1, per_part * k, per_part * k + 1])
    )
    return st.one_of(st.sampled_from([single - 1, single, single + 1]), around_parts)


def boundary_texts(encoding: Encoding | str = Encoding.GSM7, max_parts: int = 6) -> st.SearchStrategy[str]:
    """Texts at a part boundary, half of them with a two-unit character across it.

    An extension character (escape + code) or a surrogate pair is never split between parts, so
    the one placed across a boundary moves to the next part: the count a client works out by
    dividing the length goes wrong exactly there.
    """
    encoding = Encoding(encoding)
    double = gsm_extension_chars() if encoding is Encoding.GSM7 else astral_chars()
    # Half the time the text ends with the straddling character: only then does a count of one unit
    # for it give a whole part fewer, whatever else the client gets right.
    after_units = st.one_of(st.just(0), st.integers(1, PART_UNITS[encoding]))

    @st.composite
    def straddling(draw: st.DrawFn) -> str:
        k = draw(st.integers(2, max_parts))
        boundary = PART_UNITS[encoding] * (k - 1)
        before = draw(texts_of_length(boundary - 1, encoding, wide=False))
        after = draw(texts_of_length(draw(after_units), Encoding.GSM7, wide=False))
        return before + draw(double) + after

    plain = boundary_lengths(encoding, max_parts).flatmap(lambda units: texts_of_length(units, encoding))
    return st.one_of(plain, straddling())


# numbers, senders and binary payloads


def phone_numbers(
    *, plus: bool | None = None, min_digits: int = 8, max_digits: int = 15
) -> st.SearchStrategy[str]:
    """International numbers (country code first, no leading 0); `plus` None mixes `+` in or not."""
    digits = st.tuples(
        st.sampled_from("123456789"), st.text("0123456789", min_size=min_digits - 1, max_size=max_digits - 1)
    ).map("".join)
    prefix = st.just("+") if plus else st.just("") if plus is False else st.sampled_from(["", "+"])
    return st.tuples(prefix, digits).map("".join)


def invalid_phone_numbers() -> st.SearchStrategy[str]:
    """Numbers no provider accepts: national (leading 0), too short or long, letters, empty."""
    return st.one_of(
        st.just(""),
        st.text("0123456789", min_size=1, max_size=2),
        st.text("0123456789", min_size=16, max_size=20).map(lambda digits: "9" + digits),
        st.text("0123456789", min_size=7, max_size=12).map(lambda digits: "0" + digits),
        st.tuples(st.text("0123456789", min_size=4, max_size=8), st.sampled_from("abcXYZ-.#")).map("".join),
    )


def sender_ids(kind: str | None = None, *, min_size: int = 1) -> st.SearchStrategy[str]:
    """Valid senders: alphanumeric (`min_size` to 11 of A-Z a-z 0-9, starting with a letter) or
    numeric (3-14 digits); shortlink wants at least 3 alphanumeric characters."""
    alphanumeric = st.tuples(
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
        st.text(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            min_size=max(0, min_size - 1),
            max_size=10,
        ),
    ).map("".join)
    numeric = phone_numbers(plus=False, min_digits=3, max_digits=14)
    if kind == "alphanumeric":
        return alphanumeric
    if kind == "numeric":
        return numeric
    return st.one_of(alphanumeric, numeric)


def invalid_sender_ids() -> st.SearchStrategy[str]:
    """Senders networks refuse: empty, alphanumeric over 11, numeric over 18, characters outside ASCII."""
    return st.one_of(
        st.just(""),
        st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=12, max_size=20),
        st.text("0123456789", min_size=19, max_size=24).map(lambda digits: "1" + digits),
        st.tuples(st.text("ABC", min_size=1, max_size=5), st.sampled_from("ÄÖü€é😀")).map("".join),
    )


SENDER_FIELDS = {
    "shortlink": ("send_text_multi", "json", "from"),
    "qikli": ("send_text_advanced", "json", "from"),
    "unified": ("submit", "params", "source"),
    "quicktel": ("sms_send", "xml", "source_number"),
    "sendsms": ("send_sms", "params", "sender"),
}
"""Where each dialect's send request carries the sender: operation, wire format and field."""
SENDER_PLAIN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
SENDER_AWKWARD_CHARS = "&<>'\"+ %#;=?/\\,éÄ€Ж😀"
"""Characters a sender may hold that need escaping or encoding on some wire: XML and URL specials,
JSON's quote and backslash, a space, and non-ASCII (a two-unit emoji among them)."""
AWKWARD_SPLICES = 3
"""At most how many awkward characters `contract_sender_ids` tries to put in one sender."""


@dataclass(frozen=True, slots=True)
class SenderRule:
    """A dialect's sender contract: a pattern per kind of sender, and the whole rule as a check."""

    dialect: str
    patterns: tuple[str, ...]
    admits: Callable[[str], bool]


@cache
def sender_rule(dialect: str) -> SenderRule:
    """The sender rule of a dialect's send request, read from its contract (JSON Schema or XSD)."""
    if dialect not in SENDER_FIELDS:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of {', '.join(SENDER_FIELDS)}")
    operation, wire, field = SENDER_FIELDS[dialect]
    if wire == "xml":
        return _xml_sender_rule(dialect, operation, field)
    from jsonschema import Draft202012Validator

    from smsmock.contracts.catalog import inlined_schema

    node = _property(inlined_schema(dialect, operation, "request", wire), field)
    if node is None:
        raise LookupError(f"{dialect} {operation} has no {field!r} in its contract")
    return SenderRule(dialect, tuple(_patterns(node)), Draft202012Validator(node).is_valid)


def _xml_sender_rule(dialect: str, operation: str, field: str) -> SenderRule:
    from xmlschema.validators import XsdAttribute

    from smsmock.contracts.catalog import xml_schema

    schema = xml_schema(dialect, operation, "request")
    for component in schema.iter_components() if schema is not None else ():
        if isinstance(component, XsdAttribute) and component.local_name == field:
            kind = component.type
            # xmlschema's translations of the XSD patterns into Python's regular expressions.
            patterns = tuple(pattern.pattern for pattern in kind.patterns.patterns) if kind.patterns else ()
            return SenderRule(dialect, patterns, kind.is_valid)
    raise LookupError(f"{dialect} {operation} has no attribute {field!r} in its XSD")


def _property(node: Any, name: str) -> dict[str, Any] | None:
    """The first schema of a property called `name`, searched depth first."""
    if isinstance(node, dict):
        found = node.get("properties", {}).get(name)
        if isinstance(found, dict):
            return found
        children: Any = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _property(child, name)
        if found is not None:
            return found
    return None


def _patterns(node: Any) -> list[str]:
    """Every `pattern` of a schema and of its alternatives (anyOf, oneOf, allOf)."""
    if isinstance(node, list):
        return [pattern for item in node for pattern in _patterns(item)]
    if not isinstance(node, dict):
        return []
    own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
    return own + [pattern for key in ("anyOf", "oneOf", "allOf") for pattern in _patterns(node.get(key))]


def contract_sender_ids(dialect: str) -> st.SearchStrategy[str]:
    """Senders a dialect's own contract takes, drawn from its patterns and biased towards characters
    that need escaping or encoding (`&`, `<`, `'`, `+`, space, non-ASCII) wherever the contract
    allows them: `AT&T`, `Joe's` and `<Shop>` for quicktel, `+41793026727` for unified."""
    rule = sender_rule(dialect)
    # CR and LF only so that hypothesis can take them out of a negated class such as `[^\r\n]`.
    chars = st.characters(
        categories=(), include_characters=SENDER_PLAIN_CHARS + SENDER_AWKWARD_CHARS + "\r\n"
    )
    candidates = st.one_of([_pattern_texts(pattern, chars) for pattern in rule.patterns]).filter(rule.admits)

    @st.composite
    def spliced(draw: st.DrawFn) -> str:
        # The patterns alone seldom give one (quicktel's text sender is one of three kinds): awkward
        # characters are put in or over a drawn sender, each kept where the rule still admits it.
        sender = draw(candidates)
        for _ in range(draw(st.integers(1, AWKWARD_SPLICES))):
            position = draw(st.integers(0, len(sender)))
            char = draw(st.sampled_from(SENDER_AWKWARD_CHARS))
            over = draw(st.booleans())
            candidate = sender[:position] + char + sender[position + over :]
            if rule.admits(candidate):
                sender = candidate
        return sender

    return st.one_of(candidates, spliced())


_PLAIN_BRANCH = re.compile(
    r"""
    (?P<plus>\\\+\?)?                                          # an optional +
    \[(?P<chars>(?:[A-Za-z0-9]-[A-Za-z0-9]|[A-Za-z0-9])+)\]   # a class of letters and digits
    \{(?P<low>[0-9]+)(?:,(?P<high>[0-9]+))?\}                  # repeated
    """,
    re.VERBOSE,
)
"""One alternative of a plain sender pattern, such as `\\+?[0-9]{1,18}` or `[A-Za-z0-9]{3,11}`."""


def _pattern_texts(pattern: str, alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Texts that match `pattern` whole, of characters from `alphabet` where the pattern lets them vary."""
    plain = _plain_pattern(pattern)
    return st.from_regex(pattern, fullmatch=True, alphabet=alphabet) if plain is None else plain


def _plain_pattern(pattern: str) -> st.SearchStrategy[str] | None:
    """The texts a plain pattern matches (`^[0-9]{3,14}$`, `^([A-Za-z0-9]{3,11}|[0-9]{3,14})$`: the
    alternatives of _PLAIN_BRANCH, anchored), or None for any other pattern.

    from_regex draws such a text a character at a time, at several times the cost of the rest of a
    generated message; a text strategy draws it whole.
    """
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return None
    body = pattern[1:-1]
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1].removeprefix("?:")
    branches = []
    for branch in body.split("|"):
        found = _PLAIN_BRANCH.fullmatch(branch)
        if found is None:
            return None
        low = int(found["low"])
        high = low if found["high"] is None else int(found["high"])
        chars = _class_chars(found["chars"])
        if low > high or not chars:
            return None
        text = st.text(chars, min_size=low, max_size=high)
        branches.append(st.tuples(st.sampled_from(["", "+"]), text).map("".join) if found["plus"] else text)
    return st.one_of(branches)


def _class_chars(spec: str) -> str:
    """The characters of a character class's inside, such as `A-Za-z0-9`."""
    chars = []
    for start, end in re.findall(r"(.)(?:-(.))?", spec):
        chars.extend(chr(code) for code in range(ord(start), ord(end or start) + 1))
    return "".join(chars)


def binary_payloads(max_parts: int = 3) -> st.SearchStrategy[bytes]:
    """Raw octets for a binary message: up to `max_parts` parts of 134 octets (140 in one)."""
    return st.binary(min_size=1, max_size=140 if max_parts == 1 else 134 * max_parts)


# request bodies and provider outcomes


def request_bodies(dialect: str, operation: str, wire: str = "json") -> st.SearchStrategy[Any]:
    """Bodies (or query parameters, wire="params") that meet a request contract.

    Drawn from the contract's schema and kept when `validate()` finds no error in them: it also holds
    the rules no schema says (unified's alphabet per message type, printable credentials, a schedule
    on a real calendar day).
    """
    from hypothesis_jsonschema import from_schema

    from smsmock.contracts import errors, validate
    from smsmock.contracts.catalog import inlined_schema

    content_type = "params" if wire == "params" else None

    def meets_contract(body: Any) -> bool:
        return not errors(validate(dialect, operation, "request", body, content_type))

    return from_schema(inlined_schema(dialect, operation, "request", wire)).filter(meets_contract)


def statuses() -> st.SearchStrategy[Any]:
    """Every documented delivery status of the shortlink family (the core's vocabulary)."""
    from smsmock.core.vocabulary import vocabulary

    return st.sampled_from(sorted(vocabulary().statuses.values(), key=lambda status: status.id))


def gsm_errors() -> st.SearchStrategy[Any]:
    """Every documented GSM error."""
    from smsmock.core.vocabulary import vocabulary

    return st.sampled_from(sorted(vocabulary().errors.values(), key=lambda error: error.id))


def outcome_rules(to: str) -> st.SearchStrategy[dict[str, Any]]:
    """An outcome rule file giving `to` one documented final status and error, for `smsmock.rules()`."""
    final = statuses().filter(lambda status: status.group_name not in ("ACCEPTED", "PENDING"))
    return st.tuples(final, gsm_errors(), st.integers(0, 60)).map(
        lambda chosen: {
            "default": {"status": "DELIVERED_TO_HANDSET"},
            "rules": [
                {
                    "name": "chosen",
                    "to": to,
                    "status": chosen[0].name,
                    "error": chosen[1].name,
                    "after": chosen[2],
                }
            ],
        }
    )


def error_codes(dialect: str) -> st.SearchStrategy[int]:
    """Every error code a dialect's faults can answer with (unified 1702-1732, sendsms 400-407,
    shortlink and qikli the HTTP statuses 400 and 401 of their error body, ...)."""
    from smsmock.server.app import DIALECTS

    kinds = {kind.name: kind for kind in DIALECTS}
    if dialect not in kinds:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of {', '.join(kinds)}")
    return st.sampled_from(sorted(kinds[dialect]().fault_codes))


def http_faults() -> st.SearchStrategy[dict[str, Any]]:
    """Faults a server shows a client: an error status, a dropped connection, a cut body, a delay."""
    return st.one_of(
        st.sampled_from([500, 502, 503, 504, 429]).map(lambda status: {"status": status}),
        st.just({"drop": True}),
        st.just({"malformed": True}),
        st.floats(0.05, 2.0).map(lambda seconds: {"delay": round(seconds, 2)}),
    )
