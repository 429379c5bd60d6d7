"""`smsmock serve --config`: the configuration file's outcome rules add to the built-in ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsmock.server.config import ConfigError, load_config

BLOCKED = "{name: blocked, to: '4470[0-9]*', status: REJECTED_DND}"


def decided(config_text: str, tmp_path: Path, number: str) -> str:
    """The name of the rule that decides `number` under the configuration `config_text`."""
    path = tmp_path / "smsmock.yaml"
    path.write_text(config_text, encoding="utf-8")
    return load_config(path).rules.decide(number, "shortlink", "default").outcome.rule


@pytest.mark.parametrize(
    "rules",
    [
        f"rules: {{rules: [{BLOCKED}]}}\n",
        "rules: outcomes.yaml\n",
    ],
    ids=["inline", "file"],
)
def test_configured_rules_add_to_the_built_in_ones(rules: str, tmp_path: Path) -> None:
    (tmp_path / "outcomes.yaml").write_text(f"rules: [{BLOCKED}]\n", encoding="utf-8")
    assert decided(rules, tmp_path, "447012") == "blocked"
    assert decided(rules, tmp_path, "15550001003") == "absent-subscriber", "the README's numbers still work"
    assert decided(rules, tmp_path, "41793026727") == "default"


def test_configured_rules_may_replace_the_built_in_ones(tmp_path: Path) -> None:
    (tmp_path / "outcomes.yaml").write_text(f"replace: true\nrules: [{BLOCKED}]\n", encoding="utf-8")
    for rules in (f"rules: {{replace: true, rules: [{BLOCKED}]}}\n", "rules: outcomes.yaml\n"):
        assert decided(rules, tmp_path, "447012") == "blocked"
        assert decided(rules, tmp_path, "15550001003") == "default"


def test_a_bad_replace_flag_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.yaml"
    path.write_text("rules: {replace: maybe}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"smsmock\.yaml: `replace` must be true or false"):
        load_config(path)
