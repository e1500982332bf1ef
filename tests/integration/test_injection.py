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


def strings_in(value):
    """Every text in a JSON document, as it was stored."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


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


def test_feedback_and_buddy_text_is_shown_as_text_everywhere(app, team, login):
    """Every free-text field of feedback (title, the three loops, the wish, the answer with top and
    tip, the takeaway, the action, the idea for intervisie) and of buddies (the scheme's name, and
    names in groups) is text on every page, in the re-shown form, in htmx answers, in notifications
    (inbox and push payload) and in Mijn gegevens (download and page)."""
    import uuid

    from app.buddies import notifications as buddy_notifications
    from app.buddies.models import Scheme
    from app.models_base import utcnow

    t, people = team
    lead, sanne = login(people["lead"]), as_(app, login, people["sanne"])
    daan = as_(app, login, people["daan"])
    assert form_post(daan, "/profiel", {"person_name": f"Daan {XSS}", "locale": ""}).status_code == 302

    def feedback_post(client, path, data):
        return client.post(path, data={**data, "client_id": str(uuid.uuid4()), "accept_risk": "y",
                                       "csrf_token": csrf_token(client, "/feedback/")})

    def exchange_of(response) -> int:
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return int(re.search(r"/feedback/(\d+)$", response.headers["Location"]).group(1))

    asked = exchange_of(feedback_post(sanne, "/feedback/vragen", {
        "colleague": str(people["daan"].id), "title": f"Moment {XSS}", "rules": f"Regels {XSS}",
        "insights": f"Inzicht {XSS}", "principles": f"Principe {XSS}", "wish": f"Wens {XSS}"}))
    before_answer = {"daan vandaag": daan.get("/"), "daan inbox": daan.get("/meldingen"),
                     "exchange to answer": daan.get(f"/feedback/{asked}")}
    # A refused answer (a field too long) shows the form again with what was typed; as htmx too.
    answer = {"observed": f"Zag {XSS}", "other_reading": f"Anders {XSS}", "at_stake": f"Waarden {XSS}",
              "top": f"Top {XSS}", "tip": f"Tip {XSS}"}
    for headers in ({}, {"HX-Request": "true"}):
        refused = daan.post(f"/feedback/{asked}/antwoord", headers=headers, data={
            **answer, "tip": f"Tip {XSS}" + "x" * 600, "client_id": str(uuid.uuid4()),
            "csrf_token": csrf_token(daan, "/feedback/")})
        assert refused.status_code == 422
        shown_as_text(refused.get_data(as_text=True), f"refused answer {headers}")
    assert exchange_of(feedback_post(daan, f"/feedback/{asked}/antwoord", answer)) == asked
    refused_close = sanne.post(f"/feedback/{asked}/afronden", headers={"HX-Request": "true"}, data={
        "takeaway": f"Mee {XSS}", "action": f"Actie {XSS}" + "x" * 600, "client_id": str(uuid.uuid4()),
        "csrf_token": csrf_token(sanne, "/feedback/")})
    assert refused_close.status_code == 422
    shown_as_text(refused_close.get_data(as_text=True), "refused close (htmx)")
    assert exchange_of(feedback_post(sanne, f"/feedback/{asked}/afronden",
                                     {"takeaway": f"Mee {XSS}", "action": f"Actie {XSS}"})) == asked
    assert sanne.post(f"/feedback/{asked}/intervisie",
                      headers={"X-CSRFToken": csrf_token(sanne, "/feedback/")}).status_code == 302
    exchange_of(feedback_post(daan, "/feedback/geven", {"colleague": str(people["sanne"].id),
                                                        "title": f"Ongevraagd {XSS}", "top": f"Top {XSS}"}))
    exchange_of(feedback_post(sanne, "/feedback/alleen", {"title": f"Alleen {XSS}", "rules": f"Regels {XSS}"}))

    # Buddies: a scheme with markup in its name, published, and the day-before notice to the lead.
    made = form_post(lead, "/buddies/schemas/nieuw", {
        "name": f"Buddy's {XSS}", "teams": [str(t.id)], "every_weeks": "6", "weekday": "1", "mix": "2",
        "cross_team": "1", "window": "4"}, page="/buddies/")
    scheme_id = int(re.search(r"/schemas/(\d+)/voorstel", made.headers["Location"]).group(1))
    preview = lead.get(f"/buddies/schemas/{scheme_id}/voorstel")
    assert form_post(lead, f"/buddies/schemas/{scheme_id}/bekendmaken", {}, page="/buddies/").status_code == 302
    with app.app_context():
        buddy_notifications.notice_leads(db.session, db.session.get(Scheme, scheme_id), utcnow())
        db.session.commit()

    pages = {
        **before_answer,
        "sanne feedback index": sanne.get("/feedback/"), "sanne exchange": sanne.get(f"/feedback/{asked}"),
        "daan exchange": daan.get(f"/feedback/{asked}"), "daan feedback index": daan.get("/feedback/"),
        "sanne vandaag": sanne.get("/"), "sanne inbox": sanne.get("/meldingen"),
        "sanne mijn gegevens": sanne.get("/profiel/gegevens"), "daan mijn gegevens": daan.get("/profiel/gegevens"),
        "buddy preview": preview, "scheme page": lead.get(f"/buddies/schemas/{scheme_id}"),
        "scheme settings": lead.get(f"/buddies/schemas/{scheme_id}/instellingen"),
        "lead buddies": lead.get("/buddies/"), "lead inbox": lead.get("/meldingen"),
        "member buddies": sanne.get("/buddies/"), "lead vandaag": lead.get("/"),
        "daan vandaag (buddy)": daan.get("/"), "team counts": lead.get(f"/feedback/teams/{t.id}"),
    }
    for where, response in pages.items():
        assert response.status_code == 200, where
        shown_as_text(response.get_data(as_text=True), where, expect=where != "team counts")
    sanne_page = pages["sanne exchange"].get_data(as_text=True) + pages["sanne vandaag"].get_data(as_text=True)
    for typed in ("Regels", "Inzicht", "Principe", "Wens", "Zag", "Anders", "Waarden", "Top", "Tip", "Mee",
                  "Actie"):
        assert f"{typed} {ESCAPED}" in sanne_page, typed
    assert f"Moment {ESCAPED}: Mee {ESCAPED}" in pages["sanne feedback index"].get_data(as_text=True)  # the idea
    counts = pages["team counts"].get_data(as_text=True)
    assert ESCAPED not in counts  # counts only, never content

    # Notifications: stored and sent as text (JSON data), never markup built from it.
    with app.app_context():
        notes = db.session.scalars(select(Notification).where(Notification.kind.in_(
            ("feedback_request", "feedback_answered", "buddy_publish_tomorrow", "buddy_new")))).all()
        payloads = [(n.kind, json.loads(notify_services.payload(n, "/i.png", "/b.png"))) for n in notes]
    said = {kind: " ".join(p["title"] + " " + p["body"] for k, p in payloads if k == kind) for kind, _ in payloads}
    assert f"Moment {XSS}" in said["feedback_request"]
    assert f"Buddy's {XSS}" in said["buddy_publish_tomorrow"]
    assert f"Daan {XSS}" in said["feedback_answered"] + said["buddy_new"]  # a name, as typed

    # The download: JSON with the text as typed, served so no browser renders it.
    export = sanne.get("/profiel/download")
    assert export.mimetype == "application/json" and "attachment" in export.headers["Content-Disposition"]
    text = "\n".join(strings_in(export.get_json()))
    for typed in ("Moment", "Regels", "Wens", "Zag", "Tip", "Mee", "Actie", "Ongevraagd", "Alleen"):
        assert f"{typed} {XSS}" in text, typed
    assert f"Buddy's {XSS}" in text
