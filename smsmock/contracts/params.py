"""Query strings and form bodies, decoded the way a real server decodes them."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

Params = dict[str, "str | list[str]"]


def decode_params(source: str | bytes | Mapping[str, str | list[str]]) -> Params:
    """Decode `a=1&b=2&b=3` (a raw `+` is a space, as in any form) into {"a": "1", "b": ["2", "3"]}.

    A mapping is taken as already decoded. Bytes are read as UTF-8; undecodable
    octets become U+FFFD rather than failing the whole request.
    """
    if isinstance(source, Mapping):
        return {key: value if isinstance(value, str) else list(value) for key, value in source.items()}
    if isinstance(source, bytes):
        source = source.decode("utf-8", errors="replace")
    source = source.lstrip("?")
    decoded: Params = {}
    for key, value in parse_qsl(source, keep_blank_values=True):
        current = decoded.get(key)
        if current is None:
            decoded[key] = value
        elif isinstance(current, list):
            current.append(value)
        else:
            decoded[key] = [current, value]
    return decoded
