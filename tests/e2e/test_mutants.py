"""scripts/mutants.py: its mutator on its own, and a small real run (3 mutants of loss.py against one test)."""
import ast
import importlib.util
import subprocess
import sys

from conftest import ROOT

spec = importlib.util.spec_from_file_location("mutants_script", ROOT / "scripts" / "mutants.py")
mutants = sys.modules["mutants_script"] = importlib.util.module_from_spec(spec)  # dataclasses look it up
spec.loader.exec_module(mutants)


def test_every_mutant_is_one_change_that_compiles():
    for file in mutants.FILES:
        original = ast.unparse(ast.parse((ROOT / file).read_text()))
        found = mutants.mutants_of(file)
        assert found, file
        keys = [m.key for m in found]
        assert len(set(keys)) == len(keys), f"{file}: two mutants with one key"
        for m in found[::20]:  # a sample: unparsing every mutant takes seconds
            compile(m.source, file, "exec")
            assert m.source != original and m.before != m.after


def test_decorated_functions_are_mutated():
    wheres = {m.where for m in mutants.mutants_of("torch_bp/core/chain_rule.py")}
    assert "backprop" in wheres
    befores = [m.before for m in mutants.mutants_of("torch_bp/core/sgd.py") if m.where == "ManualSGD"]
    assert "@torch.no_grad() def step" in befores


def test_the_equivalent_list_names_core_files():
    names = {f.rsplit("/", 1)[-1] for f in mutants.FILES}
    listed = mutants.read_equivalents()
    assert listed and all(key.split(" | ")[0] in names and reason for key, reason in listed.items())


def test_a_small_run_kills_the_first_mutants_of_the_loss():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "mutants.py"), "--files", "loss.py", "--limit", "3",
                          "--tests", "tests/core/test_model.py::test_half_sse_is_the_decks_error_averaged_over_rows",
                          "tests/core/test_batches.py::test_the_loss_names_the_tensor_that_does_not_fit"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "loss.py                3       3       0        0      0       0" in run.stdout
    assert "3 killed, 0 timed out, 0 equivalent (listed), 0 unexplained; 3 mutants of 1 file(s)" in run.stdout


def test_tests_that_reach_the_mutated_line_run_first_fastest_first():
    from mutation.runner import RunFirst, first_tests
    tests = {"t::slow": ([3, 7], 2.0), "t::fast": ([7], 0.1), "t::other": ([4], 0.01)}
    assert first_tests(tests, 7) == ["t::fast", "t::slow"]
    assert first_tests(tests, 5) == []  # e.g. module-level code: the collected order

    class Item:
        def __init__(self, nodeid):
            self.nodeid = nodeid
    items = [Item(n) for n in ("t::a", "t::slow", "t::b", "t::fast", "t::c")]
    RunFirst(first_tests(tests, 7)).pytest_collection_modifyitems(items)
    assert [i.nodeid for i in items] == ["t::fast", "t::slow", "t::a", "t::b", "t::c"]  # every test still runs
