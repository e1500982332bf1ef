"""Intervisie through Flask's test client: planning, RSVP, access, the case, the live round,
reflection, retention, calendar feeds and the lead's overview."""
from __future__ import annotations

import queue
import re
import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from app.extensions import db
from app.intervisie import notifications, services
from app.actions import PersonalAction as Action
from app.intervisie.models import CaseText, Contribution, Participant, Round
from app.notify.models import Notification
from conftest import csrf_token

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def team(make_team, make_person):
    """Wijkteam Noord: a lead and five colleagues."""
    t = make_team("Wijkteam Noord")
    people = {"lead": make_person(t, role="lead", name="Marieke de Vries")}
    for key, name in [("sanne", "Sanne Bakker"), ("daan", "Daan Visser"), ("fatima", "Fatima Ouali"),
                      ("joris", "Joris Hendriks"), ("youssef", "Youssef El Amrani")]:
        people[key] = make_person(t, name=name)
    return t, people


def plan_form(people, **overrides):
    day = (datetime.now(AMS) + timedelta(days=7)).date()
    data = {"title": "Intervisie november", "date": day.isoformat(), "time": "14:00", "place": "Kamer 2.14",
            "video_url": "", "method": "incident", "facilitator": str(people["lead"].id),
            "presenter": str(people["sanne"].id), "repeat_weeks": "0", "repeat_count": "1",
            "participants": [str(people[k].id) for k in ("lead", "sanne", "daan", "fatima", "joris")]}
    data.update(overrides)
    return data


SUBMISSION = re.compile(r'name="submission" type="hidden" value="([^"]+)"')


def plan_page(client, team_id) -> dict:
    """What a browser reads from the plan form before it submits: the CSRF token and the form's
    one-time submission id."""
    html = client.get(f"/intervisie/teams/{team_id}/plan").get_data(as_text=True)
    submission = SUBMISSION.search(html)
    return {"csrf_token": re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1),
            **({"submission": submission.group(1)} if submission else {})}


def plan(app, client, team_id, people, **overrides):
    return client.post(f"/intervisie/teams/{team_id}/plan", data={**plan_form(people, **overrides),
                                                                   **plan_page(client, team_id)})


def planned_round(app, client, team_id, people, **overrides) -> int:
    response = plan(app, client, team_id, people, **overrides)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/rondes/(\d+)", response.headers["Location"]).group(1))


def startable(app, round_id, minutes=10):
    """Move a planned round to shortly ahead, inside the window in which it may be started."""
    with app.app_context():
        db.session.get(Round, round_id).starts_at = datetime.now(timezone.utc) + timedelta(minutes=minutes)
        db.session.commit()


def as_(app, login, person):
    return login(person, on=app.test_client())


def post(client, path, data=None, htmx=True):
    token = csrf_token(client, "/intervisie/")
    headers = {"X-CSRFToken": token}
    if htmx:
        headers["HX-Request"] = "true"
    return client.post(path, data=data or {}, headers=headers)


def test_lead_plans_a_round_and_participants_are_told(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        assert rnd.starts_at.astimezone(AMS).strftime("%H:%M") == "14:00"
        roles = {p.person_id: p.role for p in rnd.participants}
        assert roles[people["lead"].id] == "facilitator" and roles[people["sanne"].id] == "presenter"
        told = db.session.scalars(select(Notification.person_id).where(Notification.kind == "round_planned")).all()
        assert sorted(told) == sorted(people[k].id for k in ("sanne", "daan", "fatima", "joris"))
    daan = as_(app, login, people["daan"])
    page = daan.get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)
    assert "Intervisie november" in page and "Kom je?" in page and "Kamer 2.14" in page


def test_plan_errors_keep_input_and_warn_about_group_size(app, team, login):
    t, people = team
    lead = login(people["lead"])
    past = plan(app, lead, t.id, people, date="2020-01-01")
    assert past.status_code == 422 and "Kies een moment in de toekomst." in past.get_data(as_text=True)
    assert 'value="Kamer 2.14"' in past.get_data(as_text=True)
    same = plan(app, lead, t.id, people, presenter=str(people["lead"].id))
    assert same.status_code == 422 and "niet ook gespreksleider" in same.get_data(as_text=True)
    small = plan(app, lead, t.id, people, participants=[str(people["lead"].id), str(people["sanne"].id)])
    assert small.status_code == 422 and "meestal 4 tot 8" in small.get_data(as_text=True)
    confirmed = plan(app, lead, t.id, people, participants=[str(people["lead"].id), str(people["sanne"].id)],
                     confirm_size="1")
    assert confirmed.status_code == 302
    bad_time = plan(app, lead, t.id, people, time="25:00")
    assert bad_time.status_code == 422 and "Kies een tijd" in bad_time.get_data(as_text=True)


def test_member_cannot_plan_and_outsiders_get_404(app, team, make_team, make_person, login):
    t, people = team
    assert login(people["daan"]).get(f"/intervisie/teams/{t.id}/plan").status_code == 403
    outsider = as_(app, login, make_person(make_team("Ander team"), role="lead"))
    assert outsider.get(f"/intervisie/teams/{t.id}/plan").status_code == 404


def test_repeating_rounds_keep_their_local_time_across_dst(app, team, login):
    t, people = team
    lead = login(people["lead"])
    # 4 weekly rounds spanning the end of summer time would be in the past now; use next year's March.
    planned_round(app, lead, t.id, people, date="2027-03-09", repeat_weeks="2", repeat_count="3")
    with app.app_context():
        rounds = db.session.scalars(select(Round).order_by(Round.starts_at)).all()
        assert len(rounds) == 3 and rounds[0].series_id == rounds[2].series_id is not None
        assert [r.starts_at.astimezone(AMS).strftime("%a %H:%M") for r in rounds] == ["Tue 14:00"] * 3
        assert rounds[2].starts_at.astimezone(AMS).utcoffset() != rounds[0].starts_at.astimezone(AMS).utcoffset()


def test_rsvp_and_what_the_lead_sees(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    daan = as_(app, login, people["daan"])
    response = post(daan, f"/intervisie/rondes/{round_id}/rsvp", {"answer": "maybe"})
    assert response.status_code == 200 and 'aria-pressed="true"' in response.get_data(as_text=True)
    assert post(daan, f"/intervisie/rondes/{round_id}/rsvp", {"answer": "misschien"}).status_code == 400
    page = as_(app, login, people["lead"]).get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)
    assert "Daan Visser" in page and "misschien" in page


def test_only_participants_see_a_round_and_leads_only_its_planning(app, team, make_person, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people, facilitator=str(people["joris"].id),
                             participants=[str(people[k].id) for k in ("sanne", "daan", "fatima", "joris")])
    youssef = as_(app, login, people["youssef"])  # same team, not invited
    assert youssef.get(f"/intervisie/rondes/{round_id}").status_code == 404
    assert youssef.get(f"/intervisie/rondes/{round_id}/live").status_code == 404
    lead = as_(app, login, people["lead"])  # lead, not taking part
    assert lead.get(f"/intervisie/rondes/{round_id}").status_code == 200
    # The lead knows the round (planning data) but takes no part: 403 by the access policy,
    # with the friendly page and none of the round's content.
    for path in ("live", "live/stand", "reflectie", "casus"):
        response = lead.get(f"/intervisie/rondes/{round_id}/{path}")
        assert response.status_code == 403, path
        assert "Geen toegang" in response.get_data(as_text=True) and "Intervisie november" not in response.get_data(as_text=True)


def test_case_editor_warns_about_recognisable_details_and_keeps_the_text(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    sanne = as_(app, login, people["sanne"])
    token = csrf_token(sanne, f"/intervisie/rondes/{round_id}/casus")
    text = "Moeder belde over haar zoon Daan. Zijn BSN 111222333 stond in de brief."
    warned = sanne.post(f"/intervisie/rondes/{round_id}/casus",
                        data={"help_question": "Hoe houd ik de regie?", "case_text": text, "csrf_token": token})
    page = warned.get_data(as_text=True)
    assert warned.status_code == 422 and "Is iemand hierdoor herkenbaar?" in page
    assert "111222333" in page and "een BSN" in page and "Daan" in page
    assert text in page  # nothing typed is lost
    with app.app_context():
        assert db.session.get(CaseText, round_id) is None
    saved = sanne.post(f"/intervisie/rondes/{round_id}/casus", data={
        "help_question": "Hoe houd ik de regie?", "case_text": text, "accept_risk": "y", "csrf_token": token})
    assert saved.status_code == 302
    # The other participants read it only from the preview time (24 hours before) on.
    daan = as_(app, login, people["daan"])
    assert "Hoe houd ik de regie?" not in daan.get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        rnd.starts_at = datetime.now(timezone.utc) + timedelta(hours=2)
        db.session.commit()
    assert "Hoe houd ik de regie?" in daan.get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)
    # Only the presenter edits the case.
    assert daan.get(f"/intervisie/rondes/{round_id}/casus").status_code == 403


def live_phase(client, round_id) -> int:
    html = client.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    match = re.search(r'name="phase" value="(-?\d+)"', html)
    return int(match.group(1)) if match else None


def test_live_round_phases_questions_ratings_and_the_guard(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    startable(app, round_id)
    sanne, daan = as_(app, login, people["sanne"]), as_(app, login, people["daan"])
    subscription = app.extensions["live"].subscribe(f"round:{round_id}")

    assert "Wacht even" in daan.get(f"/intervisie/rondes/{round_id}/live").get_data(as_text=True)
    assert post(daan, f"/intervisie/rondes/{round_id}/live/start").status_code == 403
    started = post(lead, f"/intervisie/rondes/{round_id}/live/start")
    assert started.status_code == 200 and "Situatie en hulpvraag" in started.get_data(as_text=True)
    assert subscription.get(timeout=1) is not None  # phones are told
    page = daan.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    assert "Situatie en hulpvraag" in page and "Luister. Nog geen vragen." in page
    assert "Vertel je situatie" in sanne.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    with app.app_context():
        told = db.session.scalars(select(Notification).where(Notification.kind == "round_started")).all()
        assert len(told) == 4 and told[0].url == f"/intervisie/rondes/{round_id}/live"

    # Two presses of "next" on the same phase move the round once.
    first = post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": 0})
    second = post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": 0})
    assert first.status_code == 200 and second.status_code == 409
    assert "De ronde was al verder" in second.get_data(as_text=True)
    assert live_phase(daan, round_id) == 1  # "Vragen in stilte"

    # Written in silence: hidden from the others until revealed.
    assert post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 1, "text": "Wat deed je toen?"}).status_code == 200
    assert post(sanne, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 1, "text": "x"}).status_code == 403
    assert "Wat deed je toen?" in daan.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    assert "Wat deed je toen?" not in sanne.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    post(lead, f"/intervisie/rondes/{round_id}/live/toon", {"phase": 1})
    assert "Wat deed je toen?" in sanne.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)

    # Clarifying questions appear for everyone; the presenter rates them.
    post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": 1})
    post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 2, "text": "Wie was er nog bij?"})
    with app.app_context():
        item = db.session.scalar(select(Contribution).where(Contribution.text == "Wie was er nog bij?"))
    assert post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen/{item.id}/waardeer", {"rating": "warm"}).status_code == 403
    rated = post(sanne, f"/intervisie/rondes/{round_id}/live/bijdragen/{item.id}/waardeer", {"rating": "warm"})
    assert rated.status_code == 200
    assert "rating-warm" in daan.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)

    # The facilitator hides an item that should not be there.
    post(lead, f"/intervisie/rondes/{round_id}/live/bijdragen/{item.id}/verberg")
    assert "Wie was er nog bij?" not in sanne.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)

    # Advice: the presenter only listens.
    for expected in (2, 3):
        post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": expected})
    assert "Luister alleen" in sanne.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    assert post(sanne, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 4, "text": "x"}).status_code == 403
    post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 4, "text": "Bel de school morgen."})
    # A post for a phase that is over is refused, not misfiled.
    assert post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 3, "text": "te laat"}).status_code == 409
    # Extending time, going back and finishing.
    assert post(lead, f"/intervisie/rondes/{round_id}/live/verleng", {"phase": 4, "minutes": 5}).status_code == 200
    assert post(lead, f"/intervisie/rondes/{round_id}/live/verleng", {"phase": 4, "minutes": 500}).status_code == 400
    post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": 4})
    finished = post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": 5})
    assert "De ronde is klaar" in finished.get_data(as_text=True)
    subscription.close()


def test_group_chooses_the_presenter_at_the_start(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people, presenter="0")
    startable(app, round_id)
    assert "Wie brengt in?" in lead.get(f"/intervisie/rondes/{round_id}/live").get_data(as_text=True)
    refused = post(lead, f"/intervisie/rondes/{round_id}/live/start", {"presenter": str(people["lead"].id)})
    assert refused.status_code == 422 and "Kies eerst wie inbrengt." in refused.get_data(as_text=True)
    assert post(lead, f"/intervisie/rondes/{round_id}/live/start", {"presenter": str(people["daan"].id)}).status_code == 200
    with app.app_context():
        assert services.participant(db.session, round_id, people["daan"].id).role == "presenter"


def test_reflection_actions_come_back_and_learning_points_stay_private(app, team, login):
    t, people = team
    lead = login(people["lead"])
    first = planned_round(app, lead, t.id, people)
    second = planned_round(app, lead, t.id, people, date=(datetime.now(AMS) + timedelta(days=30)).date().isoformat())
    sanne, daan = as_(app, login, people["sanne"]), as_(app, login, people["daan"])
    token = csrf_token(sanne, f"/intervisie/rondes/{first}/reflectie")
    saved = sanne.post(f"/intervisie/rondes/{first}/reflectie", data={
        "csrf_token": token, "takeaway": "Ik ga eerder om hulp vragen.", "action_1": "Casus bespreken met gedragswetenschapper",
        "learning_point": "Ik wil het te snel oplossen.", "score": "4"})
    assert saved.status_code == 302
    token = csrf_token(daan, f"/intervisie/rondes/{first}/reflectie")
    bad = daan.post(f"/intervisie/rondes/{first}/reflectie", data={"csrf_token": token, "learning_point": "x", "score": "9"})
    assert bad.status_code == 422
    daan.post(f"/intervisie/rondes/{first}/reflectie", data={"csrf_token": token, "learning_point": "Daans eigen leerpunt",
                                                              "takeaway": "poging", "action_1": "mag niet", "score": "3"})
    with app.app_context():
        assert db.session.scalar(select(func.count(Action.id))) == 1  # only the presenter gives actions
    # Daan's learning point is his alone.
    assert "Daans eigen leerpunt" in daan.get(f"/intervisie/rondes/{first}/reflectie").get_data(as_text=True)
    for other in (sanne, lead):
        assert "Daans eigen leerpunt" not in other.get(f"/intervisie/rondes/{first}/reflectie").get_data(as_text=True)
    # The next round opens with a look back at the open action.
    assert "Casus bespreken met gedragswetenschapper" in daan.get(f"/intervisie/rondes/{second}").get_data(as_text=True)


def test_case_text_is_deleted_after_the_retention_days_and_learning_remains(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        db.session.add(CaseText(round_id=round_id, author_id=people["sanne"].id, help_question="Hoe?", case_text="Casus"))
        db.session.add(Contribution(round_id=round_id, phase_index=2, kind="question", author_id=people["daan"].id, text="Vraag"))
        db.session.add(Action(source="intervisie", source_id=round_id, owner_id=people["sanne"].id, text="Actie blijft"))
        rnd.starts_at = datetime.now(timezone.utc) - timedelta(days=6)
        db.session.commit()
        assert services.purge_cases(db.session, datetime.now(timezone.utc)) == 0  # day 6 of 7
        assert services.purge_cases(db.session, datetime.now(timezone.utc) + timedelta(days=1, minutes=1)) == 1
        db.session.commit()
        assert db.session.get(CaseText, round_id) is None
        assert db.session.scalar(select(func.count(Contribution.id))) == 0
        assert db.session.scalar(select(Action.text)) == "Actie blijft"
    assert "verwijderd" in as_(app, login, people["sanne"]).get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)


def test_calendar_feed_and_round_download(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people, place="Kamer 2.14")
    daan = as_(app, login, people["daan"])
    ics = daan.get(f"/intervisie/rondes/{round_id}.ics")
    assert ics.mimetype == "text/calendar"
    [event] = Calendar.from_ical(ics.data).walk("VEVENT")
    assert str(event["summary"]) == "Intervisie november" and str(event["location"]) == "Kamer 2.14"
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=48)
    page = post(daan, "/intervisie/agenda", htmx=False).get_data(as_text=True)
    url = re.search(r'readonly value="http://localhost(/intervisie/agenda/[^"]+\.ics)"', page).group(1)
    feed = app.test_client().get(url)  # a calendar app has no session
    assert feed.status_code == 200
    assert [str(e["summary"]) for e in Calendar.from_ical(feed.data).walk("VEVENT")] == ["Intervisie november"]
    assert "Casus" not in feed.get_data(as_text=True)
    post(daan, "/intervisie/agenda/intrekken", htmx=False)
    assert app.test_client().get(url).status_code == 404


def test_cancel_and_change_tell_the_participants(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    token = csrf_token(lead, f"/intervisie/rondes/{round_id}/wijzig")
    changed = lead.post(f"/intervisie/rondes/{round_id}/wijzig",
                        data={**plan_form(people, time="15:30"), "csrf_token": token})
    assert changed.status_code == 302
    post(lead, f"/intervisie/rondes/{round_id}/afgelasten", htmx=False)
    with app.app_context():
        kinds = db.session.scalars(select(Notification.kind).where(Notification.person_id == people["daan"].id)).all()
        assert kinds == ["round_planned", "round_changed", "round_cancelled"]
        assert db.session.get(Round, round_id).starts_at.astimezone(AMS).strftime("%H:%M") == "15:30"
    assert "afgelast" in as_(app, login, people["daan"]).get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)


def test_reminders_are_sent_once(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        start = rnd.starts_at
        for minutes_before in (50, 40):  # the scheduler runs again and again
            with app.test_request_context(base_url=app.config["APP_URL"]):
                notifications.send_reminders(db.session, start - timedelta(minutes=minutes_before))
            db.session.commit()
        reminders = db.session.scalars(select(Notification).where(Notification.kind == "round_reminder")).all()
        assert len(reminders) == 5 and all(n.topic == f"round-{round_id}" for n in reminders)


def test_team_overview_counts_only(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    with app.app_context():
        db.session.add(CaseText(round_id=round_id, author_id=people["sanne"].id, help_question="Geheime vraag",
                                case_text="Geheime casus"))
        db.session.commit()
    page = lead.get(f"/intervisie/teams/{t.id}/overzicht").get_data(as_text=True)
    assert "Deelname" in page and "Intervisie november" in page
    assert "Geheime" not in page
    assert as_(app, login, people["daan"]).get(f"/intervisie/teams/{t.id}/overzicht").status_code == 403


def test_event_stream_sends_the_current_version_then_each_change(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    startable(app, round_id)
    app.config["LIVE_HEARTBEAT"] = 0.2
    daan = as_(app, login, people["daan"])
    response = daan.get(f"/intervisie/rondes/{round_id}/live/stream", buffered=False)
    assert response.mimetype == "text/event-stream"
    assert "Content-Encoding" not in response.headers  # never compressed or buffered
    chunks = iter(response.response)
    assert next(chunks).startswith(b"retry:")
    first = next(chunks).decode()
    assert first.startswith("event: changed")  # catch up at once on (re)connect
    version = int(first.rsplit("data: ", 1)[1])
    assert next(chunks).startswith(b": ping")  # heartbeat while nothing happens
    # The facilitator's phone is another thread, as it would be in the server.
    starter = threading.Thread(target=post, args=(lead, f"/intervisie/rondes/{round_id}/live/start"))
    starter.start()
    starter.join()
    event = next(chunks).decode()
    while event.startswith(":"):
        event = next(chunks).decode()
    # Daan's state is the one every participant shares: it comes in the message itself (hx-sse
    # swaps an unnamed message in), with his own session's token in its forms.
    name, event_id, html = sse_message(event)
    assert name == "" and int(event_id) > version
    assert "Fase 1 van" in html and f'data-version="{event_id}"' in html
    response.close()
    # Someone who is not in the round cannot listen in.
    assert as_(app, login, people["youssef"]).get(f"/intervisie/rondes/{round_id}/live/stream").status_code == 404


def sse_message(raw: str) -> tuple[str, str | None, str]:
    """(event name, id, data) of one server-sent event, as a browser's parser reads it."""
    name, event_id, data = "", None, []
    for line in raw.split("\n"):
        field, _sep, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            name = value
        elif field == "id":
            event_id = value
        elif field == "data":
            data.append(value)
    return name, event_id, "\n".join(data)


def in_silent_questions(app, team, login):
    """A round started and moved on to its silent questions: (people, the lead's client, round id)."""
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    startable(app, round_id)
    assert post(lead, f"/intervisie/rondes/{round_id}/live/start").status_code == 200
    assert post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": 0}).status_code == 200
    return people, lead, round_id


def test_a_phone_with_something_of_its_own_is_told_to_fetch_and_a_revoked_one_hears_gone(app, team, login):
    """Only a shared render travels in the stream: a phone that wrote in silence hears "changed"
    and fetches its own state. And a change never carries the state to a session ended since the
    last beat of the stream guard."""
    from app.accounts import login_sessions
    people, lead, round_id = in_silent_questions(app, team, login)
    app.config["LIVE_HEARTBEAT"] = 60  # no guard beat during the test: each change checks for itself
    daan_client, fatima_client = as_(app, login, people["daan"]), as_(app, login, people["fatima"])
    assert post(daan_client, f"/intervisie/rondes/{round_id}/live/bijdragen",
                {"phase": 1, "text": "Wat deed je toen?"}).status_code == 200  # in silence: his own
    daan, fatima = Phone(daan_client, round_id), Phone(fatima_client, round_id)
    for phone in (daan, fatima):
        assert phone.next().startswith("retry:") and phone.next().startswith("event: changed")
    assert post(lead, f"/intervisie/rondes/{round_id}/live/verleng", {"phase": 1, "minutes": 2}).status_code == 200
    assert sse_message(daan.next())[0] == "changed"
    name, _id, html = sse_message(fatima.next())
    assert name == "" and "Fase 2 van" in html and "Wat deed je toen?" not in html
    # Her forms carry her own session's token (the part it signs; the rest is the second it did).
    assert csrf_token(fatima_client, f"/intervisie/rondes/{round_id}/live").split(".")[0] in html

    in_app(app, lambda: (login_sessions.end_sessions(db.session, people["fatima"].id), db.session.commit()))
    assert post(lead, f"/intervisie/rondes/{round_id}/live/verleng", {"phase": 1, "minutes": 2}).status_code == 200
    assert fatima.read_to_end() == ["event: gone\ndata: gone\n\n"]
    for phone in (daan, fatima):
        phone.close()


def test_the_queries_after_a_change_do_not_grow_with_the_phones_of_a_round(app, team, login):
    """After a change, the streams of a round in one process share one check of their sessions
    and seats and one load of the round; each phone then only fills in its own token."""
    from sqlalchemy import event
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    startable(app, round_id)
    assert post(lead, f"/intervisie/rondes/{round_id}/live/start").status_code == 200
    app.config["LIVE_HEARTBEAT"] = 60  # no guard beat during the test
    statements = []

    def counted(*_args):
        if threading.current_thread().name not in ("MainThread", "live-guard"):
            statements.append(threading.current_thread().name)  # a stream's thread

    def change_reaches(phones) -> int:
        statements.clear()
        assert post(lead, f"/intervisie/rondes/{round_id}/live/verleng", {"phase": 0, "minutes": 1}).status_code == 200
        for phone in phones:
            name, _id, html = sse_message(phone.next())
            assert name == "" and "Fase 1 van" in html
        return len(statements)

    phones = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", counted)
    try:
        for name in ("daan", "fatima", "joris"):
            phone = Phone(as_(app, login, people[name]), round_id)
            assert phone.next().startswith("retry:") and phone.next().startswith("event: changed")
            phones.append(phone)
            if name == "daan":
                alone = change_reaches(phones)
        assert change_reaches(phones) == alone  # three phones cost what one did
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", counted)
        for phone in phones:
            phone.close()


def test_a_phone_showing_the_current_version_is_not_sent_to_fetch_it_again(app, team, login):
    """The live page passes the version it shows (?v=): a crowd opening a round then costs no
    second fetch each; a phone whose page is older still hears "changed" and catches up."""
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    startable(app, round_id)
    daan = as_(app, login, people["daan"])
    page = daan.get(f"/intervisie/rondes/{round_id}/live").get_data(as_text=True)
    shown = re.search(r'live/stream\?v=(\d+)"', page).group(1)

    def first_event(query: str) -> str:
        response = daan.get(f"/intervisie/rondes/{round_id}/live/stream{query}", buffered=False)
        chunks = iter(response.response)
        next(chunks)  # retry:
        event = next(chunks).decode()
        response.close()
        return event

    assert first_event(f"?v={shown}").startswith(f"event: current\nid: {shown}\n")
    assert first_event(f"?v={int(shown) - 1}").startswith(f"event: changed\nid: {shown}\n")
    assert first_event("?v=x").startswith("event: changed")


def test_team_settings_and_own_templates(app, team, login):
    t, people = team
    lead = login(people["lead"])
    planned_round(app, lead, t.id, people, save_template="Kort incident", minutes_for="incident",
                  minutes_2="10", minutes_4="5")
    token = csrf_token(lead, f"/intervisie/teams/{t.id}/overzicht")
    bad = lead.post(f"/intervisie/teams/{t.id}/overzicht", data={"csrf_token": token, "case_retention_days": "0",
                                                                 "case_preview_hours": "24"})
    assert bad.status_code == 422 and "Kies 1 tot 30 dagen." in bad.get_data(as_text=True)
    lead.post(f"/intervisie/teams/{t.id}/overzicht", data={"csrf_token": token, "case_retention_days": "3",
                                                           "case_preview_hours": "48"})
    with app.app_context():
        assert services.settings(db.session, t.id).case_retention_days == 3
        [template] = services.templates(db.session, t.id)
        assert template.name == "Kort incident" and template.minutes == [3, 5, 10, 10, 5, 5]
    form = lead.get(f"/intervisie/teams/{t.id}/plan?template={template.id}").get_data(as_text=True)
    assert 'id="minutes_2" name="minutes_2" type="number" min="1" max="180" inputmode="numeric" value="10"' in form


def test_a_vote_phase_takes_one_answer_per_person(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people, method="balint")
    startable(app, round_id)
    post(lead, f"/intervisie/rondes/{round_id}/live/start")
    daan = as_(app, login, people["daan"])
    assert post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 0, "text": "Sanne's casus"}).status_code == 200
    assert post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 0, "text": "toch die van Joris"}).status_code == 403
    assert post(as_(app, login, people["joris"]), f"/intervisie/rondes/{round_id}/live/bijdragen",
                {"phase": 0, "text": "Sanne's casus"}).status_code == 200


# Live streams hold a server thread each: capped, and ended when their right to exist ends ------

class Phone:
    """One open live stream on a thread of its own, as in the server. (A streamed response keeps
    its request context pushed on the thread that reads it, so two streams must not share one.)"""

    def __init__(self, client, round_id):
        self.client = client
        self._todo, self._done = queue.Queue(), queue.Queue()
        threading.Thread(target=self._run, args=(client, round_id), daemon=True).start()
        self.response = self._done.get(timeout=10)
        self.status_code = self.response.status_code

    def _run(self, client, round_id):
        response = client.get(f"/intervisie/rondes/{round_id}/live/stream", buffered=False)
        self._done.put(response)
        chunks = iter(response.response)
        while self._todo.get() != "close":
            self._done.put(next(chunks, b"").decode())
        response.close()
        self._done.put(None)

    def next(self) -> str:
        self._todo.put("next")
        return self._done.get(timeout=10)

    def read_to_end(self, limit=50) -> list[str]:
        chunks = []
        while len(chunks) < limit and (chunk := self.next()):
            chunks.append(chunk)
        return chunks

    def close(self):
        self._todo.put("close")
        self._done.get(timeout=10)


def wait_for(condition, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.02)


def in_app(app, work):
    with app.app_context():
        return work()


def test_one_person_cannot_hold_every_stream(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    assert app.config["LIVE_STREAMS_PER_PERSON"] == 4
    daan = as_(app, login, people["daan"])
    phones = [Phone(daan, round_id) for _ in range(4)]
    assert all(p.status_code == 200 and p.response.mimetype == "text/event-stream" for p in phones)
    refused = Phone(daan, round_id)
    # A clear retry, in a form hx-sse takes over: it waits `retry` ms, then tries again.
    assert refused.status_code == 429 and refused.response.mimetype == "text/event-stream"
    assert refused.response.headers["Retry-After"] == "15"
    body = "".join(refused.read_to_end())
    assert body.startswith("retry: 15000\n") and "event: busy" in body and "te veel schermen" in body
    refused.close()
    # Someone else in the round is not affected, and a closed stream frees its place.
    joris = Phone(as_(app, login, people["joris"]), round_id)
    assert joris.status_code == 200
    phones.pop().close()
    again = Phone(daan, round_id)
    assert again.status_code == 200
    for phone in [*phones, joris, again]:
        phone.close()
    assert app.extensions["live_streams"].count() == 0


def test_streams_take_at_most_their_share_of_the_process(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    app.config["LIVE_STREAMS_PER_PROCESS"] = 3
    phones = [Phone(as_(app, login, people[k]), round_id) for k in ("lead", "sanne", "daan")]
    assert [p.status_code for p in phones] == [200, 200, 200]
    fatima = as_(app, login, people["fatima"])
    refused = Phone(fatima, round_id)
    assert refused.status_code == 429
    refused.close()
    for phone in phones:
        phone.close()
    later = Phone(fatima, round_id)
    assert later.status_code == 200
    later.close()


def test_default_share_of_the_process_follows_the_threads(tmp_path, monkeypatch):
    from app import config
    monkeypatch.setenv("THREADS", "40")
    settings = config.load(str(tmp_path))
    assert settings["LIVE_STREAMS_PER_PROCESS"] == 30 and settings["LIVE_STREAMS_PER_PERSON"] == 4


def test_stream_ends_when_its_person_leaves_the_round(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    app.config["LIVE_HEARTBEAT"] = 0.2
    daan = Phone(as_(app, login, people["daan"]), round_id)
    assert daan.next().startswith("retry:") and daan.next().startswith("event: changed")
    guard = app.extensions["intervisie.stream_guard"]
    wait_for(lambda: guard.checks >= 2)
    assert daan.next().startswith(": ping")  # checked twice, still in
    # Between checks the stream holds no database connection. (The guard holds one for a few
    # milliseconds per beat, so one of several looks must find none.)
    assert 0 in [in_app(app, lambda: db.engine.pool.checkedout()) for _ in range(5)]

    def remove_daan():
        db.session.delete(services.participant(db.session, round_id, people["daan"].id))
        db.session.commit()
    in_app(app, remove_daan)
    # The stream says so and ends; the page then reloads and shows where Daan stands now.
    assert daan.read_to_end()[-1].startswith("event: gone")
    daan.close()
    assert app.extensions["live_streams"].count() == 0


def test_stream_ends_when_the_session_is_revoked(app, team, login):
    """Sign-out everywhere, a recovery or a removed passkey end server-side sessions; the stream
    notices through Flask-Login's user loader at its next check."""
    from app.accounts import login_sessions
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    app.config["LIVE_HEARTBEAT"] = 0.2
    daan = Phone(as_(app, login, people["daan"]), round_id)
    daan.next(), daan.next(), daan.next()

    def revoke():
        login_sessions.end_sessions(db.session, people["daan"].id)
        db.session.commit()
    in_app(app, revoke)
    assert daan.read_to_end()[-1].startswith("event: gone")
    daan.close()


def test_one_check_per_beat_covers_every_open_stream(app, team, login):
    """The guard checks all of a process's streams together: the queries per beat do not grow
    with the number of streams, and only the stream whose person left hears "gone"."""
    from sqlalchemy import event
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    app.config["LIVE_HEARTBEAT"] = 60  # the test drives the checks itself
    phones = {name: Phone(as_(app, login, people[name]), round_id) for name in ("daan", "fatima", "sanne")}
    for phone in phones.values():
        assert phone.next().startswith("retry:") and phone.next().startswith("event: changed")
    guard = app.extensions["intervisie.stream_guard"]
    assert guard.count() == 3
    statements = []

    def counted(*args):
        statements.append(args[2])
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", counted)
        try:
            assert guard.check_now() == 0
            assert len(statements) == 2  # sessions, seats: for three streams as for a thousand
            db.session.delete(services.participant(db.session, round_id, people["fatima"].id))
            db.session.commit()
            assert guard.check_now() == 1
        finally:
            event.remove(db.engine, "before_cursor_execute", counted)
    assert phones["fatima"].read_to_end()[-1].startswith("event: gone")
    assert guard.count() == 2
    for name in ("daan", "sanne"):
        assert phones[name].response.status_code == 200
        phones[name].close()
    phones["fatima"].close()
    wait_for(lambda: guard.count() == 0 and app.extensions["live_streams"].count() == 0)
