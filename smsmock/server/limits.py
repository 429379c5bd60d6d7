"""The one limit on a request's size: sizes as a configuration writes them, and bodies read no further."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wrappers import Request

DEFAULT_MAX_BODY = 1 << 20
"""1 MiB, the bound quicktel's XML always had: far above the requests the documents show."""
LIMIT_HEADER = "X-Smsmock-Max-Body"
"""The reply header that gives the limit in octets, on every request refused for its size: a dialect whose
error is a bare code (unified, sendsms) or a fixed description (quicktel) has no room for it in its body."""

_UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}
_SIZE = re.compile(r"(?P<number>[0-9]+)\s*(?P<unit>[a-z]*)")


def parse_size(value: Any) -> int:
    """Octets from a whole number or a text: `1048576`, `512KiB`, `1MiB`, `1 GiB`; ValueError otherwise.

    Only the binary units: `1MB` would be read as 10^6 by some and 2^20 by others.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        found = _SIZE.fullmatch(str(value).strip().lower()) if isinstance(value, str) else None
        if found is None or found["unit"] not in _UNITS:
            raise ValueError(f"{value!r} is not a size: give bytes (1048576) or KiB, MiB, GiB (512KiB, 1MiB)")
        size = int(found["number"]) * _UNITS[found["unit"]]
    if size < 1:
        raise ValueError(f"{value!r} is not a size: a body limit is at least 1 byte")
    return size


def describe_size(octets: int) -> str:
    """`1048576 bytes (1 MiB)`: the exact count, and the largest binary unit it is a whole number of."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if octets >= size and octets % size == 0:
            return f"{octets} bytes ({octets // size} {unit})"
    return f"{octets} bytes"


class BodyTooLarge(Exception):
    """A request body longer than the limit; `declared` is its Content-Length, None when it had none."""

    def __init__(self, limit: int, declared: int | None) -> None:
        self.limit = limit
        self.declared = declared
        size = "" if declared is None else f" ({declared} bytes)"
        super().__init__(
            f"the request body{size} is larger than this server takes: at most {describe_size(limit)}"
            " (max_body)"
        )


class _Headers(EnvironHeaders):
    """werkzeug's headers of an environ, whose `get` of a header the request lacks returns the default
    without raising and catching a KeyError first: a send asks for several headers clients leave out
    (Transfer-Encoding, Accept), and each exception cost more than the lookup."""

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:
        if type is not None or not isinstance(key, str):
            return super().get(key, default, type)
        name = key.upper().replace("-", "_")
        value = self.environ.get(name if name in _UNPREFIXED else "HTTP_" + name)
        return default if value is None else value


_UNPREFIXED = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})
"""The two headers a WSGI environ holds without the HTTP_ prefix (PEP 3333)."""


class MockRequest(Request):
    """werkzeug's Request, whose body `read_body` reads straight from the WSGI input: the stream
    wrappers werkzeug puts around it cost more than the rest of reading a send's body."""

    body: bytes | None = None
    """The body as `read_body` read it; None until then."""

    def __init__(self, environ: dict[str, Any], populate_request: bool = True, shallow: bool = False) -> None:
        super().__init__(environ, populate_request, shallow)
        self.headers = _Headers(environ)

    def get_data(self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False) -> Any:
        if self.body is None:
            return super().get_data(cache, as_text, parse_form_data)
        return self.body.decode(errors="replace") if as_text else self.body


def read_body(request: Request, limit: int) -> bytes:
    """The request's body, kept for `get_data` to answer from from then on, or BodyTooLarge when it is
    longer than `limit` octets.

    A Content-Length over the limit is refused before a byte is read. A body without one (chunked) is
    read to one octet past the limit, never further: werkzeug's own maximum cuts a body at the limit
    without a word, so the octet past it is what tells a body that is too long from one that fits.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise BodyTooLarge(limit, declared)
    if isinstance(request, MockRequest):
        request.body = _read_input(request.environ, declared, limit)
        return request.body
    request.max_content_length = limit + 1
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise BodyTooLarge(limit, None) from None
    if len(body) > limit:
        raise BodyTooLarge(limit, None)
    return body


def _read_input(environ: dict[str, Any], declared: int | None, limit: int) -> bytes:
    """The body from the WSGI input, as werkzeug's `get_input_stream` would give it."""
    stream = environ["wsgi.input"]
    if "wsgi.input_terminated" in environ:  # the server ends the stream where the body ends
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise BodyTooLarge(limit, None)
        return body
    if not declared:  # no length, and a stream the server does not end: werkzeug reads nothing
        return b""
    body = stream.read(declared)
    if len(body) < declared:
        raise ClientDisconnected()  # werkzeug's answer to a body cut short of its Content-Length
    return body
