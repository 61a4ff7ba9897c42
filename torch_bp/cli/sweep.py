"""Train many copies of a network side by side, one per learning rate and seed, in one batch.

    python scripts/sweep.py --lr 0.01:100:1000 --target-loss 1e-3   # the deck's network, 1,000 η
    python scripts/sweep.py --lr 0.1,0.5,2                          # three η; η = 0.5 is train.py's run
    python scripts/sweep.py --dataset xor --sizes 2,3,1 --lr 0.1:10:50 --seeds 0:8

Network k is exactly the run train.py makes with its η and seed; see torch_bp/training/sweep_run.py for
the files a sweep writes (results.csv, losses.npz, figures/sweep.svg, TensorBoard HParams).
"""
from __future__ import annotations

import argparse
import sys

import torch_bp_launch as signals
from torch_bp.cli.args import ArgumentParser, InputError, fail, int_list, path_arg, positive_float, positive_int
from torch_bp.core.data import DATASETS
from torch_bp.training.sweep_run import SweepConfig, SweepRun, parse_lrs, parse_seeds

PROG = "sweep.py"


def _checked(parse):
    """An argparse type from a parser that raises InputError, so argparse reports it."""
    def check(text: str) -> str:
        try:
            parse(text)
        except InputError as e:
            raise argparse.ArgumentTypeError(str(e).split(": ", 1)[-1]) from None
        return text
    return check


def build_parser() -> ArgumentParser:
    d = SweepConfig()
    p = ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--lr", type=_checked(parse_lrs), default=d.lr,
                   help="learning rates: a list 0.1,0.5,2 or a log-spaced range START:STOP:COUNT")
    p.add_argument("--seeds", type=_checked(parse_seeds), default=d.seeds,
                   help="seeds (random init of other shapes, shuffle order): a list 0,1,2 or a range A:B, B excluded")
    p.add_argument("--steps", type=positive_int, default=d.steps, help="rounds (updates) per network")
    p.add_argument("--train-bias", action="store_true", help="let the biases learn too")
    p.add_argument("--sizes", type=int_list, default=d.sizes, help="layer widths, e.g. 2,3,2")
    p.add_argument("--per-unit-bias", action="store_true", help="one bias per unit instead of one per layer")
    p.add_argument("--init", type=path_arg, metavar="FILE", default=d.init,
                   help="JSON of initial parameters for every network (names of named_parameters() to nested lists)")
    p.add_argument("--dataset", choices=sorted(DATASETS), default=d.dataset, help="built-in data")
    p.add_argument("--data", type=path_arg, metavar="FILE", default=d.data,
                   help="CSV (header row; last n_out columns are targets) or JSON {inputs, targets}")
    p.add_argument("--batch-size", type=positive_int, default=d.batch_size,
                   help="rows per round; default all of them (batch gradient descent)")
    p.add_argument("--shuffle", action="store_true", help="a new random order every epoch, per seed")
    p.add_argument("--log-interval", type=positive_int, default=d.log_interval,
                   help="keep every network's error every n-th round (and rounds 1 and last)")
    p.add_argument("--logdir", type=path_arg, metavar="DIR", default=d.logdir,
                   help="sweep folder; default a new one under runs/ named by date, time and settings")
    p.add_argument("--device", default=d.device, help="torch device, e.g. cpu or cuda")
    p.add_argument("--target-loss", type=positive_float, default=d.target_loss, metavar="E",
                   help="rounds_to_target: the first round whose error on all data is <= E")
    return p


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
        run = SweepRun(SweepConfig(**vars(args)))
        result = run.run()
    except (InputError, ValueError) as e:
        return fail(PROG, str(e))
    except KeyboardInterrupt:  # a second Ctrl-C, or one before training began
        return fail(PROG, "interrupted", status=130)
    if result.stopped:  # 128 + the signal's number, as shells report it; what was done is written
        print(f"{PROG}: interrupted ({signals.name(run.signum)})", file=sys.stderr)
        return signals.status(run.signum)
    return 0


if __name__ == "__main__":
    sys.exit(main())
