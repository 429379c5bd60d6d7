"""Accounts: credentials, balance and price, each one isolated from every other."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from smsmock.core.shared import LocalSettings, SharedSettings, decode, swap
from smsmock.encoding.segmentation import NATIONAL_POLICIES, NationalPolicy

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
    """The opening balance; what is left of it is kept by `Accounts`, in the store."""
    currency: str = "EUR"
    price_per_part: Decimal = Decimal("0.01")
    allowed_ips: tuple[IPNetwork, ...] = ()
    """Addresses the account may send from; empty: every address not denied."""
    denied_ips: tuple[IPNetwork, ...] = ()
    report_url: str | None = None
    """Where delivery reports of dialects without a per-message notify URL are POSTed (unified dlr=1)."""
    national_policy: NationalPolicy = "fewest"
    """How national tables a send asks for count (parts, price): `fewest`, or `requested` when every
    requested table's IE is counted even where the default alphabet would do."""

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
            "national_policy",
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
            national_policy=_national_policy(entry.get("national_policy", "fewest")),
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

    def entry(self) -> dict[str, Any]:
        """The account as a configuration entry (what `from_mapping` reads), its password with it."""
        return {
            "name": self.name,
            "username": self.username,
            "password": self.password,
            "api_key": self.api_key,
            "balance": str(self.balance),
            "currency": self.currency,
            "price_per_part": str(self.price_per_part),
            "allowed_ips": [str(network) for network in self.allowed_ips],
            "denied_ips": [str(network) for network in self.denied_ips],
            "report_url": self.report_url,
            "national_policy": self.national_policy,
        }

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
            "national_policy": self.national_policy,
        }


def _national_policy(value: Any) -> NationalPolicy:
    if value not in NATIONAL_POLICIES:
        choices = " or ".join(NATIONAL_POLICIES)
        raise ValueError(f"national_policy must be {choices}, not {value!r}")
    return value


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
    """The accounts the mock knows, found by Basic credentials or API key, and their balances.

    The configured accounts are the base; accounts added over the control API and every balance are
    shared settings of the store, so each process on it knows them and charges one balance.
    """

    def __init__(
        self, entries: Iterable[Mapping[str, Any]] = DEFAULT_ACCOUNTS, settings: SharedSettings | None = None
    ) -> None:
        self._settings = settings or SharedSettings(LocalSettings())
        self._base = [Account.from_mapping(entry) for entry in entries]
        self._by_name = _by_name(self._base, [])
        self._settings.watch(SETTING, self._load)
        self._balances_seen: dict[str, str | None] = {}
        """Each balance as this process last wrote it (see `swap`)."""

    def rebase(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Start again from these configured accounts (a reset to another configuration)."""
        self._base = [Account.from_mapping(entry) for entry in entries]
        self._by_name = _by_name(self._base, [])

    def put(self, account: Account) -> None:
        """Add an account, or replace the one of that name; its balance starts at the account's."""
        entry = account.entry()

        def added(entries: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
            kept = [other for other in entries or () if other["name"] != account.name]
            _by_name(self._base, [Account.from_mapping(other) for other in [*kept, entry]])  # clashes raise
            return [*kept, entry]

        self._settings.change(SETTING, added)
        self.set_balance(account, account.balance)

    def _load(self, entries: list[dict[str, Any]] | None) -> None:
        self._by_name = _by_name(self._base, [Account.from_mapping(entry) for entry in entries or ()])

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

    # balances

    def balance(self, account: Account) -> Decimal:
        stored = self._settings.store.setting(_balance_setting(account))
        return account.balance if stored is None else Decimal(decode(stored))

    def charge_each(self, account: Account, prices: Sequence[Decimal]) -> list[bool]:
        """Charge each price in turn while the balance covers it, in one change of the balance; for
        each, whether it was charged (one the balance did not cover takes nothing)."""
        charged: list[bool] = []

        def charge(stored: str | None) -> str | None:
            charged.clear()
            left = account.balance if stored is None else Decimal(stored)
            for price in prices:
                charged.append(price <= left)
                left -= price if charged[-1] else 0
            return str(left) if any(charged) else stored

        if prices:
            swap(
                self._settings.store,
                _balance_setting(account),
                charge,
                announce=False,
                seen=self._balances_seen,
            )
        return charged

    def refund(self, account: Account, price: Decimal) -> None:
        """Give back what a charge took for a message that was not sent after all."""
        swap(
            self._settings.store,
            _balance_setting(account),
            lambda stored: str((account.balance if stored is None else Decimal(stored)) + price),
            announce=False,
            seen=self._balances_seen,
        )

    def set_balance(self, account: Account, balance: Decimal) -> None:
        swap(
            self._settings.store,
            _balance_setting(account),
            lambda stored: str(balance),
            announce=False,
            seen=self._balances_seen,
        )

    def as_dict(self, account: Account) -> dict[str, Any]:
        """The account as the control API shows it: no password, the balance as it stands."""
        return {**account.as_dict(), "balance": float(self.balance(account))}


SETTING = "accounts"
"""The accounts added over the control API, among the shared settings."""


def _balance_setting(account: Account) -> str:
    return f"balance:{account.name}"


def _by_name(base: list[Account], added: list[Account]) -> dict[str, Account]:
    """The accounts by name, an added one replacing the configured one of its name; ValueError when
    two accounts would share a username."""
    found: dict[str, Account] = {}
    for account in [*base, *added]:
        for other in found.values():
            if other.name != account.name and other.username == account.username:
                raise ValueError(f"username {account.username!r} already belongs to {other.name!r}")
        found[account.name] = account
    return found
