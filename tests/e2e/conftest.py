"""Browser tests: the real app on a live server, driven by headless Chromium with a virtual passkey.

One server and one database serve the whole session, so the organisation is set up once (through
the UI, by the session-scoped `lead` fixture). Every test opens its own phone (browser context):
signed-in phones get a copy of the lead's cookies, so no test depends on what another test did
with its phone (signing out, for instance).
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from .e2e_support import (
    CHROMIUM, CHROMIUM_ARGS, LEAD_NAME, ORGANISATION, TEAM, Lead, create_passkey, open_phone, passkeys_on,
    start_live_server,
)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    server = start_live_server(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance) -> Browser:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def new_phone(browser):
    """A factory: new_phone(storage_state=None, credentials=(), **context options) -> Page."""
    pages = []

    def make(**kwargs) -> Page:
        page = open_phone(browser, **kwargs)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.context.close()


@pytest.fixture(scope="session")
def lead(browser, live_server) -> Lead:
    """Set up Leerkring once through the UI: setup link, form, passkey, Vandaag."""
    url = live_server.url
    setup_url = live_server.issue_setup_link()
    assert setup_url, "the database already has an organisation"
    page = open_phone(browser)
    page.goto(setup_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welkom bij Leerkring")
    page.get_by_label("Naam van je organisatie").fill(ORGANISATION)
    page.get_by_label("Naam van je eerste team").fill(TEAM)
    page.get_by_label("Je naam").fill(LEAD_NAME)
    page.get_by_role("button", name="Verder").click()
    create_passkey(page, url)
    heading = page.get_by_role("heading", level=1).inner_text()
    teams = page.locator(".card-title").all_inner_texts()
    href = page.get_by_role("link", name=re.compile(TEAM)).get_attribute("href")
    team_id = int(re.search(r"/teams/(\d+)", href).group(1))
    lead = Lead(page=page, setup_url=setup_url, team_id=team_id, storage_state=page.context.storage_state(),
                credentials=passkeys_on(page), landing_heading=heading, landing_teams=teams)
    yield lead
    page.context.close()


@pytest.fixture
def lead_phone(lead, new_phone) -> Page:
    """A phone on which Marieke is signed in (a copy of her session)."""
    return new_phone(storage_state=lead.storage_state)
