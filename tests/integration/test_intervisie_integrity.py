"""Intervisie under attack and under load (issue 7): whose case a round shows, whose open actions,
planning bounds, nonsense ids, calendar files, and 20 parallel requests where limits must hold.

Run on SQLite by default and on PostgreSQL with TEST_DATABASE_URL (see tests/conftest.py).
"""
from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar
from sqlalchemy import event, func, insert, select

from app.accounts.models import Person
from app.extensions import db
from app.intervisie import notifications
from app.actions import PersonalAction as Action
from app.intervisie.models import CaseText, Contribution, Participant, Reflection, Round, TeamSettings
from app.notify.models import Notification
from conftest import csrf_token
from test_intervisie import (  # noqa: F401  (team is a fixture)
    AMS, Phone, as_, live_phase, plan, plan_form, plan_page, planned_round, post, sse_message, startable, team,
)

PARALLEL = 20


def parallel(calls):
    """Run the calls at the same moment, each in its own thread (as a threaded server would);
    return their results. An exception in a request (a 500 in production) fails the test."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def phones(app, login, person, n=PARALLEL):
    """n clients of one person (n phones or tabs), each with its CSRF token already read."""
    clients = [as_(app, login, person) for _ in range(n)]
    return [(c, csrf_token(c, "/intervisie/")) for c in clients]


def send(client, token, path, data):
    return client.post(path, data=data, headers={"X-CSRFToken": token, "HX-Request": "true"})


def save_case(client, round_id, question, text):
    token = csrf_token(client, f"/intervisie/rondes/{round_id}/casus")
    return client.post(f"/intervisie/rondes/{round_id}/casus", data={
        "help_question": question, "case_text": text, "accept_risk": "y", "csrf_token": token})


def edit(client, round_id, people, **overrides):
    token = csrf_token(client, f"/intervisie/rondes/{round_id}/wijzig")
    return client.post(f"/intervisie/rondes/{round_id}/wijzig", data={**plan_form(people, **overrides), "csrf_token": token})


# Hole 2: a case belongs to its author ---------------------------------------------------------

def test_a_lead_who_makes_themselves_presenter_never_gets_the_old_case(app, team, make_person, login):
    t, people = team
    kees = make_person(t, role="lead", name="Kees Jansen")  # a second lead, not in the round
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    with app.app_context():
        db.session.get(Person, people["sanne"].id).locale = "en"
        db.session.commit()
    sanne = as_(app, login, people["sanne"])
    assert save_case(sanne, round_id, "Hoe houd ik de regie?", "Moeder belde over haar zoon.").status_code == 302

    lead = as_(app, login, kees)
    changed = edit(lead, round_id, people, presenter=str(kees.id), participants=[
        str(people[k].id) for k in ("lead", "daan", "fatima", "joris")] + [str(kees.id)])
    assert changed.status_code == 302
    # The new presenter gets an empty editor and a round page without the case.
    editor = lead.get(f"/intervisie/rondes/{round_id}/casus").get_data(as_text=True)
    page = lead.get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)
    for html in (editor, page):
        assert "Hoe houd ik de regie?" not in html and "Moeder belde" not in html
    with app.app_context():
        assert db.session.get(CaseText, round_id) is None  # removed, not handed over
        told = db.session.scalars(select(Notification).where(Notification.person_id == people["sanne"].id,
                                                             Notification.kind == "case_removed")).all()
        assert len(told) == 1 and told[0].title == "Your case was removed"  # in her language
        assert "Moeder" not in told[0].body and told[0].url == "/intervisie/"  # she is no longer in it
    # Overwriting: what the new presenter saves is theirs; the old case cannot come back.
    assert save_case(lead, round_id, "Mijn eigen vraag", "Mijn eigen casus").status_code == 302
    startable(app, round_id)  # inside the preview window: participants may read the case now
    daan = as_(app, login, people["daan"])
    for path in ("", "/live", "/live/stand"):
        html = daan.get(f"/intervisie/rondes/{round_id}{path}").get_data(as_text=True)
        assert "Moeder belde" not in html and "Hoe houd ik de regie?" not in html
    assert "Mijn eigen vraag" in daan.get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)
    facilitator = as_(app, login, people["lead"])
    assert "Moeder belde" not in facilitator.get(f"/intervisie/rondes/{round_id}/live").get_data(as_text=True)


def test_when_the_group_will_choose_the_presenter_the_planned_presenters_case_goes(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    sanne = as_(app, login, people["sanne"])
    save_case(sanne, round_id, "Hoe houd ik de regie?", "Moeder belde.")
    assert edit(lead, round_id, people, presenter="0").status_code == 302
    startable(app, round_id)
    # The group chooses Daan at the start: he does not get Sanne's case, nor does anyone else.
    assert post(lead, f"/intervisie/rondes/{round_id}/live/start", {"presenter": str(people["daan"].id)}).status_code == 200
    for person in ("daan", "sanne", "fatima"):
        html = as_(app, login, people[person]).get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
        assert "Moeder belde" not in html
    with app.app_context():
        [told] = db.session.scalars(select(Notification).where(Notification.kind == "case_removed")).all()
        assert told.person_id == people["sanne"].id and told.title == "Je casus is verwijderd"
        assert told.url == f"/intervisie/rondes/{round_id}"  # she still takes part


def test_a_case_row_of_someone_else_is_never_shown(app, team, login):
    """Defence in depth: even a case row whose author is not the current presenter stays hidden."""
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    startable(app, round_id)
    with app.app_context():
        db.session.add(CaseText(round_id=round_id, author_id=people["daan"].id, help_question="Daans vraag",
                                case_text="Daans casus"))
        db.session.commit()
    for person in ("sanne", "fatima", "daan"):
        client = as_(app, login, people[person])
        assert "Daans casus" not in client.get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)
    assert "Daans casus" not in as_(app, login, people["sanne"]).get(f"/intervisie/rondes/{round_id}/casus").get_data(as_text=True)


# Hole 5: open actions stay within the round they came from ------------------------------------

def an_action_then_the_next_round(app, team, login, next_group):  # noqa: F811
    """Sanne's open action from a round two weeks ago (with the lead, Daan and Fatima), and the
    team's next round for `next_group`, which Joris leads and Youssef brings in (Youssef was not
    in the first). Returns (people, the lead's client, first round id, next round id)."""
    t, people = team
    lead = login(people["lead"])
    first = planned_round(app, lead, t.id, people, participants=[
        str(people[k].id) for k in ("lead", "sanne", "daan", "fatima")], confirm_size="1")
    second = planned_round(app, lead, t.id, people, facilitator=str(people["joris"].id),
                           presenter=str(people["youssef"].id),
                           participants=[str(people[k].id) for k in next_group], confirm_size="1",
                           confirm_clash="1")
    with app.app_context():
        db.session.add(Action(source="intervisie", source_id=first, owner_id=people["sanne"].id, text="Bel de voogd"))
        db.session.get(Round, first).starts_at = datetime.now(timezone.utc) - timedelta(days=14)
        db.session.commit()
    return people, lead, first, second


def test_open_actions_are_shown_only_to_who_was_in_their_round(app, team, login):
    people, lead, first, second = an_action_then_the_next_round(app, team, login, ("daan", "joris", "youssef"))
    with app.app_context():
        rnd = db.session.get(Round, second)
        rnd.starts_at = datetime.now(timezone.utc) + timedelta(hours=20)
        db.session.commit()
    youssef, joris, daan = (as_(app, login, people[k]) for k in ("youssef", "joris", "daan"))
    for client in (youssef, joris):
        assert "Bel de voogd" not in client.get(f"/intervisie/rondes/{second}").get_data(as_text=True)
        assert "Bel de voogd" not in client.get(f"/intervisie/rondes/{second}/live").get_data(as_text=True)
    # Daan was in the first round and is in this one: his look back holds it.
    assert "Bel de voogd" in daan.get(f"/intervisie/rondes/{second}").get_data(as_text=True)
    assert "Bel de voogd" in daan.get(f"/intervisie/rondes/{second}/live").get_data(as_text=True)
    # A lead outside the round reads its planning, never its look back.
    assert "Bel de voogd" not in lead.get(f"/intervisie/rondes/{second}").get_data(as_text=True)
    # The reminder the day before goes to nobody: Sanne, whose action it is, is not in this round.
    with app.app_context(), app.test_request_context(base_url=app.config["APP_URL"]):
        notifications.send_open_actions(db.session, datetime.now(timezone.utc))
        db.session.commit()
        assert db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "open_action")) == 0
        # When Sanne does take part, her own action comes back to her, once.
        db.session.add(Participant(round_id=second, person_id=people["sanne"].id))
        db.session.commit()
        for _ in range(2):
            notifications.send_open_actions(db.session, datetime.now(timezone.utc))
            db.session.commit()
        told = db.session.scalars(select(Notification).where(Notification.kind == "open_action")).all()
        assert [(n.person_id, n.body) for n in told] == [(people["sanne"].id, "Bel de voogd")]


def test_a_look_back_never_travels_in_another_phones_stream(app, team, login):
    """After a change the streams of a round share one plan; a phone with open actions to look
    back on is told to fetch its own state, and the shared state the others get holds none."""
    people, lead, first, second = an_action_then_the_next_round(app, team, login, ("daan", "joris", "youssef", "fatima"))
    startable(app, second)
    app.config["LIVE_HEARTBEAT"] = 60
    daan, fatima = (Phone(as_(app, login, people[k]), second) for k in ("daan", "fatima"))
    for phone in (daan, fatima):
        assert phone.next().startswith("retry:") and phone.next().startswith("event: changed")
    # Daan and Fatima were in the first round: their look back holds Sanne's open action.
    joris = as_(app, login, people["joris"])
    assert post(joris, f"/intervisie/rondes/{second}/live/start").status_code == 200
    for phone in (daan, fatima):
        assert sse_message(phone.next())[0] == "changed"  # each fetches their own
    assert "Bel de voogd" in daan.client.get(f"/intervisie/rondes/{second}/live/stand",
                                             headers={"HX-Request": "true"}).get_data(as_text=True)
    youssef = Phone(as_(app, login, people["youssef"]), second)
    assert youssef.next().startswith("retry:") and youssef.next().startswith("event: changed")
    assert post(joris, f"/intervisie/rondes/{second}/live/verleng", {"phase": 0, "minutes": 1}).status_code == 200
    name, _id, html = sse_message(youssef.next())
    assert name == "" and "Situatie" in html and "Bel de voogd" not in html
    assert sse_message(daan.next())[0] == sse_message(fatima.next())[0] == "changed"
    for phone in (daan, fatima, youssef):
        phone.close()


# Hole 8 and 9: planning bounds and calendar files ---------------------------------------------

def test_planning_is_bounded_to_two_years_with_a_clear_message(app, team, login):
    t, people = team
    lead = login(people["lead"])
    end_of_time = plan(app, lead, t.id, people, date="9999-12-31", time="23:00", minutes_0="180", minutes_2="180")
    html = end_of_time.get_data(as_text=True)
    assert end_of_time.status_code == 422
    assert re.search(r'id="date-error">Kies een datum binnen twee jaar\.<', html)
    assert 'value="Kamer 2.14"' in html  # what was typed stays
    # Far ahead with repeats once gave "date value out of range".
    far = plan(app, lead, t.id, people, date="9999-11-30", repeat_weeks="8", repeat_count="26")
    assert far.status_code == 422 and "Kies een datum binnen twee jaar." in far.get_data(as_text=True)
    # Repeats: the last one must also lie within two years.
    start = (datetime.now(AMS) + timedelta(days=600)).date().isoformat()
    repeats = plan(app, lead, t.id, people, date=start, repeat_weeks="8", repeat_count="26")
    assert repeats.status_code == 422
    assert re.search(r'id="repeat_count-error">De laatste herhaling valt dan over meer dan twee jaar',
                     repeats.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count(Round.id))) == 0
    assert plan(app, lead, t.id, people, date=start, repeat_weeks="8", repeat_count="2").status_code == 302


def test_one_round_that_cannot_be_rendered_never_breaks_a_calendar(app, team, login, caplog):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    with app.app_context():  # rows from before planning was bounded
        bad = Round(team_id=t.id, title="Einde der tijden", starts_at=datetime(9999, 12, 31, 22, tzinfo=timezone.utc),
                    method_key="incident", minutes=[180] * 6, status="planned", phase_index=-1, version=0,
                    revealed=[], extra_seconds=0)
        bad.participants.append(Participant(person_id=people["daan"].id, role="participant"))
        db.session.add(bad)
        db.session.commit()
        bad_id = bad.id
    daan = as_(app, login, people["daan"])
    ics = daan.get(f"/intervisie/rondes/{bad_id}.ics")
    assert ics.status_code == 200 and Calendar.from_ical(ics.data).walk("VEVENT") == []
    page = post(daan, "/intervisie/agenda", htmx=False).get_data(as_text=True)
    url = re.search(r'readonly value="http://localhost(/intervisie/agenda/[^"]+\.ics)"', page).group(1)
    feed = app.test_client().get(url)
    assert feed.status_code == 200
    assert [str(e["summary"]) for e in Calendar.from_ical(feed.data).walk("VEVENT")] == ["Intervisie november"]
    assert f"round {bad_id} left out" in caplog.text
    assert round_id != bad_id


def test_titles_and_places_are_one_line_and_calendars_survive_line_breaks(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people, title="Intervisie\r\nX-Evil: 1\x00", place="Kamer\n2.14")
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        assert (rnd.title, rnd.place) == ("Intervisie X-Evil: 1", "Kamer 2.14")
        rnd.title = "Oude\r\ntitel"  # saved before titles were cleaned
        db.session.commit()
    ics = lead.get(f"/intervisie/rondes/{round_id}.ics")
    assert ics.status_code == 200
    [event] = Calendar.from_ical(ics.data).walk("VEVENT")
    assert str(event["summary"]) == "Oude titel" and b"X-WR-CALNAME:Oude titel\r\n" in ics.data


def test_calendar_files_are_never_cached(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    daan = as_(app, login, people["daan"])
    assert daan.get(f"/intervisie/rondes/{round_id}.ics").headers["Cache-Control"] == "no-store"
    page = post(daan, "/intervisie/agenda", htmx=False).get_data(as_text=True)
    url = re.search(r'readonly value="http://localhost(/intervisie/agenda/[^"]+\.ics)"', page).group(1)
    assert app.test_client().get(url).headers["Cache-Control"] == "private, no-store"


def test_nonsense_ids_are_answered_not_crashed_on(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people, presenter="0")
    startable(app, round_id)
    for value in (str(2**70), "-1", "abc", str(-2**70), ""):
        response = post(lead, f"/intervisie/rondes/{round_id}/live/start", {"presenter": value})
        # Nobody chosen: said plainly (issue 12), never a crash.
        assert response.status_code == 422 and "Kies eerst wie inbrengt." in response.get_data(as_text=True)
    assert post(lead, f"/intervisie/rondes/{round_id}/live/start", {"presenter": str(people["daan"].id)}).status_code == 200
    assert post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": str(2**70)}).status_code == 400
    big = 2**70
    assert lead.get(f"/intervisie/rondes/{big}").status_code == 404
    assert lead.get(f"/intervisie/rondes/{big}.ics").status_code == 404
    assert post(lead, f"/intervisie/rondes/{round_id}/live/bijdragen/{big}/verberg").status_code in (403, 404)
    assert post(lead, f"/intervisie/acties/{big}/klaar", htmx=False).status_code == 404


# Hole 9: double-submitted first saves ---------------------------------------------------------

class RowInsertedMeanwhile:
    """Between the read and the write of a request, another request inserts the same row: just
    before this INSERT runs, a second connection inserts and commits it."""

    def __init__(self, app, table, values):
        self.app, self.table, self.values, self.done = app, table, values, False

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not self.done and statement.lstrip().upper().startswith(f"INSERT INTO {self.table.name.upper()}"):
            self.done = True
            with db.engine.connect() as other:
                other.execute(insert(self.table).values(**self.values))
                other.commit()

    def __enter__(self):
        with self.app.app_context():
            event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        with self.app.app_context():
            event.remove(db.engine, "before_cursor_execute", self)


def test_first_save_of_team_settings_when_another_save_inserts_it_meanwhile(app, team, login):
    t, people = team
    lead = login(people["lead"])
    token = csrf_token(lead, f"/intervisie/teams/{t.id}/overzicht")
    with RowInsertedMeanwhile(app, TeamSettings.__table__, dict(team_id=t.id, case_retention_days=5,
                                                                 case_preview_hours=12)) as race:
        saved = lead.post(f"/intervisie/teams/{t.id}/overzicht", data={
            "csrf_token": token, "case_retention_days": "3", "case_preview_hours": "48"})
    assert race.done and saved.status_code == 302
    with app.app_context():
        row = db.session.get(TeamSettings, t.id)
        assert (row.case_retention_days, row.case_preview_hours) == (3, 48)  # this save wins, last


def test_first_save_of_a_reflection_when_another_save_inserts_it_meanwhile(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    daan = as_(app, login, people["daan"])
    token = csrf_token(daan, f"/intervisie/rondes/{round_id}/reflectie")
    with RowInsertedMeanwhile(app, Reflection.__table__, dict(
            round_id=round_id, person_id=people["daan"].id, takeaway="", learning_point="eerder", comment="",
            updated_at=datetime.now(timezone.utc))) as race:
        saved = daan.post(f"/intervisie/rondes/{round_id}/reflectie", data={
            "csrf_token": token, "learning_point": "Mijn leerpunt", "score": "4"})
    assert race.done and saved.status_code == 302
    with app.app_context():
        assert db.session.get(Reflection, (round_id, people["daan"].id)).learning_point == "Mijn leerpunt"


def test_twenty_parallel_first_saves_of_settings_and_reflection(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    leads = phones(app, login, people["lead"])
    answers = parallel([lambda c=c, tok=tok, i=i: c.post(f"/intervisie/teams/{t.id}/overzicht", data={
        "csrf_token": tok, "case_retention_days": str(1 + i % 30), "case_preview_hours": "24"}).status_code
        for i, (c, tok) in enumerate(leads)])
    assert answers == [302] * PARALLEL
    sannes = phones(app, login, people["sanne"])
    answers = parallel([lambda c=c, tok=tok, i=i: c.post(f"/intervisie/rondes/{round_id}/reflectie", data={
        "csrf_token": tok, "takeaway": f"Meenemen {i}", "learning_point": "Leerpunt", "score": "4"}).status_code
        for i, (c, tok) in enumerate(sannes)])
    assert answers == [302] * PARALLEL
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TeamSettings)) == 1
        assert db.session.scalar(select(func.count()).select_from(Reflection)) == 1


# Hole 10: integrity under concurrency ---------------------------------------------------------

def test_parallel_votes_count_once(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people, method="balint")
    startable(app, round_id)
    post(lead, f"/intervisie/rondes/{round_id}/live/start")
    path = f"/intervisie/rondes/{round_id}/live/bijdragen"
    answers = parallel([lambda c=c, tok=tok, i=i: send(c, tok, path, {"phase": 0, "text": f"Stem {i}"}).status_code
                        for i, (c, tok) in enumerate(phones(app, login, people["daan"]))])
    assert sorted(answers) == [200] + [403] * (PARALLEL - 1)
    with app.app_context():
        assert db.session.scalar(select(func.count(Contribution.id))
                                 .where(Contribution.author_id == people["daan"].id)) == 1


def test_parallel_questions_stay_within_the_maximum_of_three(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people, method="roddel")
    startable(app, round_id)
    post(lead, f"/intervisie/rondes/{round_id}/live/start")
    post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": 0})
    path = f"/intervisie/rondes/{round_id}/live/bijdragen"
    answers = parallel([lambda c=c, tok=tok, i=i: send(c, tok, path, {"phase": 1, "text": f"Vraag {i}"}).status_code
                        for i, (c, tok) in enumerate(phones(app, login, people["daan"]))])
    assert sorted(answers) == [200] * 3 + [403] * (PARALLEL - 3)
    with app.app_context():
        assert db.session.scalar(select(func.count(Contribution.id))
                                 .where(Contribution.author_id == people["daan"].id)) == 3


def test_parallel_next_phase_moves_once(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    startable(app, round_id)
    post(lead, f"/intervisie/rondes/{round_id}/live/start")
    with app.app_context():
        version = db.session.get(Round, round_id).version
    path = f"/intervisie/rondes/{round_id}/live/volgende"
    answers = parallel([lambda c=c, tok=tok: send(c, tok, path, {"phase": 0}).status_code
                        for c, tok in phones(app, login, people["lead"])])
    assert sorted(answers) == [200] + [409] * (PARALLEL - 1)
    assert live_phase(lead, round_id) == 1
    with app.app_context():
        assert db.session.get(Round, round_id).version == version + 1


@pytest.mark.parametrize("n", [8, PARALLEL])
def test_parallel_submissions_of_one_plan_form_plan_one_round(app, team, login, n):
    t, people = team
    leads = [as_(app, login, people["lead"]) for _ in range(n)]
    form = {**plan_form(people), **plan_page(leads[0], t.id)}  # one form, sent n times (the same session)
    for client in leads[1:]:
        with leads[0].session_transaction() as original, client.session_transaction() as copy:
            copy.update(original)
    answers = parallel([lambda c=c: c.post(f"/intervisie/teams/{t.id}/plan", data=form) for c in leads])
    assert {a.status_code for a in answers} == {302}
    with app.app_context():
        [round_id] = db.session.scalars(select(Round.id)).all()
        assert db.session.scalar(select(func.count(Notification.id))
                                 .where(Notification.kind == "round_planned")) == 4  # one set
    assert {a.headers["Location"] for a in answers} == {f"/intervisie/rondes/{round_id}"}
    # A new form is a new submission.
    assert plan(app, leads[0], t.id, people, confirm_clash="1").status_code == 302  # same slot: confirmed


def test_a_plan_form_without_its_submission_id_is_refused_gently(app, team, login):
    t, people = team
    lead = login(people["lead"])
    token = csrf_token(lead, f"/intervisie/teams/{t.id}/plan")
    response = lead.post(f"/intervisie/teams/{t.id}/plan", data={**plan_form(people), "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Dit formulier is verlopen" in html
    assert 'value="Kamer 2.14"' in html and re.search(r'name="submission" type="hidden" value="[\w-]{16,}"', html)


def test_a_round_cannot_be_started_weeks_early(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)  # a week ahead
    sanne = as_(app, login, people["sanne"])
    save_case(sanne, round_id, "Hoe houd ik de regie?", "Moeder belde.")
    live = lead.get(f"/intervisie/rondes/{round_id}/live").get_data(as_text=True)
    assert "Je kunt de ronde starten vanaf" in live
    early = post(lead, f"/intervisie/rondes/{round_id}/live/start")
    assert early.status_code == 403 and "Je kunt de ronde starten vanaf" in early.get_data(as_text=True)
    assert "Moeder belde" not in as_(app, login, people["daan"]).get(f"/intervisie/rondes/{round_id}/live").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Round, round_id).status == "planned"
    startable(app, round_id, minutes=55)  # within the hour before: allowed
    assert "Je kunt de ronde starten vanaf" not in lead.get(f"/intervisie/rondes/{round_id}/live").get_data(as_text=True)
    assert post(lead, f"/intervisie/rondes/{round_id}/live/start").status_code == 200
