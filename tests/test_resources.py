"""The shipped tables: every YAML file reads the same through the parsed-table cache as parsed afresh."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from smsmock.resources import cache_dir, cached_code, data_root, load_yaml, parse_yaml

SHIPPED = sorted(data_root().glob("fixtures/**/*.yaml")) + sorted(data_root().glob("schemas/*/*.yaml"))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SMSMOCK_CACHE_DIR", str(folder))
    return folder


def cached_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.marshal")) if folder.is_dir() else []


def test_every_shipped_table_reads_the_same_from_the_cache(cache: Path) -> None:
    assert SHIPPED, "no YAML tables found"
    for path in SHIPPED:
        parsed = parse_yaml(path.read_bytes())
        assert load_yaml(path) == parsed, f"{path.name}, first read"
        assert load_yaml(path) == parsed, f"{path.name}, read back from the cache"
    assert len(cached_files(cache)) == len({path.read_bytes() for path in SHIPPED})


def test_a_second_read_does_not_parse(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = SHIPPED[0]
    first = load_yaml(table)

    def no_parsing(source: Any) -> Any:
        raise AssertionError("parsed again although the cache holds it")

    monkeypatch.setattr("smsmock.resources.parse_yaml", no_parsing)
    assert load_yaml(table) == first


def test_an_edited_table_is_parsed_again(cache: Path, tmp_path: Path) -> None:
    table = tmp_path / "rules.yaml"
    table.write_text("default: {status: DELIVERED_TO_HANDSET}\n", encoding="utf-8")
    assert load_yaml(table) == {"default": {"status": "DELIVERED_TO_HANDSET"}}
    table.write_text("default: {status: EXPIRED_EXPIRED}\n", encoding="utf-8")
    assert load_yaml(table) == {"default": {"status": "EXPIRED_EXPIRED"}}


def test_a_damaged_cache_file_is_parsed_over(cache: Path, tmp_path: Path) -> None:
    table = tmp_path / "table.yaml"
    table.write_text("rows: [1, 2, 3]\n", encoding="utf-8")
    load_yaml(table)
    (written,) = cached_files(cache)
    written.write_bytes(written.read_bytes()[:3])
    assert load_yaml(table) == {"rows": [1, 2, 3]}
    assert load_yaml(table) == {"rows": [1, 2, 3]}


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("SMSMOCK_CACHE_DIR", str(blocked / "cache"))
    table = tmp_path / "table.yaml"
    table.write_text("rows: [a, b]\n", encoding="utf-8")
    assert load_yaml(table) == {"rows": ["a", "b"]}
    assert load_yaml(table) == {"rows": ["a", "b"]}


def test_a_value_marshal_cannot_hold_is_read_uncached(cache: Path, tmp_path: Path) -> None:
    table = tmp_path / "dated.yaml"
    table.write_text("since: 2026-11-22\n", encoding="utf-8")
    first = load_yaml(table)
    assert str(first["since"]) == "2026-11-22"
    assert load_yaml(table) == first
    assert cached_files(cache) == []


def test_generated_code_is_compiled_once_per_key(cache: Path) -> None:
    generated = []

    def source() -> str:
        generated.append("ANSWER")
        return "ANSWER = 6 * 7\n"

    for _ in range(2):
        namespace: dict[str, Any] = {}
        exec(cached_code(b"the answer", source, "<the answer>"), namespace)
        assert namespace["ANSWER"] == 42
    assert generated == ["ANSWER"], "the second start reads the compiled code back"
    exec(cached_code(b"another key", source, "<the answer>"), {})
    assert generated == ["ANSWER", "ANSWER"]
    assert len(cached_files(cache)) == 2


def test_the_cache_lives_where_the_environment_says(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SMSMOCK_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "smsmock"
    monkeypatch.setenv("SMSMOCK_CACHE_DIR", str(tmp_path / "own"))
    assert cache_dir() == tmp_path / "own"


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=20),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(document=DOCUMENTS)
def test_any_yaml_document_round_trips_through_the_cache(document: Any) -> None:
    # A folder per example: a fixture's tmp_path would be shared by every example hypothesis draws.
    with tempfile.TemporaryDirectory() as scratch, pytest.MonkeyPatch.context() as patch:
        patch.setenv("SMSMOCK_CACHE_DIR", str(Path(scratch) / "cache"))
        table = Path(scratch) / "table.yaml"
        table.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        # Held to what the parser reads, not to `document`: PyYAML itself does not give back every
        # string it dumps (a NEL, U+0085, in a key reads back as a space).
        parsed = parse_yaml(table.read_bytes())
        assert load_yaml(table) == parsed, "parsed and stored"
        assert load_yaml(table) == parsed, "read back from the cache"


def test_this_test_run_caches_parsed_tables_in_a_temporary_folder_not_the_user_s() -> None:
    folder = cache_dir().resolve()
    assert folder.is_relative_to(Path(tempfile.gettempdir()).resolve()), folder
    assert not folder.is_relative_to((Path.home() / ".cache").resolve())
