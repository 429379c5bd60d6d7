"""Reference client for the sendsms API: `send_sms.php` with JSON replies and `dlr.php` lookups."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

ERROR_CODES = {
    "Remote IP not allowed": 405,
    "Not Enough Credit": 406,
    "Invalid API Key": 407,
    "Inavlid API Key": 407,  # the document's own spelling of the 407 row
}
"""JSON error strings with a numeric code of their own; every other refusal is 400."""
DLR_STATES = ("sending", "delivered", "failed", "expired")


@dataclass(frozen=True)
class SendResult:
    ok: bool
    code: int | None
    """The numeric code the reply stands for (200 accepted, 400, 405, 406, 407); None if unreadable."""
    error: str | None


@dataclass(frozen=True)
class DeliveryStatus:
    state: str
    """pending, sending, delivered, failed, expired, deleted or notfound."""
    cost: Decimal | None
    error: str | None = None
    """Why the lookup itself failed (bad key, missing parameter, unreadable reply), if it did."""


def normalise(mobile: str) -> str:
    """The number in international format without a leading + or 00, as the document asks."""
    mobile = mobile.strip()
    if mobile.startswith("+"):
        return mobile[1:]
    if mobile.startswith("00"):
        return mobile[2:]
    return mobile


class SendsmsClient:
    """Sends SMS and reads delivery reports; refusals come back as results, never raised."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def send(self, sender: str, mobile: str, text: str, ref: str) -> SendResult:
        """Send one SMS; `ref` must be unique per number so its delivery report can be looked up."""
        params = {
            "key": self.api_key,
            "mobile": normalise(mobile),
            "sender": sender,
            "msgtext": text,
            "ref": ref,
            "response": "json",
        }
        reply = self._get("send_sms.php", params)
        if reply is None:
            return SendResult(False, None, "unreadable reply")
        if reply.get("status") is True:
            return SendResult(True, 200, None)
        error = str(reply.get("error", "Message not accepted"))
        return SendResult(False, ERROR_CODES.get(error, 400), error)

    def delivery(self, mobile: str, ref: str) -> DeliveryStatus:
        """Where the message sent to `mobile` with `ref` stands, and its cost once it left the queue."""
        params = {"key": self.api_key, "full_number": normalise(mobile), "ref": ref}
        reply = self._get("dlr.php", params)
        if reply is None:
            return DeliveryStatus("notfound", None, "unreadable reply")
        if reply.get("status") is not True:
            error = reply.get("error")
            return DeliveryStatus("notfound", None, None if error is None else str(error))
        if reply.get("queue_status") == "pending":
            return DeliveryStatus("pending", None)
        if reply.get("dlr_exist") is False:
            return DeliveryStatus("deleted", None)  # the report was deleted by the user
        state = reply.get("dlr_status")
        return DeliveryStatus(state if state in DLR_STATES else "sending", _cost(reply.get("sms_cost")))

    def _get(self, script: str, params: dict[str, str]) -> dict[str, Any] | None:
        """The JSON object a script answers; None for an HTTP error or a body that is no such object."""
        return json_object(requests.get(f"{self.base_url}/{script}", params=params, timeout=self.timeout))


def json_object(response: requests.Response) -> dict[str, Any] | None:
    """The JSON object of a 200 reply; None for an HTTP error or a body that is no such object."""
    if response.status_code != 200:
        return None
    try:
        reply = response.json()
    except ValueError:
        return None
    return reply if isinstance(reply, dict) else None


def _cost(value: Any) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None
