"""The architecture, enforced: imports point down the layers (import-linter's contracts in
pyproject.toml), small modules and functions, imports at the top of each module, scripts that
leave sys.path alone, and no matplotlib until a picture is drawn."""
import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_FILES = sorted((ROOT / "torch_bp").rglob("*.py")) + [ROOT / "torch_bp_launch.py"]
LAYERS = "torch_bp layers: cli > viz | training | explain > core"

MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50
LONG_FUNCTIONS = {("torch_bp/core/chain_rule.py", "backprop")}  # the chain rule reads best in one piece


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """import-linter's `lint-imports` on the package that `cwd` holds (its pyproject.toml, its torch_bp)."""
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, "--no-cache", "--no-logo"], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(cwd)))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def functions(tree: ast.AST):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def test_the_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


@pytest.mark.parametrize("module, planted, broken", [
    ("core/loss.py", "import torch_bp.cli.args", "torch_bp.core.loss -> torch_bp.cli.args"),  # upward
    ("explain/report.py", "import torch_bp.training", "torch_bp.explain.report -> torch_bp.training"),  # sideways
])
def test_an_import_against_the_layers_breaks_the_contract(tmp_path, module, planted, broken):
    shutil.copytree(ROOT / "torch_bp", tmp_path / "torch_bp", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / "torch_bp" / module
    target.write_text(target.read_text() + f"\n{planted}\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{LAYERS} BROKEN" in result.stdout
    assert broken in result.stdout, result.stdout


def test_a_new_folder_needs_its_layer(tmp_path):
    shutil.copytree(ROOT / "torch_bp", tmp_path / "torch_bp", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "torch_bp" / "extras").mkdir()
    (tmp_path / "torch_bp" / "extras" / "__init__.py").write_text("")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "- torch_bp.extras" in result.stdout, result.stdout


def test_modules_and_functions_are_small():
    too_long = []
    for path in PACKAGE_FILES:
        text = path.read_text()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{relative(path)}: {len(text.splitlines())} lines")
        for f in functions(ast.parse(text)):
            lines = f.end_lineno - f.lineno + 1
            if lines > MAX_FUNCTION_LINES and (relative(path), f.name) not in LONG_FUNCTIONS:
                too_long.append(f"{relative(path)}:{f.lineno} {f.name}(): {lines} lines")
    assert not too_long, f"over {MAX_MODULE_LINES} lines a module or {MAX_FUNCTION_LINES} a function:\n" + \
        "\n".join(too_long)


def is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def misplaced_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, import) for each import that is not in the module's opening block (after the
    docstring) or in a module-level `if TYPE_CHECKING:` block."""
    allowed, opening = set(), True
    for i, node in enumerate(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and opening:
            allowed.add(node)
        elif is_type_checking(node):
            allowed.update(n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
        elif not (i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            opening = False
    return [(n.lineno, ast.unparse(n)) for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom)) and n not in allowed]


def test_imports_are_at_the_top_of_each_module():
    """torch_bp_launch.launch() loads the command with importlib.import_module (after the
    signal handlers are in): not an import statement, so no exception is needed here."""
    misplaced = [f"{relative(path)}:{line} {statement}" for path in PACKAGE_FILES
                 for line, statement in misplaced_imports(ast.parse(path.read_text()))]
    assert not misplaced, "imports below the top of their module:\n" + "\n".join(misplaced)


def imported_roots(path: Path) -> set[str]:
    """The top-level names of the absolute imports in a file."""
    names = set()
    for n in ast.walk(ast.parse(path.read_text())):
        if isinstance(n, ast.Import):
            names.update(a.name.split(".")[0] for a in n.names)
        elif isinstance(n, ast.ImportFrom) and n.level == 0:
            names.add(n.module.split(".")[0])
    return names


def test_the_launcher_imports_the_standard_library_only():
    """Signals are caught before torch loads only if torch_bp_launch loads nothing else."""
    assert imported_roots(ROOT / "torch_bp_launch.py") <= set(sys.stdlib_module_names)


def test_the_lesson_imports_only_torch_numpy_and_the_standard_library():
    """core/ is read beside the slides: its own modules (relative imports), torch, numpy."""
    for path in sorted((ROOT / "torch_bp" / "core").glob("*.py")):
        extra = imported_roots(path) - set(sys.stdlib_module_names) - {"torch", "numpy"}
        assert not extra, f"{relative(path)} imports {sorted(extra)}"


def test_scripts_leave_sys_path_alone():
    """scripts/*.py run the installed package (or the checkout's, through PYTHONPATH)."""
    touching = [f"{relative(path)}:{n.lineno}" for path in sorted((ROOT / "scripts").glob("*.py"))
                for n in ast.walk(ast.parse(path.read_text()))
                if isinstance(n, ast.Attribute) and n.attr == "path" and ast.unparse(n.value) == "sys"]
    assert not touching, "sys.path edited in " + ", ".join(touching)


def test_importing_the_package_loads_no_matplotlib():
    """Pictures are drawn by viz/ only, in their own process: the lesson, explain/ and
    training/ (every module of each) never load matplotlib."""
    code = ("import importlib, pkgutil, sys, torch_bp\n"
            "loaded = ['torch_bp'] if 'matplotlib' in sys.modules else []\n"
            "for layer in ('core', 'explain', 'training'):\n"
            "    package = importlib.import_module(f'torch_bp.{layer}')\n"
            "    for m in pkgutil.iter_modules(package.__path__, f'torch_bp.{layer}.'):\n"
            "        importlib.import_module(m.name)\n"
            "        if 'matplotlib' in sys.modules and not loaded:\n"
            "            loaded.append(m.name)\n"
            "print(loaded)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"matplotlib loaded by {result.stdout.strip()}"
