"""Issue 13's walk in headless Chromium: a billing user finds a patient by MRN on the queue,
claims the item, uploads the psychological evaluation letter (recording the evaluation), sees
the package turn ready, records the fax send, records the payer's denial and opens a first-level
appeal with its deadline shown. Every wait is on the page, never a sleep.

Set PAINAUTH_SCREENSHOT_DIR to keep a screenshot of the authorization page once it is ready.

The board serves its own small practice (one spinal cord stimulator trial waiting on a current
psych evaluation, Cigna) on SQLite, so the other browser test's counts stay as they are.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfWriter
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlmodel import Session as DbSession
from sqlmodel import select

from tracker.importers.service import import_practice_files
from tracker.packages.preparation import prepare_open_authorizations
from tracker.store import connect, upgrade
from tracker.store.tables import AuthorizationRow, DenialStepRow
from tracker.store.users import add_user
from tracker.visits.pre_visit import check_upcoming_visits
from tracker.web.app import create_app
from tracker.web.local_server import serving

from .browser import PAGE_LOAD_SECONDS, chromium, needs_chromium
from .conftest import PASSWORD, SECRET, TODAY, USERS

MRN = "SYN-Q1301"
FILES = {
    "providers.csv": [["npi", "name"], ["1234567893", "Dr. Synthia Example"]],
    "patients.csv": [["mrn", "family_name", "given_name", "birth_date"],
                     [MRN, "Queueton", "Avery", "1968-12-01"]],
    "coverages.csv": [["patient_mrn", "payer", "member_id", "effective_start"],
                      [MRN, "cigna", "CGN3000001", "2025-01-01"]],
    "conservative_care.csv": [
        ["patient_mrn", "kind", "start", "end", "outcome", "drugs", "visits"],
        [MRN, "physical_therapy", "2026-01-05", "2026-06-30", "partial", "", "20"],
        [MRN, "medication", "2026-01-05", "2026-11-20", "no_relief", "gabapentin", ""]],
    # cleared, but more than 12 months before the trial: Cigna wants a new one
    "psych_evaluations.csv": [["patient_mrn", "date", "result"], [MRN, "2025-06-01", "cleared"]],
    "sessions.csv": [["patient_mrn", "date", "status", "codes", "place_of_service", "intent",
                      "provider_npi", "diagnoses"],
                     [MRN, "2026-12-14", "scheduled", "63650", "24", "trial", "1234567893",
                      "G89.4;M96.1"]],
}

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def queue_practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, Path]]:
    folder = tmp_path_factory.mktemp("queue-walk")
    for name, rows in FILES.items():
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
    url = f"sqlite:///{folder / 'painauth.sqlite'}"
    upgrade(url)
    engine = connect(url)
    assert import_practice_files([folder], engine, today=TODAY).clean
    check_upcoming_visits(engine, TODAY)
    assert prepare_open_authorizations(engine, "test", TODAY).documentation_missing
    add_user(engine, USERS["billing"], "billing", PASSWORD)
    yield engine, folder
    engine.dispose()


@pytest.fixture(scope="module")
def walk_address(queue_practice: tuple[object, Path]) -> Iterator[str]:
    engine, folder = queue_practice
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PAINAUTH_HOME", str(folder / "home"))
        with serving(create_app(engine, SECRET, today=lambda: TODAY)) as address:  # type: ignore[arg-type]
            yield address


@pytest.fixture(scope="module")
def chromium_driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium-queue")) as driver:
        yield driver


def _submit(driver: WebDriver, form: str) -> None:
    """Click the form's button and wait for the page it leads to (the old one goes stale)."""
    button = driver.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]")
    old = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, PAGE_LOAD_SECONDS).until(
        lambda d: _stale(old) and d.execute_script("return document.readyState") == "complete")


def _stale(element: object) -> bool:
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        element.is_enabled()  # type: ignore[attr-defined]
    except StaleElementReferenceException:
        return True
    return False


def _status(driver: WebDriver) -> str:
    classes = driver.find_element(By.ID, "status").get_attribute("class") or ""
    return next(c.removeprefix("status-") for c in classes.split() if c.startswith("status-"))


def test_billing_works_an_authorization_from_the_queue_to_an_appeal(
        chromium_driver: WebDriver, walk_address: str, queue_practice: tuple[object, Path]) -> None:
    engine, folder = queue_practice
    driver = chromium_driver
    driver.get(walk_address + "/login?next=/queue")
    driver.find_element(By.ID, "name").send_keys(USERS["billing"])
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    _submit(driver, "form[action='/login']")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Work queue"

    driver.find_element(By.ID, "q").send_keys(MRN)
    _submit(driver, "form[role=search]")
    found = driver.find_element(By.CSS_SELECTOR, "#search-results table.found-authorizations")
    [row] = found.find_elements(By.CSS_SELECTOR, "tbody tr")
    auth_id = int(row.get_attribute("data-found-authorization") or 0)
    assert "Queueton, Avery" in row.text

    _submit(driver, f"form[action='/queue/{auth_id}/claim']")
    item = driver.find_element(By.CSS_SELECTOR, f"tr[data-queue-item='{auth_id}']")
    assert item.find_element(By.CSS_SELECTOR, "td.owner").text == USERS["billing"]

    item.find_element(By.CSS_SELECTOR, f"a[href='/authorizations/{auth_id}']").click()
    WebDriverWait(driver, PAGE_LOAD_SECONDS).until(lambda d: d.find_elements(By.ID, "document-file"))
    assert _status(driver) == "documentation_missing"
    assert "PSYCH_CLEARANCE_EXPIRED" in driver.find_element(By.CSS_SELECTOR, "section.missing").text

    letter = folder / "psych-evaluation-letter.pdf"
    letter.write_bytes(_pdf(pages=2))
    Select(driver.find_element(By.ID, "document-kind")).select_by_value("psych_evaluation")
    _type_date(driver, "document-date", "2026-11-20")
    driver.find_element(By.ID, "document-title").send_keys("Psychological evaluation, Dr. Mind")
    driver.find_element(By.ID, "document-file").send_keys(str(letter))
    _type_date(driver, "letter-psych-date", "2026-11-20")
    driver.find_element(By.ID, "letter-psych-evaluator").send_keys("Dr. Ada Mind, PhD")
    Select(driver.find_element(By.ID, "letter-psych-result")).select_by_value("cleared")
    _submit(driver, "form[aria-label='upload a document']")
    assert _status(driver) == "ready"
    documents = driver.find_element(By.ID, "document-list").text
    assert "Psychological evaluation, Dr. Mind" in documents and "PDF, 2 pages" in documents
    assert "2026-11-20: cleared, by Dr. Ada Mind, PhD" in driver.find_element(
        By.ID, "psych-evaluations").text
    if os.environ.get("PAINAUTH_SCREENSHOT_DIR"):
        driver.save_screenshot(str(Path(os.environ["PAINAUTH_SCREENSHOT_DIR"]) / "ready.png"))

    Select(driver.find_element(By.ID, "channel")).select_by_value("fax")
    driver.find_element(By.ID, "reference").send_keys("FAX-20261201-77")
    _submit(driver, "form[aria-label='record the send']")
    assert _status(driver) == "submitted"

    Select(driver.find_element(By.ID, "decision")).select_by_value("denied")
    driver.find_element(By.ID, "decision-reason").send_keys("Trial not medically necessary")
    _submit(driver, "form[aria-label='record the decision']")
    assert _status(driver) == "denied"

    Select(driver.find_element(By.ID, "step-kind")).select_by_value("first_level")
    _submit(driver, "form[aria-label='open an appeal step']")
    with DbSession(engine) as db:  # type: ignore[arg-type]
        auth = db.get(AuthorizationRow, auth_id)
        [step] = db.exec(select(DenialStepRow).where(DenialStepRow.authorization_id == auth_id))
    assert auth is not None and auth.decided_at is not None
    assert step.deadline == auth.decided_at.date() + timedelta(days=60)
    shown = driver.find_element(By.CSS_SELECTOR, f"tr[data-denial-step='{step.id}']")
    assert "first-level appeal" in shown.text
    assert shown.find_element(By.CSS_SELECTOR, "td.deadline").text == step.deadline.isoformat()
    history = driver.find_element(By.CSS_SELECTOR, "table.history").text
    assert "document uploaded: Psychological evaluation letter" in history
    assert "sent by fax, reference FAX-20261201-77" in history


def _type_date(driver: WebDriver, element_id: str, day: str) -> None:
    """A date input takes the value the way a person picks it; set it as the form submits it."""
    field = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].value = arguments[1]", field, day)


def _pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
