"""Feedback on a phone: from the notification to a sent answer in one screen; an answer typed and
sent offline that waits, survives closing the page and arrives exactly once; a draft that survives
a browser restart."""
from __future__ import annotations

import re
from itertools import count

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from .e2e_support import LEAD_NAME, join_by_invite, open_app_phone, user_present, wait_for_service_worker

pytestmark = pytest.mark.e2e

ASKERS = count(1)

# Taps on this phone, kept across page loads of the same tab.
TAPS = """(() => {
  const bump = () => sessionStorage.setItem("taps", String(Number(sessionStorage.getItem("taps") || 0) + 1));
  document.addEventListener("pointerdown", bump, true);
})();"""


def request_feedback(live_server, lead) -> tuple[int, int]:
    """A colleague asks Marieke for feedback, as the ask form does. Returns (exchange, notification)."""
    from app.accounts.models import Person
    from app.extensions import db
    from app.feedback import notifications, services
    from app.feedback.models import Submission
    from app.notify.models import Notification
    name = f"Sanne Bakker {next(ASKERS)}"
    live_server.add_member(lead.team_id, name)
    asker_id, marieke_id = live_server.person_id(name), live_server.person_id(LEAD_NAME)
    app = live_server.app
    with app.test_request_context(base_url=live_server.url):
        asker = db.session.get(Person, asker_id)
        submission = services.claim_submission(db.session, f"00000000-0000-4000-8000-{asker_id:012d}", asker_id)
        exchange = services.ask(db.session, asker, marieke_id, services.Reflection(
            "Huisbezoek dinsdag", rules="Ik volgde de gespreksopzet.",
            insights="Ik ging ervan uit dat moeder geen hulp wilde.", wish="Zag jij iets wat ik miste?"),
            submission, expire_days=14)
        notifications.requested(db.session, exchange)
        db.session.commit()
        notification_id = db.session.scalar(select(Notification.id).where(
            Notification.person_id == marieke_id, Notification.url == f"/feedback/{exchange.id}"))
        assert db.session.get(Submission, submission.client_id)
        db.session.remove()
        return exchange.id, notification_id


def stored_answer(live_server, exchange_id: int) -> tuple[str, int]:
    """What the server has: the answer's first field and how many of Marieke's submissions
    point at it."""
    from app.extensions import db
    from app.feedback.models import Exchange, Submission
    with live_server.app.app_context():
        exchange = db.session.get(Exchange, exchange_id)
        submissions = db.session.scalar(select(func.count()).select_from(Submission)
                                        .where(Submission.exchange_id == exchange_id,
                                               Submission.person_id == live_server.person_id(LEAD_NAME)))
        observed = exchange.observed
        db.session.remove()
        return observed, submissions


def test_from_the_notification_to_a_sent_answer_in_one_screen(live_server, lead, lead_phone: Page):
    exchange_id, notification_id = request_feedback(live_server, lead)
    page = lead_phone
    page.add_init_script(TAPS)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    page.goto(f"{live_server.url}/meldingen/{notification_id}/open")  # what a tap on the notification opens
    expect(page).to_have_url(re.compile(rf"/feedback/{exchange_id}$"))
    # One screen: the colleague's reflection above the fields.
    expect(page.get_by_text("Ik ging ervan uit dat moeder geen hulp wilde.")).to_be_visible()
    field = page.get_by_label("Wat zag je gebeuren?")
    field.tap()
    page.keyboard.type("Je bleef rustig toen de toon scherper werd.")
    page.get_by_label("Tip: wat kan anders?").tap()
    page.keyboard.type("Benoem wat je ziet.")
    page.get_by_role("button", name="Verstuur").tap()
    expect(page.get_by_text("Je feedback is verstuurd. Dank je!")).to_be_visible()
    assert page.evaluate("Number(sessionStorage.getItem('taps'))") == 3  # two fields and Verstuur
    assert len([u for u in navigations if "/feedback/" in u]) == 2  # the form, and the answer it became
    assert stored_answer(live_server, exchange_id) == ("Je bleef rustig toen de toon scherper werd.", 1)


def test_an_answer_sent_offline_waits_survives_and_arrives_once(live_server, lead, lead_phone: Page):
    exchange_id, _ = request_feedback(live_server, lead)
    page = lead_phone
    context = page.context
    url = f"{live_server.url}/feedback/{exchange_id}"
    page.goto(url)
    wait_for_service_worker(page)
    page.reload()  # under the worker's control; the form page is now kept on the phone
    page.get_by_label("Wat zag je gebeuren?").fill("Je vatte goed samen aan het eind.")
    page.get_by_label("Top: wat ging goed?").fill("Rustig gebleven.")
    page.wait_for_function("""async () => {
      const draft = await self.LeerkringOutbox.get("drafts", document.querySelector("form[data-outbox]").dataset.outbox);
      return draft?.fields?.top === "Rustig gebleven.";
    }""")
    context.set_offline(True)
    page.get_by_role("button", name="Verstuur").click()
    status = page.locator("[data-outbox-status]")
    expect(status).to_contain_text("verstuurd zodra je verbinding hebt")
    page.close()

    # Still offline: the form opens again from the phone, with what was typed and the waiting send.
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_label("Wat zag je gebeuren?")).to_have_value("Je vatte goed samen aan het eind.")
    expect(page.get_by_label("Top: wat ging goed?")).to_have_value("Rustig gebleven.")
    expect(page.locator("[data-outbox-status]")).to_contain_text("verstuurd zodra je verbinding hebt")
    assert stored_answer(live_server, exchange_id) == ("", 0)

    context.set_offline(False)
    expect(page.locator("[data-outbox-status]")).to_contain_text("Verstuurd.", timeout=15_000)
    assert stored_answer(live_server, exchange_id) == ("Je vatte goed samen aan het eind.", 1)
    # Nothing left waiting on the phone, and a reload (a replayed queue would post again) changes nothing.
    page.reload()
    assert page.evaluate("self.LeerkringOutbox.all('queue').then((q) => q.length)") == 0
    assert stored_answer(live_server, exchange_id) == ("Je vatte goed samen aan het eind.", 1)
    expect(page.get_by_text("Je vatte goed samen aan het eind.")).to_be_visible()


def test_a_draft_survives_a_browser_restart(live_server, lead, playwright_instance, tmp_path):
    profile = tmp_path / "profile"
    cookies = lead.storage_state["cookies"]
    page = open_app_phone(playwright_instance, profile, cookies=cookies)
    page.goto(f"{live_server.url}/feedback/alleen")
    page.get_by_label("Over welk moment?").fill("Telefoontje met school")
    page.get_by_label("Principes: deed ik het om de goede redenen?").fill("Ik wil transparant zijn naar ouders.")
    page.wait_for_function("""async () => (await self.LeerkringOutbox.get("drafts", "solo"))?.fields?.principles
      === "Ik wil transparant zijn naar ouders." """)
    page.context.close()

    page = open_app_phone(playwright_instance, profile)
    try:
        page.goto(f"{live_server.url}/feedback/alleen")
        expect(page.get_by_label("Over welk moment?")).to_have_value("Telefoontje met school")
        expect(page.get_by_label("Principes: deed ik het om de goede redenen?")).to_have_value(
            "Ik wil transparant zijn naar ouders.")
    finally:
        page.context.close()


KEPT_DRAFTS = """async () => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("leerkring-outbox", 1);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const count = await new Promise((resolve) => {
    const request = db.transaction("drafts").objectStore("drafts").count();
    request.onsuccess = () => resolve(request.result);
  });
  db.close();
  return count;
}"""


def test_signing_out_forgets_what_this_phone_kept(live_server, lead, new_phone):
    """On a shared phone the next person must never find the last one's half-typed reflection."""
    page = new_phone()
    join_by_invite(page, live_server.url, live_server.invite_url(lead.team_id), "Joris Gedeeld")
    page.goto(f"{live_server.url}/feedback/alleen")
    page.get_by_label("Over welk moment?").fill("Gesprek met de mentor")
    page.wait_for_function("""async () => (await self.LeerkringOutbox.get("drafts", "solo"))?.fields?.title
      === "Gesprek met de mentor" """)
    page.get_by_role("link", name="Profiel").click()
    user_present(page, False)  # or passkey autofill on the sign-in page signs her straight back in
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")
    assert page.evaluate(KEPT_DRAFTS) == 0
