"""The built book in a real browser: headless Chromium visits every page of the table of contents,
as a phone (390x844) and as a desktop (1366x900) would show it, plus a tablet (768x1024, and
1024x768) for the navigation.

`make test` builds the book first (`make book`), so `_build/html` is fresh here. The pages are served
by a local HTTP server (as a student's browser would get them, not from file://). For every page, at
both widths:

- the page renders its heading, and MathJax (served from the site itself) typesets every formula:
  its output present, no raw `$$` or `\\(` left in the text;
- **no console error**: no `SEVERE` entry in the browser's log (`goog:loggingPrefs`);
- **the chapter menu opens**: the one visible primary-sidebar button (the theme renders two copies;
  `_config.yml` explains) opens the menu as a dialog on a phone and Escape closes it; on a desktop
  it hides the always-open menu and shows it again; likewise the "On this page" button opens the
  page's contents where the page has them (a desktop shows them in the margin);
- **no formula is clipped**: no display (`div.math`, `.MJXc-display`) or inline formula is wider than
  its box unless that box scrolls sideways (`overflow-x: auto|scroll`), no display sticks out of
  its row, a display that fits is centred, and the page itself never scrolls sideways;
- **figures**: every image decoded; one shown narrower than 90 % of its own width can be enlarged
  (`book/_static/cnncourse.js`), and on a phone a tap shows it at full size in a box that scrolls
  sideways; in dark mode every figure sits on a light ground;
- **launch buttons** exactly as `_config.yml` configures them: none at all when no URL is set;
- **citations** link to their entry in the bibliography (`book/references.md`);
- internal links (checked once per page): the target is served and has the `#anchor`.

Screenshots (light and dark, phone and desktop) go to `_build/screenshots/` for a human to look at.
Two checks need no browser: every key a chapter cites is in `book/references.bib`, and the warnings
allowlist cannot swallow an unknown key (the build fails on it).
"""
from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

# name: (width, height, mobile). The theme's breakpoints: sidebars become dialogs below 960 px,
# the "On this page" margin appears from 1200 px.
VIEWPORTS = {"phone": (390, 844, True), "tablet": (768, 1024, True), "tablet-landscape": (1024, 768, True),
             "desktop": (1366, 900, False)}
LAUNCH_KEYS = {"jupyterhub_url": "JupyterHub", "binderhub_url": "Binder", "colab_url": "Colab"}


def toc_pages() -> list[str]:
    """Document paths from _toc.yml, the same list tools/build_book.py checks."""
    found = re.findall(r"^\s*(?:-\s*)?(?:root|file):\s*(\S+)", (ROOT / "_toc.yml").read_text(), re.M)
    return found


def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


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
                 "--disable-dev-shm-usage", "--window-size=1366,1024"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console messages
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _open(driver, url: str, viewport: str) -> str:
    """Load `url` at `viewport` in light mode; return MathJax's state (see _wait_for_mathjax)."""
    width, height, mobile = VIEWPORTS[viewport]
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(url)
    return _wait_for_mathjax(driver)


def _wait(driver, condition, message: str, timeout: float = 5):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: condition())
    except TimeoutException:
        pytest.fail(message)


class _Ids(HTMLParser):
    """Collects every id= and name= of a page (the targets of #fragments), and the ids of
    bibliography entries (`<div class="citation" id=...>`)."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.citations: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "div" and "citation" in (attrs.get("class") or "").split() and attrs.get("id"):
            self.citations.add(attrs["id"])


@functools.lru_cache(maxsize=None)
def _parse(url: str) -> _Ids | None:
    """The anchors of a served page, or None when the page does not load."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return None
    parser = _Ids()
    parser.feed(text)
    return parser


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
    WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: d.execute_script(script) in ("done", "absent", "failed"))
    return driver.execute_script(script)


# ---------------------------------------------------------------------------------------------
# Checks run in the page. Each returns a list of problems (empty: all is well).
# ---------------------------------------------------------------------------------------------

CLIPPED_MATH = r"""
const problems = [];
const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
const describe = el => {  // the formula's TeX source, which MathJax keeps in a script element
    const box = el.closest('div.math, span.math') || el;
    const tex = box.querySelector('script[type^="math/tex"]');
    return (tex ? tex.textContent : box.textContent).trim().replace(/\s+/g, ' ').slice(0, 80);
};
for (const el of document.querySelectorAll('div.math, span.math, .MJXc-display')) {
    if (el.offsetParent === null) continue;            // inside a collapsed cell: not shown
    if (el.scrollWidth > el.clientWidth + 1 && !scrolls(el))
        problems.push(`clipped (${el.scrollWidth} px in ${el.clientWidth} px, no scroll): ${describe(el)}`);
}
for (const box of document.querySelectorAll('div.math')) {
    const display = box.querySelector(':scope > .MJXc-display');
    if (!display || box.offsetParent === null) continue;
    const row = box.getBoundingClientRect(), shown = display.getBoundingClientRect();
    if (shown.right > row.right + 1 || shown.left < row.left - 1)
        problems.push(`display sticks out of its row: ${describe(box)}`);
    const formula = display.querySelector(':scope > .MathJax_CHTML');
    if (!formula || display.scrollWidth > display.clientWidth + 1) continue;  // scrolls: no centre
    const eqno = box.querySelector(':scope > .eqno');
    const free = row.width - (eqno ? eqno.getBoundingClientRect().width + 16 : 0);
    const f = formula.getBoundingClientRect();
    if (shown.width < free - 2 || Math.abs((f.left + f.right) / 2 - (shown.left + shown.right) / 2) > 2)
        problems.push(`display not centred (row ${Math.round(row.left)}-${Math.round(row.right)}, ` +
                      `formula ${Math.round(f.left)}-${Math.round(f.right)}): ${describe(box)}`);
}
const page = document.documentElement;
if (page.scrollWidth > page.clientWidth + 1) {
    // What sticks out of the page, not out of a box that scrolls (a code block's long line is fine).
    const contained = el => { for (let p = el.parentElement; p && !p.matches('.bd-article'); p = p.parentElement)
        if (getComputedStyle(p).overflowX !== 'visible') return true; return false; };
    const wide = [...document.querySelectorAll('.bd-article *')]
        .filter(el => el.getBoundingClientRect().right > page.clientWidth + 1 && !contained(el))
        .slice(0, 3).map(el => el.tagName + '.' + el.className);
    problems.push(`the page scrolls sideways (${page.scrollWidth} px in ${page.clientWidth} px): ${wide}`);
}
return problems;
"""

FIGURES = r"""
// A figure's own width in CSS pixels: myst-nb's inline style (a retina figure has twice as many
// pixels), else a width attribute, else its pixels.
const own = img => /px$/.test(img.style.width) ? parseFloat(img.style.width)
    : (parseFloat(img.getAttribute('width')) || img.naturalWidth);
const problems = [], zoomable = [];
for (const img of document.querySelectorAll('.bd-article img')) {
    if (img.offsetParent === null) continue;
    if (!(img.complete && img.naturalWidth > 0)) { problems.push(`not loaded: ${img.src}`); continue; }
    const shown = img.getBoundingClientRect();
    const ratio = (shown.width / shown.height) / (img.naturalWidth / img.naturalHeight);
    if (Math.abs(ratio - 1) > 0.02)
        problems.push(`distorted (shown ${Math.round(shown.width)}x${Math.round(shown.height)}, ` +
                      `${img.naturalWidth}x${img.naturalHeight} pixels): ${img.src}`);
    const box = img.closest('.cnn-zoom');
    if (shown.width < 0.9 * own(img)) {
        if (!box || !box.classList.contains('cnn-zoomable'))
            problems.push(`shown at ${Math.round(shown.width)} of ${own(img)} px and cannot be enlarged: ${img.src}`);
        else zoomable.push([img.src, own(img)]);
    }
}
return [problems, zoomable];
"""

DARK_FIGURES = r"""
document.documentElement.dataset.theme = 'dark';
const problems = [];
for (const img of document.querySelectorAll('.bd-article img')) {
    if (img.offsetParent === null) continue;
    const m = getComputedStyle(img).backgroundColor.match(/[\d.]+/g).map(Number);
    const [r, g, b, a] = [m[0], m[1], m[2], m.length > 3 ? m[3] : 1];
    const lightness = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    if (a < 0.99 || lightness < 0.8)
        problems.push(`no light ground in dark mode (background ${getComputedStyle(img).backgroundColor}): ${img.src}`);
}
return problems;
"""


def _visible(driver, selector: str):
    return [el for el in driver.find_elements("css selector", selector) if el.is_displayed()]


def _check_navigation(driver, viewport: str, page: str) -> None:
    """The visible sidebar buttons work (see the module docstring)."""
    from selenium.webdriver.common.keys import Keys

    primary = _visible(driver, ".primary-toggle")
    assert len(primary) == 1, f"{page} ({viewport}): {len(primary)} visible chapter-menu buttons"
    sidebar = driver.find_element("id", "pst-primary-sidebar")
    has_toc = bool(driver.find_elements("css selector", "#pst-secondary-sidebar .page-toc a"))
    if VIEWPORTS[viewport][0] < 960:  # a dialog over the page
        for button_selector, dialog_id, links in (
                (".primary-toggle", "pst-primary-sidebar-modal", ".bd-docs-nav a"),
                (".secondary-toggle", "pst-secondary-sidebar-modal", ".page-toc a")):
            if button_selector == ".secondary-toggle" and not has_toc:
                continue
            buttons = _visible(driver, button_selector)
            assert len(buttons) == 1, f"{page} ({viewport}): {len(buttons)} visible {button_selector}"
            dialog = driver.find_element("id", dialog_id)
            assert not dialog.is_displayed(), f"{page} ({viewport}): {dialog_id} open before any tap"
            buttons[0].click()
            _wait(driver, lambda: dialog.is_displayed() and driver.execute_script(
                "return arguments[0].open && [...arguments[0].querySelectorAll(arguments[1])]"
                ".some(a => a.offsetParent !== null && a.getBoundingClientRect().width > 0);",
                dialog, links), f"{page} ({viewport}): {button_selector} did not open {dialog_id}")
            dialog.send_keys(Keys.ESCAPE)
            _wait(driver, lambda: not dialog.is_displayed(),
                  f"{page} ({viewport}): Escape did not close {dialog_id}")
        _wait(driver, lambda: driver.execute_script("return arguments[0].children.length > 0", sidebar),
              f"{page} ({viewport}): the menu did not return to its place after the dialog closed")
    else:  # the menu is open beside the text: the button hides it and shows it again
        assert sidebar.is_displayed(), f"{page} ({viewport}): chapter menu not shown on a wide screen"
        primary[0].click()
        _wait(driver, lambda: not sidebar.is_displayed(), f"{page} ({viewport}): menu button did not hide the menu")
        primary[0].click()
        _wait(driver, lambda: sidebar.is_displayed(), f"{page} ({viewport}): menu button did not show the menu again")
        if has_toc and VIEWPORTS[viewport][0] >= 1200:
            assert _visible(driver, "#pst-secondary-sidebar .page-toc a"), \
                f"{page} ({viewport}): the page's contents are not shown in the margin"
        elif has_toc:  # no margin yet: the "On this page" button opens them as a dialog
            buttons = _visible(driver, ".secondary-toggle")
            assert len(buttons) == 1, f"{page} ({viewport}): {len(buttons)} visible .secondary-toggle"
            dialog = driver.find_element("id", "pst-secondary-sidebar-modal")
            buttons[0].click()
            _wait(driver, lambda: dialog.is_displayed() and driver.execute_script(
                "return [...arguments[0].querySelectorAll('.page-toc a')].some(a => a.offsetParent !== null);",
                dialog), f"{page} ({viewport}): .secondary-toggle did not open the page's contents")
            dialog.send_keys(Keys.ESCAPE)
            _wait(driver, lambda: not dialog.is_displayed(), f"{page} ({viewport}): Escape did not close them")


def _check_launch_buttons(driver, page: str) -> None:
    """The rocket menu offers exactly the services _config.yml sets, and is absent when none is."""
    launch = book_config().get("launch_buttons") or {}
    wanted = {name: launch[key].rstrip("/") for key, name in LAUNCH_KEYS.items() if launch.get(key)}
    menus = driver.find_elements("css selector", ".dropdown-launch-buttons")
    if not wanted:
        assert not menus, f"{page}: a launch menu is shown although _config.yml sets no launch URL"
        return
    if not page.startswith("book/") or not (ROOT / f"{page}.ipynb").is_file():
        return  # launch buttons are for notebooks only
    assert len(menus) == 1, f"{page}: no launch menu although _config.yml sets {sorted(wanted)}"
    hrefs = driver.execute_script(
        "return [...arguments[0].querySelectorAll('a[href]')].map(a => a.getAttribute('href'));", menus[0])
    for name, url in wanted.items():
        assert any(h.startswith(url) for h in hrefs), f"{page}: no {name} link to {url} in {hrefs}"
    assert len(hrefs) == len(wanted), f"{page}: launch links {hrefs}, expected only {sorted(wanted)}"


def _check_citations(driver, site: str, page: str) -> None:
    links = driver.execute_script(
        "return [...document.querySelectorAll('.bibtex-citation a[href]')].map(a => a.href);")
    bibliography = _parse(f"{site}/book/references.html")
    assert bibliography is not None and bibliography.citations, "book/references.html has no bibliography"
    for href in links:
        parts = urllib.parse.urlsplit(href)
        assert parts.path.endswith("/book/references.html") and parts.fragment in bibliography.citations, \
            f"{page}: citation link {href} does not lead to an entry of the bibliography"


def _check_links(driver, site: str, page: str) -> None:
    """Internal links: the target must be served and, with a fragment, contain that anchor."""
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);")
    broken = []
    for href in sorted(set(hrefs)):
        parts = urllib.parse.urlsplit(href)
        if not href.startswith(site) or parts.path.endswith(("/_sources/", ".ipynb", ".zip")):
            continue
        target = _parse(urllib.parse.urlunsplit(parts._replace(fragment="")))
        if target is None:
            broken.append(f"{href} (page not served)")
        elif parts.fragment and urllib.parse.unquote(parts.fragment) not in target.ids:
            broken.append(f"{href} (no anchor #{parts.fragment})")
    assert not broken, f"{page}: broken internal links:\n" + "\n".join(broken)


def _screenshot(driver, page: str, suffix: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{page.replace('/', '__')}__{suffix}.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000, shot


def _console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


# ---------------------------------------------------------------------------------------------


def test_toc_lists_chapters():
    pages = toc_pages()
    assert pages[0] == "book/intro" and len(pages) >= 4, pages


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("page", toc_pages())
def test_page_works(page, viewport, site, browser):
    url = f"{site}/{page}.html"
    assert _parse(url) is not None, f"{url} is not served: was the page built?"
    state = _open(browser, url, viewport)
    assert browser.find_elements("css selector", "main h1"), f"{url}: no chapter heading rendered"

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
    clipped = browser.execute_script(CLIPPED_MATH)
    assert not clipped, f"{page} ({viewport}):\n" + "\n".join(clipped)

    # Figures: loaded, and enlargeable when shown shrunk.
    problems, zoomable = browser.execute_script(FIGURES)
    assert not problems, f"{page} ({viewport}):\n" + "\n".join(problems)
    if viewport == "phone" and zoomable:
        box = browser.find_element("css selector", ".cnn-zoom.cnn-zoomable")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
        src, own = browser.execute_script(
            "return arguments[0].querySelector('img').src;", box), dict(zoomable)
        shown_width = "return arguments[0].querySelector('img').getBoundingClientRect().width;"
        before = browser.execute_script(shown_width, box)
        box.click()
        _wait(browser, lambda: browser.execute_script("""
            const box = arguments[0], img = box.querySelector('img'), own = arguments[1];
            const shown = img.getBoundingClientRect();
            return box.classList.contains('cnn-zoomed') && shown.width >= own - 1
                && Math.abs(shown.width / shown.height / (img.naturalWidth / img.naturalHeight) - 1) < 0.02
                && box.scrollWidth > box.clientWidth && getComputedStyle(box).overflowX === 'auto';""",
                box, own[src]), f"{page} ({viewport}): a tap did not show {src} at full size in a scrolling box")
        box.click()
        _wait(browser, lambda: "cnn-zoomed" not in box.get_attribute("class") and
              abs(browser.execute_script(shown_width, box) - before) < 2,
              f"{page} ({viewport}): a second tap did not shrink {src} back")
        browser.execute_script("window.scrollTo(0, 0);")

    _check_launch_buttons(browser, page)
    _check_citations(browser, site, page)
    if viewport == "desktop":
        _check_links(browser, site, page)
    _screenshot(browser, page, viewport)
    _check_navigation(browser, viewport, page)

    errors = _console_errors(browser)
    assert not errors, f"{page} ({viewport}): console errors:\n" + "\n".join(errors)

    dark = browser.execute_script(DARK_FIGURES)
    _screenshot(browser, page, f"{viewport}-dark")
    assert not dark, f"{page} ({viewport}):\n" + "\n".join(dark)


@pytest.mark.parametrize("viewport", ["tablet", "tablet-landscape"])
@pytest.mark.parametrize("page", ["book/intro", "book/05-backpropagation"])
def test_tablet_navigation(page, viewport, site, browser):
    _open(browser, f"{site}/{page}.html", viewport)
    _check_navigation(browser, viewport, page)
    errors = _console_errors(browser)
    assert not errors, f"{page} ({viewport}): console errors:\n" + "\n".join(errors)


def test_mathjax_is_served_locally(site):
    """The configured MathJax is in the site itself, so no page needs the network for math."""
    with urllib.request.urlopen(f"{site}/_static/mathjax/MathJax.js", timeout=10) as response:
        assert response.status == 200 and b"MathJax" in response.read(2000)
    index = (HTML / "book" / "intro.html").read_text()
    assert "cdn.jsdelivr" not in index and "mathjax/MathJax.js" in index


def test_intro_shows_a_citation_and_tabs(site, browser):
    """The platform the chapters rely on works: a {cite} and a sphinx-design tab set render."""
    _open(browser, f"{site}/book/intro.html", "desktop")
    assert browser.find_elements("css selector", ".bibtex-citation a[href*='references.html#']")
    labels = browser.find_elements("css selector", ".sd-tab-set > label")
    assert len(labels) >= 2, "book/intro.md has no tab set"
    labels[1].click()
    shown = browser.execute_script(
        "return [...document.querySelectorAll('.sd-tab-set .sd-tab-content')].map(c => c.offsetParent !== null);")
    assert shown[:2] == [False, True], f"clicking the second tab did not show it: {shown}"


# ---------------------------------------------------------------------------------------------
# Without a browser: citations cannot point to a missing entry.
# ---------------------------------------------------------------------------------------------

CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def _cited_keys() -> dict[str, set[str]]:
    """Keys cited in the book's sources (markdown pages and notebook markdown cells), by file."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "book").glob("*.md")) + sorted((ROOT / "book").glob("*.ipynb")):
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text())["cells"]
            text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        else:
            text = path.read_text()
        keys = {key.strip() for group in CITE.findall(text) for key in group.split(",")}
        if keys:
            found[path.name] = keys
    return found


def test_every_cited_key_is_in_the_bibliography():
    from pybtex.database import parse_file

    bibliography = set(parse_file(str(ROOT / "book" / "references.bib")).entries)
    config = book_config()
    assert "book/references.bib" in config["bibtex_bibfiles"]
    cited = _cited_keys()
    assert "he2016deep" in cited.get("intro.md", set()), "book/intro.md no longer shows a citation"
    missing = {name: sorted(keys - bibliography) for name, keys in cited.items() if keys - bibliography}
    assert not missing, f"cited but not in book/references.bib: {missing}"


def test_an_unknown_citation_key_fails_the_build():
    """sphinxcontrib-bibtex reports an unknown key as a warning; no allowlist entry may accept it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_book", ROOT / "tools" / "build_book.py")
    build_book = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_book)
    line = 'book/07-lenet.ipynb:3: WARNING: could not find bibtex key "nosuchkey2099"'
    assert build_book.PROBLEM.search(line)
    allowed = build_book.read_allowlist(build_book.ALLOWLIST)
    assert not any(pattern.search(line) for pattern, _ in allowed)
