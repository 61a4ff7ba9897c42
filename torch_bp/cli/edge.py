"""The edge of stability: gradient descent on a small tanh network with a linear output, one
run per η from the same start, its sharpness λ_max (the Hessian by hand) against 2/η.

    python scripts/edge_of_stability.py                          # the numbers, as a table
    python scripts/edge_of_stability.py --figure docs/edge-of-stability.svg   # and the picture
    python scripts/edge_of_stability.py --lr 0.3 --steps 1000 --format json

The numbers, per η: λ_max at round 1, the first round with λ_max ≥ 0.95 · 2/η, λ_max / (2/η)
over the rounds from --stretch-from (default: the last two thirds) to the last (min, mean,
max), E at the last round, and the round it diverged (E above 1e6 or not finite), if it did.
"""
import argparse
import json
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

from torch_bp.cli.args import (ArgumentParser, InputError, count, fail, finite_numbers, integer, integers, path_arg,
                               setting)
from torch_bp.core.curve import CURVE_POINTS, CURVE_SIZES
from torch_bp.core.edge import (AT_EDGE, DIVERGED_LOSS, EDGE_INTERVAL, EDGE_LRS, EDGE_STEPS, EDGE_STRETCH,
                                default_stretch, edge_of_stability, summarize)
from torch_bp.viz.edge import save_edge_figure

PROG = "edge_of_stability.py"
FIGURE_SUFFIXES = (".svg", ".png", ".pdf")


def _csv(values) -> str:
    return ",".join(f"{v:g}" for v in values)


def lr_list(text: str) -> tuple[float, ...]:
    """'0.1,0.2' -> (0.1, 0.2): finite numbers > 0."""
    values = finite_numbers(text)
    if min(values) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: every η must be > 0")
    return values


def build_parser() -> ArgumentParser:
    p = ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--lr", type=lr_list, default=_csv(EDGE_LRS), help="the learning rates η, one run each")
    p.add_argument("--steps", type=count, default=EDGE_STEPS, help="rounds of gradient descent")
    p.add_argument("--sharpness-interval", type=count, default=EDGE_INTERVAL,
                   help="rounds between two measurements of λ_max (rounds 1, 1 + N, ...)")
    p.add_argument("--stretch-from", type=count, metavar="ROUND",
                   help="the summary's λ_max / (2/η) is over the measured rounds from this one to the last; "
                        f"default: the last two thirds (round {EDGE_STRETCH} of {EDGE_STEPS})")
    p.add_argument("--sizes", type=setting("sizes", integers), default=_csv(CURVE_SIZES), help="widths, 1 in and 1 out")
    p.add_argument("--points", type=count, default=CURVE_POINTS, help="points of y = sin(πx), x in [−1, 1]")
    p.add_argument("--seed", type=setting("seed", integer), default=0, help="the network's initial weights")
    p.add_argument("--figure", type=path_arg, metavar="FILE", help="also draw the picture (.svg, .png or .pdf)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    return p


def _check(args) -> None:
    if args.sizes[0] != 1 or args.sizes[-1] != 1:
        raise InputError(f"--sizes {_csv(args.sizes)}: the curve has 1 input and 1 output (1,...,1)")
    args.stretch_from = args.stretch_from or default_stretch(args.steps)
    if args.stretch_from > args.steps:
        raise InputError(f"--stretch-from {args.stretch_from}: after the last round ({args.steps})")
    if args.figure is not None:
        figure = Path(args.figure)
        if figure.suffix.lower() not in FIGURE_SUFFIXES:
            raise InputError(f"--figure {args.figure}: the name must end in {', '.join(FIGURE_SUFFIXES)}")
        if figure.is_dir() or not figure.parent.is_dir():
            raise InputError(f"--figure {args.figure}: not a file in an existing folder")


def _num(v, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def to_text(rows, args) -> str:
    head = (f"Gradient descent on a {'-'.join(map(str, args.sizes))} network (tanh hidden units, linear output), "
            f"{args.points} points of y = sin(πx), seed {args.seed}, {args.steps} rounds; λ_max every "
            f"{args.sharpness_interval} rounds; ratio = λ_max / (2/η) over rounds {args.stretch_from}-{args.steps}.")
    cols = f"{'η':>8} {'2/η':>8} {'λ_max(1)':>9} {'at edge':>8} {'ratio min':>9} {'mean':>7} {'max':>7} " \
           f"{'E last':>10} {'diverged':>8}"
    lines = [*textwrap.wrap(head, 100), "", cols]
    for r in rows:
        lines.append(f"{r.lr:>8g} {r.two_over_lr:>8.4g} {r.sharpness_first:>9.4f} {_num(r.first_at_edge, 'd'):>8} "
                     f"{_num(r.ratio_min, '.3f'):>9} {_num(r.ratio_mean, '.3f'):>7} {_num(r.ratio_max, '.3f'):>7} "
                     f"{_num(r.loss_last, '.3e'):>10} {_num(r.diverged_at, 'd'):>8}")
    lines += ["", f"at edge: the first measured round with λ_max ≥ {AT_EDGE} · 2/η; diverged: the round E left "
              f"[0, {DIVERGED_LOSS:g}]."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _check(args)
    except InputError as e:
        return fail(PROG, str(e))
    run = edge_of_stability(args.lr, args.steps, args.sharpness_interval, sizes=args.sizes, points=args.points,
                            seed=args.seed)
    rows = summarize(run, args.stretch_from)
    if args.figure is not None:
        title = f"Gradient descent, {'-'.join(map(str, args.sizes))} tanh network, {args.points} points of sin(πx)"
        try:
            save_edge_figure(run, Path(args.figure), title)
        except OSError as e:
            return fail(PROG, f"--figure {args.figure}: cannot write it ({e.strerror or e})")
    if args.format == "json":
        setting = {k: getattr(args, k) for k in ("steps", "sharpness_interval", "stretch_from", "points", "seed")}
        doc = {"setting": {**setting, "sizes": list(args.sizes), "lr": list(args.lr)},
               "networks": [asdict(r) for r in rows]}
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        sys.stdout.write(to_text(rows, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
