"""End to end in real headless Chromium (Debian's ``chromium``, driven by Playwright).

Log in, search with filters, pick a job by autocomplete, open a person, bulk add to a new
sequence, read the report. Screenshots land in ``test-artifacts/`` (git-ignored).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from rediscover.fakeats.server import serve_in_thread
from web_support import PASSWORD

CHROMIUM = os.environ.get("REDISCOVER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 15_000

pytestmark = pytest.mark.slow


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make install` as root (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live(app, acme):
    """The app on a real port, with the fixture data synced."""
    url, stop = serve_in_thread(app)
    yield url
    stop()


@pytest.fixture
def page(browser, live):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def log_in(page, live: str, email: str) -> None:
    page.goto(f"{live}/")
    assert "/login" in page.url
    shot(page, "01-login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#table tbody tr[data-id]")


def test_log_in_search_open_a_person_and_bulk_add(page, live, acme):
    log_in(page, live, acme["manager"]["email"])
    assert re.match(r"\d+ people", page.text_content("#status"))
    shot(page, "02-search")

    page.fill("input[name=query]", "kotlin OR engineer*")
    page.select_option("select[name=reached_stage]", "onsite")
    page.wait_for_function("document.querySelector('#status').textContent === '2 people'")
    names = page.locator("#table tbody tr[data-id] td:nth-child(2) strong").all_text_contents()
    assert sorted(names) == ["Aisha Khan", "Sofia Rossi"]  # Aisha: the manager's confidential job
    assert page.locator("ul[data-facet=milestone] li").count() > 0  # facet counts are shown
    shot(page, "03-filtered")

    page.locator("#table tbody tr[data-id]", has_text="Sofia Rossi").click()
    page.wait_for_selector("#person h2")
    assert page.text_content("#person h2") == "Sofia Rossi"
    assert page.locator("#person .app").count() >= 1
    assert page.locator("#person .app h3 mark").count() > 0  # the keyword, in the job title
    assert page.locator("#person a", has_text="Open in ATS").count() >= 1
    shot(page, "04-person")
    page.keyboard.press("Escape")
    assert page.locator("#person").is_hidden()

    page.click("#new-seq")
    page.fill("#seq-form input[name=name]", "Backend silver medalists")
    page.fill("#seq-form textarea[name=steps]", "Day 1: intro\nDay 4: follow-up")
    page.click("#seq-form button[value=create]")
    page.wait_for_function("document.querySelector('#target').selectedOptions[0].text.startsWith('Backend')")

    page.check("#check-page")
    assert page.text_content("#selection") == "2 selected"
    page.click("#add")
    page.wait_for_selector(".report .outcome")
    page.wait_for_function("document.querySelector('.report strong').textContent === 'Done'")
    assert "2 added" in page.text_content(".report .added")
    shot(page, "05-report")


def test_all_matching_reports_who_was_skipped_and_why(page, live, acme):
    log_in(page, live, acme["outsider"]["email"])
    page.check("input[name=include_active]")
    page.wait_for_function("document.querySelector('#status').textContent === '4 people'")
    page.click("#new-seq")
    page.fill("#seq-form input[name=name]", "Everyone")
    page.click("#seq-form button[value=create]")
    page.wait_for_function("document.querySelector('#target').selectedOptions[0].text.startsWith('Everyone')")
    page.click("#select-all")
    assert page.text_content("#selection") == "4 selected"
    page.click("#add")
    page.wait_for_function("document.querySelector('.report strong')?.textContent === 'Done'")
    assert "1 added" in page.text_content(".report .added")
    assert "3 in process now" in page.text_content(".report .skipped")
    shot(page, "06-report-skipped")
    page.click("#add")  # again: everyone is there already or still skipped
    page.wait_for_function("document.querySelector('.report .already b')?.textContent === '1'")
    shot(page, "07-report-again")


def test_keyboard_search_and_resume_highlight(page, live, acme):
    log_in(page, live, acme["outsider"]["email"])
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.text_content("#selection") == "1 selected"
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "query"
    page.keyboard.type("kafka")
    page.keyboard.press("Enter")  # submits the filters
    page.check("input[name=include_active]")
    priya = page.locator("#table tbody tr[data-id]", has_text="Priya Raman")
    priya.wait_for()
    priya.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#person h2")
    assert page.text_content("#person h2") == "Priya Raman"
    assert page.locator("#person .resume mark").all_text_contents()[0].lower() == "kafka"
    shot(page, "05b-resume-highlight")
    page.keyboard.press("Escape")
    assert page.locator("#person").is_hidden()


def test_job_autocomplete_filters_by_requisition_id(page, live, acme):
    log_in(page, live, acme["outsider"]["email"])
    page.fill("#job-input", "ENG-231")
    page.wait_for_selector("#job-suggest li[data-id]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#job-chips .chip")
    assert "Senior Backend Engineer" in page.text_content("#job-chips")
    page.wait_for_function("document.querySelector('#status').textContent === '1 people'")
    shot(page, "08-job-filter")


def test_admin_page_shows_users_stage_maps_and_audit(page, live, acme):
    log_in(page, live, acme["admin"]["email"])
    page.click("text=Admin")
    page.wait_for_selector("#users tbody tr")
    page.click("details.conn summary")
    page.wait_for_selector(".stage-map tbody tr")
    page.wait_for_selector("#audit tbody tr")
    assert "login" in page.text_content("#audit")
    shot(page, "09-admin")
