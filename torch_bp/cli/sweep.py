"""Train many copies of a network side by side, one per learning rate and seed, in one batch.

    python scripts/sweep.py --lr 0.01:100:1000 --target-loss 1e-3   # the deck's network, 1,000 η
    python scripts/sweep.py --lr 0.1,0.5,2                          # three η; η = 0.5 is train.py's run
    python scripts/sweep.py --dataset xor --sizes 2,3,1 --lr 0.1:10:50 --seeds 0:8

Network k is exactly the run train.py makes with its η and seed; see torch_bp/training/sweep_run.py for
the files a sweep writes (results.csv, losses.npz, figures/sweep.svg, TensorBoard HParams).
"""
from __future__ import annotations

import sys

import torch_bp_launch as signals
from torch_bp.cli.args import (ArgumentParser, add_figure_flags, add_network_and_data, fail, integer, lr_values,
                               message, number, path_arg, seed_values, setting)
from torch_bp.training.sweep_run import SweepConfig, SweepRun
from torch_bp.viz.slide import SLIDE_DPI, SLIDE_SIZE
from torch_bp.viz.sweep_plot import plot_sweep

PROG = "sweep.py"


def build_parser() -> ArgumentParser:
    d = SweepConfig()
    p = ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--lr", type=lr_values, default=",".join(map(str, d.lr)),
                   help="learning rates: a list 0.1,0.5,2 or a log-spaced range START:STOP:COUNT")
    p.add_argument("--seeds", type=seed_values, default=",".join(map(str, d.seeds)),
                   help="seeds (random init of other shapes, shuffle order): a list 0,1,2 or a range A:B, B excluded")
    p.add_argument("--steps", type=setting("steps", integer), default=d.steps, help="rounds (updates) per network")
    add_network_and_data(p, d, per=", per seed")
    p.add_argument("--batch-size", type=setting("batch_size", integer), default=d.batch_size,
                   help="rows per round; default all of them (batch gradient descent)")
    p.add_argument("--log-interval", type=setting("log_interval", integer), default=d.log_interval,
                   help="keep every network's error every n-th round (and rounds 1 and last)")
    p.add_argument("--logdir", type=path_arg, metavar="DIR", default=d.logdir,
                   help="sweep folder; default a new one under sweeps/ (not runs/: `make sweep-dashboard` shows them) named by date, time and settings")
    p.add_argument("--target-loss", type=setting("target_loss", number), default=d.target_loss, metavar="E",
                   help="rounds_to_target: the first round whose error on all data is <= E")
    p.add_argument("--no-sharpness", dest="sharpness", action="store_false",
                   help="leave out results.csv's sharpness_start and sharpness_end (λ_max of each network at "
                   "its start and its end, all networks in one batched pass)")
    add_figure_flags(p, "figures/sweep.svg", "figures/sweep.png")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    size, dpi = args.figure_size, args.dpi  # the picture's, not the sweep's settings
    del args.figure_size, args.dpi
    try:
        run = SweepRun(SweepConfig(**vars(args)))
    except ValueError as e:
        return fail(PROG, message(e))
    try:
        with signals.deferred():  # from the folder's first file to the figure, its last
            result = run.run()
            draw(run, result, size, dpi)
            signum = signals.caught()
    except ValueError as e:  # the folder (found when it is claimed)
        return fail(PROG, message(e))
    except OSError as e:  # a full disk, ...: the files written before it are whole
        return fail(PROG, f"{e.filename or run.logdir}: {e.strerror or e}; the sweep stopped, its files "
                    "written before this are whole (config.json's meta.status says how far it got)", status=1)
    finally:
        run.close()
    try:
        run.print_summary(result)
    except OSError as e:  # a closed pipe, a full disk: the sweep is done, its files whole
        return signals.output_failed(PROG, e, f"; the sweep's files in {run.logdir} are whole")
    if signum:  # 128 + the signal's number, as shells report it; what was done is written
        print(f"{PROG}: interrupted ({signals.name(signum)})", file=sys.stderr)
        return signals.status(signum)
    return 0


def draw(run: SweepRun, result, size=SLIDE_SIZE, dpi=SLIDE_DPI) -> None:
    """figures/sweep.svg and .png; a failure is a note, never the loss of a sweep's results."""
    lr, seed = run.lr.numpy(), run.seeds_of_networks()
    try:  # (plot_sweep writes each file whole or not at all)
        plot_sweep(run.logdir / "figures" / "sweep", lr, seed, result.final_loss, result.rounds_to_target,
                   result.diverged, title=run.title(result), target_loss=run.cfg.target_loss, size=size, dpi=dpi,
                   sharpness=None if result.sharpness_start is None else (result.sharpness_start, result.sharpness_end))
    except Exception as e:  # noqa: BLE001  the picture is a nicety
        print(f"note: figures/sweep.svg not drawn ({type(e).__name__}: {e})", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
