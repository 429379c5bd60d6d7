"""What a dialect asks of the core: the requests it decodes into and the answers it renders from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from smsmock.core.numbering import Network
from smsmock.core.vocabulary import Error, Status


@dataclass(slots=True)
class Submission:
    """One message to one destination, as a dialect decoded it."""

    to: str
    sender: str | None = None
    text: str | None = None
    binary_hex: str | None = None
    message_id: str | None = None
    """A client-given message id: it becomes the message's id, and a reused one is refused."""
    client_ref: str | None = None
    """A client's own reference the dialect looks the message up by later (not unique, not the id)."""
    bulk_id: str | None = None
    send_at: datetime | None = None
    validity_minutes: int | None = None
    notify_url: str | None = None
    notify_content_type: str | None = None
    callback_data: str | None = None
    profile: str = "text"
    language: str | None = None
    single_shift: bool = False
    locking_shift: bool = False
    transliteration: str | None = None
    rejection: str | None = None
    """A status the dialect already knows applies (an invalid sender: REJECTED_SOURCE)."""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class LogFilter:
    """The sent-log filters of the shortlink family; None means no filter."""

    sender: str | None = None
    to: str | None = None
    bulk_ids: tuple[str, ...] = ()
    message_ids: tuple[str, ...] = ()
    general_status: str | None = None
    sent_since: datetime | None = None
    sent_until: datetime | None = None
    mcc: str | None = None
    mnc: str | None = None
    limit: int | None = None


@dataclass(slots=True)
class InboundFilter:
    keyword: str | None = None
    """A keyword, or NO_KEYWORD for messages without one."""
    to: str | None = None
    received_since: datetime | None = None
    received_until: datetime | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class NumberAnswer:
    """What Number Context says of one number."""

    to: str
    status: Status
    error: Error
    network: Network | None = None
    ported_network: Network | None = None
    roaming_network: Network | None = None
    imsi: str | None = None
    serving_msc: str | None = None
    message_id: str | None = None

    @property
    def mcc_mnc(self) -> str | None:
        serving = self.roaming_network or self.ported_network or self.network
        return None if serving is None else serving.mcc_mnc
