"""Train the deck's network (or another) with SGD, logging every round to TensorBoard.

    python scripts/train.py                      # the deck: 10,000 rounds, η = 0.5, biases fixed
    python scripts/train.py --backend autograd   # the same with loss.backward() and optim.SGD
    python scripts/train.py --dataset xor --sizes 2,3,1 --batch-size 1 --steps 20000

A step is a round: one update. Ctrl-C, SIGTERM or SIGHUP at any moment: exit 130, 143 or 129
with one line on stderr, and either nothing written or a run that --resume continues.
"""
import argparse
import sys

import torch_bp_launch as signals
from torch_bp.cli.args import (ArgumentParser, add_figure_flags, add_network_and_data, fail, integer, message, number,
                               path_arg, setting)
from torch_bp.core.sgd import BACKENDS
from torch_bp.training.config import DRY_RUN_STEPS, TrainConfig
from torch_bp.training.trainer import NonFiniteLoss, RunFailed, train

PROG = "train.py"


def build_parser() -> ArgumentParser:
    d = TrainConfig()
    p = ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=setting("steps", integer), default=d.steps,
                   help="rounds in the whole run (a step is a round: one update)")
    p.add_argument("--lr", type=setting("lr", number), default=d.lr, help="learning rate η")
    p.add_argument("--backend", choices=list(BACKENDS), default=d.backend,
                   help="manual: the hand-written chain rule; autograd: loss.backward() + torch.optim.SGD")
    add_network_and_data(p, d)
    p.add_argument("--batch-size", type=setting("batch_size", integer), default=argparse.SUPPRESS,
                   help="rows per round; default all of them (batch gradient descent)")
    p.add_argument("--seed", type=setting("seed", integer), default=d.seed, help="seed for random init and shuffling")
    p.add_argument("--log-interval", type=setting("log_interval", integer), default=argparse.SUPPRESS,
                   help="log every n-th round (and rounds 1 and last); default every round up to 10,000, "
                   "then every 10th up to 100,000, every 100th up to 1,000,000, ...")
    p.add_argument("--logdir", type=path_arg, metavar="DIR", default=d.logdir,
                   help="run folder; default a new one under runs/ named by date, time and settings")
    p.add_argument("--check-grads", action="store_true",
                   help="on every logged round, log max |autograd − manual| gradient difference")
    p.add_argument("--dry-run", action="store_true", help=f"{DRY_RUN_STEPS} rounds into a temporary folder: a smoke test")
    p.add_argument("--save-model", type=path_arg, metavar="PATH", default=d.save_model, help="checkpoint file to write")
    p.add_argument("--save-interval", type=setting("save_interval", integer), default=d.save_interval,
                   help="also checkpoint every n rounds")
    p.add_argument("--resume", type=path_arg, metavar="PATH", default=d.resume,
                   help="continue from a checkpoint: its settings, and its --steps, --log-interval and "
                   "--target-loss unless given (--steps counts the whole run)")
    p.add_argument("--target-loss", type=setting("target_loss", number), default=d.target_loss, metavar="E",
                   help="stop at the first logged round whose error on all data is <= E")
    p.add_argument("--sharpness-interval", type=setting("sharpness_interval", integer), default=d.sharpness_interval,
                   metavar="N", help="log λ_max (the largest eigenvalue of the Hessian of the error on all data) "
                   "and 2/η at round 1 and every N-th round; 0: off")
    p.add_argument("--graph", action="store_true", default=argparse.SUPPRESS,
                   help="log the model graph (TensorBoard's Graphs; the network picture in figures/ says more)")
    p.add_argument("--no-graph", dest="graph", action="store_false", default=argparse.SUPPRESS,
                   help="no model graph (the default)")
    add_figure_flags(p, "each picture in figures/", "their PNGs", size=None)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    figures = {"size": args.figure_size, "dpi": args.dpi}  # the pictures', not the run's settings
    del args.figure_size, args.dpi
    try:
        result = train(TrainConfig(**vars(args)), given=parser.explicit(argv), figures=figures)
    except ValueError as e:  # bad input, found before anything was written
        return fail(PROG, message(e))
    except (NonFiniteLoss, RunFailed) as e:  # the run stopped; what it logged before is kept
        return fail(PROG, str(e), status=1)
    if result.output_failed:  # a closed pipe (| head), a full disk: the run stopped, its files whole
        resume = f"; --resume {result.checkpoint} continues it" if result.checkpoint else ""
        return signals.output_failed(PROG, result.output_failed, f"; the run stopped at round {result.rounds}, "
                                     f"its files in {result.logdir} are whole{resume}")
    if result.signum:  # 128 + the signal's number, as shells report it
        print(f"{PROG}: interrupted ({signals.name(result.signum)})", file=sys.stderr)
        return signals.status(result.signum)
    return 0


if __name__ == "__main__":
    sys.exit(main())
