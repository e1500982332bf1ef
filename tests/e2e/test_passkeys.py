"""Passkeys end to end: setup, sign out and in, invite a colleague who joins on another phone."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .e2e_support import LEAD_NAME, TEAM, create_passkey, passkeys_on, sign_in_with_passkey, user_present

pytestmark = pytest.mark.e2e


def test_setup_creates_a_passkey_and_lands_on_today(lead, live_server, new_phone):
    # The `lead` fixture went through the setup link, the form and the passkey step.
    assert lead.landing_heading == "Hoi Marieke"
    assert TEAM in lead.landing_teams
    assert len(lead.credentials) == 1
    assert lead.credentials[0]["isResidentCredential"] is True

    # The setup link does not work a second time, and no new one can be made.
    phone = new_phone()
    phone.goto(lead.setup_url)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Deze link is al gebruikt")
    assert live_server.issue_setup_link() is None


def test_sign_out_and_sign_in_again_with_the_passkey(lead, live_server, new_phone):
    url = live_server.url
    # A phone of her own with her passkey, signed in by itself: sessions live on the server, so
    # signing out ends this phone's session only, not the one the other tests copy.
    page = new_phone(credentials=lead.credentials)
    sign_in_with_passkey(page, url)

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Profiel").click()
    page.wait_for_url(f"{url}/profiel")
    user_present(page, False)  # else the login page's passkey autofill signs her straight back in
    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_url(f"{url}/inloggen")
    expect(page.get_by_text("Je bent uitgelogd.")).to_be_visible()

    # Signed out for real: Vandaag sends you to the login page.
    page.goto(f"{url}/")
    assert page.url.startswith(f"{url}/inloggen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")

    sign_in_with_passkey(page, url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hoi Marieke")
    assert len(passkeys_on(page)) == 1  # the same passkey, nothing new was made


def test_invite_a_colleague_who_joins_on_her_own_phone(lead, live_server, lead_phone, new_phone):
    url = live_server.url
    lead_phone.goto(f"{url}/teams/{lead.team_id}")
    expect(lead_phone.get_by_role("heading", level=1)).to_have_text(TEAM)
    panel = lead_phone.locator("#invite-panel")
    panel.get_by_label("Teamlid").check()
    with lead_phone.expect_response(lambda r: r.url.endswith("/uitnodigingen")) as answer:
        panel.get_by_role("button", name="Maak uitnodiging").click()
    # htmx posts it (with the CSRF token) and gets just the panel back, which it swaps in place.
    assert answer.value.status == 200
    assert answer.value.request.header_value("hx-request") == "true"
    fragment = answer.value.text()
    assert "<html" not in fragment and 'id="invite-panel"' in fragment
    link_field = lead_phone.locator("#issued-link")
    expect(link_field).to_be_visible()
    expect(lead_phone.locator("#invite-panel")).to_have_count(1)
    expect(lead_phone.get_by_role("heading", level=1)).to_have_count(1)
    invite_url = link_field.input_value()
    share = lead_phone.get_by_role("button", name="Deel")
    if lead_phone.evaluate("'share' in navigator"):
        expect(share).to_be_visible()
    else:
        expect(share).to_be_hidden()  # no Web Share here: no button that does nothing
    assert invite_url.startswith(f"{url}/uitnodiging/")
    assert lead_phone.url == f"{url}/teams/{lead.team_id}"

    colleague = new_phone()
    colleague.goto(invite_url)
    expect(colleague.get_by_role("heading", level=1)).to_have_text(f"Welkom bij {TEAM}")
    colleague.get_by_label("Je naam").fill("Sanne Jansen")
    colleague.get_by_role("button", name="Verder").click()
    create_passkey(colleague, url)
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Hoi Sanne")
    expect(colleague.locator("#ios-install-hint")).to_be_hidden()  # only for iPhones, not this phone
    expect(colleague.get_by_role("link", name=TEAM)).to_be_visible()
    assert len(passkeys_on(colleague)) == 1

    # She sees her team and its lead.
    colleague.get_by_role("link", name=TEAM).click()
    expect(colleague.get_by_role("heading", level=1)).to_have_text(TEAM)
    members = colleague.locator(".member .card-title")
    expect(members).to_contain_text([LEAD_NAME, "Sanne Jansen"])
    # A member cannot invite.
    expect(colleague.locator("#invite-panel")).to_have_count(0)

    # The invite works once: opening it again says so, kindly.
    colleague.goto(invite_url)
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Deze link is al gebruikt")
    expect(colleague.get_by_role("link", name="Naar inloggen")).to_be_visible()


@pytest.mark.parametrize("button", ["Inloggen met passkey", "Maak mijn passkey"])
def test_the_passkey_button_waits_for_its_script(lead, live_server, new_phone, button):
    """A tap before passkeys.js has bound the button did nothing at all (a slow phone, or a test
    that taps at once: seen in CI). The button comes disabled and the script enables it."""
    phone = new_phone(service_workers="block")  # else the second page takes the script from its cache
    held = []
    phone.route(re.compile(r".*/js/passkeys\.[0-9a-f]+\.js$"), lambda route: held.append(route))
    if button == "Maak mijn passkey":
        phone.goto(live_server.invite_url(lead.team_id))
        phone.get_by_label("Je naam").fill("Eva Bos")
        phone.get_by_role("button", name="Verder").click()
    else:
        phone.goto(f"{live_server.url}/inloggen", wait_until="commit")
    start = phone.get_by_role("button", name=button)
    expect(start).to_be_visible()
    expect(start).to_be_disabled()
    phone.wait_for_timeout(300)
    assert held, "the script was asked for"
    expect(start).to_be_disabled()  # still: nothing to tap yet
    held[0].continue_()
    expect(start).to_be_enabled()
