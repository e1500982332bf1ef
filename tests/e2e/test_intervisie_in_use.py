"""Issue 12 in a phone-sized browser: planning with another method, a reflection saved twice, text
kept when the phase moves on, Vandaag at 320×568 and the undo of "Verberg"."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from .e2e_support import LEAD_NAME, join_by_invite

pytestmark = pytest.mark.e2e
_names = itertools.count(1)


def colleague(new_phone, live_server, lead, **options) -> tuple[Page, str]:
    """A new colleague on their own phone, signed in through an invite."""
    name = f"Collega In Gebruik {next(_names)}"
    phone = new_phone(**options)
    join_by_invite(phone, live_server.url, live_server.invite_url(lead.team_id), name)
    return phone, name


def in_app(live_server, work):
    with live_server.app.app_context():
        from app.extensions import db
        return work(db.session)


def test_planning_with_balint_saves_balints_minutes(lead, lead_phone, live_server, new_phone):
    colleague(new_phone, live_server, lead)
    page = lead_phone
    page.goto(f"{live_server.url}/intervisie/teams/{lead.team_id}/plan")
    page.get_by_text("Meer opties").click()
    page.get_by_label("Methode").select_option(label="Balintmethode")
    # The phases follow the choice without a second tap.
    expect(page.locator("#phases summary")).to_contain_text("Balintmethode: 100 minuten")
    expect(page.locator("#minutes_7")).to_have_value("10")
    page.get_by_label("Titel").fill("Balint in gebruik")
    page.get_by_role("button", name="Plan de ronde").first.click()
    if page.locator("input[name=confirm_clash], input[name=confirm_size]").count():
        for box in page.locator("input[name=confirm_clash], input[name=confirm_size]").all():
            box.check()
        page.get_by_role("button", name="Plan de ronde").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Balint in gebruik")

    from app.intervisie import methods
    from app.intervisie.models import Round
    from sqlalchemy import select
    minutes = in_app(live_server, lambda s: s.scalar(select(Round.minutes).where(Round.title == "Balint in gebruik")))
    assert minutes == methods.get("balint").default_minutes()


def test_a_reflection_saved_twice_keeps_one_set_of_actions(lead, live_server, new_phone):
    phone, name = colleague(new_phone, live_server, lead)
    round_id = live_server.plan_round(lead.team_id, title="Reflectie twee keer", facilitator=LEAD_NAME,
                                      presenter=name, participants=[], starts_in=-timedelta(hours=5))
    for _ in range(2):
        phone.goto(f"{live_server.url}/intervisie/rondes/{round_id}/reflectie")
        phone.get_by_label("Wat neem je mee?").fill("Vaker hardop zeggen wat ik zie.")
        if not phone.get_by_label("Actie", exact=True).input_value():
            phone.get_by_label("Actie", exact=True).fill("Bespreek het met de gedragswetenschapper")
        phone.get_by_role("button", name="Bewaar").click()
        expect(phone.get_by_text("Je reflectie is bewaard.", exact=True)).to_be_visible()
    phone.goto(f"{live_server.url}/intervisie/rondes/{round_id}/reflectie")
    expect(phone.get_by_label("Actie", exact=True)).to_have_value("Bespreek het met de gedragswetenschapper")
    phone.goto(live_server.url + "/")
    expect(phone.get_by_text("Bespreek het met de gedragswetenschapper")).to_have_count(1)


def start_live(page: Page, url: str, round_id: int, phases: int) -> None:
    page.goto(f"{url}/intervisie/rondes/{round_id}/live")
    page.get_by_role("button", name="Start de ronde").click()
    for _ in range(phases):
        before = page.locator("#phase-name").inner_text()
        page.get_by_role("button", name="Volgende fase").click()
        expect(page.locator("#phase-name")).not_to_have_text(before)


def test_text_typed_when_the_phase_moves_on_is_kept(lead, lead_phone, live_server, new_phone):
    presenter, presenter_name = colleague(new_phone, live_server, lead)
    phone, name = colleague(new_phone, live_server, lead)
    round_id = live_server.plan_round(lead.team_id, title="Roddel in gebruik", facilitator=LEAD_NAME,
                                      presenter=presenter_name, participants=[name],
                                      starts_in=timedelta(minutes=20), method="roddel")
    start_live(lead_phone, live_server.url, round_id, 1)  # "Open vragen"
    phone.goto(f"{live_server.url}/intervisie/rondes/{round_id}/live")
    expect(phone.locator("#phase-name")).to_have_text("Open vragen")
    phone.get_by_label("Jouw vraag").fill("Wat wilde je dat de moeder hoorde")
    lead_phone.get_by_role("button", name="Volgende fase").click()  # "Roddelen": no text box
    expect(phone.locator("#phase-name")).to_have_text("Roddelen")
    expect(phone.locator("#composer-text")).to_have_count(0)
    kept = phone.locator("#draft-kept")
    expect(kept).to_be_visible()
    expect(kept).to_contain_text("Je had nog iets getypt")
    expect(kept).to_contain_text("Wat wilde je dat de moeder hoorde")
    phone.reload()  # still there after a reload: it is kept on the phone
    expect(phone.locator("#draft-kept")).to_contain_text("Wat wilde je dat de moeder hoorde")


def test_vandaag_at_320_shows_the_next_round_and_my_role_above_the_fold(lead, live_server, new_phone):
    phone, name = colleague(new_phone, live_server, lead, viewport={"width": 320, "height": 568})
    live_server.plan_round(lead.team_id, title="Ronde over vijftig minuten", facilitator=LEAD_NAME,
                           presenter=name, participants=[], starts_in=timedelta(minutes=50))
    phone.goto(live_server.url + "/")
    card = phone.locator("#next-round")
    expect(card).to_contain_text("Ronde over vijftig minuten")
    role = card.get_by_text("Jij brengt in: casus nog niet klaar")
    expect(role).to_be_visible()
    for part in (card.get_by_role("heading"), role, card.get_by_role("link", name="Schrijf je casus")):
        box = part.bounding_box()
        assert box and box["y"] + box["height"] <= 568, f"below the fold: {box}"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 320


def test_verberg_can_be_undone(lead, lead_phone, live_server, new_phone):
    presenter, presenter_name = colleague(new_phone, live_server, lead)
    phone, name = colleague(new_phone, live_server, lead)
    round_id = live_server.plan_round(lead.team_id, title="Verberg in gebruik", facilitator=LEAD_NAME,
                                      presenter=presenter_name, participants=[name], starts_in=timedelta(minutes=20))
    start_live(lead_phone, live_server.url, round_id, 2)  # "Verhelderende vragen"
    phone.goto(f"{live_server.url}/intervisie/rondes/{round_id}/live")
    phone.get_by_label("Jouw vraag").fill("Wie was er nog bij?")
    phone.get_by_role("button", name="Stel je vraag").click()
    item = lead_phone.locator(".item", has_text="Wie was er nog bij?")
    expect(item).to_be_visible()
    presenter.goto(f"{live_server.url}/intervisie/rondes/{round_id}/live")
    expect(presenter.locator(".item", has_text="Wie was er nog bij?")).to_be_visible()
    item.get_by_role("button", name="Verberg").click()
    expect(presenter.locator(".item", has_text="Wie was er nog bij?")).to_have_count(0)  # gone for the others
    lead_phone.locator(".undo").get_by_role("button", name="Ongedaan maken").click()
    expect(presenter.locator(".item", has_text="Wie was er nog bij?")).to_be_visible()  # back, live
    expect(lead_phone.locator(".item", has_text="Wie was er nog bij?")).not_to_have_class("card item is-hidden")
