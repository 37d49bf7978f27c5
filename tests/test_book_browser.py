"""The built book in a real browser: headless Chromium visits every page of the table of contents.

`make test` builds the book first (`make book`), so `_build/html` is fresh here. The page is served
by a local HTTP server (as a student's browser would get it, not from file://), and for every page:
no broken internal link (target file served, `#anchor` present in it), every image loaded, math
typeset by the locally served MathJax (its output present, no raw `$$` or `\\(` left in the text),
and a screenshot saved to `_build/screenshots/` for a human to glance at.
"""
from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def toc_pages() -> list[str]:
    """Document paths from _toc.yml, the same list tools/build_book.py checks."""
    found = re.findall(r"^\s*(?:-\s*)?(?:root|file):\s*(\S+)", (ROOT / "_toc.yml").read_text(), re.M)
    return found


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def site():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML}/index.html is missing: build the book first with `make book`")
    handler = functools.partial(_Quiet, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for binary in (CHROMIUM, CHROMEDRIVER):
        if not Path(binary).exists():
            pytest.fail(f"{binary} is missing: install Debian's chromium and chromium-driver "
                        "(tools/setup.sh does)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


class _Ids(HTMLParser):
    """Collects every id= and name= of a page (the targets of #fragments)."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)


@functools.lru_cache(maxsize=None)
def _fetch_ids(url: str) -> frozenset[str] | None:
    """The anchors of a served page, or None when the page does not load."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return None
    parser = _Ids()
    parser.feed(text)
    return frozenset(parser.ids)


def _wait_for_mathjax(driver, timeout=60):
    """Wait until MathJax 2 reports its typesetting queue empty (or there is no MathJax)."""
    from selenium.webdriver.support.ui import WebDriverWait

    script = """
        if (typeof MathJax === 'undefined' || !MathJax.Hub) {
            const wanted = document.querySelector('script[src*="MathJax.js"]');
            // MathJax loads asynchronously: give it time, but a page without it has none.
            if (!wanted) return 'absent';
            return (performance.now() > 20000) ? 'failed' : 'loading';
        }
        if (!window.__cnnMathDone) {
            window.__cnnMathDone = 'pending';
            MathJax.Hub.Queue(function () { window.__cnnMathDone = 'done'; });
        }
        return window.__cnnMathDone;
    """
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script) in ("done", "absent", "failed"))
    return driver.execute_script(script)


def test_toc_lists_chapters():
    pages = toc_pages()
    assert pages[0] == "book/intro" and len(pages) >= 4, pages


@pytest.mark.parametrize("page", toc_pages())
def test_page_renders_with_links_images_and_math(page, site, browser):
    url = f"{site}/{page}.html"
    assert _fetch_ids(url) is not None, f"{url} is not served: was the page built?"
    browser.get(url)
    assert browser.find_elements("css selector", "main h1"), f"{url}: no chapter heading rendered"
    state = _wait_for_mathjax(browser)

    # Internal links: the target must be served and, with a fragment, contain that anchor.
    hrefs = browser.execute_script(
        "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);")
    broken = []
    for href in sorted(set(hrefs)):
        parts = urllib.parse.urlsplit(href)
        if not href.startswith(site) or parts.path.endswith(("/_sources/", ".ipynb", ".zip")):
            continue
        target = urllib.parse.urlunsplit(parts._replace(fragment=""))
        ids = _fetch_ids(target)
        if ids is None:
            broken.append(f"{href} (page not served)")
        elif parts.fragment and urllib.parse.unquote(parts.fragment) not in ids:
            broken.append(f"{href} (no anchor #{parts.fragment})")
    assert not broken, f"{page}: broken internal links:\n" + "\n".join(broken)

    # Images: every <img> on the page decoded to a real picture.
    missing = browser.execute_script(
        "return Array.from(document.images)"
        ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);")
    assert not missing, f"{page}: images that did not load: {missing}"

    # Math: where the page has math, MathJax (served from _static, no network) typeset it.
    math_nodes = browser.execute_script(
        "return document.querySelectorAll('.math, script[type^=\"math/tex\"]').length;")
    if math_nodes:
        assert state == "done", f"{page}: the page has {math_nodes} formulas but MathJax did not load"
        rendered = browser.execute_script(
            "return document.querySelectorAll('.MathJax_CHTML, mjx-container, .MathJax').length;")
        assert rendered > 0, f"{page}: MathJax produced no output for {math_nodes} formulas"
    text = browser.execute_script("return document.querySelector('main, article, body').innerText;")
    for raw in ("$$", "\\(", "\\["):
        assert raw not in text, f"{page}: raw math delimiter {raw!r} left in the rendered text"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / (page.replace("/", "__") + ".png")
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000, shot


def test_mathjax_is_served_locally(site):
    """The configured MathJax is in the site itself, so no page needs the network for math."""
    with urllib.request.urlopen(f"{site}/_static/mathjax/MathJax.js", timeout=10) as response:
        assert response.status == 200 and b"MathJax" in response.read(2000)
    index = (HTML / "book" / "intro.html").read_text()
    assert "cdn.jsdelivr" not in index and "mathjax/MathJax.js" in index
