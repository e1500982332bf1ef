"""Injection (issue 7, "Proof"): HTML, script and template syntax typed into every free-text field
is shown as text everywhere it appears: pages, htmx fragments, the inbox and the push payload, the
calendar files and the data export. A javascript: video link never becomes a link.
"""
from __future__ import annotations

import json
import re

from icalendar import Calendar
from sqlalchemy import select

from app.extensions import db
from app.intervisie.models import Round
from app.notify import services as notify_services
from app.notify.models import Notification
from conftest import csrf_token
from support.authenticator import SoftAuthenticator
from support.flows import register_via_form
from test_intervisie import as_, plan, planned_round, post, startable, team  # noqa: F401  (team is a fixture)

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(1)>{{7*7}}'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(1)&gt;{{7*7}}"
RAW = re.compile(r"<script>alert|<img src=x|onerror=alert\(1\)>")


def shown_as_text(html: str, where: str, expect=True) -> None:
    """Nothing of the payload is markup; where it is expected, it is there as escaped text (with
    "{{7*7}}" as typed: no template ever evaluates what people write)."""
    assert not RAW.search(html), f"markup from user input on {where}"
    if expect:
        assert ESCAPED in html, f"the text is missing on {where}"


def form_post(client, path, data, page=None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page or path)})


def test_every_free_text_field_is_shown_as_text_everywhere(app, team, login):
    t, people = team
    lead = login(people["lead"])
    # Names, the team's name and a plan template.
    assert form_post(lead, "/profiel", {"person_name": f"Marieke {XSS}", "locale": ""}).status_code == 302
    daan = as_(app, login, people["daan"])
    assert form_post(daan, "/profiel", {"person_name": f"Daan {XSS}", "locale": ""}).status_code == 302
    with app.app_context():
        from app.accounts.models import Person
        db.session.get(Person, people["lead"].id).is_admin = True
        db.session.commit()
    new_team = form_post(lead, "/teams/nieuw", {"team_name": f"Team {XSS}"})
    assert new_team.status_code == 302
    round_id = planned_round(app, lead, t.id, people, title=f"Ronde {XSS}", place=f"Kamer {XSS}",
                             save_template=f"Sjabloon {XSS}"[:80])
    # The presenter's case, then the live round with a question, and the reflection.
    sanne = as_(app, login, people["sanne"])
    assert form_post(sanne, f"/intervisie/rondes/{round_id}/casus", {
        "help_question": f"Vraag {XSS}", "case_text": f"Casus {XSS}", "accept_risk": "y"}).status_code == 302
    startable(app, round_id)
    assert post(lead, f"/intervisie/rondes/{round_id}/live/start").status_code == 200
    assert post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": 0}).status_code == 200
    assert post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 1, "text": f"Vraag {XSS}"}).status_code == 200
    assert form_post(sanne, f"/intervisie/rondes/{round_id}/reflectie", {
        "takeaway": f"Mee {XSS}", "action_1": f"Actie {XSS}", "action_2": f"Tweede {XSS}",
        "learning_point": f"Leer {XSS}", "score": "4", "comment": f"Toelichting {XSS}"}).status_code == 302

    pages = {
        "today (lead)": (lead, "/"), "today (sanne)": (sanne, "/"), "intervisie index": (daan, "/intervisie/"),
        "round page": (daan, f"/intervisie/rondes/{round_id}"), "case editor": (sanne, f"/intervisie/rondes/{round_id}/casus"),
        "live page": (daan, f"/intervisie/rondes/{round_id}/live"), "team page": (lead, f"/teams/{t.id}"),
        "plan page": (lead, f"/intervisie/teams/{t.id}/plan"), "overview": (lead, f"/intervisie/teams/{t.id}/overzicht"),
        "reflection": (sanne, f"/intervisie/rondes/{round_id}/reflectie"), "profile": (lead, "/profiel"),
        "audit log": (lead, "/beheer/logboek"), "security": (lead, "/profiel/beveiliging"), "inbox": (daan, "/meldingen"),
    }
    for where, (client, path) in pages.items():
        response = client.get(path)
        shown_as_text(response.get_data(as_text=True), where, expect=where not in ("security", "audit log"))
    # htmx fragments: the live state, and the RSVP block.
    fragment = daan.get(f"/intervisie/rondes/{round_id}/live/stand", headers={"HX-Request": "true"})
    shown_as_text(fragment.get_data(as_text=True), "live fragment")
    other = planned_round(app, lead, t.id, people, title=f"Tweede {XSS}")
    rsvp = post(daan, f"/intervisie/rondes/{other}/rsvp", {"answer": "yes"})
    shown_as_text(rsvp.get_data(as_text=True), "rsvp fragment", expect=False)

    # Notifications: the inbox shows the title as text; the push payload is JSON data with the
    # text as typed (a phone shows it as text, the service worker never builds HTML from it).
    with app.app_context():
        note = db.session.scalars(select(Notification).where(Notification.person_id == people["daan"].id,
                                                             Notification.kind == "round_planned")).first()
        data = json.loads(notify_services.payload(note, "/i.png", "/b.png"))
    assert f"Ronde {XSS}" in data["body"]
    worker = app.test_client().get("/sw.js").get_data(as_text=True)
    assert "innerHTML" not in worker and "showNotification" in worker

    # The data export: JSON that holds the text as typed, served as a download a browser never
    # renders as a page.
    export = lead.get("/profiel/download")
    assert export.mimetype == "application/json" and "attachment" in export.headers["Content-Disposition"]
    assert export.headers["X-Content-Type-Options"] == "nosniff"
    assert export.get_json()["account"]["name"] == f"Marieke {XSS}"


def test_invited_name_is_text_on_the_passkey_step_and_in_the_lead_notification(app, team, login):
    t, people = team
    lead = login(people["lead"])
    page = form_post(lead, f"/teams/{t.id}/uitnodigingen", {"role": "member"}, page=f"/teams/{t.id}")
    url = re.search(r"http://localhost(/uitnodiging/[\w-]+)", page.get_data(as_text=True)).group(1)
    newcomer = app.test_client()
    step = newcomer.post(url, data={"person_name": f"Nieuw {XSS}", "csrf_token": csrf_token(newcomer, url)})
    html = step.get_data(as_text=True)
    # The name sits in a JSON script block: no "</script>" can close it early.
    assert html.count("</script>") == html.count("<script") and "<script>alert" not in html
    joined = register_via_form(app.test_client(), SoftAuthenticator(origin="http://localhost"), url,
                               {"person_name": f"Nieuw {XSS}"})
    assert joined.status_code in (200, 410)
    inbox = lead.get("/meldingen").get_data(as_text=True)
    shown_as_text(inbox, "lead inbox", expect=joined.status_code == 200)
    team_page = lead.get(f"/teams/{t.id}").get_data(as_text=True)
    shown_as_text(team_page, "team page with the newcomer", expect=joined.status_code == 200)


def test_calendar_files_escape_text_and_allow_no_extra_lines(app, team, login):
    t, people = team
    lead = login(people["lead"])
    title = 'Ronde; met, tekens\\ en <b>"html"</b>'
    round_id = planned_round(app, lead, t.id, people, title=title + "\r\nATTENDEE:mailto:evil@example.org",
                             place="Kamer\nBEGIN:VALARM")
    daan = as_(app, login, people["daan"])
    ics = daan.get(f"/intervisie/rondes/{round_id}.ics")
    [event] = Calendar.from_ical(ics.data).walk("VEVENT")
    assert str(event["summary"]) == title + " ATTENDEE:mailto:evil@example.org"
    assert str(event["location"]) == "Kamer BEGIN:VALARM"
    lines = ics.data.decode().replace("\r\n ", "").split("\r\n")  # unfolded
    assert not any(line.startswith(("ATTENDEE", "BEGIN:VALARM")) for line in lines)
    assert "SUMMARY:Ronde\\; met\\, tekens\\\\ en" in ics.data.decode().replace("\r\n ", "")


def test_a_javascript_video_link_is_refused_and_never_a_link(app, team, login):
    t, people = team
    lead = login(people["lead"])
    for bad in ("javascript:alert(1)", "javascript://example.com/%0Aalert(1)", "JAVASCRIPT://example.com/%0a1",
                "data://example.com/text/html,<script>", "vbscript://example.com/x"):
        refused = plan(app, lead, t.id, people, video_url=bad)
        assert refused.status_code == 422, bad
        assert re.search(r'id="video_url-error">', refused.get_data(as_text=True)), bad
    round_id = planned_round(app, lead, t.id, people, video_url="https://meet.example.org/intervisie")
    page = lead.get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)
    assert 'href="https://meet.example.org/intervisie"' in page
    with app.app_context():  # a row from before links were checked
        db.session.get(Round, round_id).video_url = "javascript://example.com/%0Aalert(1)"
        db.session.commit()
    page = lead.get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)
    assert "javascript://example.com/%0Aalert(1)" in page  # shown, as text
    assert not re.search(r'href="\s*javascript', page, re.I)
