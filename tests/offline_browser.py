"""Debian's headless Chromium for the grading pages, with every host but this machine unreachable.

Chromium resolves no name and reaches no address but 127.0.0.1 (``--host-resolver-rules``
and a proxy that does not exist for everything else), so a page that needs a CDN fails
here as it would on a grading machine without internet. The browser's own network log
is kept, so a test can also show that no request left the machine.
"""
from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
NO_NETWORK = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
              "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-dev-shm-usage", "--window-size=1280,1600", *NO_NETWORK)
# What MathJax 2.7's CommonHTML output leaves in the page for each typeset formula
TYPESET = "span.mjx-chtml"


@contextlib.contextmanager
def offline_chromium():
    """A selenium driver for headless Chromium with the network unreachable."""
    import pytest
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for binary in (CHROMIUM, CHROMEDRIVER):
        if not Path(binary).exists():
            pytest.fail(f"{binary} is missing: install Debian's chromium and chromium-driver (tools/setup.sh does)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)  # the driver path: no download
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def forget(driver) -> None:
    """Drop what the logs hold so far (a new page's checks start clean)."""
    driver.get_log("performance")
    driver.get_log("browser")


def severe_messages(driver) -> list:
    """Console errors since the last call (failed loads, script errors)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def requested_urls(driver) -> list:
    """Every URL the page asked for since the last call (Chromium's performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def wait_for_math(driver, minimum: int, seconds: float = 30) -> int:
    """Wait until MathJax has typeset at least ``minimum`` formulas; return how many it did."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    def typeset(d):
        return len(d.find_elements("css selector", TYPESET))

    try:
        WebDriverWait(driver, seconds).until(lambda d: typeset(d) >= minimum)
    except TimeoutException:
        pass
    return typeset(driver)
