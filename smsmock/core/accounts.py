"""Accounts: credentials, balance and price, each one isolated from every other."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

DEFAULT_ACCOUNTS: tuple[dict[str, Any], ...] = (
    {
        "name": "default",
        "username": "Aladdin",
        "password": "open sesame",
        "api_key": "test-api-key",
        "balance": "100",
        "currency": "EUR",
        "price_per_part": "0.01",
    },
)
"""The documents' own credentials, working out of the box."""

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(slots=True)
class Account:
    name: str
    username: str
    password: str
    api_key: str | None = None
    balance: Decimal = Decimal("100")
    currency: str = "EUR"
    price_per_part: Decimal = Decimal("0.01")
    allowed_ips: tuple[IPNetwork, ...] = ()
    """Addresses the account may send from; empty: every address not denied."""
    denied_ips: tuple[IPNetwork, ...] = ()
    report_url: str | None = None
    """Where delivery reports of dialects without a per-message notify URL are POSTed (unified dlr=1)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def from_mapping(cls, entry: Mapping[str, Any]) -> Account:
        unknown = set(entry) - {
            "name",
            "username",
            "password",
            "api_key",
            "balance",
            "currency",
            "price_per_part",
            "allowed_ips",
            "denied_ips",
            "report_url",
        }
        if unknown:
            raise ValueError(f"unknown account field(s): {', '.join(sorted(unknown))}")
        if not entry.get("name") or not entry.get("username"):
            raise ValueError("an account needs a name and a username")
        return cls(
            name=str(entry["name"]),
            username=str(entry["username"]),
            password=str(entry.get("password", "")),
            api_key=None if entry.get("api_key") is None else str(entry["api_key"]),
            balance=amount(entry.get("balance", "100"), "balance"),
            currency=str(entry.get("currency", "EUR")),
            price_per_part=amount(entry.get("price_per_part", "0.01"), "price_per_part"),
            allowed_ips=_networks(entry.get("allowed_ips"), "allowed_ips"),
            denied_ips=_networks(entry.get("denied_ips"), "denied_ips"),
            report_url=None if entry.get("report_url") is None else str(entry["report_url"]),
        )

    def refuses(self, address: str | None) -> str | None:
        """Why the account may not send from `address`: `denied`, `not_allowed`, or None (it may)."""
        try:
            ip = ipaddress.ip_address((address or "").strip())
        except ValueError:
            ip = None
        if ip is not None and any(ip in network for network in self.denied_ips):
            return "denied"
        if self.allowed_ips and (ip is None or not any(ip in network for network in self.allowed_ips)):
            return "not_allowed"
        return None

    def charge(self, amount: Decimal) -> bool:
        """Take `amount` off the balance if it covers it; False (and nothing taken) if it does not."""
        with self._lock:
            if amount > self.balance:
                return False
            self.balance -= amount
            return True

    def refund(self, amount: Decimal) -> None:
        """Give back what a charge took for a message that was not sent after all."""
        with self._lock:
            self.balance += amount

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "username": self.username,
            "api_key": self.api_key,
            "balance": float(self.balance),
            "currency": self.currency,
            "price_per_part": float(self.price_per_part),
            "allowed_ips": [str(network) for network in self.allowed_ips],
            "denied_ips": [str(network) for network in self.denied_ips],
            "report_url": self.report_url,
        }


def _networks(value: Any, name: str) -> tuple[IPNetwork, ...]:
    """Addresses or CIDR blocks (`127.0.0.1`, `10.0.0.0/8`, `::1`) from a list."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"{name} must be a list of addresses or CIDR blocks")
    try:
        return tuple(ipaddress.ip_network(str(item).strip(), strict=False) for item in value)
    except ValueError as problem:
        raise ValueError(f"{name}: {problem}") from None


MAX_AMOUNT = Decimal(10**15)
"""Amounts are written as JSON numbers: below this they stay finite, and exact to the cent, as floats."""


def amount(value: Any, name: str) -> Decimal:
    """A finite decimal amount (balance, price); ValueError naming the field otherwise."""
    try:
        found = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if isinstance(value, bool) or not found.is_finite():
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    if abs(found) >= MAX_AMOUNT:
        raise ValueError(f"{name} must be less than {MAX_AMOUNT:,} in size, not {value!r}")
    return found


class Accounts:
    """The accounts the mock knows, found by Basic credentials or API key."""

    def __init__(self, entries: Iterable[Mapping[str, Any]] = DEFAULT_ACCOUNTS) -> None:
        self._lock = threading.Lock()
        self._by_name: dict[str, Account] = {}
        for entry in entries:
            self.put(Account.from_mapping(entry))

    def put(self, account: Account) -> None:
        with self._lock:
            for other in self._by_name.values():
                if other.name != account.name and other.username == account.username:
                    raise ValueError(f"username {account.username!r} already belongs to {other.name!r}")
            self._by_name[account.name] = account

    def get(self, name: str) -> Account | None:
        return self._by_name.get(name)

    def all(self) -> list[Account]:
        return list(self._by_name.values())

    def authenticate(self, username: str, password: str) -> Account | None:
        for account in self._by_name.values():
            if account.username == username and account.password == password:
                return account
        return None

    def by_api_key(self, api_key: str) -> Account | None:
        for account in self._by_name.values():
            if account.api_key is not None and account.api_key == api_key:
                return account
        return None
