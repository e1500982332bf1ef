"""Buddies in the browser: the lead previews the pairs with their reasons, rejects one, publishes;
a member opens the app and sees the new buddy on Vandaag, with first questions and one tap."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .e2e_support import TEAM, join_by_invite

pytestmark = pytest.mark.e2e


def test_lead_previews_vetoes_and_publishes_and_the_member_sees_the_buddy(live_server, lead, new_phone):
    url = live_server.url
    for name in ("Bram Kuipers", "Cor de Wit", "Dirk Meijer"):
        live_server.add_member(lead.team_id, name)
    eva = new_phone()
    join_by_invite(eva, url, live_server.invite_url(lead.team_id), "Eva Bos")

    marieke = new_phone(storage_state=lead.storage_state)
    marieke.goto(f"{url}/buddies/schemas/nieuw")
    marieke.get_by_label("Naam", exact=True).fill("Buddy's Noord")
    for box in marieke.get_by_role("group", name="Teams").get_by_role("checkbox").all():
        box.set_checked(box.evaluate("(input) => input.labels[0].textContent.trim()") == TEAM)
    marieke.get_by_role("button", name="Maak het schema").click()
    expect(marieke.get_by_role("heading", level=1)).to_have_text(re.compile("Voorstel voor"))
    expect(marieke.get_by_text("nog nooit gekoppeld").first).to_be_visible()

    first = marieke.locator("ul.cards > li").first
    rejected = first.locator(".card-title").inner_text()
    first.get_by_role("button", name="Wijs af").click()
    expect(marieke.get_by_text("Afgewezen.")).to_be_visible()
    expect(marieke.locator(".card-title", has_text=re.compile(f"^{re.escape(rejected)}$"))).to_have_count(0)

    marieke.get_by_role("button", name="Maak bekend").click()
    expect(marieke.get_by_role("heading", level=1)).to_have_text("Buddy's Noord")
    expect(marieke.get_by_text("Wissel 1")).to_be_visible()

    eva.goto(f"{url}/")
    card = eva.get_by_role("region", name=re.compile("^Je buddy"))
    expect(card).to_be_visible()
    expect(card.get_by_text("Om mee te beginnen:")).to_be_visible()
    card.get_by_role("button", name="Stel een eerste afspraak voor").click()
    expect(eva.get_by_text("Verstuurd")).to_be_visible()
