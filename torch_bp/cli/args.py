"""What the commands share: argparse with one-line errors, argument types that say why, and the
one place where a setting's field name becomes its flag (`batch_size` -> `--batch-size`).

An argument type parses the flag's syntax and then checks the value with the setting's own
rule (torch_bp.training.config.RULES): the command line holds no rule of its own.
"""
from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable

import numpy as np

from torch_bp.core import numbers
from torch_bp.core.data import DATASETS
from torch_bp.training.config import ConfigError, SweepConfig, check_device, check_value
from torch_bp.viz.slide import FONT_PT, SLIDE_DPI, SLIDE_SIZE

INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII digits only: int() also takes "1_000" and other scripts' digits
MAX_LINE = 1000  # an error line's characters: whatever value it echoes, never megabytes


class InputError(ValueError):
    """Bad input from the user: reported as one line on stderr, exit status 2."""


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Defaults in --help, as the user would type them ("2,2,2", not "(2, 2, 2)"), but only
    those that say something: no "(default: None)" on a flag whose help says what happens
    without it, no "(default: False)" on a switch, none added to a help that states its own."""

    def _get_help_string(self, action):
        default = action.default
        if default is None or default is False or default is argparse.SUPPRESS or "(default" in action.help or "default:" in action.help:
            return action.help
        if not action.option_strings and action.nargs not in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return action.help
        shown = ",".join(map(str, default)) if isinstance(default, (tuple, list)) else str(default)
        return f"{action.help} (default: {shown.replace('%', '%%')})"


class ArgumentParser(argparse.ArgumentParser):
    """argparse with defaults in --help and ONE line on stderr for a bad flag (exit 2)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(**kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {capped(message)} (see --help)\n")

    def explicit(self, argv) -> set[str]:
        """The dests the user set on the command line (not left at their defaults)."""
        saved = {a.dest: a.default for a in self._actions}
        try:
            for a in self._actions:
                a.default = argparse.SUPPRESS
            return set(vars(self.parse_args(argv)))
        finally:
            for a in self._actions:
                a.default = saved[a.dest]


def flag(field: str) -> str:
    """The command-line flag of a setting: "log_interval" -> "--log-interval"."""
    return "--" + field.replace("_", "-")


def message(error: ValueError) -> str:
    """An error's one line for the terminal: a ConfigError's field named by its flag."""
    return error.render(flag) if isinstance(error, ConfigError) else str(error)


def fail(prog: str, text: str, status: int = 2) -> int:
    print(f"{prog}: error: {capped(text)}", file=sys.stderr)
    return status


def capped(text: str, limit: int = MAX_LINE) -> str:
    """`text` on one line of at most about `limit` characters: its start and end, and how long
    it was (the last line of defence; each message cuts the value it names with numbers.shown)."""
    text = " ".join(text.splitlines())
    if len(text) <= limit:
        return text
    return f"{text[:limit // 2]} ... ({len(text):,} characters) ... {text[-limit // 4:]}"


# ---- syntax ------------------------------------------------------------------------------

def number(text: str) -> float:
    """A decimal number as files write it (core.numbers.NUMBER): not "0_05", not other scripts' digits."""
    try:
        return numbers.to_float(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def integer(text: str) -> int:
    if not INTEGER.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"{numbers.shown(text)} is not an integer")
    return int(text)


def _listed(parse: Callable, what: str) -> Callable:
    def values(text: str) -> tuple:
        try:
            return tuple(parse(v) for v in text.split(","))
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(f"{numbers.shown(text)} is not a comma-separated list of {what}") from None
    return values


integers = _listed(integer, "integers")
numbers_list = _listed(number, "numbers")


def _check(field: str, value, text: str, prefix: str = "") -> None:
    """ArgumentTypeError unless `value` is what setting `field` may be (config.RULES)."""
    try:
        check_value(field, value)
    except ConfigError as e:
        raise argparse.ArgumentTypeError(f"{numbers.shown(text)}{prefix} {e.detail.split(', got ')[0]}") from None


def setting(field: str, parse: Callable) -> Callable:
    """An argparse type for setting `field`: its syntax, then its rule (config.RULES)."""
    def typed(text: str):
        value = parse(text)
        _check(field, value, text)
        return value
    typed.__name__ = field  # argparse names the type in some messages
    return typed


def each(field: str, parse: Callable) -> Callable:
    """setting() for a list of values, each checked by `field`'s rule."""
    def typed(text: str) -> tuple:
        values = parse(text)
        for v in values:
            _check(field, v, text, ": every value")
        return values
    return typed


def path_arg(text: str) -> str:
    """A file or folder name: not empty (an empty one would read as "not given")."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path")
    return text


def finite_numbers(text: str) -> tuple[float, ...]:
    """'0.05,0.10' -> (0.05, 0.1): finite numbers."""
    values = numbers_list(text)
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"{numbers.shown(text)} must hold finite numbers")
    return values


def figure_size(text: str) -> tuple[float, float]:
    """'10,5.625' -> (10.0, 5.625): a figure's width and height in inches, each > 0."""
    values = finite_numbers(text)
    if len(values) != 2 or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be WIDTH,HEIGHT in inches, both > 0")
    return values


def count(text: str) -> int:
    """An integer >= 1 (a tool's count: repeats, jobs)."""
    value = integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{numbers.shown(text)} must be an integer >= 1")
    return value


def counts(text: str) -> tuple[int, ...]:
    """'16,256' -> (16, 256): one or more integers >= 1."""
    values = integers(text)
    if min(values) < 1:
        raise argparse.ArgumentTypeError(f"{numbers.shown(text)}: every value must be >= 1")
    return values


def lr_values(text: str) -> tuple[float, ...]:
    """'0.1,0.5,2' -> (0.1, 0.5, 2.0); '0.01:100:5' -> 5 values log-spaced from 0.01 to 100."""
    if ":" not in text:
        return each("lr", numbers_list)(text)
    parts = text.split(":")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"{numbers.shown(text)}: expected a list like 0.1,0.5,2 or a range START:STOP:COUNT")
    start, stop, count = number(parts[0]), number(parts[1]), integer(parts[2])
    if not 1 <= count <= SweepConfig.MOST["lr"]:
        raise argparse.ArgumentTypeError(f"{numbers.shown(text)}: COUNT must be in [1, {SweepConfig.MOST['lr']:,}]")
    for v in (start, stop):
        _check("lr", v, text, ": START and STOP")
    return tuple(np.geomspace(start, stop, count).tolist())


def seed_values(text: str) -> tuple[int, ...]:
    """'0,1,2' -> (0, 1, 2); '0:4' -> (0, 1, 2, 3)."""
    if ":" not in text:
        return each("seed", integers)(text)
    parts = text.split(":")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"{numbers.shown(text)}: expected a list like 0,1,2 or a range A:B")
    a, b = integer(parts[0]), integer(parts[1])
    if b <= a:
        raise argparse.ArgumentTypeError(f"{numbers.shown(text)}: the range A:B needs B > A (B is excluded)")
    if b - a > SweepConfig.MOST["seeds"]:
        raise argparse.ArgumentTypeError(f"{numbers.shown(text)}: {b - a:,} seeds, more than the "
                                         f"{SweepConfig.MOST['seeds']:,} a sweep takes")
    for v in (a, b - 1):
        _check("seed", v, text, ": every seed")
    return tuple(range(a, b))


def add_figure_flags(p: argparse.ArgumentParser, svg: str, png: str, size=SLIDE_SIZE) -> None:
    """--figure-size W,H and --dpi for a command that draws `svg` (its size) and `png` (its pixels);
    size None: each picture's own slide size unless given."""
    p.add_argument("--figure-size", type=figure_size, default=size and ",".join(f"{v:g}" for v in size),
                   metavar="W,H", help=f"the size in inches of {svg} (every text {FONT_PT} pt at this size; "
                   f"the default fits a 16:9 slide)")
    p.add_argument("--dpi", type=count, default=SLIDE_DPI, help=f"pixels per inch of {png}")


def summary(doc: str) -> str:
    """A module docstring's first paragraph as one line: a command's --help description."""
    return " ".join(doc.split("\n\n")[0].split())


def device_arg(text: str) -> str:
    """config.check_device as an argparse type."""
    try:
        check_device(text)
    except ConfigError as e:
        raise argparse.ArgumentTypeError(e.detail) from None
    return text


def read_json_object(path: str, flag_name: str, keys: str = "parameter names") -> dict:
    """numbers.read_json_object, as bad input (InputError naming the flag)."""
    try:
        return numbers.read_json_object(path, keys)
    except ValueError as e:
        raise InputError(f"{flag_name} {e}") from None


def add_row(p: argparse.ArgumentParser, inputs, targets, what: str = "") -> None:
    """--inputs and --targets: one row of data (explain.py's, and a run's instead of its data set)."""
    p.add_argument("--inputs", type=finite_numbers, default=inputs, metavar="I1,I2,...",
                   help=f"{what}its inputs, e.g. 0.05,0.1")
    p.add_argument("--targets", type=finite_numbers, default=targets, metavar="T1,T2,...",
                   help=f"{what}its targets, e.g. 0.01,0.99")


def add_network_and_data(p: argparse.ArgumentParser, d, per: str = "") -> None:
    """The flags a run and a sweep share for the network and its data (RunConfig's fields),
    defaults from config `d`; `per`: what a sweep adds to some helps (", per seed")."""
    p.add_argument("--sizes", type=setting("sizes", integers), default=",".join(map(str, d.sizes)),
                   help="layer widths, e.g. 2,3,2")
    p.add_argument("--train-bias", action="store_true", help="let the biases b1, b2 learn too")
    p.add_argument("--per-unit-bias", action="store_true", help="one bias per unit instead of one per layer")
    p.add_argument("--init", type=path_arg, metavar="FILE", default=d.init,
                   help="JSON of initial parameters (names of named_parameters() to nested lists; 2-2-2 also "
                        "the slides' w1..w8, b1, b2 to numbers)")
    p.add_argument("--dataset", choices=list(DATASETS), default=d.dataset, help="built-in data")
    p.add_argument("--data", type=path_arg, metavar="FILE", default=d.data,
                   help="CSV (header row; last n_out columns are targets) or JSON {inputs, targets}")
    add_row(p, d.inputs, d.targets, "one row of data instead of --dataset or --data: ")
    p.add_argument("--shuffle", action="store_true", help=f"a new random order every epoch{per}")
    p.add_argument("--device", type=device_arg, default=d.device, help="torch device, e.g. cpu or cuda")
