"""`smsmock segments`: the engine for a person and for other tools."""

from __future__ import annotations

import json

import pytest

from smsmock.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_fixed_keys(capsys):
    code, out, _ = run(capsys, "segments", "--json", "a" * 152 + "€" + "b" * 152)
    result = json.loads(out)
    assert code == 0
    assert (result["encoding"], result["units"], result["segments"]) == ("GSM7", 306, 3)
    assert result["parts"] == ["a" * 152, "€" + "b" * 151, "b"]


def test_report_marks_costly_and_ucs2_forcing_characters(capsys):
    code, out, _ = run(capsys, "segments", "Ça coûte 5€ 😀")
    assert code == 0
    assert "encoding: UCS2" in out
    assert "UCS-2 because of: û U+00FB, 😀 U+1F600" in out
    assert "[û]" in out


def test_report_for_gsm_text(capsys):
    _, out, _ = run(capsys, "segments", "a" * 159 + "€")
    assert "length:   161 septets" in out
    assert "parts:    2 of up to 153 septets each" in out
    assert "two septets each: €" in out
    assert "--- part 2/2 (8 septets)" in out


def test_national_language_options(capsys):
    _, out, _ = run(capsys, "segments", "--json", "--language", "TR", "--single-shift", "Türkçe ış")
    result = json.loads(out)
    assert (result["encoding"], result["language"], result["single_shift"]) == ("GSM7", "TR", True)


def test_dialect_profile_forces_its_encoding(capsys):
    _, out, _ = run(capsys, "segments", "--json", "--profile", "unified:2", "hello")
    assert json.loads(out)["encoding"] == "UCS2"
    _, out, _ = run(capsys, "segments", "--json", "--profile", "unified:1", "a" * 141)
    assert json.loads(out)["segments"] == 2


def test_errors_are_messages_not_tracebacks(capsys):
    code, _, err = run(capsys, "segments", "--profile", "unified:0", "ça")
    assert code == 2
    assert "not in the GSM 7-bit tables: 'ç'" in err
    code, _, err = run(capsys, "segments", "--language", "XX", "a")
    assert code == 2
    assert "unknown national language 'XX'" in err
    with pytest.raises(SystemExit, match="has no profile '9'"):
        main(["segments", "--profile", "unified:9", "a"])


def test_validate_reports_errors_and_warnings(capsys, tmp_path):
    body = tmp_path / "body.json"
    body.write_text('{"from": "ab", "to": "41793026727", "text": "x", "type": "text"}')
    code, out, _ = run(
        capsys,
        "validate",
        "--dialect",
        "shortlink",
        "--operation",
        "send_text_single",
        "--request",
        str(body),
    )
    assert code == 1
    assert "error: /from: expected a string matching" in out
    assert "warning: /type:" in out
    assert out.rstrip().endswith("send_text_single request: 1 errors, 1 warnings")


def test_validate_accepts_a_valid_reply(capsys, tmp_path):
    reply = tmp_path / "reply.txt"
    reply.write_text("1701|41793026727|a1b2c3")
    code, out, _ = run(
        capsys, "validate", "--dialect", "unified", "--operation", "submit", "--response", str(reply)
    )
    assert code == 0
    assert out.strip() == "unified submit response: 0 errors, 0 warnings"


def test_validate_unknown_operation_or_file(capsys, tmp_path):
    code, _, err = run(capsys, "validate", "--dialect", "unified", "--operation", "nope", "--request", "-")
    assert code == 2 and "unified has no operation 'nope'" in err
    code, _, err = run(
        capsys,
        "validate",
        "--dialect",
        "unified",
        "--operation",
        "submit",
        "--request",
        str(tmp_path / "missing"),
    )
    assert code == 2 and "cannot read" in err


def test_national_policy_flag(capsys):
    text = "a" * 160
    code, out, _ = run(capsys, "segments", "--language", "TR", "--single-shift", text)
    assert code == 0
    assert "parts:    1 of up to 160 septets each" in out
    assert "national: fewest (" in out
    code, out, _ = run(
        capsys, "segments", "--language", "TR", "--single-shift", "--national-policy", "requested", text
    )
    assert code == 0
    assert "encoding: GSM7 (national language TR: single shift)" in out
    assert "parts:    2 of up to 149 septets each, 138 left in the last" in out
    assert "national: requested (" in out
    _, out, _ = run(
        capsys,
        "segments",
        "--json",
        "--language",
        "PT",
        "--single-shift",
        "--locking-shift",
        "--national-policy",
        "requested",
        text,
    )
    result = json.loads(out)
    assert (result["segments"], result["capacity"], result["national_policy"]) == (2, 146, "requested")
    assert (result["locking_shift"], result["single_shift"]) == (True, True)
    # Without national tables the report stays as it was.
    _, out, _ = run(capsys, "segments", "abc")
    assert "national:" not in out
    with pytest.raises(SystemExit):
        main(["segments", "--national-policy", "most", "abc"])
    assert "invalid choice: 'most'" in capsys.readouterr().err
