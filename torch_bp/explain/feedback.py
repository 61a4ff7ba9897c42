"""A student's feedback page, as web page and markdown: how many values are right, the first
wrong one and the mistake that explains it, what would tell candidate mistakes apart, and for
every value what the slides' formula gives from the student's own earlier numbers."""
from __future__ import annotations

import html
from decimal import Decimal

from .check_working import MISTAKES, NONE, UNKNOWN
from .marking import MALFORMED, MARKED, NO_ANSWERS, NOT_HANDED_IN, Marked, agrees

TITLE = "Your working, checked"
STATUS = {NOT_HANDED_IN: "No answer file was handed in.",
          NO_ANSWERS: "Your answer file has no values filled in yet.",
          MALFORMED: "Your answer file could not be read: {problem}. Fix it and hand it in again."}


def shown(x: float, text: str) -> str:
    """x with two more decimals than the text written."""
    return f"{x:.{max(0, -Decimal(text).as_tuple().exponent) + 2}f}"


def summary(m: Marked) -> list[str]:
    """The feedback as paragraphs of plain text."""
    if m.status != MARKED:
        return [STATUS[m.status].format(problem=m.problem)]
    d = m.check.diagnosis
    out = [f"{m.right} of the {m.given} values you gave are right (at the digits you wrote, or following "
           "from your own rounding)."]
    if d.mistake == NONE:
        return out + ["Every value you gave is right. Well done."]
    row = next(r for r in m.check.rows if r.quantity == d.first_wrong)
    out.append(f"Your first wrong value is {d.first_wrong}: yours {row.yours}, the true value {shown(row.true, row.yours)}.")
    if d.mistake == UNKNOWN:
        out.append("No mistake in the catalogue explains it: redo that step.")
    elif len(d.candidates) == 1:
        out.append(f"The mistake: {d.mistake}, {MISTAKES[d.mistake]}.")
    else:
        out.append("Several mistakes fit every value you gave: "
                   + "; ".join(f"{c}, {MISTAKES[c]}" for c in d.candidates) + ".")
        if (apart := d.explanation.rfind("Your ")) >= 0:  # check.py's last sentence: the value that tells them apart
            out.append(d.explanation[apart:])
    out.append(f"From your own earlier numbers, {row.formula} gives {shown(m.follows[row.quantity], row.yours)}.")
    if later := m.carried_forward:
        out.append(f"{later} of your later values that differ from the true ones follow correctly from your own "
                   "earlier numbers: you carried the mistake on, and the method there is right.")
    return out + [f"What the check says: {d.explanation}"]


def _cells(m: Marked):
    """(quantity, formula, yours, true, verdict, from your numbers, whether a wrong value of
    yours follows from your earlier ones) per value."""
    for r in m.check.rows:
        after = m.follows[r.quantity]
        follows = r.verdict == "differs" and agrees(after, r.yours)
        yield r.quantity, r.formula, r.yours, shown(r.true, r.yours), r.verdict, shown(after, r.yours), follows


def to_markdown(m: Marked) -> str:
    out = [f"# {TITLE}: {m.student}", "", *[p + "\n" for p in summary(m)]]
    if m.check:
        out += ["| quantity = formula | yours | true | verdict | from your earlier numbers |", "|---|---:|---:|---|---:|"]
        out += [f"| {f.replace('|', chr(92) + '|')} | `{y}` | {t} | {v} | {a}{' ✓' if ok else ''} |"
                for _, f, y, t, v, a, ok in _cells(m)]
    return "\n".join(out).rstrip("\n") + "\n"


CSS = """
* { box-sizing: border-box; }
body { font: 11pt/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1b1b;
       margin: 0 auto; max-width: 52rem; padding: 1rem; }
@page { margin: 12mm; }
@media print { body { padding: 0; max-width: none; } }
h1 { font-size: 1.4rem; margin: 0 0 0.5rem; }
p { margin: 0.35rem 0; } p.first { font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin-top: 0.8rem; }
th, td { text-align: left; padding: 0.2rem 0.4rem; border-bottom: 1px solid #ddd; vertical-align: top; }
th { font-size: 0.85rem; color: #555; }
td.num { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; text-align: right; white-space: nowrap; }
td.formula { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.8rem; overflow-wrap: anywhere; }
tr.differs td { background: #fde3cc; } tr.first td { box-shadow: inset 0 -2px 0 #d95f02; }
tr { break-inside: avoid; }
@media (max-width: 600px) {   /* a phone: each value becomes a card, labelled cell by cell */
  thead { display: none; }
  table, tbody, tr, td { display: block; width: 100%; }
  tr { border-top: 1px solid #ddd; padding: 0.3rem 0; }
  td { border: none; padding: 0.1rem 0.3rem; text-align: left !important; white-space: normal !important; }
  td[data-label]::before { content: attr(data-label) ": "; color: #555; font-family: system-ui, sans-serif; }
}
"""


def to_html(m: Marked) -> str:
    """The feedback as one self-contained page (prints on A4 or Letter)."""
    e = html.escape
    paragraphs = summary(m)
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{e(TITLE)}: {e(m.student)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
             f"<h1>{e(TITLE)}: {e(m.student)}</h1>"]
    parts += [f'<p{" class=first" if k == 1 else ""}>{e(p)}</p>' for k, p in enumerate(paragraphs)]
    if m.check:
        first = m.check.diagnosis.first_wrong
        parts.append("<table><thead><tr><th>quantity = formula</th><th>yours</th><th>true</th><th>verdict</th>"
                     "<th>from your earlier numbers</th></tr></thead><tbody>")
        for q, f, y, t, v, a, ok in _cells(m):
            kind = f"{v}{' first' if q == first else ''}"
            parts.append(f'<tr class="{kind}" data-quantity="{e(q)}"><td class="formula">{e(f)}</td>'
                         f'<td class="num" data-label="yours">{e(y)}</td><td class="num" data-label="true">{e(t)}</td>'
                         f'<td data-label="verdict">{e(v)}</td>'
                         f'<td class="num" data-label="from your earlier numbers">{e(a)}{" ✓" if ok else ""}</td></tr>')
        parts.append("</tbody></table>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
