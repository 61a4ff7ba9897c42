"""The class page: how many students made each mistake and at which quantity, a picture of every
student's verdicts (the figure is drawn by torch_bp.viz.class_figure; this module says what each
cell is), and the students to see first. Works on marking.record()s (marks.json)."""
from __future__ import annotations

import html
from collections import Counter

from .check import quantities
from .check_working import MISTAKES, NONE, UNKNOWN
from .marking import MALFORMED, MARKED, NO_ANSWERS, NOT_HANDED_IN
from .report_html import _inline_svg

SEE_FIRST = 8  # students listed by name under "see first"; the rest are in marks.csv
NOT_CATALOGUED = "no catalogued mistake fits: the step to redo is on their feedback page"


def cell(record: dict, quantity: str) -> str:
    """The figure's category (viz.class_figure.CATEGORIES) of one student's value."""
    if record["status"] != MARKED:
        return "no file"
    v = record["verdicts"].get(quantity)
    if v is None:
        return "blank"
    if v != "differs":
        return "rounding-carried" if v == "rounding-carried" else "right"
    if quantity == record["first_wrong"]:
        return "first wrong"
    return "follows" if record["follows"][quantity] else "wrong"


def cells(records: list[dict]) -> list[list[str]]:
    """[quantity][student] categories, quantities in the order of the working."""
    return [[cell(r, q) for r in records] for q in quantities()]


def mistakes(records: list[dict]) -> list[tuple[str, list[str], Counter]]:
    """(diagnosis, the students, Counter of their first wrong quantities) for each diagnosis but
    "none", most students first (then the catalogue's order)."""
    found: dict[str, tuple[list, Counter]] = {}
    for r in records:
        if r["status"] == MARKED and r["mistake"] != NONE:
            students, where = found.setdefault(r["diagnosis"], ([], Counter()))
            students.append(r["student"])
            where[r["first_wrong"]] += 1
    order = [*MISTAKES, UNKNOWN]
    rank = lambda d: min(order.index(m) for m in d.split(" or "))  # noqa: E731
    return sorted(((d, s, w) for d, (s, w) in found.items()), key=lambda t: (-len(t[1]), rank(t[0])))


def see_first(records: list[dict]) -> list[tuple[str, str]]:
    """(student, why) for the students to talk to first: an answer file that could not be read,
    then working no catalogued mistake explains, then several mistakes that fit, then one mistake,
    earliest first wrong quantity first, fewest right first."""
    names = quantities()
    ranked = []
    for r in records:
        if r["status"] == MALFORMED:
            ranked.append(((0, 0, 0), r["student"], f"answer file could not be read: {r['problem']}"))
        elif r["status"] == MARKED and r["mistake"] != NONE:
            kind = 1 if r["mistake"] == UNKNOWN else (2 if len(r["candidates"]) > 1 else 3)
            why = {1: "no catalogued mistake explains", 2: f"{r['diagnosis']} both fit", 3: r["mistake"]}[kind]
            ranked.append(((kind, names.index(r["first_wrong"]), r["right"]), r["student"],
                           f"{why}, first wrong at {r['first_wrong']} ({int(r['right'])} of {int(r['given'])} right)"))
    return [(student, why) for _, student, why in sorted(ranked, key=lambda t: t[0])]


CSS = """
* { box-sizing: border-box; }
body { font: 11pt/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1b1b;
       margin: 0 auto; max-width: 60rem; padding: 1rem; }
@page { margin: 12mm; }
@media print { body { padding: 0; max-width: none; }
               figure svg { max-height: 215mm; width: auto; max-width: 100%; margin: 0 auto; } }
h1 { font-size: 1.45rem; margin: 0 0 0.4rem; } h2 { font-size: 1.15rem; margin: 1.1rem 0 0.4rem; break-after: avoid; }
p, li { margin: 0.25rem 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.2rem 0.45rem; border-bottom: 1px solid #ddd; vertical-align: top; }
th { font-size: 0.85rem; color: #555; } td.num { text-align: right; }
td.who { overflow-wrap: anywhere; width: 30%; } td.at { width: 22%; }
span.what { color: #555; font-size: 0.88rem; }
figure { margin: 0.6rem 0; } figure svg { width: 100%; height: auto; display: block; }
figcaption { color: #555; font-size: 0.9rem; }
tr, li { break-inside: avoid; } figure { break-inside: avoid; }
"""


def _counts(records: list[dict]) -> str:
    n = Counter(r["status"] for r in records)
    right = sum(r["status"] == MARKED and r["mistake"] == NONE for r in records)
    parts = [f"{len(records)} students", f"{n[MARKED]} marked", f"{right} with every value right"]
    parts += [f"{n[s]} {s}" for s in (NOT_HANDED_IN, NO_ANSWERS, MALFORMED) if n[s]]
    return ", ".join(parts) + "."


def to_html(records: list[dict], svg: str, title: str) -> str:
    """The class page; svg: the class figure as an SVG document's text (inlined)."""
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{e(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
             f"<h1>{e(title)}</h1>", f"<p>{e(_counts(records))}</p>", "<h2>The mistakes</h2>"]
    found = mistakes(records)
    if found:
        parts.append("<table><thead><tr><th>mistake</th><th>students</th><th>first wrong at</th><th>who</th>"
                     "</tr></thead><tbody>")
        for d, students, where in found:
            what = "<br>".join(f'<b>{e(m)}</b> <span class="what">{e(MISTAKES.get(m, NOT_CATALOGUED))}</span>'
                               for m in d.split(" or "))
            at = ", ".join(f"{q} ×{k}" for q, k in where.most_common())
            parts.append(f'<tr data-mistake="{e(d)}"><td>{what}</td><td class="num">{len(students)}</td>'
                         f'<td class="at">{e(at)}</td><td class="who">{e(", ".join(students))}</td></tr>')
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No mistakes found in the answers marked.</p>")
    first = see_first(records)
    parts.append("<h2>Students to see first</h2>")
    parts.append("<ol>" + "".join(f"<li><b>{e(s)}</b>: {e(why)}</li>" for s, why in first[:SEE_FIRST]) + "</ol>"
                 if first else "<p>Nobody: every answer file read is right.</p>")
    if len(first) > SEE_FIRST:
        parts.append(f"<p>and {len(first) - SEE_FIRST} more (marks.csv has everyone).</p>")
    parts += ["<h2>Every value of every student</h2>", f'<figure id="class-figure">{_inline_svg(svg)}',
              "<figcaption>Rows: the quantities of one step, in the order of the working; columns: the students, "
              "with the mistake the check named above each. Each cell is the check's verdict on that value."
              "</figcaption></figure>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"
