"""scripts/explain.py --format html in a real browser: headless Chromium loads the page from
disk, the test reads the DOM it rendered and looks at a screenshot. Under CI (CI=true) a
missing browser is a failure, not a skip (.ci/run installs Debian's chromium)."""
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

from browser import chromium, needs_browser
from conftest import load_script

explain = load_script("explain")
pytestmark = needs_browser()


class Rows(HTMLParser):
    """The rendered DOM's report lines, in order: [{cell class: text}] from tr.line rows."""

    def __init__(self):
        super().__init__()
        self.rows, self.row, self.cell, self.svg_texts, self.in_svg_text = [], None, None, [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "line" in a.get("class", "").split():
            self.row = {"class": a["class"], "quantity": a["data-quantity"]}
            self.rows.append(self.row)
        elif tag == "td" and self.row is not None:
            self.cell = a["class"].split()[-1]
            self.row[self.cell] = ""
        elif tag == "text":
            self.in_svg_text = True
            self.svg_texts.append("")

    def handle_endtag(self, tag):
        if tag == "tr":
            self.row = None
        elif tag == "td":
            self.cell = None
        elif tag == "text":
            self.in_svg_text = False

    def handle_data(self, data):
        if self.row is not None and self.cell:
            self.row[self.cell] += data
        if self.in_svg_text:
            self.svg_texts[-1] += data


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "worked example.html"  # a space: a real file:// URL
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert explain.main(["--format", "html"]) == 0
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def expected():
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert explain.main(["--format", "json"]) == 0
    return json.loads(out.getvalue())


def test_page_fetches_nothing(page):
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)  # no scripts, styles, fonts
    assert "@import" not in text and "<script" not in text
    assert not re.search(r"url\(\s*['\"]?(?!#)", text)  # only the SVG's own clip paths: url(#...)
    assert text.count("<svg") == 1  # the picture is inline


def test_browser_renders_every_value_and_verdict(page, expected, tmp_path):
    done = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = Rows()
    dom.feed(done.stdout)
    assert len(dom.rows) == len(expected) > 40
    for row, r in zip(dom.rows, expected):  # every line of the report, as --format json has it
        assert row["quantity"] == r["quantity"] and row["source"] == (r["source"] or "")
        assert row["formula"] == r["formula"] and row["computed"] == f"{r['computed']:.12f}", r["quantity"]
        assert row["printed"] == (r["printed"] or "") and row["verdict"] == (r["verdict"] or ""), r["quantity"]
    # Pinned by hand: the deck's ∂E/∂w5 = 0.081267 is a digit slip (true 0.082167), highlighted.
    rows = {(r["quantity"], r["source"]): r for r in dom.rows}
    w5 = rows["dE_total/dw5", "slides 29-30 (Backpropagation)"]
    assert (w5["computed"], w5["printed"], w5["verdict"]) == ("0.082167040564", "0.081267", "differs")
    assert "differs" in w5["class"].split() and "agrees" in rows["net_h1", "slides 14 (Foward Calculation)"]["class"].split()
    # The round-1 picture, as text in the DOM
    assert {"w1 = 0.15", "net_h1 = 0.3775", "out_h1 = 0.593269992", "∂E/∂w5 = 0.082167041"} <= set(dom.svg_texts)


@pytest.mark.parametrize("size", ["1280,2400", "390,1200"])  # a projector's width and a phone's
def test_screenshot_is_not_blank(page, tmp_path, size):
    shot = tmp_path / "shot.png"
    done = chromium(tmp_path, f"--screenshot={shot}", f"--window-size={size}", page.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert pixels.shape[:2] == tuple(reversed([int(v) for v in size.split(",")]))
    ink = (pixels.sum(axis=2) < 3 * 160).mean()  # dark pixels: text and lines
    assert ink > 0.01, f"only {ink:.3%} of the screenshot is dark: blank?"
    blue = ((pixels[..., 2] > 150) & (pixels[..., 0] < 90)).sum()  # the picture's positive edges
    assert blue > 500
    if size.startswith("1280"):  # the first erratum (E_o2) and its highlight (#fde3cc) are in view
        assert (np.abs(pixels - [0xfd, 0xe3, 0xcc]).sum(axis=2) < 12).sum() > 1000
