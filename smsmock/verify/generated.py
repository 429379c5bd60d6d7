"""Requests drawn with hypothesis: valid bodies from the contracts, and invalid variants of them.

Hypothesis is driven programmatically: an inner `@given` function collects what it is handed, with a
fixed seed, no example database and `max_examples` as the bound. Nothing fails inside it, so nothing
shrinks; the verifier sends what was collected afterwards, in order. Drawing from the contracts is
slow for the larger schemas, so what one seed and bound give is kept for the rest of the process.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import HealthCheck, Phase, assume, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from smsmock import strategies
from smsmock.contracts.validation import Violation, errors, validate

DEFAULT_SEED = 20150212
"""The seed when none is given: the date of the shortlink document's first example."""

BAD_VALUES: tuple[Any, ...] = ("", "abc", "-1", "12.5", "+", "ÄÖ€", -1, 12.5, True, [], {"x": "y"})
"""Values most fields of the contracts refuse: wrong type, blank, no number, no sender."""


Keep = Callable[[Any], bool]
Clean = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Variant:
    """An invalid request: a valid one with one field removed or replaced, and what was done."""

    body: Any
    change: str
    violations: tuple[Violation, ...]


def _settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


def _collect(strategy: st.SearchStrategy[Any], max_examples: int, seed_value: int) -> list[Any]:
    """What hypothesis draws from `strategy` in one run, without repeats."""
    drawn: list[Any] = []
    seen: set[str] = set()

    @seed(seed_value)
    @_settings(max_examples)
    @given(strategy)
    def collect(value: Any) -> None:
        key = json.dumps(value, sort_keys=True, ensure_ascii=True, default=repr)
        if key not in seen:
            seen.add(key)
            drawn.append(value)

    # Every draw filtered out is not an error: there is just nothing to send.
    with contextlib.suppress(Unsatisfiable):
        collect()
    return drawn


@cache
def _valid_bodies(
    dialect: str,
    operation: str,
    wire: str,
    max_examples: int,
    seed_value: int,
    clean: Clean | None,
    keep: Keep | None,
) -> str:
    strategy = strategies.request_bodies(dialect, operation, wire)
    if clean is not None:
        # Cleaning may break the contract (an id left empty): what no longer meets it is drawn again.
        strategy = strategy.map(clean).filter(
            lambda body: not errors(validate(dialect, operation, "request", body))
        )
    if keep is not None:
        strategy = strategy.filter(keep)
    return json.dumps(_collect(strategy, max_examples, seed_value))


def valid_bodies(
    dialect: str,
    operation: str,
    wire: str,
    max_examples: int,
    seed_value: int = DEFAULT_SEED,
    *,
    clean: Clean | None = None,
    keep: Keep | None = None,
) -> list[Any]:
    """Up to `max_examples` bodies (wire "json") or parameter mappings ("params") meeting the contract.

    `clean` changes each drawn body (takes out what a server cannot echo); `keep` leaves out bodies the
    contract allows but a server may still refuse (a 31st of September). Both are cheap beside drawing
    from a large schema again, which a rejected draw costs.
    """
    if max_examples < 1:
        return []
    return json.loads(_valid_bodies(dialect, operation, wire, max_examples, seed_value, clean, keep))


def _paths(body: Any, frozen: frozenset[str]) -> list[tuple[Any, ...]]:
    """Where a field can be changed: top-level fields, and fields of the first item of a list of objects."""
    if not isinstance(body, dict):
        return []
    paths: list[tuple[Any, ...]] = []
    for key, value in body.items():
        if key in frozen:
            continue
        paths.append((key,))
        items = value if isinstance(value, list) else []
        if items and isinstance(items[0], dict):
            paths.extend((key, 0, inner) for inner in items[0] if inner not in frozen)
            destinations = items[0].get("destinations")
            if isinstance(destinations, list) and destinations and isinstance(destinations[0], dict):
                paths.extend((key, 0, "destinations", 0, inner) for inner in destinations[0])
    return paths


def _changed(body: Any, path: tuple[Any, ...], value: Any, remove: bool) -> Any:
    changed = copy.deepcopy(body)
    target = changed
    for step in path[:-1]:
        target = target[step]
    if remove:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


def _shown_path(path: tuple[Any, ...]) -> str:
    return "/" + "/".join(str(step) for step in path)


def invalid_variants(
    dialect: str,
    operation: str,
    wire: str,
    bodies: list[Any],
    max_examples: int,
    seed_value: int = DEFAULT_SEED,
    *,
    frozen: frozenset[str] = frozenset(),
    refused: Callable[[list[Violation]], bool] | None = None,
) -> list[Variant]:
    """Valid bodies with one field removed or given a value the contract refuses.

    Only variants `validate()` finds errors in are kept, and of those only the ones `refused` says a
    server must refuse (an over-long validity period is shortened, not refused). `frozen` fields are
    never touched (credentials: their probes are the auth group's).
    """
    if not bodies or max_examples < 1:
        return []
    is_params = wire == "params"
    values = st.one_of(
        st.sampled_from(BAD_VALUES),
        strategies.invalid_phone_numbers(),
        strategies.invalid_sender_ids(),
    )
    if is_params:
        values = values.map(lambda value: value if isinstance(value, str) else json.dumps(value))

    @st.composite
    def variants(draw: st.DrawFn) -> Variant:
        body = draw(st.sampled_from(bodies))
        paths = _paths(body, frozen)
        assume(paths)
        path = draw(st.sampled_from(paths))
        remove = draw(st.booleans())
        value = None if remove else draw(values)
        changed = _changed(body, path, value, remove)
        found = errors(validate(dialect, operation, "request", changed, "params" if is_params else None))
        assume(found and (refused is None or refused(found)))
        what = f"{_shown_path(path)} removed" if remove else f"{_shown_path(path)} = {json.dumps(value)}"
        return Variant(changed, what, tuple(found))

    return _collect(variants(), max_examples, seed_value)


# quicktel: no JSON-shaped contract to draw from, so its XML requests are built from the strategies.


@cache
def _quicktel_batches(max_examples: int, seed_value: int) -> str:
    sms = st.fixed_dictionaries(
        {
            "number": strategies.phone_numbers(plus=False, min_digits=10, max_digits=15),
            "source_number": strategies.sender_ids("alphanumeric", min_size=3),
            "text": strategies.gsm_texts(extension=True, min_size=1, max_size=300).filter(_sendable_in_xml),
        },
        optional={"ttl": st.integers(1, 1440).map(str)},
    )
    return json.dumps(_collect(st.lists(sms, min_size=1, max_size=3), max_examples, seed_value))


def _sendable_in_xml(text: str) -> bool:
    """Not blank, and no character XML 1.0 cannot carry (the GSM form feed is one)."""
    return bool(text.strip()) and all(char in "\t\n" or ord(char) >= 0x20 for char in text)


def quicktel_batches(max_examples: int, seed_value: int = DEFAULT_SEED) -> list[list[dict[str, str]]]:
    """Lists of one to three SMS (number, source_number, text, optional ttl) for sms_send requests."""
    if max_examples < 1:
        return []
    return json.loads(_quicktel_batches(max_examples, seed_value))
