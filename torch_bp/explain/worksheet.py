"""A student's worksheet: their numbers, the network drawn with them, and a blank for every
quantity of one step of the worked example, as one printable web page (A4 or Letter) and as
markdown; the answer file they fill in; and the teacher's key (the report for their numbers).

The answer file is what `explain.py --check` reads ({quantity: value}), with every value blank:
a blank left blank is no answer (marking.answers drops it).
"""
from __future__ import annotations

import html
import json

from .exercise import DIGITS, Setting
from .report import Row, worked_example
from .report_render import to_markdown

TITLE = "Backpropagation, one step by hand"
# Where each weight sits: wn -> (the unit it leaves, the unit it enters).
EDGES = {"w1": ("i1", "h1"), "w2": ("i2", "h1"), "w3": ("i1", "h2"), "w4": ("i2", "h2"),
         "w5": ("h1", "o1"), "w6": ("h2", "o1"), "w7": ("h1", "o2"), "w8": ("h2", "o2")}
INSTRUCTIONS = (
    "Work one forward pass, the error, the backward pass and one SGD step of this network, as the "
    "slides do, with your numbers below. Write every value with at least {digits} significant digits "
    "(0.3775, 0.5933, 0.0004386), and carry your own rounded values on to the next step. "
    "σ(x) = 1/(1 + e^(−x)); E = ½ Σ (target − out)²; every unit of a layer shares its layer's bias.")


def rows(setting: Setting) -> list[Row]:
    """The worked example for this setting, one row per quantity of the sheet."""
    return worked_example(**setting.check_args(), rounds=(), printed=False)


def sections() -> list[tuple[int, str]]:
    """(the index of the sheet's quantity where a section of the working starts, its name)."""
    found = worked_example(rounds=(), printed=False)
    return [(k, r.section) for k, r in enumerate(found) if k == 0 or r.section != found[k - 1].section]


def numbers(setting: Setting) -> list[tuple[str, str, str]]:
    """(name, value, what it is) for each number of the setting."""
    out = [("i1", f"{setting.i1:.2f}", "input 1"), ("i2", f"{setting.i2:.2f}", "input 2"),
           ("target_o1", f"{setting.target_o1:.2f}", "target of o1"), ("target_o2", f"{setting.target_o2:.2f}", "target of o2")]
    out += [(w, f"{getattr(setting, w):.2f}", f"weight {a} → {b}") for w, (a, b) in EDGES.items()]
    out += [("b1", f"{setting.b1:.2f}", "bias of h1 and h2"), ("b2", f"{setting.b2:.2f}", "bias of o1 and o2"),
            ("η", f"{setting.lr:g}", "learning rate")]
    return out


def answer_template(setting: Setting) -> str:
    """The answer file: every quantity of the sheet, blank, in the order of the working."""
    return json.dumps({r.quantity: "" for r in rows(setting)}, indent=2, ensure_ascii=False) + "\n"


def _sections(found: list[Row]):
    """[(section, [rows])] in order."""
    out: list[tuple[str, list[Row]]] = []
    for r in found:
        if not out or out[-1][0] != r.section:
            out.append((r.section, []))
        out[-1][1].append(r)
    return out


def sheet_markdown(student: str, setting: Setting, answer_file: str) -> str:
    """The sheet as markdown: the numbers, then a table per section with a blank to fill in."""
    out = [f"# {TITLE}: {student}", "", INSTRUCTIONS.format(digits=DIGITS), "",
           f"Your answer file: `{answer_file}` (the same names; leave a blank empty if you did not get there).",
           "", "## Your numbers", "", "| name | value | what it is |", "|---|---:|---|"]
    out += [f"| {n} | {v} | {what} |" for n, v, what in numbers(setting)]
    for section, found in _sections(rows(setting)):
        out += ["", f"## {section}", "", "| quantity = formula | your value |", "|---|---|"]
        out += [f"| `{r.quantity}`: {r.formula.replace('|', chr(92) + '|')} |   |" for r in found]
    return "\n".join(out) + "\n"


CSS = """
* { box-sizing: border-box; }
body { font: 11pt/1.35 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1b1b;
       margin: 0 auto; max-width: 48rem; padding: 1rem; }
@page { margin: 12mm; }
@media print { body { padding: 0; max-width: none; } }
h1 { font-size: 1.45rem; margin: 0 0 0.4rem; } h2 { font-size: 1.1rem; margin: 1rem 0 0.3rem; break-after: avoid; }
p { margin: 0.3rem 0; } .student { font-weight: 700; }
.top { display: flex; gap: 1.5rem; align-items: center; margin: 0.4rem 0; }
.top figure { flex: 1 1 auto; margin: 0; min-width: 0; } .top figure svg { width: 100%; height: auto; display: block; }
.top table { flex: 0 0 auto; }
table { border-collapse: collapse; }
table.numbers td { padding: 0 0.4rem; font-size: 0.85rem; }
table.numbers td.value { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; text-align: right; }
table.work { width: 100%; }
table.work td { padding: 0.15rem 0.4rem; border-bottom: 1px solid #ccc; vertical-align: bottom; height: 1.9rem; }
table.work td.formula { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.82rem;
                        overflow-wrap: anywhere; }
table.work td.blank { width: 11rem; border-bottom: 1.5px solid #555; }
tr { break-inside: avoid; }
@media (max-width: 600px) { .top { display: block; } table.work td.blank { width: 7rem; } }
"""


def _svg(setting: Setting) -> str:
    """The 2-2-2 network with this setting's inputs, targets, weights and biases on it (text; no
    value the student is to compute)."""
    x, y = {"i": 60, "h": 280, "o": 500}, {1: 50, 2: 190}
    pos = {f"{layer}{k}": (x[layer], y[k]) for layer in x for k in y}
    # Where each weight's label sits: along its edge (0 at the unit it leaves), and above (−) or below (+).
    where = {"w1": (0.5, -7), "w4": (0.5, 19), "w5": (0.5, -7), "w8": (0.5, 19),
             "w2": (0.7, -8), "w3": (0.7, 20), "w6": (0.7, -8), "w7": (0.7, 20)}
    parts = ['<svg viewBox="0 0 620 280" role="img" aria-label="the network with your numbers" '
             'font-family="DejaVu Sans, sans-serif" font-size="15">']
    halo = 'paint-order="stroke" stroke="#fff" stroke-width="5" stroke-linejoin="round"'
    for w, (a, b) in EDGES.items():
        (x1, y1), (x2, y2), (t, dy) = pos[a], pos[b], where[w]
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#777" stroke-width="1.5"/>')
        parts.append(f'<text x="{x1 + t * (x2 - x1):.0f}" y="{y1 + t * (y2 - y1) + dy:.0f}" text-anchor="middle" '
                     f'{halo}>{w} = {getattr(setting, w):.2f}</text>')
    for unit, (ux, uy) in pos.items():
        parts.append(f'<circle cx="{ux}" cy="{uy}" r="21" fill="#f4f4f4" stroke="#333" stroke-width="1.5"/>')
        parts.append(f'<text x="{ux}" y="{uy + 5}" text-anchor="middle" font-weight="700">{unit}</text>')
    below = {"i1": f"i1 = {setting.i1:.2f}", "i2": f"i2 = {setting.i2:.2f}",
             "o1": f"target {setting.target_o1:.2f}", "o2": f"target {setting.target_o2:.2f}"}
    for unit, text in below.items():  # inputs below their unit, targets to the right of theirs
        ux, uy = pos[unit]
        at = f'x="{ux}" y="{uy + 42}" text-anchor="middle"' if unit[0] == "i" else f'x="{ux + 28}" y="{uy + 5}"'
        parts.append(f'<text {at}>{text}</text>')
    for b, layer in (("b1", "h"), ("b2", "o")):
        parts.append(f'<text x="{x[layer]}" y="270" text-anchor="middle">{b} = {getattr(setting, b):.2f} '
                     f'(into {layer}1, {layer}2)</text>')
    return "".join(parts) + "</svg>"


def sheet_html(student: str, setting: Setting, answer_file: str) -> str:
    """The sheet as one self-contained page that prints on A4 or Letter (no scripts, nothing fetched)."""
    e = html.escape
    table = "".join(f'<tr><td>{e(n)}</td><td class="value">{e(v)}</td></tr>' for n, v, _ in numbers(setting))
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{e(TITLE)}: {e(student)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
             f'<h1>{e(TITLE)}</h1>', f'<p>Name: <span class="student">{e(student)}</span></p>',
             f"<p>{e(INSTRUCTIONS.format(digits=DIGITS))}</p>",
             f"<p>Your answer file: <code>{e(answer_file)}</code> (the same names; leave a blank empty if you "
             "did not get there).</p>",
             f'<div class="top"><figure>{_svg(setting)}</figure><table class="numbers">{table}</table></div>']
    for section, found in _sections(rows(setting)):
        parts += [f"<h2>{e(section)}</h2>", '<table class="work"><tbody>']
        parts += [f'<tr data-quantity="{e(r.quantity)}"><td class="formula">{e(r.formula)}</td>'
                  '<td class="blank"></td></tr>' for r in found]
        parts.append("</tbody></table>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def key_lead(student: str, setting: Setting) -> str:
    """The key's first paragraph: whose numbers."""
    given = ", ".join(f"{n} = {v}" for n, v, _ in numbers(setting))
    return f"The answer key for {student}'s sheet: {given}. Each value as torch_bp computes it."


def key_markdown(student: str, setting: Setting) -> str:
    """The key as markdown: the report's tables for this setting."""
    return f"# Answer key: {student}\n\n{key_lead(student, setting)}\n\n{to_markdown(rows(setting))}"
