"""Bodies generated from the contracts validate; one broken field gives errors at that field only."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from smsmock.contracts import catalog, errors, operations, validate
from smsmock.contracts.generation import generation_schema
from smsmock.contracts.validation import schema_violations

JSON_SHAPED = [
    (dialect, name, direction, wire)
    for dialect in catalog.dialects()
    for name, contract in operations(dialect).items()
    for direction in ("request", "response")
    for wire in ("json", "params", "text")
    if wire in contract.formats(direction) and catalog.schema_file(dialect, name, direction, wire)
]

# Drawing from the larger contracts is slow; a few bodies each still cover every schema every run.
GENERATED = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))

CONTENT_TYPES = {"json": "application/json", "text": "text/plain"}


def _leaves(value, path=()):
    """Every scalar in a JSON value with its path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _pointer(path) -> str:
    return "".join(f"/{token}" for token in path) or "/"


def _broken(body, path):
    broken = copy.deepcopy(body)
    node = broken
    for token in path[:-1]:
        node = node[token]
    # An object is never what a scalar field of these contracts allows.
    node[path[-1]] = {"unexpected": True}
    return broken


@pytest.mark.parametrize("contract", JSON_SHAPED, ids=lambda c: "-".join(c))
def test_generated_bodies_validate_and_a_broken_field_fails_there(contract):
    dialect, name, direction, wire = contract
    content_type = CONTENT_TYPES.get(wire)

    @GENERATED
    @given(from_schema(generation_schema(dialect, name, direction, wire)), st.data())
    def check(body, data):
        # The schema's own verdict: validate() also holds rules no schema says (unified's alphabet per
        # message type), which a body drawn from the schema alone need not meet.
        found = errors(schema_violations(dialect, name, direction, body, content_type))
        assert found == [], "\n".join(map(str, found))
        leaves = [path for path, _ in _leaves(body) if path]
        if wire != "json" or not leaves:
            return
        path = data.draw(st.sampled_from(leaves), label="broken field")
        found = errors(validate(dialect, name, direction, _broken(body, path), content_type))
        assert found, f"breaking {_pointer(path)} went unnoticed"
        # Rules that tie fields together (a status id and its name) may also point at
        # a sibling of the broken field; never anywhere else.
        parent = _pointer(path[:-1])
        for violation in found:
            assert violation.location.startswith(parent), str(violation)

    check()
