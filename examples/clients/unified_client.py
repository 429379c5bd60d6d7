"""Reference client for the unified bulk SMS API: `GET /bulksms/bulksms`, `code|destination|id` replies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import requests

SUCCESS = 1701
RETRYABLE = 1709
"""The only code the document allows to retry ("Apart from error code 1709, please do NOT retry")."""
MAX_RETRIES = 2

# GSM 03.38 default alphabet (0x1B, the escape to the extension table, is no character of its own).
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "\f^{}\\[~]|€"
"""Characters sent as escape + code: two septets each."""


@dataclass(frozen=True)
class DestinationResult:
    ok: bool
    code: int | None
    """The reply's code for this destination; None when the reply had no readable line for it."""
    message_id: str | None


@dataclass(frozen=True)
class SendResult:
    ok: bool
    """True only when every destination was accepted (1701)."""
    results: dict[str, DestinationResult]


def is_gsm(text: str) -> bool:
    """Whether GSM 03.38 (default alphabet and extension table) carries every character of `text`."""
    return all(char in GSM_BASIC or char in GSM_EXTENSION for char in text)


def parts(text: str, *, flash: bool = False) -> int:
    """How many SMS `text` takes, as the document counts them.

    GSM text: 160 septets in one SMS (140 for flash), else 153 per part (134 for flash); an extension
    character takes two septets and is never split across parts. Unicode: 70 UTF-16 units in one SMS,
    else 67 per part; a surrogate pair (two units) is never split across parts.
    """
    if is_gsm(text):
        single, per_part = (140, 134) if flash else (160, 153)
        sizes = [2 if char in GSM_EXTENSION else 1 for char in text]
    else:
        single, per_part = 70, 67
        sizes = [2 if ord(char) > 0xFFFF else 1 for char in text]
    if sum(sizes) <= single:
        return 1
    count, used = 1, 0
    for size in sizes:
        if used + size > per_part:  # the whole character moves to the next part
            count, used = count + 1, 0
        used += size
    return count


class UnifiedClient:
    """Sends SMS through the unified API; documented error codes come back as results, never raised."""

    parts = staticmethod(parts)

    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.timeout = timeout

    def send(self, sender: str, destinations: list[str], text: str, *, flash: bool = False) -> SendResult:
        """Send `text` to each destination once; retried only on 1709, at most MAX_RETRIES times."""
        destinations = list(dict.fromkeys(destinations))  # one message (and one result) per number
        url = self._url(self._params(sender, destinations, text, flash))
        for _ in range(1 + MAX_RETRIES):
            reply = requests.get(url, timeout=self.timeout)
            body = reply.text.strip() if reply.status_code == 200 else ""
            if not self._retryable(body):
                break
        return self._parse(body, destinations)

    def _params(self, sender: str, destinations: list[str], text: str, flash: bool) -> dict[str, str]:
        if is_gsm(text):
            kind, message = (1 if flash else 0), text
        else:  # Unicode goes as hex UCS-2 big-endian, four hex digits per UTF-16 unit
            kind, message = (6 if flash else 2), text.encode("utf-16-be", "surrogatepass").hex().upper()
        return {
            "username": self.username,
            "password": self.password,
            "type": str(kind),
            "dlr": "0",
            "destination": ",".join(destinations),
            "source": sender,
            "message": message,
        }

    def _url(self, params: dict[str, str]) -> str:
        # quote, not quote_plus: every reserved character (+ & , included) percent-encoded.
        return f"{self.base_url}/bulksms?{urlencode(params, quote_via=quote)}"

    def _retryable(self, body: str) -> bool:
        return body == str(RETRYABLE)

    def _parse(self, body: str, destinations: list[str]) -> SendResult:
        """Read a reply: a bare request-level code, or one `code|destination|id` line per destination."""
        if re.fullmatch(r"\d+", body):
            failed = DestinationResult(False, int(body), None)
            return SendResult(False, {destination: failed for destination in destinations})
        lines: dict[str, DestinationResult] = {}
        for line in body.splitlines():
            match = re.fullmatch(r"(\d+)\|([^|]*)\|([A-Za-z0-9._:-]*)", line)
            if match:
                code, destination, message_id = int(match[1]), match[2], match[3]
                ok = code == SUCCESS and message_id != ""
                lines[destination] = DestinationResult(ok, code, message_id or None)
        # The reply writes an invalid destination back with |, CR and LF percent-encoded.
        echo = {d: re.sub(r"[|\r\n]", lambda m: f"%{ord(m[0]):02X}", d) for d in destinations}
        missing = DestinationResult(False, None, None)
        results = {d: lines.get(echo[d], missing) for d in destinations}
        return SendResult(bool(results) and all(r.ok for r in results.values()), results)
