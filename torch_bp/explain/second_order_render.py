"""The second-order rows (second_order.Row) as text, markdown, JSON and one web page."""
from __future__ import annotations

import html
import json
import textwrap
from dataclasses import asdict

from .report_html import CSS
from .second_order import Row

TEXT_WIDTH = 80
INTRO = ("Each entry of ∂²E/∂w² splits in two: the Gauss-Newton part Σ_k ∂out_ok/∂θ · ∂out_ok/∂φ "
         "(first brackets) and the residual part Σ_k (out_ok − target_ok) · ∂²out_ok/∂θ∂φ (second brackets). "
         "Biases b1, b2 are fixed, as in the deck.")


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:.9g}"


def to_text(rows: list[Row]) -> str:
    wrap = textwrap.TextWrapper(TEXT_WIDTH, initial_indent="  ", subsequent_indent="      ",
                                break_long_words=False, break_on_hyphens=False)
    header = ["", "formula", "    value  [Gauss-Newton part ± residual part]", "-" * TEXT_WIDTH]
    lines, section = textwrap.wrap(INTRO, TEXT_WIDTH) + header, None
    for r in rows:
        if r.section != section:
            lines += ["", r.section]
            section = r.section
        terms = [t.replace(" ", "\u00a0") for t in r.formula.split(" + ")]  # break lines only between terms
        lines += wrap.wrap(" + ".join(terms))
        parts = ""
        if r.gauss_newton is not None:  # [Gauss-Newton part ± residual part]
            parts = f"  [{_num(r.gauss_newton)} {'−' if r.residual < 0 else '+'} {_num(abs(r.residual))}]"
        lines.append((f"    {_num(r.value)}{parts}" + (f"  {r.note}" if r.note else "")).rstrip())
    return "\n".join(line.replace("\u00a0", " ") for line in lines) + "\n"


def to_markdown(rows: list[Row]) -> str:
    out, section = [INTRO], None
    for r in rows:
        if r.section != section:
            out += ["", f"### {r.section}", "",
                    "| quantity = formula | value | Gauss-Newton part | residual part | note |",
                    "|---|---:|---:|---:|---|"]
            section = r.section
        cells = [r.formula, _num(r.value), _num(r.gauss_newton), _num(r.residual), r.note]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out) + "\n"


def to_json(rows: list[Row]) -> str:
    """A JSON list of the rows, strict JSON (second_order() refuses a value that is not finite)."""
    return json.dumps([asdict(r) for r in rows], indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_html(rows: list[Row], title: str, lead: str) -> str:
    """One page, no scripts: the intro, then a table per section."""
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{e(title)}</title>",
             f"<style>{CSS}</style>", "</head>", "<body>", f"<h1>{e(title)}</h1>", f'<p class="lead">{e(lead)}</p>',
             f"<p>{e(INTRO)}</p>"]
    head = "".join(f"<th>{c}</th>" for c in ("quantity = formula", "value", "Gauss-Newton part", "residual part"))
    section = None
    for r in rows:
        if r.section != section:
            if section is not None:
                parts.append("</tbody></table>")
            parts += [f"<h2>{e(r.section)}</h2>", f"<table><thead><tr>{head}</tr></thead><tbody>"]
            section = r.section
        cells = [("formula", "", r.formula), ("num", "value", _num(r.value)),
                 ("num", "Gauss-Newton part", _num(r.gauss_newton)), ("num", "residual part", _num(r.residual))]
        tds = "".join(f'<td class="{c}"' + (f' data-label="{lab}"' if lab and t else "") + f">{e(t)}</td>"
                      for c, lab, t in cells)
        parts.append(f'<tr class="line" data-quantity="{e(r.quantity)}">{tds}</tr>')
        if r.note:
            parts.append(f'<tr class="note"><td colspan="4">{e(r.note)}</td></tr>')
    parts += ["</tbody></table>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


RENDERERS = {"text": to_text, "markdown": to_markdown, "json": to_json}
