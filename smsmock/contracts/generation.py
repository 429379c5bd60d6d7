"""Contracts reshaped for generating bodies: valid bodies only, in a form generators handle quickly.

Tables in the schemas tie fields together with `if`/`then` rules (a status id
fixes its name and group). Generators such as hypothesis-jsonschema explore
such rules branch by branch, which explodes with dozens of them; spelled out as
the table's consistent rows they are cheap to draw from. The rows keep only the
fields the rules fix, so generated objects leave optional free text out. Date-times are drawn from
real days only: a pattern cannot say which days a month has.
"""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any

from smsmock.contracts.catalog import inlined_schema
from smsmock.contracts.moments import FORMATS


def _const_rule(rule: Any) -> tuple[str, Any, dict[str, Any]] | None:
    """(key, value, consts) for a rule `if key == value then other fields == consts`, else None."""
    if not isinstance(rule, dict) or set(rule) != {"if", "then"}:
        return None
    condition = rule["if"].get("properties", {})
    if len(condition) != 1:
        return None
    ((key, test),) = condition.items()
    consts = {
        name: spec["const"] for name, spec in rule["then"].get("properties", {}).items() if "const" in spec
    }
    if "const" not in test or len(consts) != len(rule["then"].get("properties", {})):
        return None
    return key, test["const"], consts


def _rows(families: dict[str, dict[Any, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Every consistent assignment of the keyed fields, following rules that feed other rules."""
    fed = {name for rules in families.values() for consts in rules.values() for name in consts}
    roots = [key for key in families if key not in fed] or list(families)
    combinations = []
    for values in itertools.product(*(families[key].items() for key in roots)):
        row: dict[str, Any] = {}
        for key, (value, consts) in zip(roots, values, strict=True):
            row[key] = value
            row.update(consts)
        # Follow rules keyed on fields the roots fixed (id -> groupId -> groupName).
        changed = True
        while changed:
            changed = False
            for key, rules in families.items():
                if key in row and row[key] in rules:
                    for name, const in rules[row[key]].items():
                        if row.get(name) != const:
                            row[name] = const
                            changed = True
        combinations.append(row)
    return combinations


def _exclusive_fields(node: dict[str, Any]) -> dict[str, Any]:
    """`oneOf` of bare `required` lists ("exactly one of these fields") as branches that forbid the others.

    Generators draw from the rewritten form directly instead of filtering for exactly one match.
    """
    choices = node.get("oneOf")
    if not isinstance(choices, list) or not all(set(choice) == {"required"} for choice in choices):
        return node
    names = [name for choice in choices for name in choice["required"]]
    rest = {key: value for key, value in node.items() if key != "oneOf"}
    properties = rest.get("properties", {})
    branches = []
    for choice in choices:
        kept = {
            name: spec for name, spec in properties.items() if name in choice["required"] or name not in names
        }
        required = [*rest.get("required", ()), *choice["required"]]
        branches.append({**rest, "properties": kept, "required": required})
    return {"anyOf": branches}


REAL_MOMENT = (
    r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])$"
)
"""The date-time pattern with days every month has, in years any offset keeps inside the calendar: a
generator drawing from it meets the contracts' moment formats (smsmock.contracts.moments) every time."""


def _spell_out(node: Any) -> Any:
    if isinstance(node, list):
        return [_spell_out(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _spell_out(value) for key, value in node.items()}
    if node.get("format") in FORMATS and "pattern" in node:
        node["pattern"] = REAL_MOMENT
    node = _exclusive_fields(node)
    rules = node.get("allOf")
    parsed = [_const_rule(rule) for rule in rules] if isinstance(rules, list) else []
    if not parsed or any(rule is None for rule in parsed):
        return node
    families: dict[str, dict[Any, dict[str, Any]]] = {}
    for key, value, consts in parsed:
        families.setdefault(key, {})[value] = consts
    base = {key: value for key, value in node.items() if key != "allOf"}
    rows = _rows(families)
    if all(set(base.get("required", ())) <= set(row) for row in rows):
        # The rows are whole valid objects: drawing one is all a generator needs to do.
        return {"enum": rows}
    properties = base.get("properties", {})
    branches = [
        {**base, "properties": {**properties, **{name: {"const": value} for name, value in row.items()}}}
        for row in rows
    ]
    return {"anyOf": branches}


@cache
def generation_schema(dialect: str, name: str, direction: str, wire: str) -> dict[str, Any]:
    """The inlined contract with its table rules spelled out as `anyOf` branches."""
    return _spell_out(inlined_schema(dialect, name, direction, wire))
