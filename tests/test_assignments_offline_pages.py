"""The formgrader and the feedback in headless Chromium with the network unreachable: math
is typeset by the inlined Debian MathJax, nothing is fetched from another host, the
formgrader's own script finds MathJax, and the formgrader shows the model answers.

The same notebook rendered with nbconvert's stock page (MathJax from a CDN) typesets
nothing here: that is what the network being unreachable does, and what instructors
offline saw before."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlparse

import pytest
from course_copy import generated_course, make_submission, solutions
from offline_browser import TYPESET, forget, offline_chromium, requested_urls, severe_messages, wait_for_math

from autograder.grade import grade_all

ASSIGNMENT = "a1-convolution"
TOKEN = "offline-pages-test-token"
# a1's text has more formulas than this (output sizes, parameter counts, the convolution sum)
SOME_FORMULAS = 5


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course, api = generated_course(tmp_path_factory.mktemp("course"), ASSIGNMENT)
    answers = solutions(course, ASSIGNMENT)
    make_submission(course, ASSIGNMENT, "student", {**answers, "pooling_question": "It is $\\max = 3$."})
    grade_all(course, ASSIGNMENT, jobs=1)
    assert api.autograde(ASSIGNMENT, "student")["success"]
    assert api.generate_feedback(ASSIGNMENT, "student")["success"]
    return course


@pytest.fixture(scope="module")
def browser():
    with offline_chromium() as driver:
        yield driver


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def formgrader(course):
    """A Jupyter server with nbgrader's formgrader on the course, as ``jupyter lab`` starts it."""
    port = _free_port()
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    server = subprocess.Popen([sys.executable, "-m", "jupyter", "server", "--no-browser", "--allow-root",
                               f"--ServerApp.port={port}", f"--ServerApp.token={TOKEN}",
                               f"--ServerApp.root_dir={course}"], cwd=course, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("the Jupyter server did not start within 60 s")
    yield base
    server.terminate()
    server.wait(timeout=30)


def submission_id(course) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "cnncourse") as gb:
        return gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "student").id


def off_machine(urls: list) -> list:
    return [u for u in urls if urlparse(u).scheme not in ("file", "data") and urlparse(u).hostname != "127.0.0.1"]


def test_feedback_renders_math_offline(course, browser):
    page = course / "feedback" / "student" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    forget(browser)
    browser.get(page.as_uri())
    assert wait_for_math(browser, SOME_FORMULAS) >= SOME_FORMULAS
    assert "\\lfloor" not in browser.find_element("tag name", "body").text  # no raw TeX left in view
    assert off_machine(requested_urls(browser)) == []
    assert severe_messages(browser) == []


def test_the_stock_cdn_template_renders_no_math_here(course, browser, tmp_path):
    """The control: nbconvert's classic page, which nbgrader's feedback and formgrade pages
    extend, loads MathJax from its CDN; with the network unreachable, math stays TeX."""
    from nbconvert.exporters import HTMLExporter

    notebook = course / "autograded" / "student" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    html, _ = HTMLExporter(template_name="classic").from_filename(str(notebook))
    page = tmp_path / "stock.html"
    page.write_text(html)
    forget(browser)
    browser.get(page.as_uri())
    assert wait_for_math(browser, 1, seconds=5) == 0
    assert any("cdnjs" in u for u in off_machine(requested_urls(browser)))


def test_the_formgrader_renders_math_offline_and_shows_model_answers(course, browser, formgrader):
    forget(browser)
    browser.get(f"{formgrader}/formgrader/submissions/{submission_id(course)}/?token={TOKEN}")
    assert wait_for_math(browser, SOME_FORMULAS) >= SOME_FORMULAS
    from selenium.webdriver.support.ui import WebDriverWait

    # formgrade.js sets MathJax.loaded when MathJax's startup ends: it found MathJax
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return window.MathJax && MathJax.loaded === true"))
    assert off_machine(requested_urls(browser)) == []
    assert severe_messages(browser) == []
    panels = browser.find_elements("css selector", ".autograder-model-answer")
    assert len(panels) == 2  # a1's two questions graded by hand
    assert "Model answer" in panels[0].text and "maximum is 3" in panels[0].text
    # the student's own answer is typeset too, in its own panel above the model answer
    student_panels = browser.find_elements("css selector", ".nbgrader_cell")
    assert any("It is" in p.text and p.find_elements("css selector", TYPESET) for p in student_panels)
