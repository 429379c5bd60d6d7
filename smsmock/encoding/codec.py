"""Wire forms of SMS text: packed GSM 7-bit septets, UCS-2 (UTF-16BE) octets and spaced hex strings."""

from __future__ import annotations

import re

from smsmock.encoding.alphabets import ESCAPE, Charset, default_charset
from smsmock.encoding.segmentation import NotRepresentable

_HEX_OCTETS = re.compile(r"[0-9A-Fa-f]{2}(?: [0-9A-Fa-f]{2})*")

DATA_CODING_GSM7 = 0
DATA_CODING_UCS2 = 8
"""The shortlink binary API's `dataCoding` values for 7-bit default and UCS-2 data."""


def to_septets(text: str, charset: Charset | None = None) -> list[int]:
    """The unpacked septets of `text`: extension characters become the escape and their code."""
    table = (charset or default_charset()).encode
    septets: list[int] = []
    missing = []
    for char in text:
        codes = table.get(char)
        if codes is None:
            missing.append(char)
        else:
            septets.extend(codes)
    if missing:
        raise NotRepresentable(tuple(dict.fromkeys(missing)))
    return septets


def from_septets(septets: list[int] | bytes, charset: Charset | None = None) -> str:
    """Text from unpacked septets; an escape selects the extension table for the next septet.

    An escape with no extension character behind it reads as the basic
    character of the code that follows (TS 23.038 §6.2.1.1 note), and a
    trailing escape is dropped.
    """
    charset = charset or default_charset()
    chars = []
    escaped = False
    for septet in septets:
        if septet > 0x7F:
            raise ValueError(f"{septet:#x} is not a septet")
        if escaped:
            chars.append(charset.extension.get(septet) or charset.basic[septet] or "")
            escaped = False
        elif septet == ESCAPE:
            escaped = True
        else:
            chars.append(charset.basic[septet] or "")
    return "".join(chars)


def pack_septets(septets: list[int], fill_bits: int = 0) -> bytes:
    """Pack septets into octets, least significant bit first (TS 23.038 §6.1.2.1.1).

    `fill_bits` leading zero bits align the text after a user data header.
    """
    accumulator = 0
    width = fill_bits
    packed = bytearray()
    for septet in septets:
        accumulator |= septet << width
        width += 7
        while width >= 8:
            packed.append(accumulator & 0xFF)
            accumulator >>= 8
            width -= 8
    if width:
        packed.append(accumulator & 0xFF)
    return bytes(packed)


def unpack_septets(data: bytes, count: int | None = None, fill_bits: int = 0) -> list[int]:
    """Septets packed in `data`; `count` drops the padding a final octet may carry."""
    available = (len(data) * 8 - fill_bits) // 7
    count = available if count is None else count
    if count > available:
        raise ValueError(f"{len(data)} octets hold {available} septets, not {count}")
    value = int.from_bytes(data, "little") >> fill_bits
    return [(value >> (7 * index)) & 0x7F for index in range(count)]


def encode_gsm7(text: str, charset: Charset | None = None, fill_bits: int = 0) -> bytes:
    return pack_septets(to_septets(text, charset), fill_bits)


def decode_gsm7(
    data: bytes, count: int | None = None, charset: Charset | None = None, fill_bits: int = 0
) -> str:
    return from_septets(unpack_septets(data, count, fill_bits), charset)


def encode_ucs2(text: str) -> bytes:
    """UTF-16BE: what SMS networks carry as "UCS-2", astral characters as surrogate pairs."""
    return text.encode("utf-16-be", errors="surrogatepass")


def decode_ucs2(data: bytes) -> str:
    if len(data) % 2:
        raise ValueError(f"UCS-2 data has an odd number of octets ({len(data)})")
    return data.decode("utf-16-be", errors="surrogatepass")


def to_hex_octets(data: bytes) -> str:
    """The shortlink binary API's form: two hex digits per octet, separated by spaces."""
    return " ".join(f"{octet:02x}" for octet in data)


def from_hex_octets(text: str) -> bytes:
    """Octets from a spaced hex string such as "54 65 73 74"; anything else is a ValueError."""
    if not _HEX_OCTETS.fullmatch(text):
        raise ValueError(f"not space-separated hex octets: {text[:40]!r}")
    return bytes.fromhex(text)


def binary_text(hex_octets: str, data_coding: int) -> str:
    """Read the text a binary message carries: dataCoding 0 is unpacked GSM 7-bit, 8 is UCS-2."""
    data = from_hex_octets(hex_octets)
    if data_coding == DATA_CODING_UCS2:
        return decode_ucs2(data)
    if data_coding == DATA_CODING_GSM7:
        return from_septets(data)
    raise ValueError(f"dataCoding {data_coding} carries no text smsmock can read (0 = GSM7, 8 = UCS-2)")
