"""Debian's headless Chromium for the tests that look at pages: where it is, and a run of it
with a new, empty profile. Under CI (CI=true) a missing browser fails those tests, never skips them."""
import contextlib
import os
import shutil
import subprocess

import pytest

BROWSER = shutil.which("chromium")


def needs_browser():
    """A module's pytestmark: skip where there is no chromium, except under CI, where that fails."""
    if BROWSER is None and os.environ.get("CI") == "true":
        pytest.fail("CI: the browser test needs Debian's chromium (.ci/run installs it)", pytrace=False)
    return pytest.mark.skipif(BROWSER is None, reason="no chromium (apt-get install -y chromium)")


FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    """Headless Chromium with a new, empty profile and nothing fetched but the page."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"  # a new, empty one each time
    return subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=120)


@contextlib.contextmanager
def playwright_chromium():
    """Debian's chromium driven by Playwright (no browser download); skips (fails under CI) without either."""
    needs_browser()
    if BROWSER is None:
        pytest.skip("no chromium")
    try:
        from playwright.sync_api import sync_playwright  # only the browser tests need it
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI: the browser test needs playwright (pip install -r requirements.txt)", pytrace=False)
        pytest.skip("no playwright (pip install -r requirements.txt)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


CSS_PX_PER_PT = 96 / 72
TEXT_BOXES = """() => {
  const svg = document.querySelector('svg'), box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;  // CSS px per SVG user unit (1 pt of the figure)
  return {canvas: [box.left, box.top, box.right, box.bottom],
          texts: [...svg.querySelectorAll('text')].map(t => { const r = t.getBoundingClientRect();
            return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale,
                    box: [r.left, r.top, r.right, r.bottom]}; })};
}"""


def _overlap(a, b) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def slide_problems(page, svg: str, size_in, font_pt: float) -> list[str]:
    """An SVG figure shown at its stated size (inches, 96 CSS px each) on `page` (Playwright),
    as Chromium lays it out: what keeps it off a slide (a wrong size, text under font_pt, text
    off the canvas, two texts overlapping); [] when nothing does."""
    page.set_viewport_size({"width": int(size_in[0] * 96) + 1, "height": int(size_in[1] * 96) + 1})
    page.set_content(f"<body style='margin:0'>{svg}</body>")
    seen = page.evaluate(TEXT_BOXES)
    left, top, right, bottom = seen["canvas"]
    problems = [] if abs(right - left - size_in[0] * 96) <= 1 and abs(bottom - top - size_in[1] * 96) <= 1 else \
        [f"size {right - left:.0f} × {bottom - top:.0f} px"]
    texts = [t for t in seen["texts"] if t["text"].strip()]
    problems += [f"under {font_pt} pt: {t['text']!r} ({t['px'] / CSS_PX_PER_PT:.1f} pt)" for t in texts
                 if t["px"] < font_pt * CSS_PX_PER_PT - 0.01]
    problems += [f"off the canvas: {t['text']!r}" for t in texts if t["box"][0] < left - 0.5 or t["box"][1] < top - 0.5
                 or t["box"][2] > right + 0.5 or t["box"][3] > bottom + 0.5]
    problems += [f"overlap: {a['text']!r} and {b['text']!r}" for i, a in enumerate(texts) for b in texts[i + 1:]
                 if _overlap(a["box"], b["box"]) > 1.0]
    return problems
