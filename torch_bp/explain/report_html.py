"""The worked example as one self-contained web page: the round-1 network picture (inline SVG,
forward and backward), then every line of the report (formula, computed value, printed value,
verdict, source, note) with the errata highlighted. No scripts, no fonts or images fetched:
it works opened from disk, on a projector (large type) and on a phone (rows stack)."""
from __future__ import annotations

import html
import re

from .report import Row
from .report_render import filled

CSS = """
:root { --ink: #1b1b1b; --muted: #5a5a5a; --line: #d9d9d9; --differs: #fde3cc; --differs-edge: #d95f02;
        --truncated: #fff6d5; --agrees: #2e7d32; }
* { box-sizing: border-box; }
body { font: 18px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); margin: 0 auto; padding: 1rem 1.25rem 3rem; max-width: 78rem; }
h1 { font-size: 1.9rem; margin: 0.5rem 0; } h2 { font-size: 1.45rem; margin: 2rem 0 0.5rem; }
p.lead { color: var(--muted); margin-top: 0; }
figure { margin: 1rem 0; } figure svg { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.95rem; }
.summary span { display: inline-block; margin-right: 1.2rem; font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.45rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 0.9rem; color: var(--muted); font-weight: 600; }
td.num { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; text-align: right; white-space: nowrap; }
td.formula { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.95rem; }
tr.differs td { background: var(--differs); }
tr.differs td:first-child { box-shadow: inset 6px 0 0 var(--differs-edge); }
tr.agrees-truncated td { background: var(--truncated); }
td.verdict { font-weight: 700; white-space: nowrap; }
tr.agrees td.verdict { color: var(--agrees); } tr.differs td.verdict { color: var(--differs-edge); }
tr.note td { border-bottom: 1px solid var(--line); color: var(--ink); font-size: 0.95rem; padding-top: 0; }
tr.note.differs td { box-shadow: inset 6px 0 0 var(--differs-edge); }
@media (max-width: 760px) {   /* a phone: each row becomes a card, labelled cell by cell */
  body { font-size: 16px; padding: 0.75rem; }
  thead { display: none; }
  table, tbody, tr, td { display: block; width: 100%; }
  tr.line { border-top: 1px solid var(--line); padding-top: 0.3rem; }
  td { border: none; padding: 0.15rem 0.4rem; text-align: left !important; white-space: normal !important; }
  figure { overflow-x: auto; } figure svg { min-width: 56rem; }   /* scroll the picture sideways */
  td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-weight: 400; }
}
"""

COLUMNS = ("quantity = formula", "computed", "printed", "verdict", "source")  # the last three: only where filled


def _inline_svg(svg: str) -> str:
    """matplotlib's SVG without its XML prologue, scaled to the page's width."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)  # RDF namespaces, no content
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 role="img"', svg, count=1)


def _row(r: Row, keep: list[str]) -> str:
    e = html.escape
    kind = r.verdict or "none"
    cells = [("formula", "", r.formula), ("num computed", "computed", f"{r.computed:.12f}"),
             ("num printed", "printed", r.printed or ""), ("verdict", "verdict", r.verdict or ""),
             ("source", "source", r.source or "")]
    cells = cells[:2] + [c for c in cells[2:] if c[1] in keep]
    tds = "".join(f'<td class="{cls}"' + (f' data-label="{label}"' if label and text else "") + f">{e(text)}</td>"
                  for cls, label, text in cells)
    out = f'<tr class="line {kind}" data-quantity="{e(r.quantity)}">{tds}</tr>'
    if r.note:
        out += f'<tr class="note {kind}"><td colspan="{len(cells)}">{e(r.note)}</td></tr>'
    return out


def to_html(rows: list[Row], svg: str, title: str, lead: str) -> str:
    """The page: title, lead paragraph, the network picture (svg: an SVG document), a count of
    the verdicts, and one table per section of rows."""
    e = html.escape
    counts = {v: sum(r.verdict == v for r in rows) for v in ("agrees", "agrees-truncated", "differs")}
    summary = "".join(f'<span class="{v}">{n} {v}</span>' for v, n in counts.items() if n) if any(counts.values()) else ""
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
        f"<h1>{e(title)}</h1>", f'<p class="lead">{e(lead)}</p>',
        '<figure id="network">', _inline_svg(svg),
        "<figcaption>Round 1: above, the forward pass (each unit's net and out, each weight); below, "
        "the backward pass (each unit's ∂E/∂out and delta, each weight's ∂E/∂w; blue +, orange −, "
        "width ∝ size).</figcaption>", "</figure>",
    ]
    if summary:
        parts.append(f'<p class="summary">{summary} (errata highlighted)</p>')
    section = None
    keep = filled(rows)
    head = "<thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in COLUMNS if c in (*COLUMNS[:2], *keep)) + "</tr></thead>"
    for r in rows:
        if r.section != section:
            if section is not None:
                parts.append("</tbody></table>")
            parts += [f"<h2>{e(r.section)}</h2>", f"<table>{head}<tbody>"]
            section = r.section
        parts.append(_row(r, keep))
    if section is not None:
        parts.append("</tbody></table>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
