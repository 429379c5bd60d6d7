"""The mock's status and error vocabulary: the shortlink family's tables, which every dialect maps from."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from smsmock.contracts.catalog import code_tables

ACCEPTED = "MESSAGE_ACCEPTED"
NO_ERROR = "NO_ERROR"


@dataclass(frozen=True, slots=True)
class Status:
    id: int
    name: str
    group_id: int
    group_name: str
    description: str
    action: str | None = None

    @property
    def final(self) -> bool:
        """Delivered, undeliverable, expired or rejected: the message will not change again."""
        return self.group_name not in ("ACCEPTED", "PENDING")


@dataclass(frozen=True, slots=True)
class Error:
    id: int
    name: str
    group_id: int
    group_name: str
    description: str
    permanent: bool


@dataclass(frozen=True, slots=True)
class Vocabulary:
    statuses: dict[str, Status]
    errors: dict[str, Error]
    _statuses_by_id: dict[int, Status] = field(init=False, repr=False, compare=False)
    _errors_by_id: dict[int, Error] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_statuses_by_id", {status.id: status for status in self.statuses.values()})
        object.__setattr__(self, "_errors_by_id", {error.id: error for error in self.errors.values()})

    def status(self, key: str | int) -> Status:
        """A status by name or id (an id may come as a digit string, as from a rule's pattern)."""
        found = _lookup(key, self.statuses, self._statuses_by_id)
        if found is None:
            raise KeyError(f"unknown status {key!r}")
        return found

    def error(self, key: str | int) -> Error:
        found = _lookup(key, self.errors, self._errors_by_id)
        if found is None:
            raise KeyError(f"unknown GSM error {key!r}")
        return found


def _lookup(key: str | int, by_name: dict[str, Any], by_id: dict[int, Any]) -> Any:
    if isinstance(key, int) or str(key).isdigit():
        return by_id.get(int(key))
    return by_name.get(key)


@cache
def vocabulary() -> Vocabulary:
    """Statuses 1-25 and the accepted status 0 the examples show; GSM errors with their groups."""
    tables = code_tables("shortlink")
    groups = {row["group_id"]: row["group_name"] for row in tables["status_groups"].rows}
    statuses = {ACCEPTED: Status(0, ACCEPTED, 0, "ACCEPTED", "Message accepted")}
    for row in tables["statuses"].rows:
        statuses[row["name"]] = Status(
            row["id"],
            row["name"],
            row["group_id"],
            groups[row["group_id"]],
            row["description"],
            row["action"],
        )
    errors = {
        row["name"]: Error(
            row["id"],
            row["name"],
            row["group_id"],
            row["group_name"],
            row["description"],
            bool(row["permanent"]),
        )
        for row in tables["gsm_error_details_own"].rows
    }
    return Vocabulary(statuses, errors)
