"""Twenty requests at the same moment (issue 7, "Proof"), for what test_intervisie_integrity.py does
not cover yet: one invite link, one recovery link, RSVP, cancelling, a device's subscription, the
first notification settings, the calendar link, a new team's name. The data stays consistent and no
request fails; on SQLite by default and on PostgreSQL with TEST_DATABASE_URL.
"""
from __future__ import annotations

from sqlalchemy import func, select

from app.accounts import services as accounts
from app.accounts.models import AccessLink, Passkey, Person, PersonSession, Team
from app.extensions import db
from app.intervisie.models import CalendarFeed, Participant, Round
from app.notify.models import Notification, NotificationPreference, PushSubscription
from conftest import csrf_token
from support.authenticator import SoftAuthenticator
from support.flows import options_on, post_json
from test_intervisie import as_, planned_round, team  # noqa: F401  (team is a fixture)
from test_intervisie_integrity import PARALLEL, parallel, phones, send


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def ready_ceremonies(app, path: str, form: dict) -> list:
    """PARALLEL browsers that each opened the link, filled the form and made a passkey: all that
    is left is the last request, which they then send at the same moment."""
    ready = []
    for _ in range(PARALLEL):
        client = app.test_client()
        token = csrf_token(client, path)
        step = client.post(path, data={**form, "csrf_token": token})
        assert step.status_code == 200, step.get_data(as_text=True)[:300]
        credential = SoftAuthenticator(origin="http://localhost").create(options_on(step.get_data(as_text=True)))
        ready.append((client, token, credential))
    return ready


def test_twenty_people_using_one_invite_link_make_one_account(app, team):
    t, people = team
    with app.app_context():
        issued = accounts.issue_invite(db.session, team=db.session.get(Team, t.id), role="member", make_admin=False,
                                       email=None, created_by=db.session.get(Person, people["lead"].id), days=7)
        db.session.commit()
        before, link_id = count(Person), issued.link.id
    path = f"/uitnodiging/{issued.token}"
    ready = ready_ceremonies(app, path, {"person_name": "Nieuwe collega"})
    answers = parallel([lambda c=c, tok=tok, cred=cred: post_json(c, f"{path}/passkey", {"credential": cred}, tok)
                        for c, tok, cred in ready])
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [410] * (PARALLEL - 1), codes
    assert all(a.get_json().get("error") for a in answers if a.status_code != 200)
    with app.app_context():
        assert count(Person) == before + 1 and count(Passkey) == 1
        assert count(Notification, Notification.kind == "invite_accepted") == 1
        assert db.session.get(AccessLink, link_id).used_at is not None


def test_twenty_uses_of_one_recovery_link_add_one_passkey(app, team, login):
    t, people = team
    with app.app_context():
        issued = accounts.issue_recovery(db.session, person=db.session.get(Person, people["daan"].id),
                                         issued_by=db.session.get(Person, people["lead"].id), hours=24)
        db.session.commit()
    path = f"/herstel/{issued.token}"
    ready = ready_ceremonies(app, path, {})
    answers = parallel([lambda c=c, tok=tok, cred=cred: post_json(c, f"{path}/passkey", {"credential": cred}, tok)
                        for c, tok, cred in ready])
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [410] * (PARALLEL - 1), codes
    with app.app_context():
        assert count(Passkey, Passkey.person_id == people["daan"].id) == 1
        assert count(PersonSession, PersonSession.person_id == people["daan"].id) == 1  # the winner's


def test_twenty_parallel_rsvps_leave_one_answer(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    answers = ("yes", "no", "maybe")
    codes = parallel([lambda c=c, tok=tok, i=i: send(c, tok, f"/intervisie/rondes/{round_id}/rsvp",
                                                     {"answer": answers[i % 3]}).status_code
                      for i, (c, tok) in enumerate(phones(app, login, people["daan"]))])
    assert codes == [200] * PARALLEL
    with app.app_context():
        rows = db.session.scalars(select(Participant).where(Participant.round_id == round_id,
                                                            Participant.person_id == people["daan"].id)).all()
        assert len(rows) == 1 and rows[0].rsvp in answers


def test_twenty_parallel_cancels_tell_everyone_once(app, team, login):
    t, people = team
    round_id = planned_round(app, login(people["lead"]), t.id, people)
    codes = parallel([lambda c=c, tok=tok: c.post(f"/intervisie/rondes/{round_id}/afgelasten",
                                                  headers={"X-CSRFToken": tok}).status_code
                      for c, tok in phones(app, login, people["lead"])])
    assert sorted(codes) == [302] + [409] * (PARALLEL - 1), codes
    with app.app_context():
        assert db.session.get(Round, round_id).cancelled_at is not None
        assert count(Notification, Notification.kind == "round_cancelled") == 4  # one each, not twenty


def test_twenty_parallel_subscriptions_of_one_device_store_one(app, team, login):
    t, people = team
    body = {"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": {"p256dh": "BNcR", "auth": "tBHI"}}
    codes = parallel([lambda c=c, tok=tok: post_json(c, "/push/abonnementen", body, tok).status_code
                      for c, tok in phones(app, login, people["daan"])])
    assert codes == [201] * PARALLEL, codes
    with app.app_context():
        assert count(PushSubscription) == 1


def test_twenty_parallel_first_saves_of_notification_settings(app, team, login):
    """The settings row is made on the first save; twenty tabs saving at once make one row."""
    t, people = team
    codes = parallel([lambda c=c, tok=tok, i=i: c.post("/meldingen/instellingen", data={
        "csrf_token": tok, "quiet_enabled": "y", "quiet_evening": f"{17 + i % 5}:00", "quiet_morning": "08:00",
        "kind": ["round_planned"]}).status_code for i, (c, tok) in enumerate(phones(app, login, people["fatima"]))])
    assert codes == [302] * PARALLEL, codes
    with app.app_context():
        assert count(NotificationPreference, NotificationPreference.person_id == people["fatima"].id) == 1


def test_twenty_parallel_calendar_links_leave_one_that_works(app, team, login):
    t, people = team
    codes = parallel([lambda c=c, tok=tok: c.post("/intervisie/agenda", headers={"X-CSRFToken": tok}).status_code
                      for c, tok in phones(app, login, people["joris"])])
    assert codes == [200] * PARALLEL, codes
    with app.app_context():
        assert count(CalendarFeed, CalendarFeed.person_id == people["joris"].id) == 1


def test_twenty_parallel_new_teams_with_one_name_make_one_team(app, team, login):
    t, people = team
    with app.app_context():
        db.session.get(Person, people["lead"].id).is_admin = True
        db.session.commit()
    clients = [(c, csrf_token(c, "/teams/nieuw")) for c in (as_(app, login, people["lead"]) for _ in range(PARALLEL))]
    codes = parallel([lambda c=c, tok=tok: c.post("/teams/nieuw", data={"team_name": "Wijkteam Zuid",
                                                                      "csrf_token": tok}).status_code
                      for c, tok in clients])
    assert sorted(codes) == [302] + [422] * (PARALLEL - 1), codes
    with app.app_context():
        assert count(Team, Team.name == "Wijkteam Zuid") == 1


# Buddies, feedback and personal actions ---------------------------------------------------------

class Sent:
    """One phone's answer, and the page its redirect leads to (with the message it left)."""

    def __init__(self, client, response):
        self.client, self.response, self.status_code = client, response, response.status_code

    def get_data(self, as_text=False):
        return self.response.get_data(as_text=as_text)

    def next_page(self) -> str:
        return self.client.get(self.response.headers["Location"]).get_data(as_text=True)


def form_sends(app, login, person, path, data, n=PARALLEL):
    """n phones of one person, each with the form ready; the sends happen in `parallel`."""
    return [lambda c=c, tok=tok, i=i: Sent(c, c.post(path, data={**(data(i) if callable(data) else data),
                                                                   "csrf_token": tok}))
            for i, (c, tok) in enumerate(phones(app, login, person, n))]


def test_twenty_parallel_publishes_of_one_rotation_publish_it_once(app, team, login):
    """Twenty taps on "Bekendmaken" (or twenty tabs): one rotation published, the scheme's next day
    moved on once, and everyone in it told once."""
    from app.buddies.models import Rotation, Scheme

    t, people = team
    lead = as_(app, login, people["lead"])
    made = lead.post("/buddies/schemas/nieuw", data={
        "name": "Buddy's Noord", "teams": [str(t.id)], "every_weeks": "6", "weekday": "1", "mix": "2",
        "cross_team": "1", "window": "4", "csrf_token": csrf_token(lead, "/buddies/")})
    assert made.status_code == 302, made.get_data(as_text=True)[:2000]
    scheme_id = int(made.headers["Location"].split("/schemas/")[1].split("/")[0])
    with app.app_context():
        next_on = db.session.get(Scheme, scheme_id).next_on
        members = count(Rotation, Rotation.scheme_id == scheme_id)  # the draft exists
        assert members == 1
    answers = parallel(form_sends(app, login, people["lead"], f"/buddies/schemas/{scheme_id}/bekendmaken", {}))
    codes = sorted(a.status_code for a in answers)
    assert set(codes) <= {302, 409}, codes
    assert all("Dat kan nu niet meer" in a.get_data(as_text=True) for a in answers if a.status_code == 409)
    with app.app_context():
        [rotation] = db.session.scalars(select(Rotation).where(Rotation.scheme_id == scheme_id)).all()
        assert rotation.status == "published"
        in_groups = sum(len(g.members) for g in rotation.groups)
        assert in_groups >= 2
        assert count(Notification, Notification.kind == "buddy_new") == in_groups  # one each, not twenty
        scheme = db.session.get(Scheme, scheme_id)
        assert (scheme.next_on - next_on).days in range(42, 49)  # six weeks on, once


def _asked(app, login, asker, giver) -> int:
    import uuid

    client = as_(app, login, asker)
    asked = client.post("/feedback/vragen", data={
        "colleague": str(giver.id), "title": "Huisbezoek dinsdag", "rules": "Ik volgde de opzet.",
        "client_id": str(uuid.uuid4()), "accept_risk": "y", "csrf_token": csrf_token(client, "/feedback/")})
    assert asked.status_code == 302, asked.get_data(as_text=True)[:2000]
    return int(asked.headers["Location"].rsplit("/", 1)[1])


def test_twenty_parallel_answers_to_one_request_store_one(app, team, login):
    """Twenty phones of the giver answer one request, each with its own client id: one answer is
    stored, one notification goes out; the others hear it was answered already."""
    import uuid

    from app.feedback.models import ANSWERED, Exchange, Submission

    t, people = team
    ex_id = _asked(app, login, people["sanne"], people["daan"])
    answers = parallel(form_sends(app, login, people["daan"], f"/feedback/{ex_id}/antwoord", lambda i: {
        "top": f"Top {i}", "tip": f"Tip {i}", "client_id": str(uuid.uuid4()), "accept_risk": "y"}))
    assert [a.status_code for a in answers] == [302] * PARALLEL
    with app.app_context():
        exchange = db.session.get(Exchange, ex_id)
        assert exchange.status == ANSWERED and exchange.top.removeprefix("Top ") == exchange.tip.removeprefix("Tip ")
        assert count(Submission, Submission.exchange_id == ex_id) == 2  # the question and one answer
        assert count(Submission, Submission.person_id == people["daan"].id) == 1  # the losers stored nothing
        assert count(Notification, Notification.kind == "feedback_answered") == 1
    told = [a.next_page() for a in answers]
    assert sum("Je feedback is verstuurd" in page for page in told) == 1
    assert sum("Deze vraag is al beantwoord of gesloten." in page for page in told) == PARALLEL - 1


def test_twenty_parallel_closes_make_one_personal_action(app, team, login):
    import uuid

    from app.actions import PersonalAction
    from app.feedback.models import CLOSED, Exchange

    t, people = team
    ex_id = _asked(app, login, people["sanne"], people["daan"])
    daan = as_(app, login, people["daan"])
    answered = daan.post(f"/feedback/{ex_id}/antwoord", data={
        "top": "Rustig gebleven.", "client_id": str(uuid.uuid4()), "csrf_token": csrf_token(daan, "/feedback/")})
    assert answered.status_code == 302
    answers = parallel(form_sends(app, login, people["sanne"], f"/feedback/{ex_id}/afronden", lambda i: {
        "takeaway": f"Les {i}", "action": f"Actie {i}", "client_id": str(uuid.uuid4()), "accept_risk": "y"}))
    assert [a.status_code for a in answers] == [302] * PARALLEL
    with app.app_context():
        exchange = db.session.get(Exchange, ex_id)
        [action] = db.session.scalars(select(PersonalAction).where(PersonalAction.source_id == ex_id)).all()
        assert exchange.status == CLOSED
        assert action.text.removeprefix("Actie ") == exchange.takeaway.removeprefix("Les ")  # the winner's both
    told = [a.next_page() for a in answers]
    assert sum("Je actie staat op Vandaag" in page for page in told) == 1
    assert sum("Dit is al afgerond." in page for page in told) == PARALLEL - 1


def test_twenty_parallel_ticks_on_one_action_keep_the_first_moment(app, team, login):
    from app import actions
    from app.actions import PersonalAction

    t, people = team
    with app.app_context():
        action_id = actions.add(db.session, people["fatima"].id, "Drie open vragen stellen", source="feedback").id
        db.session.commit()
    answers = parallel(form_sends(app, login, people["fatima"], f"/acties/{action_id}/gedaan", {}))
    assert [a.status_code for a in answers] == [302] * PARALLEL
    with app.app_context():
        assert db.session.get(PersonalAction, action_id).done_at is not None
        assert count(PersonalAction) == 1
