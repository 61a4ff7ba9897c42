"""A student's sheet and the class page in real headless Chromium (Playwright, Debian's
/usr/bin/chromium, nothing downloaded): laid out without overflow on screen and in print, no
text clipped, and printed to PDF on A4 and on Letter. Under CI (CI=true) a missing browser is a
failure, not a skip (.ci/run installs Debian's chromium)."""
import json
import os
import re
from pathlib import Path

import pytest

from learner import NAMES, learner, written
from torch_bp.cli import worksheet

CHROMIUM = Path("/usr/bin/chromium")
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - requirements.txt pins it
    sync_playwright = None
if (sync_playwright is None or not CHROMIUM.exists()) and os.environ.get("CI") == "true":
    pytest.fail("CI: the browser test needs Playwright and Debian's chromium (.ci/run installs it)", pytrace=False)
pytestmark = pytest.mark.skipif(sync_playwright is None or not CHROMIUM.exists(),
                                reason="no Playwright or no /usr/bin/chromium (apt-get install -y chromium)")

MM = 96 / 25.4  # CSS pixels per millimetre
PAPER = {"A4": 210, "Letter": 215.9}  # widths in mm; the pages' margins are 12 mm (@page)
STUDENTS = "Ada\nMaximiliana Wolkenstein-Oberhausen\nBo\n"

# Every element that holds text directly: its content must fit its box (nothing cut off or
# spilling sideways), and the page must not scroll sideways.
CLIPPED = """() => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg')) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const display = getComputedStyle(el).display;
    if (own && display !== 'inline' && el.scrollWidth > el.clientWidth + 1)
      out.push(`${el.tagName} ${el.scrollWidth} > ${el.clientWidth}: ${el.textContent.slice(0, 40)}`);
  }
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) out.push(`the page scrolls sideways: ${doc.scrollWidth} > ${doc.clientWidth}`);
  for (const svg of document.querySelectorAll('svg')) {   // every label of a picture inside it
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (r.width && (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1))
        out.push(`svg text outside its picture: ${t.textContent}`);
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """A marked class of three: Ada right, the long name with sign-of-error, Bo with missing-bias."""
    folder = tmp_path_factory.mktemp("browser") / "class"
    roster = folder.parent / "roster.csv"
    roster.write_text(STUDENTS)
    assert worksheet.main(["make", "--students", str(roster), "--seed", "5", "--out", str(folder)]) == 0
    made = json.loads((folder / "class.json").read_text())["students"]
    for s, mistake in zip(made, ["none", "sign-of-error", "missing-bias"]):
        values = learner(s["setting"], mistake)
        (folder / "answers" / f"{s['file']}.json").write_text(json.dumps({q: written(values[q], 5, False) for q in NAMES}))
    assert worksheet.main(["mark", str(folder)]) == 0
    assert worksheet.main(["summary", str(folder)]) == 0
    long = made[1]["file"]
    return {"sheet": folder / "sheets" / f"{long}.html", "feedback": folder / "feedback" / f"{long}.html",
            "class": folder / "class.html"}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def open_page(browser, path: Path, width: int, media: str | None = None):
    """The page at this viewport width; media "print" or "screen" (None: page.pdf prints with
    the print media, as a browser's print dialogue does)."""
    page = browser.new_page(viewport={"width": width, "height": 1000})
    if media:
        page.emulate_media(media=media)
    page.goto(path.as_uri())
    return page


def assert_nothing_clipped(browser, path: Path, which: str) -> None:
    """On a 1280-pixel screen, a 390-pixel phone, and printed on A4 and on Letter."""
    page = open_page(browser, path, 1280, "screen")
    widths = {"screen 1280": (1280, "screen"), "phone 390": (390, "screen")}
    widths |= {f"print {paper}": (round((mm - 24) * MM), "print") for paper, mm in PAPER.items()}
    for name, (width, media) in widths.items():
        page.set_viewport_size({"width": width, "height": 1000})
        page.emulate_media(media=media)
        assert page.evaluate(CLIPPED) == [], f"{which}, {name}"
    page.close()


def test_sheet(browser, pages):
    """A blank for every quantity, wide enough to write a number in; the network picture with
    the student's own weights, beside their numbers on paper; nothing clipped; two pages printed
    on A4 and on Letter."""
    assert_nothing_clipped(browser, pages["sheet"], "sheet")
    page = open_page(browser, pages["sheet"], round((PAPER["A4"] - 24) * MM), "print")
    rows = page.eval_on_selector_all("tr[data-quantity]", "rs => rs.map(r => r.dataset.quantity)")
    assert rows == NAMES
    blanks = page.eval_on_selector_all("td.blank", "ts => ts.map(t => t.getBoundingClientRect().width)")
    assert len(blanks) == len(NAMES) and min(blanks) >= 40 * MM
    figure, numbers = (page.locator(s).bounding_box() for s in ("figure svg", "table.numbers"))
    assert figure["width"] >= 100 * MM and figure["x"] + figure["width"] <= numbers["x"]  # side by side
    labels = page.eval_on_selector_all("figure svg text", "ts => ts.map(t => t.textContent)")
    assert "w1 = " + page.locator("table.numbers td.value").nth(4).inner_text() in labels
    assert page.locator("h1").inner_text() == "Backpropagation, one step by hand"
    page.close()
    page = open_page(browser, pages["sheet"], 1280)
    for paper in PAPER:
        assert pdf_pages(page.pdf(format=paper)) == 2, paper
    page.close()


def test_feedback_and_class_page(browser, pages):
    """Nothing clipped on either; the class page lists the mistakes made, shows the picture at
    the page's width, and prints on at most three pages of A4 or Letter."""
    assert_nothing_clipped(browser, pages["feedback"], "feedback")
    assert_nothing_clipped(browser, pages["class"], "class")
    page = open_page(browser, pages["class"], 1280)
    assert page.eval_on_selector_all("tr[data-mistake]", "rs => rs.map(r => r.dataset.mistake)") == [
        "sign-of-error", "missing-bias"]
    figure = page.locator("#class-figure svg").bounding_box()
    assert figure["width"] > 600 and figure["height"] > 600  # the picture, scaled to the page
    for paper in PAPER:
        assert 1 <= pdf_pages(page.pdf(format=paper)) <= 3, paper
    page.close()
