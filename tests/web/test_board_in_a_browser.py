"""The board in headless Chromium (Debian's chromium + chromedriver, driven by Selenium) against
the real app served by uvicorn on a free loopback port.

Set PAINAUTH_SCREENSHOT_DIR to keep a screenshot of the filtered board for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from tracker.web.app import create_app

from .conftest import PASSWORD, SECRET, TODAY, USERS, Practice

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1500,1000")

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="Debian's chromium and chromium-driver are not installed: `make test` installs them "
           "when run as root (apt-get install chromium chromium-driver)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def board_address(sqlite_practice: Practice) -> Iterator[str]:
    port = _free_port()
    app = create_app(sqlite_practice.engine, SECRET, today=lambda: TODAY)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the board did not start within 10 s"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def _path(driver: WebDriver, address: str) -> str:
    return driver.current_url.removeprefix(address)


def _wait_for(driver: WebDriver, address: str, path: str) -> None:
    """Wait until the page at `path` (a prefix) has loaded: a click only starts navigation."""
    WebDriverWait(driver, 10).until(
        lambda d: _path(d, address).startswith(path)
        and d.execute_script("return document.readyState") == "complete")


def test_a_scheduler_signs_in_filters_to_blocked_visits_and_sees_why(
        browser: WebDriver, board_address: str, sqlite_practice: Practice) -> None:
    patient = sqlite_practice.patient_id("SYN-9001")
    pages = ["/visits", "/visits?status=blocked", "/visits.csv", f"/patients/{patient}", "/users"]
    browser.delete_all_cookies()
    for page in pages:
        browser.get(board_address + page)
        assert _path(browser, board_address).startswith("/login"), page
        assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in"
    browser.get(board_address + "/api/visits")
    assert "sign in first" in browser.find_element(By.TAG_NAME, "body").text

    browser.get(board_address + "/login")
    browser.find_element(By.ID, "name").send_keys(USERS["scheduler"])
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    _wait_for(browser, board_address, "/visits")
    assert "5 visits" in browser.find_element(By.ID, "visit-count").text

    Select(browser.find_element(By.ID, "status")).select_by_visible_text("Blocked")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    _wait_for(browser, board_address, "/visits?start=2026-12-01&end=2026-12-22&provider=&status=blocked")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.visits tbody tr")
    assert len(rows) == 1
    cells = [c.text for c in rows[0].find_elements(By.TAG_NAME, "td")]
    assert cells[0] == "2026-12-14"
    assert "Blockley, Quinn" in cells[1]
    assert cells[5].startswith("Blocked")
    assert cells[7] == "3 of 3 lumbar ESI sessions in 12 months"
    assert cells[8] == "2027-02-16"
    if os.environ.get("PAINAUTH_SCREENSHOT_DIR"):
        browser.save_screenshot(str(Path(os.environ["PAINAUTH_SCREENSHOT_DIR"]) / "board.png"))

    rows[0].find_element(By.LINK_TEXT, "Blockley, Quinn").click()
    _wait_for(browser, board_address, f"/patients/{patient}")
    counters = browser.find_element(By.CSS_SELECTOR, "table.counters-table").text
    assert "3 of 3 lumbar ESI sessions in 12 months" in counters and "2027-02-16" in counters
    if os.environ.get("PAINAUTH_SCREENSHOT_DIR"):
        browser.save_screenshot(str(Path(os.environ["PAINAUTH_SCREENSHOT_DIR"]) / "patient.png"))

    browser.find_element(By.CSS_SELECTOR, "form.signout button").click()
    _wait_for(browser, board_address, "/login")
    for page in pages:
        browser.get(board_address + page)
        assert _path(browser, board_address).startswith("/login"), page
