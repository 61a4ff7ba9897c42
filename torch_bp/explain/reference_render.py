"""The 50-digit reference report (reference_report.py) as text, markdown and strict JSON."""
from __future__ import annotations

import json
import textwrap
from dataclasses import asdict

from .reference_report import ReferenceRow, summary

INTRO = ("Every quantity of the worked example to {digits} digits (mpmath, from the slides' formulas), "
         "torch_bp's float64 value with its error in ulps = (float64 − exact) / ulp(float64) (|ulps| ≤ 0.5: "
         "correctly rounded), and what the slides' printed digits are: a correct rounding, a truncation, or "
         "wrong (the first wrong digit named).")


def _printed(row: ReferenceRow) -> str:
    if not row.printed:
        return ""
    text = f"printed {row.printed} on {row.source}: {row.digits}"
    return f"{text}; {row.note}" if row.note else text


def _closing(s: dict) -> list[str]:
    return [f"The slides print {s['printed']} numbers: {s['rounding']} correct roundings, {s['truncation']} "
            f"truncations, {s['wrong']} wrong.",
            f"torch_bp's float64: round 1 within {s['round_1_max_ulps']:.2f} ulps of every exact value; after "
            f"10,000 rounds of SGD, E_total is {s['E_total_round_10000_ulps']:+.1f} ulps off (relative "
            f"{s['E_total_round_10000_relative']:+.1e}) and the state within {s['round_10000_max_ulps']:.1f} ulps."]


def to_text(rows: list[ReferenceRow]) -> str:
    """Per quantity: its exact value, then torch_bp's float64 and the printed digits below it."""
    s = summary(rows)
    lines, section = [textwrap.fill(INTRO.format(digits=s["digits"]), 80)], None
    for row in rows:
        if row.section != section:
            lines += ["", row.section]
            section = row.section
        lines.append(f"  {row.quantity} = {row.exact}")
        lines.append(f"      float64 {row.float64!r} ({row.ulps:+.2f} ulps)")
        if row.printed:
            lines.append(f"      {_printed(row)}")
    return "\n".join([*lines, "", *(textwrap.fill(line, 80) for line in _closing(s))]) + "\n"


def to_markdown(rows: list[ReferenceRow]) -> str:
    """One table per section, the closing summary first."""
    s = summary(rows)
    out, section = ["## The worked example to the last digit", "", INTRO.format(digits=s["digits"]), "",
                    *_closing(s)], None
    for row in rows:
        if row.section != section:
            out += ["", f"### {row.section}", "",
                    "| quantity | exact | float64 | ulps | printed | digits | note |",
                    "|---|---:|---:|---:|---:|---|---|"]
            section = row.section
        printed = f"`{row.printed}`" if row.printed else ""
        out.append(f"| {row.quantity} | `{row.exact}` | `{row.float64!r}` | {row.ulps:+.2f} | {printed} | "
                   f"{row.digits or ''} | {row.note} |")
    return "\n".join(out) + "\n"


def to_json(rows: list[ReferenceRow]) -> str:
    """{"summary": …, "rows": […]}; exact values as strings (50 digits do not fit a JSON number)."""
    return json.dumps({"summary": summary(rows), "rows": [asdict(r) for r in rows]},
                      indent=2, ensure_ascii=False, allow_nan=False) + "\n"


RENDERERS = {"text": to_text, "markdown": to_markdown, "json": to_json}
