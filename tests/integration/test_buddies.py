"""Buddies through Flask's test client: schemes, access, pause, private exclusion, preview with
reasons, lock, veto, publish, automatic publish with the day-before notice, notifications, Vandaag,
the profile's history, the lead's spread, export and deletion."""
from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app import hooks
from app.accounts.models import Person
from app.buddies import services
from app.buddies.models import BuddyGroup, Exclusion, Rotation, Scheme
from app.extensions import db
from app.notify.models import Notification
from conftest import csrf_token
from test_intervisie_integrity import parallel

NAMES = ["Sanne Bakker", "Daan Visser", "Fatima Ouali", "Joris Hendriks", "Youssef El Amrani"]


@pytest.fixture
def team(make_team, make_person):
    t = make_team("Wijkteam Noord")
    other = make_team("Jeugdbescherming Zuid", org=t.organisation)
    people = {"lead": make_person(t, role="lead", name="Marieke de Vries")}
    for i, name in enumerate(NAMES):
        people[name.split()[0].lower()] = make_person(t, name=name)
    people["petra"] = make_person(other, role="lead", name="Petra Jansen", admin=True)
    people["milan"] = make_person(other, name="Milan Smit")
    return t, other, people


def post(client, path, data=None):
    token = csrf_token(client, "/buddies/")
    return client.post(path, data={**(data or {}), "csrf_token": token})


def make_scheme(client, team_id, **extra):
    data = {"name": "Buddy's Noord", "teams": [str(team_id)], "every_weeks": "6", "weekday": "1", "mix": "2",
            "cross_team": "1", "window": "4", **extra}
    response = post(client, "/buddies/schemas/nieuw", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(re.search(r"/schemas/(\d+)/voorstel", response.headers["Location"]).group(1))


def groups_of(app, scheme_id, status="draft"):
    with app.app_context():
        rotation = db.session.scalar(select(Rotation).where(Rotation.scheme_id == scheme_id, Rotation.status == status)
                                     .order_by(Rotation.number.desc()))
        return [(g.id, g.member_ids, g.locked) for g in rotation.groups] if rotation else []


def test_lead_creates_a_scheme_previews_with_reasons_and_publishes(app, team, login):
    t, _, people = team
    lead = login(people["lead"])
    scheme_id = make_scheme(lead, t.id)
    page = lead.get(f"/buddies/schemas/{scheme_id}/voorstel").get_data(as_text=True)
    assert "nog nooit gekoppeld" in page
    groups = groups_of(app, scheme_id)
    placed = sorted(m for _, members, _ in groups for m in members)
    # The lead is never paired with their own team: the five members are the pool, one trio.
    assert placed == sorted(people[k].id for k in ("sanne", "daan", "fatima", "joris", "youssef"))
    assert sorted(len(m) for _, m, _ in groups) == [2, 3]
    response = post(lead, f"/buddies/schemas/{scheme_id}/bekendmaken")
    assert response.status_code == 302
    with app.app_context():
        told = sorted(db.session.scalars(select(Notification.person_id).where(Notification.kind == "buddy_new")))
        assert told == placed
        scheme = db.session.get(Scheme, scheme_id)
        assert scheme.next_on.weekday() == 1 and scheme.next_on > date.today() + timedelta(weeks=5)
    # Twice is once.
    assert post(lead, f"/buddies/schemas/{scheme_id}/bekendmaken").status_code == 409
    # After publishing there is no draft: opening the proposal (a GET, from Vandaag or the
    # scheme page) makes the next one.
    assert groups_of(app, scheme_id) == []
    assert lead.get(f"/buddies/schemas/{scheme_id}/voorstel").status_code == 200
    assert groups_of(app, scheme_id)


def test_member_sees_buddy_on_vandaag_with_questions_and_one_tap(app, team, login):
    t, _, people = team
    lead = login(people["lead"])
    scheme_id = make_scheme(lead, t.id)
    post(lead, f"/buddies/schemas/{scheme_id}/bekendmaken")
    sanne = login(people["sanne"], on=app.test_client())
    page = sanne.get("/").get_data(as_text=True)
    assert "Je buddy" in page and "Om mee te beginnen" in page
    assert "Stel een eerste afspraak voor" in page
    assert "/feedback/vraag" not in page   # the feedback feature is not installed on this branch
    (group_id, members, _), = [g for g in groups_of(app, scheme_id, "published") if people["sanne"].id in g[1]]
    response = post(sanne, f"/buddies/groep/{group_id}/afspraak", {"back": "today"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    with app.app_context():
        asked = sorted(db.session.scalars(select(Notification.person_id).where(Notification.kind == "buddy_meet")))
        assert asked == sorted(set(members) - {people["sanne"].id})
        lookup = hooks.of(app).lookup("current_buddies")
        assert lookup(db.session, people["sanne"].id) == sorted(set(members) - {people["sanne"].id})
    # The profile links to the buddies page, which holds the history.
    assert "/buddies/" in sanne.get("/profiel").get_data(as_text=True)
    mine = sanne.get("/buddies/").get_data(as_text=True)
    assert "Je eerdere buddy" in mine


def test_someone_elses_group_cannot_be_used(app, team, login):
    t, _, people = team
    lead = login(people["lead"])
    scheme_id = make_scheme(lead, t.id)
    post(lead, f"/buddies/schemas/{scheme_id}/bekendmaken")
    milan = login(people["milan"], on=app.test_client())
    group_id = groups_of(app, scheme_id, "published")[0][0]
    assert post(milan, f"/buddies/groep/{group_id}/afspraak").status_code == 404


def test_access_lead_admin_member_and_other_organisation(app, team, login, make_team, make_person):
    t, other, people = team
    lead = login(people["lead"])
    scheme_id = make_scheme(lead, t.id)
    member = login(people["sanne"], on=app.test_client())
    assert member.get(f"/buddies/schemas/{scheme_id}/voorstel").status_code == 403
    assert member.get("/buddies/schemas/nieuw").status_code == 403
    milan = login(people["milan"], on=app.test_client())   # another team: may not know it exists
    assert milan.get(f"/buddies/schemas/{scheme_id}").status_code == 404
    stranger = make_person(make_team("Elders"), role="lead", admin=True)
    outsider = login(stranger, on=app.test_client())
    assert outsider.get(f"/buddies/schemas/{scheme_id}").status_code == 404
    assert post(outsider, f"/buddies/schemas/{scheme_id}/bekendmaken").status_code == 404
    admin = login(people["petra"], on=app.test_client())
    assert admin.get(f"/buddies/schemas/{scheme_id}").status_code == 200
    # A lead cannot make a scheme for a team they do not lead, nor an organisation-wide one.
    token = csrf_token(lead, "/buddies/")
    response = lead.post("/buddies/schemas/nieuw", data={"csrf_token": token, "name": "X", "teams": [str(other.id)],
                                                         "every_weeks": "6", "weekday": "0", "mix": "2",
                                                         "cross_team": "1", "window": "4"})
    assert response.status_code == 422 and "Kies een of meer teams die je leidt" in response.get_data(as_text=True)
    assert 'value="X"' in response.get_data(as_text=True)   # what was typed is kept


def test_admin_makes_an_organisation_wide_scheme_and_pairs_across_teams(app, team, login):
    t, other, people = team
    admin = login(people["petra"])
    scheme_id = make_scheme(admin, t.id, org_wide="y", cross_team="3")
    groups = groups_of(app, scheme_id)
    placed = {m for _, members, _ in groups for m in members}
    assert people["milan"].id in placed and people["lead"].id in placed
    lead_group = next(m for _, m, _ in groups if people["lead"].id in m)
    # Marieke leads Wijkteam Noord: her buddy comes from the other team.
    assert set(lead_group) - {people["lead"].id} <= {people["milan"].id, people["petra"].id}
    page = admin.get(f"/buddies/schemas/{scheme_id}/voorstel").get_data(as_text=True)
    assert "verschillende teams" in page


def test_pause_with_end_date_leaves_the_person_out(app, team, login):
    t, _, people = team
    sanne = login(people["sanne"])
    until = date.today() + timedelta(days=60)
    bad = post(sanne, "/buddies/pauze", {"pause-reason": "holiday", "pause-until": "gisteren"})
    assert bad.status_code == 422 and "Kies een datum." in bad.get_data(as_text=True)
    past = post(sanne, "/buddies/pauze", {"pause-reason": "holiday", "pause-until": "2020-01-01"})
    assert past.status_code == 422 and "vanaf vandaag" in past.get_data(as_text=True)
    assert post(sanne, "/buddies/pauze", {"pause-reason": "sick", "pause-until": until.isoformat()}).status_code == 302
    lead = login(people["lead"], on=app.test_client())
    scheme_id = make_scheme(lead, t.id)
    placed = {m for _, members, _ in groups_of(app, scheme_id) for m in members}
    assert people["sanne"].id not in placed and len(placed) == 4
    assert "1 collega" in lead.get(f"/buddies/schemas/{scheme_id}/voorstel").get_data(as_text=True)
    post(sanne, "/buddies/pauze/stop")
    post(lead, f"/buddies/schemas/{scheme_id}/voorstel/opnieuw")
    assert people["sanne"].id in {m for _, members, _ in groups_of(app, scheme_id) for m in members}


def test_private_exclusion_is_respected_and_the_lead_never_learns_who(app, team, login):
    t, _, people = team
    sanne = login(people["sanne"])
    assert post(sanne, "/buddies/uitsluiten", {"excl-colleague": str(people["daan"].id)}).status_code == 302
    assert "Daan Visser" in sanne.get("/buddies/").get_data(as_text=True)
    lead = login(people["lead"], on=app.test_client())
    scheme_id = make_scheme(lead, t.id)
    for _ in range(5):
        groups = groups_of(app, scheme_id)
        assert not any({people["sanne"].id, people["daan"].id} <= set(m) for _, m, _ in groups)
        post(lead, f"/buddies/schemas/{scheme_id}/voorstel/opnieuw")
    for path in (f"/buddies/schemas/{scheme_id}", f"/buddies/schemas/{scheme_id}/voorstel"):
        page = lead.get(path).get_data(as_text=True)
        assert "uitgesloten" in page.lower()
        assert not re.search(r"Sanne Bakker[^<]*(sluit|uitgesloten)", page)
    with app.app_context():
        assert db.session.scalar(select(Exclusion.person_id)) == people["sanne"].id
    # Someone from another organisation cannot be excluded (no 500 either).
    assert post(sanne, "/buddies/uitsluiten", {"excl-colleague": "999999"}).status_code == 422


def test_lock_veto_and_recompute(app, team, login, make_person):
    t, _, people = team
    make_person(t, name="Esra Yilmaz")   # six members: three pairs
    lead = login(people["lead"])
    scheme_id = make_scheme(lead, t.id)
    groups = groups_of(app, scheme_id)
    assert len(groups) == 3
    keep, drop = groups[0], groups[1]
    assert post(lead, f"/buddies/schemas/{scheme_id}/groepen/{keep[0]}/vastzetten").status_code == 302
    assert post(lead, f"/buddies/schemas/{scheme_id}/groepen/{drop[0]}/afwijzen").status_code == 302
    after = groups_of(app, scheme_id)
    assert (keep[1], True) in [(m, locked) for _, m, locked in after]
    assert drop[1] not in [m for _, m, _ in after]
    # The veto holds through another recompute; the lock too.
    post(lead, f"/buddies/schemas/{scheme_id}/voorstel/opnieuw")
    again = groups_of(app, scheme_id)
    assert drop[1] not in [m for _, m, _ in again] and keep[1] in [m for _, m, _ in again]
    # A group of another scheme or a made-up one: 404.
    assert post(lead, f"/buddies/schemas/{scheme_id}/groepen/99999/afwijzen").status_code == 404


def test_onboarding_buddy_is_kept_until_released(app, team, login):
    t, _, people = team
    lead = login(people["lead"])
    scheme_id = make_scheme(lead, t.id)
    newcomer, buddy = people["daan"].id, people["fatima"].id
    bad = post(lead, f"/buddies/schemas/{scheme_id}/inwerkbuddy", {"onb-newcomer": newcomer, "onb-buddy": newcomer})
    assert bad.status_code == 422 and "Kies een andere collega" in bad.get_data(as_text=True)
    assert post(lead, f"/buddies/schemas/{scheme_id}/inwerkbuddy",
                {"onb-newcomer": newcomer, "onb-buddy": buddy}).status_code == 302
    for _ in range(2):
        post(lead, f"/buddies/schemas/{scheme_id}/bekendmaken")
        post(lead, f"/buddies/schemas/{scheme_id}/voorstel/opnieuw")
        assert tuple(sorted((newcomer, buddy))) in [m for _, m, _ in groups_of(app, scheme_id)]
    assert "inwerkbuddy" in lead.get(f"/buddies/schemas/{scheme_id}/voorstel").get_data(as_text=True)
    with app.app_context():
        onboarding_id = services.onboarding_pairs(db.session, db.session.get(Scheme, scheme_id))[0].id
    post(lead, f"/buddies/schemas/{scheme_id}/inwerkbuddy/{onboarding_id}/loslaten")
    with app.app_context():
        assert not services.onboarding_pairs(db.session, db.session.get(Scheme, scheme_id))


def test_automatic_publish_with_a_notice_the_day_before(app, team, login):
    t, _, people = team
    lead = login(people["lead"])
    scheme_id = make_scheme(lead, t.id, auto_publish="y")
    job = next(j for j in hooks.of(app).jobs if j.name == "buddies-rotation")
    with app.app_context():
        scheme = db.session.get(Scheme, scheme_id)
        moment = services.publish_moment(scheme)
        day = scheme.next_on
    for now in (moment - timedelta(days=2), moment - timedelta(hours=20), moment - timedelta(hours=19)):
        with app.app_context():
            job.run(db.session, now)
            db.session.commit()
    with app.app_context():
        notices = db.session.scalars(select(Notification).where(Notification.kind == "buddy_publish_tomorrow")).all()
        assert [n.person_id for n in notices] == [people["lead"].id]
        assert f"/buddies/schemas/{scheme_id}/voorstel" in notices[0].url
        assert not groups_of(app, scheme_id, "published")
    for now in (moment + timedelta(minutes=1), moment + timedelta(minutes=11)):
        with app.app_context():
            job.run(db.session, now)
            db.session.commit()
    with app.app_context():
        published = db.session.scalars(select(Rotation).where(Rotation.scheme_id == scheme_id,
                                                              Rotation.status == "published")).all()
        assert len(published) == 1 and published[0].starts_on == day
        told = db.session.scalars(select(Notification.person_id).where(Notification.kind == "buddy_new")).all()
        assert len(told) == 5 == len(set(told))
        assert db.session.get(Scheme, scheme_id).next_on > day


def test_lead_view_shows_history_and_spread_counts_only(app, team, login):
    t, _, people = team
    lead = login(people["lead"])
    scheme_id = make_scheme(lead, t.id)
    for _ in range(3):
        post(lead, f"/buddies/schemas/{scheme_id}/voorstel/opnieuw")
        post(lead, f"/buddies/schemas/{scheme_id}/bekendmaken")
    page = lead.get(f"/buddies/schemas/{scheme_id}").get_data(as_text=True)
    assert "Wissel 3" in page and "Spreiding" in page
    with app.app_context():
        spread = dict((p.name, n) for p, n in services.spread(db.session, db.session.get(Scheme, scheme_id)))
    # Five people, one trio, window 4: three rotations without a repeat reach three or four colleagues.
    assert min(spread.values()) >= 3
    # Lead sets a member's experience.
    assert post(lead, f"/buddies/schemas/{scheme_id}/ervaring/{people['daan'].id}",
                {f"exp{people['daan'].id}-years": "2"}).status_code == 302
    with app.app_context():
        assert db.session.get(Person, people["daan"].id).experience_years == 2
    # A wrong number: the error beside Daan's field, what was typed still in it, nothing saved.
    field = f"exp{people['daan'].id}-years"
    refused = post(lead, f"/buddies/schemas/{scheme_id}/ervaring/{people['daan'].id}", {field: "99"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert f'id="{field}-error"' in page and "Kies 0 tot 60 jaar." in page and 'value="99"' in page
    with app.app_context():
        assert db.session.get(Person, people["daan"].id).experience_years == 2


def test_experience_form_keeps_input_and_errors(app, team, login):
    _, _, people = team
    sanne = login(people["sanne"])
    bad = post(sanne, "/buddies/ervaring", {"exp-years": "99"})
    assert bad.status_code == 422 and "Kies 0 tot 60 jaar." in bad.get_data(as_text=True)
    assert 'value="99"' in bad.get_data(as_text=True)
    assert post(sanne, "/buddies/ervaring", {"exp-years": "7"}).status_code == 302


def test_export_and_erase(app, team, login):
    t, _, people = team
    lead = login(people["lead"])
    scheme_id = make_scheme(lead, t.id)
    post(lead, f"/buddies/schemas/{scheme_id}/bekendmaken")
    sanne = login(people["sanne"], on=app.test_client())
    post(sanne, "/buddies/uitsluiten", {"excl-colleague": str(people["joris"].id)})
    post(sanne, "/buddies/pauze", {"pause-reason": "leave", "pause-until": (date.today() + timedelta(days=9)).isoformat()})
    data = sanne.get("/profiel/download").get_json()
    part = next(v for k, v in data.items() if "uddy" in k) if "buddies" not in data else data["buddies"]
    assert part["exclusions"] == ["Joris Hendriks"] and part["pause"]["reason"] == "leave"
    assert len(part["history"]) == 1
    with app.app_context():
        person = db.session.get(Person, people["sanne"].id)
        services.erase(db.session, person)
        db.session.commit()
        assert services.export(db.session, person) == {"history": [], "pause": None, "exclusions": []}


def test_demo_has_a_running_scheme(app):
    from app.demo import fill_demo
    with app.app_context():
        fill_demo(db.session, 7, hooks.of(app).demos)
        db.session.commit()
        scheme = db.session.scalar(select(Scheme))
        statuses = sorted(r.status for r in db.session.scalars(select(Rotation).where(Rotation.scheme_id == scheme.id)))
        assert statuses == ["draft", "published", "published", "published"]
        assert db.session.scalar(select(BuddyGroup.id)) is not None



def test_leads_opening_the_next_proposal_at_once_see_one_draft(app, team, login, monkeypatch):
    """After a publish there is no draft: opening the proposal makes it. Four requests at once all
    find none and all make one; the unique (scheme, number) lets one through, and the others show
    that one's proposal, not an error page."""
    t, _, people = team
    lead = login(people["lead"])
    scheme_id = make_scheme(lead, t.id)
    assert post(lead, f"/buddies/schemas/{scheme_id}/bekendmaken").status_code == 302
    phones = [login(people["lead"], on=app.test_client()) for _ in range(4)]
    all_looked = threading.Barrier(len(phones), timeout=20)
    found_latest = services.latest

    def latest_once_all_looked(session, scheme):  # every request has found no draft before any inserts
        all_looked.wait()
        return found_latest(session, scheme)

    monkeypatch.setattr(services, "latest", latest_once_all_looked)
    pages = parallel([lambda phone=phone: phone.get(f"/buddies/schemas/{scheme_id}/voorstel") for phone in phones])
    assert [page.status_code for page in pages] == [200] * len(phones)
    assert all("Voorstel voor" in page.get_data(as_text=True) for page in pages)
    with app.app_context():
        assert db.session.scalar(select(func.count(Rotation.id)).where(Rotation.scheme_id == scheme_id,
                                                                        Rotation.status == "draft")) == 1
