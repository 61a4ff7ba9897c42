"""The report's rows rendered as text, markdown and JSON."""
from __future__ import annotations

import textwrap
from dataclasses import asdict

from torch_bp.core.numbers import strict_json

from .report import Row


def _cells(row: Row) -> dict[str, str]:
    return {"formula": row.formula, "computed": f"{row.computed:.12f}", "printed": row.printed or "",
            "verdict": row.verdict or "", "source": row.source or ""}


TEXT_WIDTH = 80  # the text report fits a terminal


def _text_source(row: Row) -> tuple[str, str]:
    """(the short source for its column, what of it moves to the note): "slides 29-30", or
    "article" with the article's section in front of the note."""
    if not row.source:
        return "", ""
    kind, _, where = row.source.partition(" (")
    return kind, (f"{kind}, {where[:-1]}" if kind == "article" else "")


def to_text(rows: list[Row]) -> str:
    """A header row, then per section each quantity's formula on one line and its computed
    value, printed value, verdict and source below it, aligned; notes wrap below the row."""
    cells = [{**_cells(r), "source": _text_source(r)[0]} for r in rows]
    width = {k: max([len(c[k]) for c in cells] + [len(k)]) for k in ("computed", "printed", "verdict")}

    def columns(computed: str, printed: str, verdict: str, source: str) -> str:
        return (f"    {computed:>{width['computed']}}  {printed:<{width['printed']}}  "
                f"{verdict:<{width['verdict']}}  {source}").rstrip()

    wrap = textwrap.TextWrapper(TEXT_WIDTH, initial_indent=" " * 6, subsequent_indent=" " * 6,
                                break_long_words=False, break_on_hyphens=False)
    lines, section = ["quantity = formula", columns("computed", "printed", "verdict", "source"),
                      "-" * TEXT_WIDTH], None
    for row, c in zip(rows, cells):
        if row.section != section:
            lines += ["", row.section]
            section = row.section
        lines.append(f"  {c['formula']}")
        lines.append(columns(c["computed"], c["printed"], c["verdict"], c["source"]))
        where = _text_source(row)[1]
        note = f"{where}: {row.note}" if where and row.note else where or row.note
        if note:
            lines += wrap.wrap(note)
    return "\n".join(lines) + "\n"


OPTIONAL = ("printed", "verdict", "source", "note")  # empty for every row off the deck's setting


def filled(rows: list[Row]) -> list[str]:
    """The OPTIONAL columns some row fills: a table shows only these."""
    return [k for k in OPTIONAL if any(getattr(r, k) for r in rows)]


def to_markdown(rows: list[Row]) -> str:
    """One table per section; a column that is empty in every row is left out."""
    out, section, keep = [], None, filled(rows)
    for row in rows:
        if row.section != section:
            out += ["", f"### {row.section}", "",
                    "| quantity = formula | computed |" + "".join(f" {k} |" for k in keep),
                    "|---|---:|" + "".join("---:|" if k == "printed" else "---|" for k in keep)]
            section = row.section
        c = {k: v.replace("|", "\\|") for k, v in {**_cells(row), "note": row.note}.items()}
        c["printed"] = f"`{c['printed']}`" if c["printed"] else ""
        out.append(f"| {c['formula']} | {c['computed']} |" + "".join(f" {c[k]} |" for k in keep))
    return "\n".join(out).lstrip("\n") + "\n"


def to_json(rows: list[Row]) -> str:
    """A JSON list of the rows; a non-finite number is written as null (core.numbers.strict_json)."""
    return strict_json([asdict(r) for r in rows], indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": to_text, "markdown": to_markdown, "json": to_json}

