"""GSM 03.38 / UCS-2 encoding and SMS segmentation (pure: no I/O beyond reading its tables)."""

from smsmock.encoding.alphabets import Charset, charset_for, default_charset, national_languages
from smsmock.encoding.capacity import STANDARD, Encoding, Limits, Profile, dialect_profiles, standard_limits
from smsmock.encoding.codec import (
    binary_text,
    decode_gsm7,
    decode_ucs2,
    encode_gsm7,
    encode_ucs2,
    from_hex_octets,
    from_septets,
    pack_septets,
    to_hex_octets,
    to_septets,
    unpack_septets,
)
from smsmock.encoding.segmentation import (
    Measure,
    NotRepresentable,
    Segmentation,
    TooManyParts,
    measure,
    segment,
)
from smsmock.encoding.transliteration import transliterate

__all__ = [
    "STANDARD",
    "Charset",
    "Encoding",
    "Limits",
    "Measure",
    "NotRepresentable",
    "Profile",
    "Segmentation",
    "TooManyParts",
    "binary_text",
    "charset_for",
    "decode_gsm7",
    "decode_ucs2",
    "default_charset",
    "dialect_profiles",
    "encode_gsm7",
    "encode_ucs2",
    "from_hex_octets",
    "from_septets",
    "measure",
    "national_languages",
    "pack_septets",
    "segment",
    "standard_limits",
    "to_hex_octets",
    "to_septets",
    "transliterate",
    "unpack_septets",
]
