"""Query strings and form bodies, decoded the way a real server decodes them."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, unquote_plus

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


def overlay_form(query: bytes, form: bytes) -> bytes:
    """The query with a form body's fields over it, as one parameter string with its octets as sent.

    Decoded, it gives what `decode_params(query)` updated with `decode_params(form)` gives: a name the
    form gives replaces the query's. Kept raw, a charset the client percent-encoded can still be read.
    """
    given = [pair for pair in form.split(b"&") if pair]
    replaced = {_raw_name(pair) for pair in given}
    kept = [pair for pair in query.lstrip(b"?").split(b"&") if pair and _raw_name(pair) not in replaced]
    return b"&".join(kept + given)


def _raw_name(pair: bytes) -> str:
    return unquote_plus(pair.split(b"=", 1)[0].decode("latin-1"), encoding="utf-8", errors="replace")
