"""Issue 12: the bugs a team found using intervisie for real, each as a user would notice it,
and the screens that say what to do next (Vandaag, planning, undo, after the round)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from app import actions as personal_actions
from app.extensions import db
from app.intervisie import methods
from app.intervisie.models import Contribution, Round
from conftest import csrf_token
from test_intervisie import AMS, as_, plan, plan_form, plan_page, planned_round, post, startable, team  # noqa: F401

INCIDENT = methods.get("incident").default_minutes()
BALINT = methods.get("balint").default_minutes()
RODDEL = methods.get("roddel").default_minutes()


def minutes_of(app, round_id) -> list[int]:
    with app.app_context():
        return list(db.session.get(Round, round_id).minutes)


def typed_minutes(values, method="incident") -> dict:
    """What the phase minutes of the form hold when it was rendered for `method`."""
    return {"minutes_for": method, **{f"minutes_{i}": str(m) for i, m in enumerate(values)}}


# 1. Changing the method keeps the old method's phase times ---------------------------------------

def test_changing_the_method_saves_the_new_methods_minutes(app, team, login):
    t, people = team
    lead = login(people["lead"])
    # The form was shown with the incident method's minutes; the lead picks Balint and plans.
    round_id = planned_round(app, lead, t.id, people, method="balint", **typed_minutes(INCIDENT))
    assert minutes_of(app, round_id) == BALINT


def test_the_method_preview_shows_and_saves_that_methods_minutes(app, team, login):
    t, people = team
    lead = login(people["lead"])
    data = {**plan_form(people, method="roddel", preview="1", **typed_minutes(INCIDENT)), **plan_page(lead, t.id)}
    page = lead.post(f"/intervisie/teams/{t.id}/plan", data=data).get_data(as_text=True)
    shown = [int(v) for v in re.findall(r'id="minutes_\d+" name="minutes_\d+"[^>]*value="(\d+)"', page)]
    assert shown == RODDEL and 'name="minutes_for" value="roddel"' in page
    # The lead shortens one phase of the method they now see: that is what is saved.
    changed = RODDEL[:1] + [10] + RODDEL[2:]
    round_id = planned_round(app, lead, t.id, people, method="roddel", **typed_minutes(changed, "roddel"))
    assert minutes_of(app, round_id) == changed


def test_a_changed_round_takes_its_new_methods_minutes(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    token = csrf_token(lead, f"/intervisie/rondes/{round_id}/wijzig")
    response = lead.post(f"/intervisie/rondes/{round_id}/wijzig", data={
        **plan_form(people, method="balint", **typed_minutes(INCIDENT)), "csrf_token": token})
    assert response.status_code == 302
    assert minutes_of(app, round_id) == BALINT


# 2. Wrong phase minutes answer with a message next to them ---------------------------------------

def test_wrong_phase_minutes_are_explained_next_to_that_phase(app, team, login):
    t, people = team
    lead = login(people["lead"])
    for wrong in ("0", "999", "tien"):
        typed = typed_minutes(INCIDENT)
        typed["minutes_2"] = wrong
        response = plan(app, lead, t.id, people, **typed)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        # The message sits with the third phase's field, which is described by it, and the
        # section with the minutes is open.
        assert re.search(r'id="minutes_2"[^>]*aria-describedby="minutes_2-error"', page)
        assert 'id="minutes_2-error"' in page and "1 tot 180 minuten" in page
        assert re.search(r'<details class="card phases-edit"[^>]* open', page)
        assert f'value="{wrong}"' in page  # what was typed stays


# 3. Reflection actions are not duplicated --------------------------------------------------------

def reflect(app, login, person, round_id, **fields):
    client = as_(app, login, person)
    token = csrf_token(client, f"/intervisie/rondes/{round_id}/reflectie")
    return client, client.post(f"/intervisie/rondes/{round_id}/reflectie", data={"csrf_token": token, **fields})


def test_saving_the_reflection_twice_keeps_one_set_of_actions(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    fields = {"takeaway": "Eerder hulp vragen.", "action_1": "Bel de gedragswetenschapper", "action_2": "Lees het protocol"}
    sanne, first = reflect(app, login, people["sanne"], round_id, **fields)
    assert first.status_code == 302
    # Reopened: the actions are there, editable.
    page = sanne.get(f"/intervisie/rondes/{round_id}/reflectie").get_data(as_text=True)
    assert 'value="Bel de gedragswetenschapper"' in page and 'value="Lees het protocol"' in page
    reflect(app, login, people["sanne"], round_id, **fields)
    reflect(app, login, people["sanne"], round_id, **{**fields, "action_2": "Lees het nieuwe protocol"})
    with app.app_context():
        texts = [a.text for a in personal_actions.open_for(db.session, people["sanne"].id)]
    assert texts == ["Bel de gedragswetenschapper", "Lees het nieuwe protocol"]
    today = sanne.get("/").get_data(as_text=True)
    assert today.count("Bel de gedragswetenschapper") == 1


# 5. A round needs a facilitator and at least one presenter candidate -----------------------------

def test_a_round_without_anyone_but_the_facilitator_cannot_be_planned(app, team, login):
    t, people = team
    lead = login(people["lead"])
    response = plan(app, lead, t.id, people, participants=[], presenter="0", confirm_size="1")
    assert response.status_code == 422
    assert "Kies minstens één deelnemer naast de gespreksleider." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Round.id)) is None


# 6. RSVP updates who comes at once ---------------------------------------------------------------

def test_rsvp_updates_the_list_of_who_comes(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    daan = as_(app, login, people["daan"])
    fragment = post(daan, f"/intervisie/rondes/{round_id}/rsvp", {"answer": "yes"}).get_data(as_text=True)
    assert re.search(r"Daan Visser</span>\s*<span class=\"card-meta\">\s*Deelnemer\s*· komt\b", fragment)


# 7. The team overview ----------------------------------------------------------------------------

def test_team_overview_lists_a_finished_round_under_earlier_rounds(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people, title="Vroeg afgerond")
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        rnd.status, rnd.finished_at = "finished", datetime.now(timezone.utc)
        rnd.starts_at = datetime.now(timezone.utc) + timedelta(minutes=30)  # started early, done already
        db.session.commit()
    page = lead.get(f"/intervisie/teams/{t.id}/overzicht").get_data(as_text=True)
    upcoming = page.split('id="up-heading"')[1].split("</section>")[0]
    assert "Vroeg afgerond" not in upcoming and "Vroeg afgerond" in page.split('id="past-heading"')[1]
    assert '<div class="table-scroll">' in page


# 8. Smaller traps --------------------------------------------------------------------------------

def test_case_preview_date_is_not_shown_once_it_has_passed(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    startable(app, round_id, minutes=120)  # inside the 24-hour preview window
    page = as_(app, login, people["daan"]).get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)
    assert "te lezen vanaf" not in page and "nog niet voorbereid" in page


def test_a_cancelled_round_offers_no_calendar_and_no_case_date(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    post(lead, f"/intervisie/rondes/{round_id}/afgelasten", htmx=False)
    page = as_(app, login, people["daan"]).get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)
    assert "afgelast" in page
    assert "Zet in je agenda" not in page and "te lezen vanaf" not in page


def test_quiet_hours_that_start_and_end_at_the_same_time_are_refused(app, team, login):
    t, people = team
    client = login(people["daan"])
    token = csrf_token(client, "/meldingen/instellingen")
    response = client.post("/meldingen/instellingen", data={
        "csrf_token": token, "quiet_enabled": "y", "quiet_evening": "08:00", "quiet_morning": "08:00"})
    assert response.status_code == 422
    assert "Kies een ander begin dan einde." in response.get_data(as_text=True)


def test_a_second_round_in_the_same_slot_asks_first(app, team, login):
    t, people = team
    lead = login(people["lead"])
    planned_round(app, lead, t.id, people)
    again = plan(app, lead, t.id, people, time="14:30")
    assert again.status_code == 422
    assert "Er is al een ronde van dit team op dat moment" in again.get_data(as_text=True)
    assert plan(app, lead, t.id, people, time="14:30", confirm_clash="1").status_code == 302


def test_the_default_planning_date_is_a_weekday(app, team, login, monkeypatch):
    t, people = team
    lead = login(people["lead"])
    from app.intervisie.views import planning
    saturday = datetime(2031, 3, 1, 9, 0, tzinfo=timezone.utc)  # a Saturday; a week on is one too
    monkeypatch.setattr(planning, "utcnow", lambda: saturday)
    page = lead.get(f"/intervisie/teams/{t.id}/plan").get_data(as_text=True)
    day = re.search(r'name="date"[^>]*value="([\d-]+)"', page).group(1)
    assert datetime.fromisoformat(day).weekday() < 5


# Screens: Vandaag says what to do next ---------------------------------------------------------

def card_order(page: str, *markers: str) -> list[int]:
    return [page.index(m) for m in markers]


def test_vandaag_leads_with_the_presenters_next_round_and_one_tap_to_write(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    startable(app, round_id, minutes=50)
    sanne = as_(app, login, people["sanne"])
    page = sanne.get("/").get_data(as_text=True)
    assert "Over 50 minuten" in page or "Over 49 minuten" in page
    assert "Jij brengt in: casus nog niet klaar" in page
    assert f'href="/intervisie/rondes/{round_id}/casus"' in page
    # The next round comes before the invitation to switch on notifications.
    first, later = card_order(page, 'id="next-round"', 'id="push-invite"')
    assert first < later
    # RSVP inline: one tap, the card answers in place.
    answered = post(sanne, f"/intervisie/rondes/{round_id}/rsvp", {"answer": "yes", "from": "today"})
    assert answered.status_code == 200 and 'aria-pressed="true">Ja<' in answered.get_data(as_text=True)
    assert "<html" not in answered.get_data(as_text=True)


def test_vandaag_says_doe_mee_when_the_round_is_live(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    startable(app, round_id)
    post(lead, f"/intervisie/rondes/{round_id}/live/start")
    page = as_(app, login, people["daan"]).get("/").get_data(as_text=True)
    assert "Nu bezig" in page and "Jij doet mee" in page
    assert f'href="/intervisie/rondes/{round_id}/live">Doe mee<' in page


def test_a_round_far_ahead_does_not_lead_vandaag(app, team, login):
    t, people = team
    planned_round(app, login(people["lead"]), t.id, people,
                  date=(datetime.now(AMS) + timedelta(days=20)).date().isoformat())
    page = as_(app, login, people["daan"]).get("/").get_data(as_text=True)
    assert 'id="next-round"' not in page and "Je komende intervisie" in page


def test_intervisie_actions_share_the_one_actions_card(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    sanne, _ = reflect(app, login, people["sanne"], round_id, takeaway="x", action_1="Bel de school")
    page = sanne.get("/").get_data(as_text=True)
    assert page.count("Bel de school") == 1 and "Uit intervisie" in page
    with app.app_context():
        [action] = personal_actions.open_for(db.session, people["sanne"].id)
    token = csrf_token(sanne, "/")
    assert sanne.post(f"/acties/{action.id}/gedaan", data={"csrf_token": token}).status_code == 302
    assert "Bel de school" not in sanne.get("/").get_data(as_text=True)


def test_a_new_admins_home_says_how_to_invite(app, make_team, make_person, login):
    t = make_team("Wijkteam Zuid")
    admin = make_person(t, role="lead", name="Nieuwe Beheerder", admin=True)
    page = login(admin).get("/").get_data(as_text=True)
    assert "Nodig je collega&#39;s uit" in page or "Nodig je collega's uit" in page
    assert f'href="/teams/{t.id}#invite-heading"' in page


# Screens: the live round -------------------------------------------------------------------------

def live_round_in_phase(app, login, people, t, phase):
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people)
    startable(app, round_id)
    post(lead, f"/intervisie/rondes/{round_id}/live/start")
    for expected in range(phase):
        post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": expected})
    return lead, round_id


def test_hide_can_be_undone_and_the_facilitator_sees_hidden_items(app, team, login):
    t, people = team
    lead, round_id = live_round_in_phase(app, login, people, t, 2)
    daan, sanne = as_(app, login, people["daan"]), as_(app, login, people["sanne"])
    post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 2, "text": "Wie belde je eerst?"})
    with app.app_context():
        item_id = db.session.scalar(select(Contribution.id))
    hidden = post(lead, f"/intervisie/rondes/{round_id}/live/bijdragen/{item_id}/verberg").get_data(as_text=True)
    assert "Ongedaan maken" in hidden and "data-undo-until" in hidden
    assert "Wie belde je eerst?" not in sanne.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    # Later too, the facilitator sees it, marked, and can show it again.
    state = lead.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    assert "Wie belde je eerst?" in state and "Toon weer" in state
    post(lead, f"/intervisie/rondes/{round_id}/live/bijdragen/{item_id}/verberg", {"hidden": "0"})
    assert "Wie belde je eerst?" in sanne.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)


def test_finishing_the_round_can_be_undone_shortly_after(app, team, login):
    t, people = team
    lead, round_id = live_round_in_phase(app, login, people, t, 5)  # the last phase of incident
    finished = post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": 5}).get_data(as_text=True)
    assert "De ronde is klaar" in finished and "Ongedaan maken" in finished
    back = post(lead, f"/intervisie/rondes/{round_id}/live/terug", {"phase": 5})
    assert back.status_code == 200
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        assert (rnd.status, rnd.phase_index, rnd.finished_at) == ("live", 5, None)
    # Long after, the round stays finished.
    post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": 5})
    with app.app_context():
        db.session.get(Round, round_id).finished_at = datetime.now(timezone.utc) - timedelta(minutes=30)
        db.session.commit()
    assert "Ongedaan maken" not in lead.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    assert post(lead, f"/intervisie/rondes/{round_id}/live/terug", {"phase": 5}).status_code == 409


def test_the_presenter_rates_questions_only_while_they_are_fresh(app, team, login):
    t, people = team
    lead, round_id = live_round_in_phase(app, login, people, t, 2)
    daan, sanne = as_(app, login, people["daan"]), as_(app, login, people["sanne"])
    post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 2, "text": "Wat deed je toen?"})
    assert 'value="warm"' in sanne.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    for expected in (2, 3):
        post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": expected})
    later = sanne.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    assert "Wat deed je toen?" in later and 'value="warm"' not in later
    assert '<details class="folded">' in later  # earlier phases folded


def test_the_help_question_is_pinned_and_the_limit_is_explained(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people, method="roddel")  # at most three open questions
    sanne = as_(app, login, people["sanne"])
    token = csrf_token(sanne, f"/intervisie/rondes/{round_id}/casus")
    sanne.post(f"/intervisie/rondes/{round_id}/casus", data={
        "csrf_token": token, "help_question": "Hoe blijf ik rustig bij boosheid?", "case_text": "Kort."})
    startable(app, round_id)
    post(lead, f"/intervisie/rondes/{round_id}/live/start")
    post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": 0})
    daan = as_(app, login, people["daan"])
    state = daan.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    assert 'id="help-question"' in state and "Hoe blijf ik rustig bij boosheid?" in state
    for n in range(3):
        post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 1, "text": f"Vraag {n}"})
    state = daan.get(f"/intervisie/rondes/{round_id}/live/stand").get_data(as_text=True)
    assert 'id="composer-text"' not in state and "Je hebt je 3 vragen gesteld" in state


def test_who_brings_in_is_an_explicit_choice(app, team, login):
    t, people = team
    lead = login(people["lead"])
    round_id = planned_round(app, lead, t.id, people, presenter="0")
    startable(app, round_id)
    page = lead.get(f"/intervisie/rondes/{round_id}/live").get_data(as_text=True)
    select_html = page.split('id="presenter"')[1].split("</select>")[0]
    assert '<option value="" selected disabled>Kies wie inbrengt</option>' in select_html
    assert select_html.count("selected") == 1
    refused = post(lead, f"/intervisie/rondes/{round_id}/live/start", {})
    assert refused.status_code == 422 and "Kies eerst wie inbrengt." in refused.get_data(as_text=True)


# Screens: after the round ------------------------------------------------------------------------

def test_after_the_round_the_page_leads_with_reflection_and_what_helped(app, team, login):
    t, people = team
    lead, round_id = live_round_in_phase(app, login, people, t, 2)
    daan, sanne = as_(app, login, people["daan"]), as_(app, login, people["sanne"])
    post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 2, "text": "Wat maakte je boos?"})
    with app.app_context():
        question = db.session.scalar(select(Contribution.id))
    post(sanne, f"/intervisie/rondes/{round_id}/live/bijdragen/{question}/waardeer", {"rating": "warm"})
    for expected in (2, 3):
        post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": expected})
    post(daan, f"/intervisie/rondes/{round_id}/live/bijdragen", {"phase": 4, "text": "Neem een collega mee."})
    with app.app_context():
        advice = db.session.scalar(select(Contribution.id).where(Contribution.kind == "advice"))
    post(sanne, f"/intervisie/rondes/{round_id}/live/bijdragen/{advice}/helpt", {"helpful": "1"})
    for expected in (4, 5):
        post(lead, f"/intervisie/rondes/{round_id}/live/volgende", {"phase": expected})
    reflect(app, login, people["sanne"], round_id, takeaway="Rustig blijven.", action_1="Plan een nagesprek")
    page = daan.get(f"/intervisie/rondes/{round_id}").get_data(as_text=True)
    assert page.index("Schrijf je reflectie") < page.index("Wanneer")  # leads, before the planning facts
    assert "Wat maakte je boos?" in page and "Neem een collega mee." in page and "Plan een nagesprek" in page
    assert "Zet in je agenda" not in page and "Kom je?" not in page


def test_case_ideas_from_feedback_are_offered_when_preparing_a_case(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    from app.feedback.models import CaseIdea
    with app.app_context():
        db.session.add(CaseIdea(owner_id=people["sanne"].id, text="Grenzen stellen bij een boze ouder"))
        db.session.add(CaseIdea(owner_id=people["daan"].id, text="Daans eigen idee"))
        db.session.commit()
        idea_id = db.session.scalar(select(CaseIdea.id).where(CaseIdea.owner_id == people["sanne"].id))
    sanne = as_(app, login, people["sanne"])
    page = sanne.get(f"/intervisie/rondes/{round_id}/casus").get_data(as_text=True)
    assert "Grenzen stellen bij een boze ouder" in page and "Daans eigen idee" not in page
    chosen = sanne.get(f"/intervisie/rondes/{round_id}/casus?idea={idea_id}").get_data(as_text=True)
    assert re.search(r'<textarea[^>]*name="help_question"[^>]*>\s*Grenzen stellen bij een boze ouder', chosen)
