"""Every script's --help (and each subcommand's), in-process: defaults shown as the user would
type them (2,2,2, not (2, 2, 2) or ['a', 'b']), at most one default per flag."""
import ast
import importlib
import re

import pytest

from conftest import ROOT, load_script
from torch_bp.cli.args import ArgumentParser

SCRIPTS = sorted(p.stem for p in (ROOT / "scripts").glob("*.py"))
REPR = re.compile(r"default: *[(\[]|\['|\(\d+, \d")  # a tuple's or a list's repr


def command(script: str):
    """The module whose main() scripts/<script>.py runs: torch_bp_launch.launch's, or its own."""
    for node in ast.walk(ast.parse((ROOT / "scripts" / f"{script}.py").read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "launch":
            module = {k.arg: k.value.value for k in node.keywords}.get("module")
            return importlib.import_module(module or f"torch_bp.cli.{node.args[0].value}")
    return load_script(script)


def help_text(main, argv, capsys) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 0
    return capsys.readouterr().out


def entries(text: str) -> list[str]:
    """Each flag's entry of a --help, its wrapped lines joined: from a line that starts with
    "  -" up to the next such line."""
    found = []
    for line in text.splitlines():
        if re.match(r"  -", line):
            found.append(line.strip())
        elif found and line.startswith("    "):
            found[-1] += " " + line.strip()
    return found


def subcommands(text: str) -> list[str]:
    listed = re.search(r"^positional arguments:\n  \{([\w,-]+)\}", text, re.M)
    return listed.group(1).split(",") if listed else []


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_shows_each_default_once_as_typed(script, capsys):
    main = command(script).main
    top = help_text(main, ["--help"], capsys)
    texts = {"": top} | {sub: help_text(main, [sub, "--help"], capsys) for sub in subcommands(top)}
    for sub, text in texts.items():
        assert entries(text), f"{script} {sub} --help lists no flags:\n{text}"
        for entry in entries(text):
            assert not REPR.search(entry), f"{script} {sub}: a Python repr in --help: {entry}"
            assert entry.count("default:") <= 1, f"{script} {sub}: two defaults in --help: {entry}"


def test_the_scripts_are_found():
    assert {"train", "explain", "sweep", "benchmark", "mutants", "worksheet"} <= set(SCRIPTS)


def test_a_sequence_default_reads_as_typed():
    p = ArgumentParser(prog="t")
    p.add_argument("--sizes", default=(2, 2, 2), help="widths")
    p.add_argument("--names", default=["a", "b"], help="names")
    p.add_argument("--n", default=None, help="n (default: all)")
    text = " ".join(p.format_help().split())
    assert "widths (default: 2,2,2)" in text and "names (default: a,b)" in text
    assert "n (default: all) --" not in text and text.count("(default: all)") == 1
