"""A different worked example for every student: a setting drawn from (seed, student id), drawn
again until it is a good exercise.

A setting is what the deck fixes: inputs i1, i2, targets target_o1, target_o2, weights w1..w8,
the shared biases b1, b2 and η, all with two decimals (the deck's 0.15, 0.35, 0.05, 0.5) so they
carry by hand. The same (seed, id) always gives the same setting: every number is its list of
choices at SHA-256 of VERSION, the seed, the id, the attempt and its name ("η" for η), joined by
NUL characters, read as a big-endian number, modulo their count; never Python's hash() or a
global generator.

A good exercise (problem() says why a setting is not one), judged on the values a student writes,
rounded to DIGITS significant digits:

    no output saturated      every out = σ(net) in OUT_RANGE, every |target − out_o| ≥ MIN_ERROR
    a sensible size          every quantity's |value| in SIZE_RANGE
    every mistake shows      the first value each catalogued mistake (check_working.MISTAKES)
                             changes moves by at least MARGIN units of its last digit and is no
                             digit slip of the true one; no two mistakes give the same first
                             wrong number; a slip cannot pass for a mistake, nor a mistake or
                             another η for a slip (telling.py: what the check can tell apart)
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass

from torch_bp.core.deck import DECK_LR
from .check import quantities
from .check_working import evaluate, working
from .telling import variants, why_not_told_apart

DIGITS = 4                   # the sheet asks for at least 4 significant digits
OUT_RANGE = (0.1, 0.9)       # σ(net) away from 0 and 1: out(1 − out) ≥ 0.09
MIN_ERROR = 0.05             # |target − out_o|: the error's gradient is not tiny
SIZE_RANGE = (1e-4, 10.0)    # |value| of every quantity on the sheet
MAX_ATTEMPTS = 500           # draws per student before giving up (a few are usually enough)
# The values a setting's numbers are drawn from, in hundredths.
WEIGHTS = [k for k in range(-95, 96) if abs(k) >= 5]   # ±0.05 .. ±0.95, also for b1, b2
INPUTS = list(range(5, 96))                             # 0.05 .. 0.95
TARGETS = list(range(1, 100))                           # 0.01 .. 0.99
# η, never the slides' 0.5: a student who copies the slides' η shows as the learning-rate mistake.
ETAS = (0.1, 0.2, 0.25, 0.3, 0.4, 0.6, 0.75, 0.8, 1.0)
VERSION = "torch_bp worksheet 1"  # in every hash: a new way of drawing gets new settings


@dataclass(frozen=True)
class Setting:
    """One student's numbers, named as the slides name them (η as lr)."""
    w1: float
    w2: float
    w3: float
    w4: float
    w5: float
    w6: float
    w7: float
    w8: float
    b1: float
    b2: float
    i1: float
    i2: float
    target_o1: float
    target_o2: float
    lr: float

    def scalars(self) -> dict[str, float]:
        """The setting as check_working's steps read it (η for lr)."""
        values = asdict(self)
        values["η"] = values.pop("lr")
        return values

    def check_args(self) -> dict:
        """The setting as report.worked_example and check.diagnose take it."""
        weights = {"layers.0.weight": [[self.w1, self.w2], [self.w3, self.w4]], "layers.0.bias": self.b1,
                   "layers.1.weight": [[self.w5, self.w6], [self.w7, self.w8]], "layers.1.bias": self.b2}
        return dict(weights=weights, inputs=[self.i1, self.i2], targets=[self.target_o1, self.target_o2],
                    lr=self.lr)

    def wrong_lrs(self) -> tuple[float, ...]:
        """The η a student may use instead of theirs: the slides' 0.5, or twice theirs."""
        return tuple(dict.fromkeys(eta for eta in (DECK_LR, 2 * self.lr) if eta != self.lr))


def _pick(key: str, name: str, values):
    """One of `values`, chosen by SHA-256 of key and name (the bias of a 256-bit number modulo
    a few hundred is below 2^-240)."""
    digest = hashlib.sha256(f"{key}\0{name}".encode()).digest()
    return values[int.from_bytes(digest, "big") % len(values)]


def draw_once(seed: int, student: str, attempt: int) -> Setting:
    """The attempt-th setting of (seed, student), good exercise or not."""
    key = f"{VERSION}\0{seed}\0{student}\0{attempt}"
    hundredths = {**{f"w{n}": WEIGHTS for n in range(1, 9)}, "b1": WEIGHTS, "b2": WEIGHTS,
                  "i1": INPUTS, "i2": INPUTS, "target_o1": TARGETS, "target_o2": TARGETS}
    values = {name: _pick(key, name, choices) / 100 for name, choices in hundredths.items()}
    return Setting(**values, lr=_pick(key, "η", ETAS))


def problem(setting: Setting) -> str | None:
    """Why the setting is not a good exercise (see the module's docstring), or None."""
    true = evaluate(working(), setting.scalars())
    for unit in ("h1", "h2", "o1", "o2"):
        if not OUT_RANGE[0] <= true[f"out_{unit}"] <= OUT_RANGE[1]:
            return f"out_{unit} = {true[f'out_{unit}']:.4f} is saturated (outside {OUT_RANGE})"
    for k in (1, 2):
        if abs(true[f"target_o{k}"] - true[f"out_o{k}"]) < MIN_ERROR:
            return f"out_o{k} is within {MIN_ERROR} of its target"
    for q in quantities():
        if not SIZE_RANGE[0] <= abs(true[q]) <= SIZE_RANGE[1]:
            return f"{q} = {true[q]:.3g} is too small or too large to carry by hand"
    return why_not_told_apart(variants(setting.scalars(), setting.wrong_lrs()), DIGITS)


def draw(seed: int, student: str) -> tuple[Setting, int]:
    """(the first good setting of (seed, student), the attempt that gave it); RuntimeError if
    none in MAX_ATTEMPTS (not seen: more than half the draws are good)."""
    for attempt in range(MAX_ATTEMPTS):
        setting = draw_once(seed, student, attempt)
        if problem(setting) is None:
            return setting, attempt
    raise RuntimeError(f"no good exercise for {student!r} with seed {seed} in {MAX_ATTEMPTS} draws")


def file_name(student: str) -> str:
    """A file name for the student's files: runs of anything but letters, digits, '.', '_' and
    '-' become '-' (two ids with the same file name, ignoring case, are one student twice)."""
    return re.sub(r"[^\w.-]+", "-", student).strip("-.") or "student"

