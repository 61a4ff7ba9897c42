"""Train the deck's network (or another) with SGD, logging every round to TensorBoard.

    python scripts/train.py                      # the deck: 10,000 rounds, η = 0.5, biases fixed
    python scripts/train.py --backend autograd   # the same with loss.backward() and optim.SGD
    python scripts/train.py --dataset xor --sizes 2,3,1 --batch-size 1 --steps 20000
"""
from __future__ import annotations

import sys
from pathlib import Path

try:
    import torch_bp  # noqa: F401
except ImportError:  # a plain checkout: use the package beside this script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse

from torch_bp.cli import (ArgumentParser, InputError, device_arg, fail, int_list, path_arg, positive_float,
                          positive_int, seed_int)
from torch_bp.training import NonFiniteLoss, TrainConfig, train

PROG = "train.py"


def build_parser() -> ArgumentParser:
    d = TrainConfig()
    p = ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=positive_int, default=d.steps, help="rounds (updates) in the whole run")
    p.add_argument("--lr", type=positive_float, default=d.lr, help="learning rate η")
    p.add_argument("--backend", choices=["manual", "autograd"], default=d.backend,
                   help="manual: the hand-written chain rule; autograd: loss.backward() + torch.optim.SGD")
    p.add_argument("--train-bias", action="store_true", help="let the shared biases b1, b2 learn too")
    p.add_argument("--sizes", type=int_list, default=",".join(map(str, d.sizes)), help="layer widths, e.g. 2,3,2")
    p.add_argument("--per-unit-bias", action="store_true", help="one bias per unit instead of one per layer")
    p.add_argument("--init", type=path_arg, metavar="FILE", default=d.init,
                   help="JSON of initial parameters (names of named_parameters() to nested lists)")
    p.add_argument("--dataset", choices=["seed", "xor"], default=d.dataset, help="built-in data")
    p.add_argument("--data", type=path_arg, metavar="FILE", default=d.data,
                   help="CSV (header row; last n_out columns are targets) or JSON {inputs, targets}")
    p.add_argument("--batch-size", type=positive_int, default=argparse.SUPPRESS,
                   help="rows per round; default all of them (batch gradient descent)")
    p.add_argument("--shuffle", action="store_true", help="a new random order every epoch")
    p.add_argument("--seed", type=seed_int, default=d.seed, help="seed for random init and shuffling")
    p.add_argument("--log-interval", type=positive_int, default=d.log_interval, help="log every n-th round")
    p.add_argument("--logdir", type=path_arg, metavar="DIR", default=d.logdir,
                   help="run folder; default a new one under runs/ named by date, time and settings")
    p.add_argument("--check-grads", action="store_true",
                   help="on every logged round, log max |autograd − manual| gradient difference")
    p.add_argument("--dry-run", action="store_true", help=f"{3} rounds into a temporary folder: a smoke test")
    p.add_argument("--device", type=device_arg, default=d.device, help="torch device, e.g. cpu or cuda")
    p.add_argument("--save-model", type=path_arg, metavar="PATH", default=d.save_model, help="checkpoint file to write")
    p.add_argument("--save-interval", type=positive_int, default=d.save_interval,
                   help="also checkpoint every n rounds")
    p.add_argument("--resume", type=path_arg, metavar="PATH", default=d.resume,
                   help="continue from a checkpoint (--steps counts the whole run)")
    p.add_argument("--target-loss", type=positive_float, default=d.target_loss, metavar="E",
                   help="stop at the first logged round whose error on all data is <= E")
    p.add_argument("--no-graph", dest="graph", action="store_false", default=argparse.SUPPRESS,
                   help="skip the model graph (logged unless this is given)")
    return p


def config_from_args(argv=None) -> tuple[TrainConfig, dict | None]:
    """The run's settings, and with --resume the checkpoint, whose settings it keeps."""
    parser = build_parser()
    args = parser.parse_args(argv)
    cfg = TrainConfig(**{k: v for k, v in vars(args).items()})
    checkpoint = None
    if cfg.resume:
        from torch_bp.checkpoint import REQUIRED_CONFIG, load_checkpoint
        checkpoint = load_checkpoint(cfg.resume)
        saved = checkpoint["config"]
        given = parser.explicit(argv)
        for key in sorted(REQUIRED_CONFIG - {"logdir"}):  # the settings that decide the run's numbers
            value = tuple(saved[key]) if key == "sizes" else saved[key]
            if key in given and getattr(cfg, key) != value:
                raise InputError(f"--{key.replace('_', '-')} {getattr(cfg, key)} differs from the checkpoint's "
                                 f"{value}; a resumed run keeps its settings")
            setattr(cfg, key, value)
        if "logdir" not in given:
            cfg.logdir = saved.get("logdir")
    return cfg, checkpoint


def main(argv=None) -> int:
    try:
        cfg, checkpoint = config_from_args(argv)
        result = train(cfg, checkpoint=checkpoint)
    except (InputError, ValueError) as e:
        return fail(PROG, str(e))
    except NonFiniteLoss as e:
        return fail(PROG, str(e), status=1)
    except KeyboardInterrupt:  # a second Ctrl-C, or one before training began
        return fail(PROG, "interrupted", status=130)
    if result.status.startswith("interrupted"):  # 128 + the signal's number, as shells report it
        return 143 if "SIGTERM" in result.status else 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
