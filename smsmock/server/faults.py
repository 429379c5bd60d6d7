"""Faults injected for matching requests: a delay, an HTTP status, a dropped connection, a bad body,
or one of a dialect's own error codes (unified 1710, sendsms 400, ...).

Each fault says whether the provider did the work (`processed`). A refusal (`status`, `code`) means it
did not: nothing is stored or charged, and a retry is a first attempt. A lost reply (`drop`,
`malformed`) means it did: the message is accepted and charged, and a blind retry sends it twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smsmock.core.shared import LocalSettings, SharedSettings

ACTIONS = ("delay", "status", "drop", "malformed", "code")
MAX_DELAY = 600.0
"""The longest delay a fault may ask for: a request held longer only ties up a server thread."""


@dataclass(slots=True)
class Fault:
    id: int
    path: re.Pattern[str] | None
    method: str | None
    dialect: str | None
    operation: str | None
    delay: float
    status: int | None
    drop: bool
    malformed: bool
    code: int | None
    """A dialect's own error code the request is answered with; nothing is sent."""
    remaining: int | None
    """How many more requests it applies to; None until cleared."""
    processed: bool
    """Whether the request is carried out (stored, charged) before the fault shapes its reply."""

    def matches(self, method: str, path: str, dialect: str | None, operation: str | None) -> bool:
        return (
            (self.method is None or self.method == method)
            and (self.path is None or self.path.search(path) is not None)
            and (self.dialect is None or self.dialect == dialect)
            and (self.operation is None or self.operation == operation)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": None if self.path is None else self.path.pattern,
            "method": self.method,
            "dialect": self.dialect,
            "operation": self.operation,
            "delay": self.delay,
            "status": self.status,
            "drop": self.drop,
            "malformed": self.malformed,
            "code": self.code,
            "remaining": self.remaining,
            "processed": self.processed,
        }


class Faults:
    """The faults in force, oldest first: a shared setting, so a fault added through one process of a
    store applies in all, and one of `times` uses is used that many times in all of them together."""

    def __init__(self, settings: SharedSettings | None = None) -> None:
        self._settings = settings or SharedSettings(LocalSettings())
        self._faults: list[Fault] = []
        self._settings.watch(SETTING, self._load)

    def _load(self, state: dict[str, Any] | None) -> None:
        self._faults = [_fault(entry) for entry in (state or {}).get("faults", ())]

    def add(self, spec: Mapping[str, Any]) -> Fault:
        fault = _checked(spec)

        def added(state: dict[str, Any] | None) -> dict[str, Any]:
            state = state or {"next": 1, "faults": []}
            fault.id = state["next"]
            return {"next": fault.id + 1, "faults": [*state["faults"], fault.as_dict()]}

        self._settings.change(SETTING, added)
        return fault

    def __bool__(self) -> bool:
        """Whether any fault is in force (as this process last read them)."""
        return bool(self._faults)

    def take(self, method: str, path: str, dialect: str | None, operation: str | None) -> Fault | None:
        """The first fault matching this request, counted as used once."""
        faults = self._faults
        if not faults:
            return None
        found = next((fault for fault in faults if fault.matches(method, path, dialect, operation)), None)
        if found is None or found.remaining is None:
            return found  # a fault in force until cleared: nothing to count
        taken: Fault | None = None

        def used(state: dict[str, Any] | None) -> dict[str, Any] | None:
            # The stored faults, not this process's copy: another process may have used it up.
            nonlocal taken
            taken = None
            entries = list((state or {}).get("faults", ()))
            for index, entry in enumerate(entries):
                fault = _fault(entry)
                if fault.matches(method, path, dialect, operation):
                    taken = fault
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining > 0:
                            entries[index] = fault.as_dict()
                        else:
                            del entries[index]
                    break
            return None if state is None else {**state, "faults": entries}

        self._settings.change(SETTING, used)
        return taken

    def all(self) -> list[Fault]:
        return list(self._faults)

    def clear(self, fault_id: int | None = None) -> None:
        def cleared(state: dict[str, Any] | None) -> dict[str, Any] | None:
            if state is None:
                return None
            kept = [entry for entry in state["faults"] if fault_id is not None and entry["id"] != fault_id]
            return {**state, "faults": kept}

        self._settings.change(SETTING, cleared)


SETTING = "faults"
"""The faults' name among the shared settings: the next fault id, and each fault as the API lists it."""


def _fault(entry: Mapping[str, Any]) -> Fault:
    return Fault(
        id=entry["id"],
        path=None if entry["path"] is None else re.compile(entry["path"]),
        method=entry["method"],
        dialect=entry["dialect"],
        operation=entry["operation"],
        delay=entry["delay"],
        status=entry["status"],
        drop=entry["drop"],
        malformed=entry["malformed"],
        code=entry["code"],
        remaining=entry["remaining"],
        processed=entry["processed"],
    )


def _checked(spec: Mapping[str, Any]) -> Fault:
    """The fault a control request describes (its id given when it is added); ValueError saying why not."""
    unknown = set(spec) - {"path", "method", "dialect", "operation", "times", "processed", *ACTIONS}
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
    if not any(spec.get(action) not in (None, False, 0) for action in ACTIONS):
        raise ValueError(f"a fault needs one of {', '.join(ACTIONS)}")
    code = spec.get("code")
    if code is not None:
        if isinstance(code, bool) or not isinstance(code, int):
            raise ValueError("code must be a whole number, one of the dialect's error codes")
        if not spec.get("dialect"):
            raise ValueError("a fault with a code needs a dialect: codes differ between dialects")
    status = spec.get("status")
    if status is not None and not (
        isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599
    ):
        raise ValueError("status must be an HTTP status code (100-599)")
    delay = spec.get("delay") or 0
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= MAX_DELAY:
        raise ValueError(f"delay must be a number of seconds from 0 to {MAX_DELAY:g}")
    times = spec.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError("times must be a positive whole number (or absent: until cleared)")
    processed = spec.get("processed")
    if processed is not None and not isinstance(processed, bool):
        raise ValueError("processed must be true or false")
    if processed is None:
        # A lost reply follows work done; a refusal means none was; a slow server still does it.
        refused = spec.get("status") is not None or code is not None
        processed = bool(spec.get("drop") or spec.get("malformed")) or not refused
    try:
        path = re.compile(spec["path"]) if spec.get("path") else None
    except re.error as error:
        raise ValueError(f"path is not a regular expression: {error}") from error
    return Fault(
        id=0,
        path=path,
        method=str(spec["method"]).upper() if spec.get("method") else None,
        dialect=spec.get("dialect"),
        operation=spec.get("operation"),
        delay=float(delay),
        status=status,
        drop=bool(spec.get("drop")),
        malformed=bool(spec.get("malformed")),
        code=code,
        remaining=times,
        processed=processed,
    )
