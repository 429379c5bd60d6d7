"""Host names as the socket calls take them: shared by the command line and the server, and light to
import (the command line checks `--host` before anything of the server is loaded)."""

from __future__ import annotations

import contextlib
import ipaddress


def lookup_name(host: str) -> str | bytes:
    """`host` as getaddrinfo is given it: an IP address as ASCII bytes, which it takes as they are.

    A text host is encoded with the IDNA codec first, whose module costs a start 2 ms; for an address
    that encoding is the identity, so the answer is the same.
    """
    if host.isascii():
        with contextlib.suppress(ValueError):
            ipaddress.ip_address(host)
            return host.encode("ascii")
    return host
