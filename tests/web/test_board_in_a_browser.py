"""The board in headless Chromium (Debian's chromium + chromedriver, driven by Selenium) against
the real app served by uvicorn on a free loopback port.

Set PAINAUTH_SCREENSHOT_DIR to keep a screenshot of the filtered board for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.importers.service import import_practice_files
from tracker.store.tables import PatientRow
from tracker.web.app import create_app
from tracker.web.local_server import serving

from .browser import PAGE_LOAD_SECONDS, chromium, needs_chromium
from .conftest import PASSWORD, SECRET, TODAY, USERS, Practice, load_practice

NEW_MRN = "SYN-7001"

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def sqlite_practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Practice]:
    """A practice of this module's own: its counts must not depend on what other modules' tests
    (in whatever order a worker runs them) added to the shared one."""
    practice = load_practice(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'painauth.sqlite'}")
    yield practice
    practice.engine.dispose()


@pytest.fixture(scope="module")
def board_address(sqlite_practice: Practice) -> Iterator[str]:
    with serving(create_app(sqlite_practice.engine, SECRET, today=lambda: TODAY)) as address:
        yield address


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


def _path(driver: WebDriver, address: str) -> str:
    return driver.current_url.removeprefix(address)


def _wait_for(driver: WebDriver, address: str, path: str) -> None:
    """Wait until the page at `path` (a prefix) has loaded: a click only starts navigation."""
    WebDriverWait(driver, PAGE_LOAD_SECONDS).until(
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
    assert _counts(browser) == {"Stop": 1, "Act": 1, "Waiting": 0, "Clear": 3}

    Select(browser.find_element(By.ID, "status")).select_by_visible_text("Blocked")
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    _wait_for(browser, board_address,
              "/visits?start=2026-12-01&end=2026-12-22&provider=&status=blocked")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.visits tbody tr")
    assert len(rows) == 1
    cells = [c.text for c in rows[0].find_elements(By.TAG_NAME, "td")]
    assert cells[0] == "Stop"
    assert cells[1] == "2026-12-14"
    assert "Blockley, Quinn" in cells[2]
    assert "rebook on or after 2027-02-16" in cells[3]
    assert cells[7] == "3 of 3 lumbar ESI sessions in 12 months"
    assert cells[8] == "2027-02-16"
    assert cells[9].startswith("Blocked")
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


def _counts(driver: WebDriver) -> dict[str, int]:
    """The readiness counts at the top of the board: {"Stop": 1, ...}."""
    found = {}
    for link in driver.find_elements(By.CSS_SELECTOR, "#readiness-counts a[data-readiness]"):
        word, number = link.text.removeprefix("■ ").removeprefix("▲ ").removeprefix("… ") \
            .removeprefix("✓ ").rsplit(maxsplit=1)
        found[word] = int(number)
    return found


def _sign_in(driver: WebDriver, address: str, role: str) -> None:
    driver.delete_all_cookies()
    driver.get(address + "/login")
    driver.find_element(By.ID, "name").send_keys(USERS[role])
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    _wait_for(driver, address, "/visits")


def _book_without_coverage(practice: Practice, folder: Path) -> None:
    """A new patient booked for a lumbar ESI with no coverage on file: the visit reads stop."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "patients.csv").write_text("mrn,family_name,given_name,birth_date\n"
                                         f"{NEW_MRN},Uncovered,Morgan,1966-05-05\n")
    (folder / "sessions.csv").write_text(
        "patient_mrn,date,status,codes,provider_npi,diagnoses\n"
        f"{NEW_MRN},2026-12-09,scheduled,64483,1234567893,M54.16\n")
    report = import_practice_files([folder], practice.engine, today=TODAY)
    assert report.clean, [(f.path, f.error, f.refused) for f in report.files]


def _forget(practice: Practice) -> None:
    """Take the test's patient out again: the other board tests count the practice's visits."""
    with DbSession(practice.engine) as db:
        patient = db.execute(select(PatientRow).where(col(PatientRow.mrn) == NEW_MRN)).scalar()
        if patient is not None:
            db.delete(patient)  # sessions, coverage and the stored evaluation go with it
            db.commit()


def test_a_scheduler_reads_why_a_visit_stops_and_checks_again_after_the_fix(
        browser: WebDriver, board_address: str, sqlite_practice: Practice,
        tmp_path: Path) -> None:
    _book_without_coverage(sqlite_practice, tmp_path / "booking")
    try:
        _sign_in(browser, board_address, "scheduler")
        assert _counts(browser) == {"Stop": 2, "Act": 1, "Waiting": 0, "Clear": 3}
        browser.find_element(By.CSS_SELECTOR, "#readiness-counts a[data-readiness='stop']").click()
        _wait_for(browser, board_address, "/visits?")
        rows = browser.find_elements(By.CSS_SELECTOR, "table.visits tbody tr")
        assert {r.get_attribute("data-readiness") for r in rows} == {"stop"} and len(rows) == 2
        row = next(r for r in rows if NEW_MRN in r.text)
        assert "No coverage on the visit date" in row.find_element(By.CSS_SELECTOR, "td.why").text
        row.find_element(By.LINK_TEXT, "Uncovered, Morgan").click()
        _wait_for(browser, board_address, "/patients/")
        upcoming = browser.find_element(By.CSS_SELECTOR, "#upcoming + form + table tbody tr")
        assert upcoming.get_attribute("data-readiness") == "stop"
        assert "NO_COVERAGE" in upcoming.text

        # the front desk records the patient's Medicare coverage, then checks again
        (tmp_path / "fix").mkdir()
        (tmp_path / "fix" / "coverages.csv").write_text(
            "patient_mrn,payer,member_id,effective_start\n"
            f"{NEW_MRN},medicare,9ZZ9ZZ9ZZ99,2026-01-01\n")
        assert import_practice_files([tmp_path / "fix"], sqlite_practice.engine,
                                     today=TODAY).clean
        page = _path(browser, board_address)
        browser.find_element(By.CSS_SELECTOR, "form.check-again button").click()
        WebDriverWait(browser, PAGE_LOAD_SECONDS).until(lambda d: "checked=" in d.current_url)
        assert _path(browser, board_address).startswith(page.split("#")[0])
        upcoming = browser.find_element(By.CSS_SELECTOR, "#upcoming + form + table tbody tr")
        # covered now and evaluated against Medicare's policy: the next step is the chart
        assert upcoming.get_attribute("data-readiness") == "act", upcoming.text
        assert "DOCUMENTATION_MISSING" in upcoming.text and "conservative care" in upcoming.text
        browser.get(board_address + "/visits")
        assert _counts(browser) == {"Stop": 1, "Act": 2, "Waiting": 0, "Clear": 3}
    finally:
        _forget(sqlite_practice)


def test_the_board_needs_no_sideways_scrolling_at_400_pixels(
        browser: WebDriver, board_address: str) -> None:
    _sign_in(browser, board_address, "scheduler")
    browser.set_window_size(400, 900)
    try:
        browser.get(board_address + "/visits")
        width = browser.execute_script("return document.documentElement.clientWidth")
        scrolled = browser.execute_script("return document.documentElement.scrollWidth")
        assert scrolled <= width, (scrolled, width)
        first = browser.find_element(By.CSS_SELECTOR, "table.visits tbody tr")
        for cell in first.find_elements(By.TAG_NAME, "td")[:4]:
            right = browser.execute_script(
                "const r = arguments[0].getBoundingClientRect(); return r.right;", cell)
            assert right <= width, cell.text
        if os.environ.get("PAINAUTH_SCREENSHOT_DIR"):
            browser.save_screenshot(str(Path(os.environ["PAINAUTH_SCREENSHOT_DIR"])
                                        / "board-400.png"))
    finally:
        browser.set_window_size(1500, 1000)


PRACTICE_CHARTS = ("Approved in full, per payer, 2026-11", "Approval rate per payer, month by month",
                   "Turnaround against the decision clock (hours), 2026-11",
                   "Decisions by the share of the clock they took, 2026-11",
                   "Denials by the payer's reason, 2026-11")
MONEY_CHARTS = ("Revenue at risk by reason, visits 2026-12-01 + 21 days ($)",
                   "Revenue at risk by the visit's week ($)",
                   "Charges documented but not billed, per month ($)")


def test_billing_opens_the_practice_page_and_finds_each_chart_drawn_and_styled(
        browser: WebDriver, board_address: str) -> None:
    _sign_in(browser, board_address, "billing")
    browser.find_element(By.LINK_TEXT, "Practice").click()
    _wait_for(browser, board_address, "/practice")
    WebDriverWait(browser, PAGE_LOAD_SECONDS).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "figure.chart svg"))
        == len(PRACTICE_CHARTS))
    charts = browser.find_elements(By.CSS_SELECTOR, "figure.chart svg")
    titles = [browser.execute_script("return arguments[0].querySelector('title').textContent",
                                     svg) for svg in charts]
    assert titles == list(PRACTICE_CHARTS)
    for svg in charts:  # the chart's own style applied: the page's policy admitted its hash
        heading = svg.find_element(By.CSS_SELECTOR, "text.title")
        assert browser.execute_script(
            "return getComputedStyle(arguments[0]).fontSize", heading) == "22px"
    browser.find_element(By.PARTIAL_LINK_TEXT, "The money").click()
    _wait_for(browser, board_address, "/practice/money")
    WebDriverWait(browser, PAGE_LOAD_SECONDS).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "figure.chart svg")) == len(MONEY_CHARTS))
    assert [browser.execute_script("return arguments[0].querySelector('title').textContent", svg)
            for svg in browser.find_elements(By.CSS_SELECTOR, "figure.chart svg")] \
        == list(MONEY_CHARTS)
    browser.set_window_size(400, 900)
    try:
        width = browser.execute_script("return document.documentElement.clientWidth")
        for svg in browser.find_elements(By.CSS_SELECTOR, "figure.chart svg"):
            box = browser.execute_script("const r = arguments[0].getBoundingClientRect(); "
                                         "return [r.left, r.right, r.height];", svg)
            assert box[0] >= 0 and box[1] <= width and box[2] > 100, box
        if os.environ.get("PAINAUTH_SCREENSHOT_DIR"):
            browser.save_screenshot(str(Path(os.environ["PAINAUTH_SCREENSHOT_DIR"])
                                        / "practice-400.png"))
    finally:
        browser.set_window_size(1500, 1000)
