"""Nothing silently wrong with numbers (issue 24, items 8-10): one number parser for flags and
files (no underscores, no other scripts' digits, no silent underflow, no duplicate keys), strict
JSON out (a number that is not finite is null), and a "0" that says nothing is no agreement.
"class:" marks a member of a defect's class the issue did not list."""
from __future__ import annotations

import json

import pytest

from conftest import load_script
from torch_bp.core.deck import DECK_WEIGHTS
from torch_bp.core.numbers import strict_json, to_float
from torch_bp.explain import check


def run(name, capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        status = load_script(name).main([str(a) for a in argv])
    except SystemExit as e:  # argparse's refusal of a flag
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def strict_loads(text: str):
    """json.loads that refuses NaN and Infinity, as JSON itself (RFC 8259) does."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def huge_weights(tmp_path):
    path = tmp_path / "w.json"
    weights = {k: [[1e308, 1e308], [1e308, 1e308]] if "weight" in k else 1e308 for k in DECK_WEIGHTS}
    path.write_text(json.dumps(weights))
    return path


# ---- 8. strict JSON: non-finite numbers are null -------------------------------------------------

def test_the_checks_json_holds_no_bare_nan(tmp_path, capsys):
    """Item 8: --check ... --format json wrote bare NaN (and Infinity) with weights of 1e308."""
    answers = tmp_path / "mine.json"
    answers.write_text(json.dumps({q: "1" for q in check.quantities()}))
    status, out, err = run("explain", capsys, "--weights", huge_weights(tmp_path), "--check", answers,
                           "--format", "json")
    assert status == 0, err
    rows = strict_loads(out)["rows"]
    assert any(v is None for r in rows for v in r.values())


def test_the_reports_json_writes_null_not_the_string_nan(tmp_path, capsys):
    """Item 8: the report's JSON wrote the string "nan" (one convention: null, stated in --help)."""
    status, out, err = run("explain", capsys, "--weights", huge_weights(tmp_path), "--format", "json", "--rounds", "1")
    assert status == 0, err
    values = [v for r in strict_loads(out) for v in r.values()]
    assert None in values and not {"nan", "inf", "-inf"} & {v for v in values if isinstance(v, str)}


def test_strict_json_nulls_every_non_finite_float_at_any_depth():
    """Class: a non-finite number nested in lists and tuples inside dicts."""
    text = strict_json({"a": [1.0, float("nan"), (float("inf"), {"b": float("-inf")})], "c": 2})
    assert strict_loads(text) == {"a": [1.0, None, [None, {"b": None}]], "c": 2}


# ---- 9. one number syntax -----------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["--lr", "0_05"],              # float() reads 5.0
    ["--inputs", "0_05,0_10"],     # 5 and 10
    ["--lr", "０.５"],               # class: full-width digits, which float() reads as 0.5
    ["--targets", "0.01,٠.٩٩"],    # class: Arabic-Indic digits
])
def test_flags_refuse_what_files_refuse(argv, capsys):
    status, _, err = run("explain", capsys, *argv)
    assert status == 2 and "not" in err and len(err.splitlines()) == 1, err


def test_a_csv_cell_of_other_digits_is_refused(tmp_path, capsys):
    """Class: the data file, read by the same parser."""
    data = tmp_path / "d.csv"
    data.write_text("i1,i2,t1,t2\n０.05,0.10,0.01,0.99\n")
    status, _, err = run("train", capsys, "--dry-run", "--data", data)
    assert status == 2 and "line 2" in err, err


# ---- 10. no silent underflow, no duplicate key, no empty agreement -------------------------------

def test_a_number_too_small_for_a_float_is_refused_not_zero(tmp_path, capsys):
    """Item 10: a JSON 1e-400 became 0.0 silently; the flag and the CSV too (class)."""
    answers = tmp_path / "mine.json"
    answers.write_text('{"net_h1": 1e-400}')
    status, _, err = run("explain", capsys, "--check", answers)
    assert status == 2 and "too small" in err, err
    status, _, err = run("train", capsys, "--lr", "1e-400")
    assert status == 2 and "too small" in err, err
    data = tmp_path / "d.csv"
    data.write_text("i1,i2,t1,t2\n1e-400,0.10,0.01,0.99\n")
    status, _, err = run("train", capsys, "--dry-run", "--data", data)
    assert status == 2 and "too small" in err, err
    assert to_float("0e-400") == 0.0 and to_float("0.000") == 0.0  # zero written as zero is zero


def test_a_key_given_twice_is_refused(tmp_path, capsys):
    """Item 10: duplicate keys kept the last; class: the --weights file too."""
    answers = tmp_path / "mine.json"
    answers.write_text('{"net_h1": "0.3775", "net_h1": "0.1"}')
    status, _, err = run("explain", capsys, "--check", answers)
    assert status == 2 and "more than once" in err, err
    weights = tmp_path / "w.json"
    weights.write_text(json.dumps(DECK_WEIGHTS)[:-1] + ', "layers.1.bias": 0.6}')
    status, _, err = run("explain", capsys, "--weights", weights)
    assert status == 2 and "more than once" in err, err


def test_answers_of_zero_are_not_an_agreement(tmp_path, capsys):
    """Item 10: "0" for all 37 quantities gave "diagnosis: none"."""
    answers = tmp_path / "zeros.json"
    answers.write_text(json.dumps({q: "0" for q in check.quantities()}))
    status, out, err = run("explain", capsys, "--check", answers)
    assert status == 0, err
    assert "diagnosis: none" not in out and "net_h1 is the first value that differs" in out
    assert check._agrees(0.0, "0") == "agrees" and check._agrees(0.15, "0.000") == "differs"  # class: 0.000
