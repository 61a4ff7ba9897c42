#!/usr/bin/env python3
"""Fill a class folder's answer files with a made-up class, to try `worksheet.py mark` and
`summary` on (docs/class-summary.png is drawn from it): students who get everything right, each
catalogued mistake, sheets left half done, a miscalculation no mistake explains, a file not
handed in, one not filled in and one that cannot be read. Student k gets SCENARIOS[k % 24].

    python scripts/worksheet.py make --students docs/worksheet-roster.csv --seed 2024 --out class
    python scripts/worksheet_demo.py class
    python scripts/worksheet.py mark class; python scripts/worksheet.py summary class

The values are check_working's (the model the check itself uses): a demonstration, not a test.
"""
import argparse
import json
from pathlib import Path

from torch_bp.cli.worksheet import read_class
from torch_bp.explain.check_working import evaluate, working
from torch_bp.explain.check import quantities

# (what the student does, significant digits written, how far they got: the last quantity written)
SCENARIOS = [
    ("right", 5, None), ("missing-bias", 4, None), ("right", 6, None), ("sign-of-error", 5, None),
    ("sigmoid-for-derivative", 4, None), ("right", 5, "E_total"), ("no-half", 5, None),
    ("transposed-weights", 4, None), ("sign-of-error", 4, None), ("one-path-only", 5, None),
    ("right", 4, None), ("update-sign", 5, None), ("sequential-update", 6, None),
    ("learning-rate", 5, None), ("digit-slip", 5, None), ("miscalculated", 5, None),
    ("not handed in", 0, None), ("right", 5, "w8+"), ("missing-bias", 5, "dE_total/dw5"),
    ("malformed", 0, None), ("sign-of-error", 6, None), ("no answers", 0, None),
    ("sigmoid-for-derivative", 5, "w8+"), ("one-path-only", 4, None),
]


def answers(setting, doing: str, digits: int, last: str | None) -> dict[str, str]:
    s = setting.scalars()
    if doing == "learning-rate":
        values = evaluate(working(), {**s, "η": 0.5})  # the slides' η instead of theirs
    elif doing == "miscalculated":  # σ(net_h1) worked out wrong, the rest carried on from it
        steps = working()
        values = evaluate(steps, s)
        values["out_h1"] = round(values["out_h1"] + 0.05, 4)
        for step in steps[steps.index(next(t for t in steps if t.quantity == "out_h1")) + 1:]:
            values[step.quantity] = step.f(*(values[x] for x in step.inputs))
    else:
        values = evaluate(working(doing if doing not in ("right", "digit-slip") else "none"), s)
    names = quantities()
    names = names[:names.index(last) + 1] if last else names
    texts = {q: f"{values[q]:.{digits}g}" for q in names}
    if doing == "digit-slip":  # two adjacent digits of ∂E_total/∂w6 swapped
        t = texts["dE_total/dw6"]
        i = next(i for i in range(len(t) - 2, 0, -1) if t[i:i + 2].isdigit() and t[i] != t[i + 1])
        texts["dE_total/dw6"] = t[:i] + t[i + 1] + t[i] + t[i + 2:]
    return texts


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir", help="a class folder written by worksheet.py make")
    folder = Path(p.parse_args(argv).dir)
    for k, (student, file, setting) in enumerate(read_class(folder)):
        doing, digits, last = SCENARIOS[k % len(SCENARIOS)]
        path = folder / "answers" / f"{file}.json"
        if doing == "not handed in":
            path.unlink(missing_ok=True)
        elif doing == "malformed":
            path.write_text('{"net_h1": "0,4175"}\n')
        elif doing != "no answers":
            path.write_text(json.dumps(answers(setting, doing, digits, last), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
