"""The deck's worked example, line by line, checked against the numbers the deck prints.

Each line: a quantity, its formula in the deck's notation, the value torch_bp computes and, for
the deck's network, the value the deck (or the article it follows) prints, with a verdict.

    python scripts/explain.py                                    # the terminal report
    python scripts/explain.py --format markdown --only-differences   # the README's errata
    python scripts/explain.py --weights w.json --inputs 0.1,0.2 --lr 0.1  # another 2-2-2 setting
    python scripts/explain.py --format html > worked-example.html   # one page, opens from disk
    python scripts/explain.py --format html --live > live.html   # every number follows your edits
    python scripts/explain.py --check mine.json      # a learner's numbers: the first wrong one, the mistake
    python scripts/explain.py --reference            # every number to 50 digits: the slides' digits, float64's ulps
    python scripts/explain.py --step-sizes --figure docs/step-sizes.svg   # differences vs the complex step
    python scripts/explain.py --second-order         # the Hessian by hand, its two parts, the first step
"""
import argparse
import sys
from pathlib import Path

import torch

from torch_bp.cli import handout
from torch_bp.cli.args import (ArgumentParser, InputError, add_row, counts, fail, flag, integers, number,
                               path_arg, read_json_object, setting)
from torch_bp.core import numbers
from torch_bp.core.chain_rule import backprop
from torch_bp.core.deck import DECK_ERROR_TABLE, DECK_INPUTS, DECK_LR, DECK_TARGETS
from torch_bp.core.model import BackpropNet
from torch_bp.explain import (check, check_render, live, reference_render, reference_report, report, report_render,
                              second_order, second_order_render, step_sizes)
from torch_bp.explain.report_html import to_html
from torch_bp.viz import draw
from torch_bp.viz.step_sizes import step_size_figure, save_figure

PROG = "explain.py"
# --format markdown: the heading and the line under it, with and without --only-differences;
# the setting and the command that made it follow the line (handout.py).
MARKDOWN_HEADINGS = {
    True: ("## Errata in the deck",
           "Each number the deck (or the article it follows) prints that torch_bp does not reproduce at the "
           "printed precision, with its cause."),
    False: ("## The worked example, line by line", ""),
}
SECOND_ORDER_HEADING = ("## The second derivative, line by line", "")
# flags that say what the first-order report shows: not with --second-order
NOT_WITH_SECOND_ORDER = {"rounds": "--rounds", "only_differences": "--only-differences", "check": "--check"}


def _csv(values) -> str:
    return ",".join(f"{v:g}" for v in values)


def report_rounds(text: str) -> tuple[int, ...]:
    """counts(), each round at most report.MAX_ROUNDS (the report computes every round up to the last)."""
    values = counts(text)
    if max(values) > report.MAX_ROUNDS:
        raise argparse.ArgumentTypeError(f"{numbers.shown(text)}: rounds up to {report.MAX_ROUNDS:,}")
    return values


def build_parser() -> ArgumentParser:
    p = ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--format", choices=[*report_render.RENDERERS, "html"], default="text",
                   help="text for the terminal, markdown tables, a JSON list of lines "
                        '(a NaN or infinite value as null), or one web page')
    p.add_argument("--weights", type=path_arg, metavar="FILE",
                   help="JSON {named_parameters() name: nested list} or the slides' {w1..w8, b1, b2: number}; "
                        "none: the deck's")
    add_row(p, _csv(DECK_INPUTS[0].tolist()), _csv(DECK_TARGETS[0].tolist()), "the row: ")
    p.add_argument("--lr", type=setting("lr", number), default=DECK_LR, help="learning rate η")
    p.add_argument("--rounds", type=report_rounds, default=_csv(DECK_ERROR_TABLE),
                   help="rounds whose error to show (round r: before the r-th update)")
    p.add_argument("--only-differences", action="store_true", help="only the lines whose verdict is `differs`")
    p.add_argument("--check", type=path_arg, metavar="FILE",
                   help="JSON {quantity: your value} (names as in --format json, values as numbers or as the "
                        "text you wrote): each against the true one, the first wrong one and the mistake (no --rounds)")
    p.add_argument("--reference", action="store_true",
                   help="the deck's numbers to 50 digits (mpmath): each printed number a correct rounding, a "
                        "truncation or wrong; torch_bp's float64 values in ulps, round 1 and after 10,000 rounds")
    p.add_argument("--step-sizes", action="store_true",
                   help="∂E_total/∂w1 of the deck by forward differences, central differences and the complex "
                        "step at h = 1e-1 … 1e-200: each one's relative error against 50 digits")
    p.add_argument("--figure", type=path_arg, metavar="FILE",
                   help="with --step-sizes: also draw it, to FILE (.svg or .png)")
    p.add_argument("--live", action="store_true",
                   help="with --format html: a page where every number follows your edits (inputs, targets, "
                        "weights, biases, η), with steps, step back, a shareable link; --inputs/--targets row after row")
    p.add_argument("--sizes", type=setting("sizes", integers), metavar="2,2,2",
                   help="with --live: 2,2,2 (the deck's network and row) or 2,3,1 (XOR's four rows, η = 2)")
    p.add_argument("--second-order", action="store_true",
                   help="the Hessian of E over w1..w8 by hand: each entry's formula, its Gauss-Newton and residual "
                        "parts, the eigenvalues and trace, and the first step's change in E against its first- and "
                        "second-order predictions (with --weights, --inputs, --targets, --lr)")
    return p


PROOFS = ("reference", "step_sizes")  # the deck only: no setting flags, no --check
SETTING_FLAGS = ("weights", "inputs", "targets", "lr", "rounds", "only_differences", "check")


def _proof(args, given: set[str]) -> int:
    """--reference, or --step-sizes [--figure FILE]: printed in args.format."""
    try:
        chosen = [d for d in PROOFS if getattr(args, d)]
        if len(chosen) > 1:
            raise InputError("--reference, --step-sizes: one at a time")
        if args.figure is not None and not args.step_sizes:
            raise InputError("--figure: only with --step-sizes")
        if others := [flag(d) for d in SETTING_FLAGS if d in given]:
            raise InputError(f"{flag(chosen[0])}: the deck's setting only, not with {others[0]}")
        if args.format == "html":
            raise InputError(f"--format html: not with {flag(chosen[0])} (text, markdown or json)")
        if args.figure is not None and Path(args.figure).suffix.lower() not in (".svg", ".png"):
            raise InputError(f"--figure {args.figure}: the name must end in .svg or .png")
        if args.figure is not None and not Path(args.figure).resolve().parent.is_dir():
            raise InputError(f"--figure {args.figure}: cannot write it (no folder {Path(args.figure).parent})")
        if args.reference:
            text = reference_render.RENDERERS[args.format](reference_report.reference_rows())
        else:
            rows = step_sizes.step_table()
            if args.figure is not None:
                errors = {m: [r.relative_errors[m] for r in rows] for m in step_sizes.METHODS}
                figure = step_size_figure([r.h for r in rows], errors, "∂E_total/∂w1 of the deck")
                try:
                    save_figure(figure, args.figure)
                except OSError as e:
                    raise InputError(f"--figure {args.figure}: cannot write it ({e.strerror or e})") from None
            text = step_sizes.RENDERERS[args.format](rows)
    except InputError as e:
        return fail(PROG, str(e))
    sys.stdout.write(text)
    return 0



def _live_page(args, argv) -> str:
    """--live: the page's start, the flags given over the shape's preset."""
    given = build_parser().explicit(argv)
    if args.format != "html" or args.check is not None or args.only_differences or "rounds" in given:
        raise InputError("--live: only with --format html (not with --check, --only-differences, --rounds)")
    weights = read_json_object(args.weights, "--weights") if args.weights is not None else None
    try:
        start = live.start_state(args.sizes, weights, *(getattr(args, k) if k in given else None
                                                         for k in ("inputs", "targets", "lr")))
    except ValueError as e:
        field, message = e.args
        value = args.weights if field == "weights" else ",".join(f"{v:g}" for v in getattr(args, field))
        raise InputError(f"--{field} {value}: {message}") from None
    return live.page(start)


def _markdown(heading: tuple[str, str], text: str, weights, args, argv) -> str:
    """The heading, its line, the setting and the exact command, then the tables."""
    lead = " ".join(filter(None, (heading[1], handout.setting(weights, args.weights, args.inputs, args.targets,
                                                                 args.lr), f"Generated by `{handout.command(argv)}`.")))
    return f"{heading[0]}\n\n{lead}\n\n{text}"


def _second_order(args, weights, explicit: set[str], argv) -> str:
    """The --second-order report in args.format; InputError for a flag it does not take."""
    for dest, name in NOT_WITH_SECOND_ORDER.items():
        if dest in explicit:
            raise InputError(f"--second-order: not with {name}")
    try:
        rows = second_order.second_order(weights, args.inputs, args.targets, args.lr)
    except second_order.NotFinite as e:
        raise InputError(f"--second-order: {e} (--inputs {_csv(args.inputs)}, --weights, --lr {args.lr:g})") from None
    except ValueError as e:  # load_values: the first missing, unknown or misshapen entry
        raise InputError(f"--weights {args.weights}: {e}") from None
    if args.format == "html":
        lead = handout.setting(weights, args.weights, args.inputs, args.targets, args.lr)
        return second_order_render.to_html(rows, "The second derivative, step by step", lead)
    text = second_order_render.RENDERERS[args.format](rows)
    return _markdown(SECOND_ORDER_HEADING, text, weights, args, argv) if args.format == "markdown" else text


def _html_page(rows, weights, args) -> str:
    """The page: round 1 of this setting drawn (forward and backward), then the rows."""
    model = BackpropNet()
    if weights is not None:
        model.load_values(weights)
    inputs, targets = (torch.tensor([v], dtype=torch.float64) for v in (args.inputs, args.targets))
    svg = draw.to_bytes(draw.network_figure(model, backprop(model, inputs, targets), round=1), "svg").decode()
    deck = ", the value the deck (or the article it follows) prints, and the verdict at the printed precision"
    lead = (f"{handout.setting(weights, args.weights, args.inputs, args.targets, args.lr)} Each step: its formula in "
            f"the deck's notation, the value torch_bp computes{deck if any(r.printed for r in rows) else ''}.")
    return to_html(rows, svg, "Backpropagation, step by step", lead)


def _first_order(args, weights):
    """(the learner's check, None) with --check, else (None, the worked example's rows)."""
    if args.check is not None and args.format == "html":
        raise InputError("--format html: not with --check (its report is text, markdown or json)")
    if args.check is not None:
        given = read_json_object(args.check, "--check", "quantity names")  # InputError naming --check FILE
        try:
            learner = check.read_values(given)
        except ValueError as e:
            raise InputError(f"--check {args.check}: {e}") from None
    try:
        if args.check is not None:
            return check.diagnose(learner, weights, args.inputs, args.targets, args.lr), None
        return None, report.worked_example(weights, args.inputs, args.targets, args.lr, args.rounds)
    except ValueError as e:  # load_values: the first missing, unknown or misshapen entry
        raise InputError(f"--weights {args.weights}: {e}") from None


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.reference or args.step_sizes or args.figure is not None:
        return _proof(args, parser.explicit(argv))
    if args.live or args.sizes is not None:
        try:
            if not args.live:
                raise InputError("--sizes: only with --live (the report is the deck's 2-2-2)")
            sys.stdout.write(_live_page(args, argv))
        except InputError as e:
            return fail(PROG, str(e))
        return 0
    try:
        weights = read_json_object(args.weights, "--weights") if args.weights is not None else None
        for name, values in (("--inputs", args.inputs), ("--targets", args.targets)):
            if len(values) != 2:
                raise InputError(f"{name}: expected 2 numbers, got {len(values)}")
        if args.second_order:
            text = _second_order(args, weights, parser.explicit(argv), argv)
        else:
            found, rows = _first_order(args, weights)
    except InputError as e:
        return fail(PROG, str(e))
    if args.second_order:
        sys.stdout.write(text)
        return 0
    if args.check is not None:
        if args.only_differences:
            found.rows = [r for r in found.rows if r.verdict == "differs"]
        sys.stdout.write(check_render.RENDERERS[args.format](found))
        return 0
    if args.only_differences:
        rows = [r for r in rows if r.verdict == "differs"]
    if args.format == "html":
        text = _html_page(rows, weights, args)
    else:
        text = report_render.RENDERERS[args.format](rows)
    if args.format == "markdown":
        text = _markdown(MARKDOWN_HEADINGS[args.only_differences], text, weights, args, argv)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
