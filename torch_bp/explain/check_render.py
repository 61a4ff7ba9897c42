"""A learner's check rendered as text, markdown and JSON: one line per given value, then the diagnosis."""
from __future__ import annotations

import textwrap
from dataclasses import asdict

from torch_bp.core.numbers import strict_json

from .check import Check, _shown

def to_text(check: Check) -> str:
    """A header row, one line per given value, then the diagnosis wrapped to 80 columns."""
    head = ("quantity", "yours", "true", "verdict")
    cells = [head] + [(r.quantity, r.yours, _shown(r.true, r.yours), r.verdict) for r in check.rows]
    width = [max(len(c[i]) for c in cells) for i in range(3)]
    lines = [f"{q:<{width[0]}}  {y:>{width[1]}}  {t:>{width[2]}}  {v}" for q, y, t, v in cells]
    d = check.diagnosis
    mistakes = " or ".join(d.candidates) if len(d.candidates) > 1 else d.mistake
    lines += ["", f"diagnosis: {mistakes}" + (f" at {d.first_wrong}" if d.first_wrong else "")]
    lines += textwrap.wrap(d.explanation, 80)
    return "\n".join(lines) + "\n"


def to_markdown(check: Check) -> str:
    out = ["| quantity = formula | yours | true | verdict |", "|---|---:|---:|---|"]
    out += [f"| {r.formula.replace('|', chr(92) + '|')} | `{r.yours}` | {_shown(r.true, r.yours)} | {r.verdict} |"
            for r in check.rows]
    d = check.diagnosis
    out += ["", f"**Diagnosis:** `{d.mistake}`" + (f" at `{d.first_wrong}`" if d.first_wrong else "")
            + (f" (candidates: {', '.join(f'`{c}`' for c in d.candidates)})" if len(d.candidates) > 1 else ""),
            "", d.explanation]
    return "\n".join(out) + "\n"


def to_json(check: Check) -> str:
    """The rows and the diagnosis; a non-finite number is written as null (core.numbers.strict_json)."""
    d = check.diagnosis
    return strict_json({"rows": [asdict(r) for r in check.rows],
                       "diagnosis": {"mistake": d.mistake, "first_wrong": d.first_wrong,
                                     "explanation": d.explanation, "candidates": d.candidates}},
                      indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": to_text, "markdown": to_markdown, "json": to_json}
