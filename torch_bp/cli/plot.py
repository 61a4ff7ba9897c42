"""Compare runs: one loss curve per run on one log-y chart, each labelled by the settings in
which the runs differ (from their config.json), PNG or SVG by the file's suffix.

Runs of the same settings are told apart by their folders; a run cut short (history.csv ends
before its config's steps: interrupted, stopped at its target error, or still running) says
at which round in its legend entry, and its last point is marked ×.

    python scripts/plot.py runs/A runs/B -o compare.png
    python scripts/plot.py runs/*xor* -o xor.svg

The curve is the error on all data (history.csv's loss/full) where the run logged it, that is
for mini-batch runs, else E_total of the round's batch, which for full-batch runs is the same.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from torch_bp.cli.args import ArgumentParser, InputError, add_figure_flags, fail, path_arg, summary
from torch_bp.core.files import atomic_file, read_text_capped
from torch_bp.viz import draw
from torch_bp.viz.figures import FEW_POINTS, history_columns, plain_log_y, read_history
from torch_bp.viz.slide import FONTS

PROG = "plot.py"
# Settings that do not change a run's numbers (or say where it is), left out of the labels.
NOT_SETTINGS = {"logdir", "meta", "dry_run", "save_model", "save_interval", "resume", "graph",
                "check_grads", "log_interval", "device"}
SUFFIXES = (".png", ".svg")


def build_parser() -> ArgumentParser:
    p = ArgumentParser(prog=PROG, description=summary(__doc__))
    p.add_argument("runs", nargs="+", type=path_arg, metavar="RUN_DIR", help="run folders (config.json, history.csv)")
    p.add_argument("-o", "--output", type=path_arg, metavar="FILE", default="loss-compare.png",
                   help="the chart: .png or .svg")
    add_figure_flags(p, "the chart", "a .png chart")
    return p


def _setting(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def labels(configs: list[dict], folders: list[str]) -> list[str]:
    """Per run, 'key=value' for each setting whose value is not the same in every run; runs
    whose settings are the same get their folder's name too (its path where names repeat)."""
    keys = [k for k in configs[0] if k not in NOT_SETTINGS]
    keys += [k for c in configs[1:] for k in c if k not in NOT_SETTINGS and k not in keys]
    differ = [k for k in keys if len({_setting(c.get(k)) for c in configs}) > 1]
    settings = [", ".join(f"{k}={_setting(c.get(k))}" for k in differ) for c in configs]
    names = [Path(f).name for f in folders]
    if len(set(names)) < len(names):
        names = list(folders)
    return [s if settings.count(s) == 1 else ", ".join(filter(None, [s, name]))
            for s, name in zip(settings, names)]


def cut_short(cfg: dict, rounds) -> str:
    """'stopped at round N of M' for a run whose history ends before its config's steps, else ''."""
    steps, last = cfg.get("steps"), int(rounds[-1])
    return f"stopped at round {last:,} of {steps:,}" if isinstance(steps, int) and last < steps else ""


def read_run(path: str):
    """(config, rounds, errors, which) of a run folder; InputError if it is not one."""
    run = Path(path)
    if not run.is_dir():
        raise InputError(f"{path}: not a folder")
    try:
        cfg = json.loads(read_text_capped(run / "config.json"))
        columns = history_columns(run)
        which = "loss/full" if "loss/full" in columns else "loss/total"
        _, data = read_history(run, ["round", which])  # two columns of it: 16 bytes a row
    except OSError as e:
        raise InputError(f"{path}: not a run folder ({e.strerror or e}: {Path(e.filename or '').name})") from None
    except (ValueError, IndexError, RecursionError) as e:  # RecursionError: config.json nested too deeply
        raise InputError(f"{path}: config.json or history.csv is malformed ({str(e)[:200] or type(e).__name__})") from None
    if not isinstance(cfg, dict) or not len(data):
        raise InputError(f"{path}: history.csv holds no logged rounds")
    return cfg, data[:, 0], data[:, 1], which


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    out = Path(args.output)
    try:
        if out.suffix.lower() not in SUFFIXES:
            raise InputError(f"-o {args.output}: the suffix must be .png or .svg")
        if not out.parent.is_dir():
            raise InputError(f"-o {args.output}: no folder {out.parent}")
        runs = [read_run(p) for p in args.runs]
    except InputError as e:
        return fail(PROG, str(e))
    fig = chart(runs, labels([r[0] for r in runs], args.runs), args.figure_size)
    try:
        with matplotlib.rc_context(draw.RC), atomic_file(out) as f:  # SVG text stays text; an old chart kept whole
            fig.savefig(f, format=out.suffix.lower()[1:], dpi=args.dpi)
    except OSError as e:
        return fail(PROG, f"-o {args.output}: cannot write it ({e.strerror or e})")
    print(out)
    return 0


def chart(runs, names: list[str], size) -> Figure:
    """One curve per run, `size` inches, every text FONT_PT; a run cut short ends in ×."""
    with matplotlib.rc_context(FONTS):
        fig = Figure(figsize=size, layout="constrained")
        ax = fig.subplots()
        for (cfg, rounds, errors, which), name in zip(runs, names):
            keep = errors > 0  # a log axis shows positive values only
            short = cut_short(cfg, rounds)
            label = ", ".join(filter(None, [name, "error on all data" if which == "loss/full" else "", short]))
            few = keep.sum() <= FEW_POINTS  # each point marked; a run cut short ends in a larger ×
            ax.plot(rounds[keep], errors[keep], lw=1.4, label=label or "the run", marker="X" if short else "o" if few else None,
                    markevery=[-1] if short else None, ms=9)
            if short and few:
                ax.plot(rounds[keep], errors[keep], "o", ms=4, color=ax.lines[-1].get_color())
        plain_log_y(ax)
        ax.set_xlabel("round")
        ax.set_ylabel("error (log scale)")
        ax.set_title(f"Error over rounds, {len(runs)} run{'s' if len(runs) > 1 else ''}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    return fig


if __name__ == "__main__":
    sys.exit(main())
