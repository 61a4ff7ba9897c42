"""Mutation testing of torch_bp: the files it mutates and the tests that cover each.

    mutator.py  the single-point AST mutations of a file, each a Mutant with a stable key
    runner.py   each mutant's tests, forked from a process that has torch imported, in tree copies
    summary.py  tests/mutants_equivalent.txt, the per-file table, survivors and stale entries

scripts/mutants.py is the command; its docstring says why this is not mutmut or cosmic-ray.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The core and what a learner reads or sees, and the tests that cover each file (pytest arguments; fast subsets, run with -x).
# The ONE place that names the files: paths move here when modules move.
FILES = {
    "torch_bp/core/chain_rule.py": ["tests/core/test_deck_numbers.py", "tests/core/test_core_properties.py",
                               "tests/training/test_sweep.py::test_each_devices_products_and_sums_are_the_same_formulas",
                               "tests/training/test_sweep.py::test_stacked_backprop_matches_vmap_autograd",
                               "tests/training/test_sweep.py::test_stacked_trace_is_each_networks_trace",
                               "tests/core/test_gradients.py", "tests/core/test_batches.py"],
    "torch_bp/core/loss.py": ["tests/core/test_model.py", "tests/core/test_core_properties.py", "tests/core/test_batches.py"],
    "torch_bp/core/sgd.py": ["tests/core/test_core_properties.py", "tests/core/test_deck_numbers.py"],
    "torch_bp/core/model.py": ["tests/core/test_model.py", "tests/core/test_core_properties.py", "tests/core/test_deck_numbers.py",
                               "tests/core/test_batches.py"],
    "torch_bp/core/data.py": ["tests/core/test_data.py", "tests/training/test_batch.py::test_batches_in_data_order_last_one_smaller",
                         "tests/training/test_batch.py::test_shuffled_order_is_seeded_and_covers_each_epoch"],
    "torch_bp/training/checkpoint.py": ["tests/training/test_checkpoint.py"],
    "torch_bp/training/events.py": ["tests/training/test_events_golden.py", "tests/training/test_event_files.py"],
    # What a learner reads or sees: the check of their working, the report, the sweep, the pictures,
    # the second order, the 50-digit reference, the worksheets.
    "torch_bp/explain/check.py": ["tests/explain/test_check_text.py", "tests/explain/test_check.py"],
    "torch_bp/explain/check_render.py": ["tests/explain/test_check_text.py", "tests/explain/test_check.py"],
    "torch_bp/explain/check_working.py": ["tests/explain/test_check_text.py", "tests/explain/test_check.py"],
    "torch_bp/explain/telling.py": ["tests/explain/test_worksheet_marking.py", "tests/explain/test_telling.py"],
    "torch_bp/explain/report.py": ["tests/explain/test_report_rules.py", "tests/explain/test_explain.py", "tests/explain/test_report_text.py"],
    "torch_bp/explain/report_render.py": ["tests/explain/test_explain.py", "tests/explain/test_report_text.py"],
    "torch_bp/explain/report_rounds.py": ["tests/explain/test_explain.py", "tests/explain/test_report_text.py"],
    "torch_bp/explain/second_order.py": ["tests/explain/test_explain_second_order.py"],
    "torch_bp/explain/second_order_formulas.py": ["tests/explain/test_explain_second_order.py"],
    "torch_bp/explain/reference.py": ["tests/explain/test_reference.py"],
    "torch_bp/explain/exercise.py": ["tests/explain/test_exercise.py", "tests/explain/test_worksheet_marking.py", "tests/cli/test_worksheet_cli.py"],
    "torch_bp/explain/marking.py": ["tests/explain/test_marking.py", "tests/explain/test_worksheet_marking.py", "tests/cli/test_worksheet_cli.py"],
    "torch_bp/training/sweep.py": ["tests/training/test_sweep_results.py", "tests/training/test_sweep_defaults.py", "tests/training/test_sweep.py"],
    "torch_bp/viz/draw.py": ["tests/viz/test_draw_rules.py", "tests/viz/test_draw_geometry.py", "tests/viz/test_pictures.py"],
}
